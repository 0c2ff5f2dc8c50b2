package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/jalali"
	"ringside/server/sim"
	"ringside/server/simotel"
)

// Voicemails from the vendors' documented payloads reach the call card and the agent's
// page, and play through the same proxy as recordings: a Simotel caller who rang Petr in
// queue 902 and gave up leaves a message (the documented VoiceMail event, which names no
// call); a SipSim caller leaves one on the call pbx_id names. Jana sees neither.
func TestVoicemailsReachPages(t *testing.T) {
	fake := simotel.NewFake(simotel.FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey,
		Files: map[string][]byte{"5555_1609417639-vm-record-file-8766.wav": []byte("RIFF-voicemail-audio")}})
	fake.Start()
	t.Cleanup(fake.Close)
	cfg := scenarioConfig(t)
	for i := range cfg.Sources {
		if cfg.Sources[i].Name == "pbx1" {
			cfg.Sources[i].API = &config.API{URL: fake.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey}
		}
	}
	cfg.Agents = append(cfg.Agents, config.Agent{ID: "jana", Name: "Jana Dvořáková", Match: []string{"pbx1:992"}})
	cfg.Users = append(cfg.Users,
		config.User{Name: "petr", PasswordHash: cheapHash(), Role: "agent", Agent: "petr"},
		config.User{Name: "jana", PasswordHash: cheapHash(), Role: "agent", Agent: "jana"})
	e := startClocked(t, cfg)
	pbx, sip := simSource(t, cfg, "pbx1", ""), simSource(t, cfg, "sipsim", "")
	post := func(src sim.Source, target, body string) {
		e.deliver(timedDelivery{src: src, at: storyT0,
			d: sim.Delivery{Method: "POST", Target: target, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}})
	}
	// Simotel, in Tehran time: the caller rings queue 902, Petr does not answer, the
	// caller gives up and leaves a message in mailbox 5555 a few seconds later.
	post(pbx, "/hooks/pbx1", `{"event_name":"IncomingCall","number":"09121234567","entry_point":"2191305588","unique_id":"1773133190.30"}`)
	post(pbx, "/hooks/pbx1/CdrQueue", `{"event_name":"CdrQueue","unique_id":"1773133190.30","src":"09121234567","dst":"","queue":"902",`+
		`"billsec":"0","wait":"40","duration":"40","agent_wait":"40","disposition":"NO ANSWER","hangup":"caller","queue_status":"ABANDON",`+
		`"starttime":"2026-03-10 12:29:50.000000","endtime":"2026-03-10 12:30:30.000000",`+
		`"detail":[{"src":"09121234567","dst":"991","billsec":"0","wait":"30","disposition":"NO ANSWER","comment":"","tries":"1"}]}`)
	post(pbx, "/hooks/pbx1/Cdr", `{"event_name":"Cdr","starttime":"2026-03-10 12:29:50.000000","endtime":"2026-03-10 12:30:30.000000",`+
		`"src":"09121234567","dst":"2191305588","type":"incoming","disposition":"NO ANSWER","duration":40,"billsec":0,"wait":40,`+
		`"entry_point":"2191305588","unique_id":"1773133190.30"}`)
	post(pbx, "/hooks/pbx1", `{"event_name":"VoiceMail","id":"5fedc3b31b05af9835bbcfdd","number":"5555","state":"SUCCESS",`+
		`"date":"2026-03-10 12:30:45.752195","filename":"5555_1609417639-vm-record-file-8766.wav","duration":"1","caller":"09121234567"}`)
	// A message that was not saved is not a voicemail.
	post(pbx, "/hooks/pbx1", `{"event_name":"VoiceMail","id":"5fedc34a1b05af9835bbcfdc","number":"5555","state":"FAILED",`+
		`"date":"2026-03-10 12:30:46.417210","message":"Hangup call","caller":"09121234567"}`)
	// SipSim: the documented call start and end, then the voicemail on that call.
	for _, b := range []string{
		`{"event":"incoming_call_start","time":"2026-03-10T09:01:00.000Z","pbx_id":"1773133260.5","caller":"+375445556677","receiver":"+375172000100"}`,
		`{"event":"incoming_call_end","time":"2026-03-10T09:01:40.000Z","pbx_id":"1773133260.5","caller":"+375445556677","receiver":"+375172000100","status":"noanswer","duration":40}`,
		`{"event":"voicemail","time":"2026-03-10T09:02:10.000Z","pbx_id":"1773133260.5","duration":18,"caller":"+375445556677","receiver":"+375172000100","audio_path":"https://vrecords.call-tracking.by/voicemail/2c7e11aa"}`,
	} {
		post(sip, "/hooks/sipsim", b)
	}
	e.settle()

	var sc call.Call
	if err := json.Unmarshal(e.get("/api/v1/calls/pbx1:1773133190.30"), &sc); err != nil {
		t.Fatal(err)
	}
	if len(sc.Voicemails) != 1 || sc.Voicemails[0].ID != "pbx1:5fedc3b31b05af9835bbcfdd" || sc.Voicemails[0].URL == "" ||
		sc.Voicemails[0].Queue != "pbx1:902" || sc.Voicemails[0].Mailbox != "5555" {
		t.Fatalf("the Simotel call's voicemails: %+v", sc.Voicemails)
	}
	var ss call.Call
	if err := json.Unmarshal(e.get("/api/v1/calls/sipsim:1773133260.5"), &ss); err != nil {
		t.Fatal(err)
	}
	if len(ss.Voicemails) != 1 || ss.Voicemails[0].URL != "/voicemails/sipsim/1773133260.5" {
		t.Fatalf("the SipSim call's voicemails: %+v", ss.Voicemails)
	}

	admin, petr, jana := e.formLogin("admin", "adminpw"), e.formLogin("petr", personPass), e.formLogin("jana", personPass)
	card := e.page(t, "/calls/pbx1:1773133190.30", admin)
	if !strings.Contains(card, `Message from <span class="num-text" dir="ltr">09121234567</span>`) || !strings.Contains(card, `src="`+sc.Voicemails[0].URL+`"`) {
		t.Error("the call card shows no playable voicemail")
	}
	if p := e.page(t, "/agent", petr); !strings.Contains(p, `src="`+sc.Voicemails[0].URL+`"`) {
		t.Error("Petr's page lacks the voicemail of the call that rang him")
	}
	if p := e.page(t, "/agent", jana); strings.Contains(p, "/voicemails/") {
		t.Error("Jana's page lists a voicemail that is not hers")
	}

	// Playing: the Simotel file through the API (Range passed on), the SipSim link by a
	// redirect; Jana may play neither.
	play := func(cookie *http.Cookie, path, rng string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", e.url+path, nil)
		req.AddCookie(cookie)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, b := play(petr, sc.Voicemails[0].URL, "bytes=0-3"); resp.StatusCode != http.StatusPartialContent || !bytes.Equal(b, []byte("RIFF")) {
		t.Errorf("Petr plays the Simotel voicemail: %d %q", resp.StatusCode, b)
	}
	var asked string
	for _, r := range fake.Requests() {
		if r.Service == "reports/audio/download" {
			asked = r.Field("file")
		}
	}
	if asked != "5555_1609417639-vm-record-file-8766.wav" {
		t.Errorf("the PBX was asked for %q", asked)
	}
	if resp, _ := play(admin, ss.Voicemails[0].URL, ""); resp.StatusCode != http.StatusFound ||
		resp.Header.Get("Location") != "https://vrecords.call-tracking.by/voicemail/2c7e11aa" {
		t.Errorf("the SipSim voicemail: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := play(jana, sc.Voicemails[0].URL, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("Jana plays Petr's voicemail: %d", resp.StatusCode)
	}
}

// A voicemail whose webhook never came is found in the Simotel inbox (the documented
// search, Persian calendar dates) and logged once: asking again, or the webhook coming
// late, adds nothing.
func TestVoicemailInbox(t *testing.T) {
	teh, _ := time.LoadLocation("Asia/Tehran")
	left := storyT0.Add(50 * time.Second).In(teh)
	date := jalali.Of(left).String() + left.Format(" 15:04:05")
	fake := simotel.NewFake(simotel.FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey, Location: teh,
		Files: map[string][]byte{"400_1623742139-vm-record-file-9758.wav": []byte("RIFF-inbox")},
		Inbox: []simotel.InboxMessage{
			{ID: "60c856c88b2427f7c61c55b6", Mailbox: "400", Caller: "09121234567", File: "400_1623742139-vm-record-file-9758.wav",
				Duration: "2", Date: date},
			{ID: "60740c3ef303ef9ff3d87970", Mailbox: "400", Caller: "09121234567", Error: "This file has not been saved properly", Date: date},
		}})
	fake.Start()
	t.Cleanup(fake.Close)
	cfg := scenarioConfig(t)
	for i := range cfg.Sources {
		if cfg.Sources[i].Name == "pbx1" {
			cfg.Sources[i].API = &config.API{URL: fake.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey}
		}
	}
	e := startClocked(t, cfg)
	pbx := simSource(t, cfg, "pbx1", "")
	post := func(target, body string) {
		e.deliver(timedDelivery{src: pbx, at: e.clk.now(),
			d: sim.Delivery{Method: "POST", Target: target, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}})
	}
	post("/hooks/pbx1", `{"event_name":"IncomingCall","number":"09121234567","entry_point":"2191305588","unique_id":"1773133190.40"}`)
	post("/hooks/pbx1/Cdr", `{"event_name":"Cdr","starttime":"2026-03-10 12:29:50.000000","endtime":"2026-03-10 12:30:30.000000",`+
		`"src":"09121234567","dst":"2191305588","type":"incoming","disposition":"NO ANSWER","duration":40,"billsec":0,"wait":40,`+
		`"entry_point":"2191305588","unique_id":"1773133190.40"}`)
	e.clk.set(storyT0.Add(5 * time.Minute))
	e.srv.refreshVoicemailInbox(context.Background())
	e.settle()
	var c call.Call
	if err := json.Unmarshal(e.get("/api/v1/calls/pbx1:1773133190.40"), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Voicemails) != 1 || c.Voicemails[0].ID != "pbx1:60c856c88b2427f7c61c55b6" || !c.Voicemails[0].At.Equal(left.Truncate(time.Second)) ||
		c.Voicemails[0].URL == "" {
		t.Fatalf("voicemails from the inbox: %+v (left at %v)", c.Voicemails, left)
	}
	seq := e.st.LastSeq()
	e.srv.refreshVoicemailInbox(context.Background())
	post("/hooks/pbx1", `{"event_name":"VoiceMail","id":"60c856c88b2427f7c61c55b6","number":"400","state":"SUCCESS",`+
		`"date":"2026-03-10 12:30:50.000000","filename":"400_1623742139-vm-record-file-9758.wav","duration":"2","caller":"09121234567"}`)
	if got := e.st.LastSeq(); got != seq {
		t.Errorf("the log grew from %d to %d: the message was logged twice", seq, got)
	}
	req, _ := http.NewRequest("GET", e.url+c.Voicemails[0].URL, nil)
	req.AddCookie(e.formLogin("admin", "adminpw"))
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "RIFF-inbox" {
		t.Errorf("playing the inbox message: %d %q", resp.StatusCode, b)
	}
}
