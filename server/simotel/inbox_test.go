package simotel

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The documented inbox answer: Persian calendar dates, a message the PBX failed to store.
func docInbox() []InboxMessage {
	return []InboxMessage{
		{ID: "60c856c88b2427f7c61c55b6", Mailbox: "400", Caller: "570", File: "400_1623742139-vm-record-file-9758.wav",
			Duration: "2", Date: "1400-03-25 11:59:12", Voicemail: []byte(`{"$oid":"5c2dd8f5fbdbe25519496c09"}`)},
		{ID: "60740c3ef303ef9ff3d87970", Mailbox: "400", Caller: "570", Error: "This file has not been saved properly",
			Read: true, Date: "1400-01-23 13:30:46"},
		{ID: "60740c27f303ef9ff3d8796e", Mailbox: "401", Caller: "571", File: "401_x.wav", Date: "1400-03-26 08:00:00"},
	}
}

func TestParseInboxDate(t *testing.T) {
	teh, _ := time.LoadLocation("Asia/Tehran")
	for in, want := range map[string]time.Time{
		"1400-03-25 11:59:12": time.Date(2021, 6, 15, 11, 59, 12, 0, teh),
		"1400-01-01 00:00:00": time.Date(2021, 3, 21, 0, 0, 0, 0, teh),
		"1399-12-30 23:59:59": time.Date(2021, 3, 20, 23, 59, 59, 0, teh), // 1399 is a leap year
		"2021-06-15 11:59:12": time.Date(2021, 6, 15, 11, 59, 12, 0, teh),
	} {
		got, err := ParseInboxDate(in, teh)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseInboxDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1400-13-01 00:00:00", "1400-12-30 10:00:00", "yesterday", "2021-02-30 10:00:00"} {
		if _, err := ParseInboxDate(bad, teh); err == nil {
			t.Errorf("ParseInboxDate(%q) accepted", bad)
		}
	}
}

func TestInboxSearch(t *testing.T) {
	teh, _ := time.LoadLocation("Asia/Tehran")
	f := startFake(t, FakeOptions{Username: apiUser, Password: apiPass, APIKey: apiKey, Auth: "both", Inbox: docInbox(), Location: teh})
	c := fullClient(f)
	ctx := context.Background()
	got, err := c.InboxSearch(ctx, "400", time.Date(2021, 6, 1, 0, 0, 0, 0, teh), time.Date(2021, 6, 30, 0, 0, 0, 0, teh), teh)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "60c856c88b2427f7c61c55b6" || got[0].File == "" {
		t.Fatalf("mailbox 400 in June 2021: %+v", got)
	}
	if d, ok := got[0].DurationS(); !ok || d != 2 {
		t.Errorf("duration %v %v", d, ok)
	}
	req := f.Requests()[len(f.Requests())-1]
	if req.Service != "voicemails/inbox/search" || req.Method != "POST" {
		t.Errorf("asked %s %s", req.Method, req.Service)
	}
	if r, _ := req.Fields["date_range"].(map[string]any); fmt.Sprint(r["from"]) != "2021-06-01 00:00" {
		t.Errorf("date_range %v", req.Fields["date_range"])
	}
	// Every mailbox, and more messages than one page holds.
	for i := 0; i < 2*inboxPage+5; i++ {
		f.AddVoicemail(InboxMessage{ID: fmt.Sprintf("m%03d", i), Mailbox: "402", Caller: "09120000000", File: fmt.Sprintf("m%03d.wav", i),
			Date: fmt.Sprintf("1400-04-01 10:%02d:%02d", i/60, i%60)})
	}
	all, err := c.InboxSearch(ctx, "", time.Date(2021, 1, 1, 0, 0, 0, 0, teh), time.Date(2021, 12, 31, 0, 0, 0, 0, teh), teh)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3+2*inboxPage+5 {
		t.Errorf("%d messages over every page, want %d", len(all), 3+2*inboxPage+5)
	}
}
