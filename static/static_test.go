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

// TestFontsBundled: the pages' font faces are here, as WOFF2, small, with their licences.
func TestFontsBundled(t *testing.T) {
	css, err := FS.ReadFile("app.css")
	if err != nil {
		t.Fatal(err)
	}
	faces := regexp.MustCompile(`url\((fonts/[^)]+\.woff2)\)`).FindAllStringSubmatch(string(css), -1)
	if len(faces) < 4 {
		t.Fatalf("app.css names %d bundled font files, want the Latin weights and the Persian face", len(faces))
	}
	total := 0
	for _, f := range faces {
		b, err := FS.ReadFile(f[1])
		if err != nil {
			t.Errorf("app.css names %s: %v", f[1], err)
			continue
		}
		if !bytes.HasPrefix(b, []byte("wOF2")) {
			t.Errorf("%s is not WOFF2", f[1])
		}
		total += len(b)
	}
	if total > 200<<10 {
		t.Errorf("the fonts weigh %d KB: subset them (web/fonts/build.py)", total>>10)
	}
	for _, l := range []string{"fonts/OFL-Inter.txt", "fonts/OFL-Vazirmatn.txt"} {
		if b, err := FS.ReadFile(l); err != nil || !bytes.Contains(b, []byte("SIL Open Font License")) {
			t.Errorf("licence %s missing or not the OFL: %v", l, err)
		}
	}
}
