package simotel

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Audio is a recording streaming from the PBX. The caller copies Status and Header to its
// answer, streams Body, and closes Body.
type Audio struct {
	Status int         // 200, 206 (a range), or 416 (range not satisfiable)
	Header http.Header // Content-Type, Content-Length, Content-Range, Accept-Ranges: those to pass on
	Body   io.ReadCloser
}

// passOn are the upstream headers worth giving to a browser's <audio>.
var passOn = []string{"Content-Type", "Content-Length", "Content-Range", "Accept-Ranges"}

// audioTypes name the types of the recording formats Simotel writes, for a PBX that labels
// them application/octet-stream.
var audioTypes = map[string]string{".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".gsm": "audio/x-gsm"}

// Download streams a recording (the Cdr's record file name): POST reports/audio/download.
// rangeHeader is the browser's Range header, or "". The answer is right for it either way: a PBX
// that honours Range answers 206 itself; when it sends the whole file, Download slices it
// (SliceRange), so <audio> can seek. An unknown file is an error matching ErrNotFound.
func (c *Client) Download(ctx context.Context, file, rangeHeader string) (*Audio, error) {
	body, _ := json.Marshal(map[string]string{"file": file})
	// identity: a transparently decompressed answer would break Content-Length and ranges.
	h := http.Header{"Accept": {"audio/*, */*"}, "Accept-Encoding": {"identity"}}
	if rangeHeader != "" {
		h.Set("Range", rangeHeader)
	}
	x, err := c.send(ctx, http.MethodPost, svcDownload, "application/json", body, h)
	if err != nil {
		return nil, err
	}
	resp := x.resp
	// The PBX answers audio bytes on success, the JSON envelope on error. PHP labels whatever
	// it sends text/html unless told otherwise, so unless the type says audio or JSON, the first
	// byte decides: '{' is the envelope, '<' a web page (a wrong url), anything else audio.
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	br := bufio.NewReader(resp.Body)
	isJSON, isPage := strings.HasSuffix(mt, "json"), false
	if !isJSON && !strings.HasPrefix(mt, "audio/") {
		if b, _ := br.Peek(1); len(b) == 1 {
			isJSON, isPage = b[0] == '{', b[0] == '<'
		}
	}
	st := resp.StatusCode
	if st == http.StatusNotFound {
		x.end()
		return nil, &Error{Status: st, Op: svcDownload}
	}
	if st == http.StatusRequestedRangeNotSatisfiable { // whatever its body (often an HTML page)
		a := &Audio{Status: st, Header: http.Header{"Content-Length": {"0"}}, Body: http.NoBody}
		if cr := resp.Header.Get("Content-Range"); cr != "" {
			a.Header.Set("Content-Range", cr)
		}
		x.end()
		return a, nil
	}
	if (st == http.StatusOK || st == http.StatusPartialContent) && !isJSON && !isPage {
		x.timer.Stop() // the timeout is for the answer to start; a long recording may take longer
		a := &Audio{Status: st, Header: http.Header{}, Body: &audioBody{Reader: br, x: x}}
		for _, k := range passOn {
			if v := resp.Header.Get(k); v != "" {
				a.Header.Set(k, v)
			}
		}
		if !strings.HasPrefix(mt, "audio/") {
			t, ok := audioTypes[strings.ToLower(path.Ext(file))]
			if !ok {
				t = "application/octet-stream"
			}
			a.Header.Set("Content-Type", t)
		}
		if st == http.StatusOK && a.Header.Get("Content-Length") != "" {
			a.Header.Set("Accept-Ranges", "bytes") // SliceRange can answer ranges
		}
		if err := SliceRange(a, rangeHeader); err != nil {
			a.Body.Close()
			return nil, err
		}
		return a, nil
	}
	defer x.end()
	b, err := io.ReadAll(io.LimitReader(br, maxJSON))
	if err != nil {
		return nil, x.fail(err)
	}
	if st/100 == 2 && !isJSON {
		return nil, fmt.Errorf("simotel %s: %s answered %q, not audio: check [sources.api] url, it should look like http://pbx.example/api/v4", svcDownload, c.where(svcDownload), mt)
	}
	if err := c.decode(svcDownload, resp, b, nil); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("simotel %s: the PBX answered success in JSON instead of the audio of %q", svcDownload, file)
}

// audioBody releases the request when the caller closes it.
type audioBody struct {
	io.Reader
	x *exchange
}

func (b *audioBody) Close() error { b.x.end(); return nil }

// SliceRange turns a whole-file 200 answer into the answer to rangeHeader, for a PBX that
// ignores Range: it skips the bytes before the range and stops after it (206 with
// Content-Range), or answers 416 for a range past the end. It leaves the answer alone when there
// is no range, the answer is not a 200, the length is unknown, or the range is one it does not
// serve (several ranges, bad syntax): sending the whole file is a valid answer then.
func SliceRange(a *Audio, rangeHeader string) error {
	if a.Status != http.StatusOK || strings.TrimSpace(rangeHeader) == "" {
		return nil
	}
	size, ok := digits(a.Header.Get("Content-Length"))
	if !ok {
		return nil
	}
	start, end, ok := parseRange(rangeHeader, size)
	if !ok {
		return nil
	}
	if start < 0 {
		a.Body.Close()
		a.Status, a.Body = http.StatusRequestedRangeNotSatisfiable, http.NoBody
		a.Header.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		a.Header.Set("Content-Length", "0")
		return nil
	}
	if _, err := io.CopyN(io.Discard, a.Body, start); err != nil {
		return fmt.Errorf("simotel %s: reading up to byte %d of the recording: %w", svcDownload, start, err)
	}
	n := end - start + 1
	a.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(a.Body, n), a.Body}
	a.Status = http.StatusPartialContent
	a.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, size))
	a.Header.Set("Content-Length", strconv.FormatInt(n, 10))
	return nil
}

// parseRange reads one range of RFC 9110: "bytes=first-last", "bytes=first-" or
// "bytes=-suffix". ok false: not one it serves. start -1: not satisfiable for size.
func parseRange(h string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, ok := digits(last)
		if !ok {
			return 0, 0, false
		}
		if n == 0 || size == 0 {
			return -1, -1, true
		}
		return max(size-n, 0), size - 1, true
	}
	start, ok = digits(first)
	if !ok {
		return 0, 0, false
	}
	end = size - 1
	if last != "" {
		e, ok := digits(last)
		if !ok || e < start {
			return 0, 0, false
		}
		end = min(e, end)
	}
	if start >= size {
		return -1, -1, true
	}
	return start, end, true
}

// digits parses a non-negative decimal made of digits only.
func digits(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
