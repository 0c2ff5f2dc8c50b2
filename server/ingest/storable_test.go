package ingest

import (
	"errors"
	"strings"
	"testing"
)

// Values that once made a delivery unstorable (a permanent 503 the vendor retried
// forever) are refused as undecodable: the server answers 400 and keeps the body.
func TestUnstorableValuesAreUndecodable(t *testing.T) {
	end := func(extra map[string]any) map[string]any {
		f := map[string]any{"event": "incoming_call_end", "pbx_id": "1557491089.930439", "caller": "+375290000000",
			"receiver": "+375290000001", "status": "answer", "time": "2020-04-06T05:28:15.174Z", "duration": 102}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	for name, tc := range map[string]struct {
		fields map[string]any
		why    string
	}{
		"NaN duration":     {end(map[string]any{"duration": "NaN"}), "duration_s is NaN"},
		"Inf duration":     {end(map[string]any{"duration": "+Inf"}), "duration_s is +Inf"},
		"infinity":         {end(map[string]any{"duration": "-infinity"}), "duration_s is -Inf"},
		"year 9999 offset": {end(map[string]any{"time": "9999-12-31T23:59:59-10:00"}), "outside the years"},
		"year 1000":        {end(map[string]any{"time": "1000-01-01T00:00:00Z"}), "outside the years"},
		"long call id":     {end(map[string]any{"pbx_id": strings.Repeat("9", 100_000)}), "call id is longer"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sipsimDecode(t, tc.fields)
			if !errors.Is(err, ErrUndecodable) || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("%s: err %v, want undecodable saying %q", name, err, tc.why)
			}
		})
	}
	if _, err := sipsimDecode(t, end(nil)); err != nil {
		t.Fatalf("the plain delivery: %v", err)
	}
}
