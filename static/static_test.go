package static

import (
	"bytes"
	"encoding/binary"
	"os"
	"regexp"
	"testing"
)

func TestAssetsEmbedded(t *testing.T) {
	js, err := FS.ReadFile("app.js")
	if err != nil {
		t.Fatal(err)
	}
	// The bundle holds htmx, its ws extension and our own behaviour (string literals survive minifying).
	for _, want := range []string{"htmx-request", "ws-connect", "htmx:wsClose", "htmx:oobErrorNoTarget", "data-since", ".pop-card", "Notification"} {
		if !bytes.Contains(js, []byte(want)) {
			t.Errorf("app.js lacks %q", want)
		}
	}
	if bytes.Count(js, []byte("\n")) > 5 {
		t.Error("app.js is not minified")
	}
	css, err := FS.ReadFile("app.css")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../web/app.css")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(css, src) {
		t.Error("static/app.css differs from web/app.css: run npm run build")
	}
	if svg, err := FS.ReadFile("favicon.svg"); err != nil || !bytes.HasPrefix(svg, []byte("<svg")) {
		t.Errorf("favicon.svg missing or not SVG: %v", err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(Version) {
		t.Errorf("Version = %q", Version)
	}
}

// TestBeepIsAShortWAV reads the notification sound's header: PCM, and well under a second.
func TestBeepIsAShortWAV(t *testing.T) {
	b, err := FS.ReadFile("beep.wav")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" || string(b[12:16]) != "fmt " || string(b[36:40]) != "data" {
		t.Fatalf("not a canonical WAV header: % x", b[:min(len(b), 44)])
	}
	le := binary.LittleEndian
	format, channels, rate, bits := le.Uint16(b[20:]), le.Uint16(b[22:]), le.Uint32(b[24:]), le.Uint16(b[34:])
	n := le.Uint32(b[40:])
	if format != 1 || channels != 1 || int(n) != len(b)-44 || int(le.Uint32(b[4:])) != len(b)-8 {
		t.Fatalf("format %d, %d channels, data %d of %d bytes", format, channels, n, len(b)-44)
	}
	if secs := float64(n) / float64(rate) / float64(bits/8); secs < 0.1 || secs > 1 {
		t.Errorf("beep lasts %.2f s", secs)
	}
}
