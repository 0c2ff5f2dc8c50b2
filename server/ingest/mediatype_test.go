package ingest

import (
	"mime"
	"testing"
)

// mediaType answers as mime.ParseMediaType, from its memory too.
func TestMediaTypeAsParseMediaType(t *testing.T) {
	for range 2 {
		for _, v := range []string{"", "application/json", "Application/JSON; charset=UTF-8", " text/plain ",
			"application/x-www-form-urlencoded;charset=utf-8", "multipart/form-data; boundary=x", "bad type", ";", "json;;"} {
			want, _, _ := mime.ParseMediaType(v)
			if got := mediaType(v); got != want {
				t.Errorf("mediaType(%q) = %q, want %q", v, got, want)
			}
		}
	}
}
