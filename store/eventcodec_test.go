package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"ringside/server/call"
)

// fill sets every field of v (a struct, through pointers, slices and maps) to a
// non-zero value, so a field the codec forgets shows as a difference.
func fill(v reflect.Value, name string) {
	tehran := time.FixedZone("", 12600)
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), name)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 20, 23, 59, 58, 123456789, tehran).Add(time.Duration(len(name)) * time.Minute)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), name+"."+v.Type().Field(i).Name)
			}
		}
	case reflect.String:
		v.SetString("pbx:" + name)
	case reflect.Float64:
		v.SetFloat(float64(len(name)) + 0.25)
	case reflect.Uint64:
		v.SetUint(0) // Seq is the key, never stored
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), fmt.Sprint(name, i))
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 3 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, fmt.Sprint(name, "k", i))
			fill(e, fmt.Sprint(name, "v", i))
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	default:
		panic("fill: add kind " + v.Kind().String())
	}
}

// TestEventCodecCoversEveryField round-trips an event with every field set through the
// binary form and requires the same JSON as the event itself: a field added to
// call.Event but not to the codec fails here.
func TestEventCodecCoversEveryField(t *testing.T) {
	var e call.Event
	fill(reflect.ValueOf(&e).Elem(), "e")
	e.Source = "pbx"
	for _, typ := range []call.Type{call.CallRecord, "vendor.new_kind"} {
		e.Type = typ
		var got call.Event
		b := appendEvent(nil, &e)
		if err := readEvent(b[1:], &got); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(e)
		have, _ := json.Marshal(got)
		if string(want) != string(have) {
			t.Errorf("round trip changed the event:\nwant %s\nhave %s", want, have)
		}
		if j := len(want); len(b) > j/2 {
			t.Errorf("binary form is %d bytes, the JSON %d", len(b), j)
		}
	}
}

// TestEventCodecKeepsTimes checks the times JSON kept: the instant, the zone offset,
// the zero time and times far outside the nanosecond range.
func TestEventCodecKeepsTimes(t *testing.T) {
	for _, at := range []time.Time{{}, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -3*3600-1800)), time.Unix(1700000000, 1).UTC()} {
		e := call.Event{Source: "s", At: at, ReceivedAt: time.Date(2026, 5, 5, 5, 5, 5, 5, time.UTC), EndedAt: &at}
		var got call.Event
		if err := readEvent(appendEvent(nil, &e)[1:], &got); err != nil {
			t.Fatal(err)
		}
		_, off := at.Zone()
		_, goff := got.At.Zone()
		if !got.At.Equal(at) || got.At.IsZero() != at.IsZero() || off != goff || !got.EndedAt.Equal(at) {
			t.Errorf("%v came back as %v (offset %d, want %d)", at, got.At, goff, off)
		}
	}
}

// TestEventCodecRejectsDamage feeds every truncation and every single-byte change of
// an encoded event to the decoder: it must return an error or an event, never panic,
// and every truncation must be an error.
func TestEventCodecRejectsDamage(t *testing.T) {
	var e call.Event
	fill(reflect.ValueOf(&e).Elem(), "e")
	b := appendEvent(nil, &e)[1:]
	for i := range len(b) {
		var got call.Event
		if err := readEvent(b[:i], &got); err == nil {
			t.Errorf("truncated at %d of %d: no error", i, len(b))
		}
		for _, x := range []byte{0x01, 0x80, 0xff} {
			d := append([]byte(nil), b...)
			d[i] ^= x
			_ = readEvent(d, &got)
		}
	}
}

// TestReadsJSONEvents reads an event stored as JSON (files from before the binary
// form) beside a binary one.
func TestReadsJSONEvents(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	e := call.Event{Source: "pbx", Vendor: "simotel", Name: "IncomingCall", Type: call.CallOffered, Call: "pbx:1.2",
		At: at, ReceivedAt: at, From: "0912", WaitS: call.F(3)}
	j, _ := json.Marshal(e)
	for _, v := range [][]byte{append(make([]byte, 8), j...), appendEvent(make([]byte, 8), &e)} {
		got, err := decodeEvent(7, v)
		if err != nil {
			t.Fatal(err)
		}
		e.Seq = 7
		want, _ := json.Marshal(e)
		have, _ := json.Marshal(got)
		if string(want) != string(have) {
			t.Errorf("want %s\nhave %s", want, have)
		}
	}
	if _, err := decodeEvent(9, []byte{0, 0, 0, 0, 0, 0, 0, 1, '{', 'x'}); err == nil {
		t.Error("damaged JSON event decoded")
	}
}

// TestEventCodecStoresValidUTF8: a vendor's invalid UTF-8 reads back as the JSON form
// always stored it, each bad byte as U+FFFD (the fuzzer found an event name that read
// back differently from the binary form).
func TestEventCodecStoresValidUTF8(t *testing.T) {
	e := call.Event{Source: "pbx", Name: "Incoming\xffCall\xc3", From: "09\xfe12", At: time.Unix(1700000000, 0).UTC()}
	j, _ := json.Marshal(e)
	var viaJSON call.Event
	if err := json.Unmarshal(j, &viaJSON); err != nil {
		t.Fatal(err)
	}
	var got call.Event
	if err := readEvent(appendEvent(nil, &e)[1:], &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != viaJSON.Name || got.From != viaJSON.From || got.Name != "Incoming\uFFFDCall\uFFFD" {
		t.Errorf("read back %q and %q, the JSON form %q and %q", got.Name, got.From, viaJSON.Name, viaJSON.From)
	}
}
