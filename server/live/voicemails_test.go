package live

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"ringside/server/call"
)

func voicemailStory() []call.Event {
	s := newScenario("voicemails", "pbx1", "simotel")
	// A caller rings queue 902 at Petr, gives up and leaves a message (no call id).
	s.ev(0, call.CallOffered, "m1", name("IncomingCall"), dir(call.Inbound), from("09121234567"), queue("902"), started(0))
	s.ev(2, call.LegRinging, "m1", name("NewState"), agent("991"))
	s.ev(30, call.CallRecord, "m1", name("Cdr"), dir(call.Inbound), from("09121234567"), queue("902"), endedAt(30), disp(call.Missed))
	// An earlier call of the same caller, long over: not the one.
	s.ev(-3600, call.CallRecord, "m0", name("Cdr"), dir(call.Inbound), from("09121234567"), started(-3700), endedAt(-3600), disp(call.Answered))
	vm := func(at float64, id, mailbox, caller, callID string) call.Event {
		e := call.Event{Source: s.src, Vendor: s.vendor, Name: "VoiceMail", Type: "voicemail.saved", Voicemail: id, To: mailbox,
			From: caller, At: sec(at), ReceivedAt: sec(at), Recordings: []string{id + ".wav"}, DurationS: call.F(12)}
		if callID != "" {
			e.Call = s.src + ":" + callID
		}
		return e
	}
	return append(s.events,
		vm(40, "v1", "5555", "09121234567", ""),   // left on m1
		vm(50, "v2", "992", "09350000000", ""),    // Jana's own mailbox, a caller Ringside never saw
		vm(60, "v3", "5555", "09121234567", "m0"), // names its call
	)
}

func TestVoicemails(t *testing.T) {
	b, chs := play(voicemailStory())
	got := b.Voicemails()
	type row struct {
		id, call, queue string
		agents          []string
	}
	want := []row{
		{"pbx1:v3", "pbx1:m0", "", nil},
		{"pbx1:v2", "", "", []string{"jana"}},
		{"pbx1:v1", "pbx1:m1", "pbx1:902", []string{"petr"}},
	}
	if len(got) != len(want) {
		t.Fatalf("voicemails: %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.Call != w.call || g.Queue != w.queue || !reflect.DeepEqual(g.Agents, w.agents) || g.Ref == "" || g.URL != "/voicemails/pbx1/"+w.id[5:] {
			t.Errorf("voicemail %d = %+v, want %+v", i, g, w)
		}
	}
	n := 0
	for _, c := range chs {
		if c.Kind == KindVoicemail {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d voicemail changes, want 3", n)
	}
	// Any order, and snapshot + replay at any point, give the same messages and links.
	evs := voicemailStory()
	wantJSON, _ := json.Marshal(got)
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 50; i++ {
		sh := shuffled(r, evs)
		k := r.IntN(len(sh) + 1)
		half, _ := play(sh[:k])
		data, err := half.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		rb, err := Restore(testConfig(), data)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range sh[k:] {
			rb.Apply(e)
		}
		if j, _ := json.Marshal(rb.Voicemails()); string(j) != string(wantJSON) {
			t.Fatalf("order %s split %d:\n%s\nwant\n%s", names(sh), k, j, wantJSON)
		}
	}
}
