package simotel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func readAudio(t *testing.T, a *Audio) []byte {
	t.Helper()
	defer a.Body.Close()
	b, err := io.ReadAll(a.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDownload(t *testing.T) {
	data := mp3(t)
	f := startFake(t, FakeOptions{Username: apiUser, Password: apiPass, APIKey: apiKey, Files: map[string][]byte{recFile: data}})
	a, err := fullClient(f).Download(context.Background(), recFile, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAudio(t, a); !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, not the file's %d", len(got), len(data))
	}
	if a.Status != 200 || a.Header.Get("Content-Type") != "audio/mpeg" || a.Header.Get("Content-Length") != strconv.Itoa(len(data)) ||
		a.Header.Get("Accept-Ranges") != "bytes" || a.Header.Get("Content-Range") != "" {
		t.Errorf("answer %d %v", a.Status, a.Header)
	}
	r := f.Requests()[0]
	if r.Method != "POST" || r.Service != svcDownload || string(r.Body) != `{"file":"`+recFile+`"}` ||
		r.Header.Get("Range") != "" || r.Header.Get("Accept-Encoding") != "identity" {
		t.Errorf("request %s %s %s %v", r.Method, r.Service, r.Body, r.Header)
	}
}

func TestDownloadRange(t *testing.T) {
	data := mp3(t)
	n := len(data)
	for _, ignore := range []bool{false, true} {
		f := startFake(t, FakeOptions{APIKey: apiKey, IgnoreRange: ignore, Files: map[string][]byte{recFile: data}})
		c := New(Config{URL: f.URL(), APIKey: apiKey}, nil)
		for _, tc := range []struct {
			rng        string
			start, end int // inclusive; start -1: 416
		}{
			{"bytes=100-199", 100, 199},
			{"bytes=0-", 0, n - 1},
			{"bytes=8000-", 8000, n - 1},
			{"bytes=-50", n - 50, n - 1},
			{"bytes=-999999", 0, n - 1},
			{"bytes=100-99999999", 100, n - 1},
			{"bytes=0-0", 0, 0},
			{fmt.Sprintf("bytes=%d-", n), -1, -1},
		} {
			name := fmt.Sprintf("ignore=%v %s", ignore, tc.rng)
			a, err := c.Download(context.Background(), recFile, tc.rng)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := readAudio(t, a)
			reqs := f.Requests()
			sent := reqs[len(reqs)-1]
			if sent.Header.Get("Range") != tc.rng {
				t.Errorf("%s: Range forwarded as %q", name, sent.Header.Get("Range"))
			}
			// The fake's own status shows who answered the range: the PBX (206/416) or the client (200).
			want := 206
			switch {
			case ignore:
				want = 200
			case tc.start < 0:
				want = 416
			}
			if sent.Status != want {
				t.Errorf("%s: PBX answered %d, want %d", name, sent.Status, want)
			}
			if tc.start < 0 {
				if a.Status != 416 || a.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", n) || len(got) != 0 {
					t.Errorf("%s: %d %v %d bytes, want 416", name, a.Status, a.Header, len(got))
				}
				continue
			}
			part := data[tc.start : tc.end+1]
			if a.Status != 206 || a.Header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end, n) ||
				a.Header.Get("Content-Length") != strconv.Itoa(len(part)) || a.Header.Get("Content-Type") != "audio/mpeg" {
				t.Errorf("%s: %d %v", name, a.Status, a.Header)
			}
			if !bytes.Equal(got, part) {
				t.Errorf("%s: got %d bytes, not bytes %d-%d of the file", name, len(got), tc.start, tc.end)
			}
		}
	}
}

func TestSliceRangeLeavesWhatItCannotServe(t *testing.T) {
	data := []byte("0123456789")
	for _, tc := range []struct {
		name, length, rng string
	}{
		{"unknown length", "", "bytes=2-5"},
		{"several ranges", "10", "bytes=0-1,5-6"},
		{"not bytes", "10", "items=1-2"},
		{"bad syntax", "10", "bytes=five-"},
		{"reversed", "10", "bytes=5-2"},
		{"no range", "10", ""},
	} {
		a := &Audio{Status: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(data))}
		if tc.length != "" {
			a.Header.Set("Content-Length", tc.length)
		}
		if err := SliceRange(a, tc.rng); err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(a.Body); a.Status != 200 || !bytes.Equal(got, data) || a.Header.Get("Content-Range") != "" {
			t.Errorf("%s: %d %v %q", tc.name, a.Status, a.Header, got)
		}
	}
	// A body shorter than its Content-Length is an error, not a silent short answer.
	a := &Audio{Status: 200, Header: http.Header{"Content-Length": {"100"}}, Body: io.NopCloser(bytes.NewReader(data))}
	if err := SliceRange(a, "bytes=50-"); err == nil {
		t.Error("short body: no error")
	}
}

func TestDownloadBodyOutlivesTimeout(t *testing.T) {
	data := mp3(t)
	f := startFake(t, FakeOptions{Files: map[string][]byte{recFile: data}})
	a, err := New(Config{URL: f.URL(), Timeout: 100 * time.Millisecond}, nil).Download(context.Background(), recFile, "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a listener pausing playback must not lose the stream
	if got := readAudio(t, a); !bytes.Equal(got, data) {
		t.Errorf("got %d bytes after the timeout passed", len(got))
	}
}

// A PBX (or a proxy before it) may label audio application/octet-stream and errors text/plain.
func TestDownloadLabels(t *testing.T) {
	data := mp3(t)
	pbx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := mustRead(r.Body)
		switch {
		case bytes.Contains(body, []byte("gone.mp3")):
			w.Write([]byte(`{"success":0,"message":"File not found","data":null}`)) // sniffed as text/plain
			return
		case bytes.Contains(body, []byte("page.mp3")):
			w.Write([]byte(`<!DOCTYPE html><html>Simotel login</html>`))
			return
		case bytes.Contains(body, []byte("php.mp3")):
			w.Header().Set("Content-Type", "text/html; charset=UTF-8") // PHP's default
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	}))
	defer pbx.Close()
	c := New(Config{URL: pbx.URL}, nil)
	a, err := c.Download(context.Background(), recFile, "bytes=10-19")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAudio(t, a); a.Status != 206 || a.Header.Get("Content-Type") != "audio/mpeg" || !bytes.Equal(got, data[10:20]) {
		t.Errorf("%d %v %d bytes", a.Status, a.Header, len(got))
	}
	a, err = c.Download(context.Background(), "php.mp3", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAudio(t, a); a.Status != 200 || a.Header.Get("Content-Type") != "audio/mpeg" || !bytes.Equal(got, data) {
		t.Errorf("audio labelled text/html: %d %v %d bytes", a.Status, a.Header, len(got))
	}
	_, err = c.Download(context.Background(), "gone.mp3", "")
	if err == nil || !errors.Is(err, ErrNotFound) {
		t.Errorf("JSON 'File not found': %v", err)
	}
	_, err = c.Download(context.Background(), "page.mp3", "")
	if err == nil || !strings.Contains(err.Error(), `answered "text/html", not audio: check [sources.api] url`) {
		t.Errorf("web page: %v", err)
	}
}

func mustRead(r io.Reader) []byte { b, _ := io.ReadAll(r); return b }
