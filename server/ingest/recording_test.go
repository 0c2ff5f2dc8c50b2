package ingest

import (
	"strings"
	"testing"
)

func TestRecordingPolicy(t *testing.T) {
	anyHTTPS := RecordingPolicy{}
	listed := RecordingPolicy{Hosts: []string{"rec.example.com", "http://pbx.lan"}}
	for _, tc := range []struct {
		p        RecordingPolicy
		ref, out string // out "" means refused
	}{
		{anyHTTPS, "https://rec.vendor.example/a.mp3?sig=x&e=1", "https://rec.vendor.example/a.mp3?sig=x&e=1"},
		{anyHTTPS, "https://rec.vendor.example/a b.mp3?q=<x>", "https://rec.vendor.example/a%20b.mp3?q=%3Cx%3E"},
		{anyHTTPS, "https://rec.vendor.example/a.mp3\r\nSet-Cookie: x=1", ""},
		{anyHTTPS, "https://rec.vendor.example/a.mp3\u0085", ""},
		{anyHTTPS, "http://rec.vendor.example/a.mp3", ""},
		{anyHTTPS, "ftp://rec.vendor.example/a.mp3", ""},
		{anyHTTPS, "javascript://rec.vendor.example/%0aalert(1)", ""},
		{anyHTTPS, "https://localhost/a", ""},
		{anyHTTPS, "https://[::1]/a", ""},
		{anyHTTPS, "https://127.0.0.2:8443/a", ""},
		{anyHTTPS, "https://[fe80::1%25eth0]/a", ""},
		{anyHTTPS, "https://169.254.169.254/a", ""},
		{anyHTTPS, "https://0.0.0.0/a", ""},
		{anyHTTPS, "https://0x7f.1/a", ""},
		{anyHTTPS, "https://2130706433/a", ""},
		{anyHTTPS, "https://u:p@rec.vendor.example/a", ""},
		{anyHTTPS, "https:///a", ""},
		{listed, "https://rec.example.com/a", "https://rec.example.com/a"},
		{listed, "https://REC.example.com/a", "https://REC.example.com/a"},
		{listed, "https://other.example.com/a", ""},
		{listed, "https://rec.example.com.evil.example/a", ""},
		{listed, "http://rec.example.com/a", ""},
		{listed, "http://pbx.lan/a.mp3", "http://pbx.lan/a.mp3"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			got, err := tc.p.CheckRecordingURL(tc.ref)
			if tc.out == "" && err == nil {
				t.Errorf("%q (hosts %v): allowed as %q, want refused", tc.ref, tc.p.Hosts, got)
			}
			if tc.out != "" && (err != nil || got != tc.out) {
				t.Errorf("%q (hosts %v): %q %v, want %q", tc.ref, tc.p.Hosts, got, err, tc.out)
			}
			if strings.ContainsAny(got, "\r\n ") {
				t.Errorf("%q: %q keeps a byte that can end a header", tc.ref, got)
			}
		})
	}
}
