package store

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestRecordVersions reads a delivery record in the binary form and in the JSON form
// files written before it hold, and rejects a damaged one.
func TestRecordVersions(t *testing.T) {
	d := Delivery{Source: "pbx", Method: "POST", Path: "/hooks/pbx/NewState", Query: "a=1", ContentType: "application/json",
		Header: map[string]string{"User-Agent": "pbx/1", "Remote-Addr": "10.0.0.1"}, Body: []byte(`{"x":1}`),
		ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Key: "k", Stream: "s"}
	bin, _ := encodeRecord(d, "why")
	setSeqs(bin, 5, 2)
	meta, _ := json.Marshal(recMeta{Source: d.Source, Method: d.Method, Path: d.Path, Query: d.Query, ContentType: d.ContentType,
		Header: d.Header, ReceivedAt: d.ReceivedAt, Key: d.Key, Stream: d.Stream, Reason: "why"})
	old := make([]byte, recHeader)
	old[0] = recJSON
	old = append(binary.AppendUvarint(old, uint64(len(meta))), meta...)
	old = append(old, d.Body...)
	setSeqs(old, 5, 2)
	for _, rec := range [][]byte{bin, old} {
		got, err := decodeRecord(9, rec)
		if err != nil {
			t.Fatal(err)
		}
		want := StoredDelivery{ID: 9, Delivery: d, Seqs: []uint64{5, 6}, Reason: "why"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("version %d:\n got %+v\nwant %+v", rec[0], got, want)
		}
	}
	if len(bin) >= len(old) {
		t.Errorf("binary record %d bytes, JSON %d", len(bin), len(old))
	}
	for i := recHeader; i < len(bin)-len(d.Body); i++ {
		if _, err := decodeRecord(9, bin[:i]); err == nil {
			t.Errorf("record cut at %d decoded", i)
		}
	}
}
