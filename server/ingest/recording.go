package ingest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Recording references. A vendor names a recording by a file name (Simotel), an id
// (cloudcdr) or a URL (SipSim). Ringside plays a URL by redirecting the browser to it,
// so a URL is parsed when it is decoded and refused unless it is a plain https link (or
// http where the source allows it) to a host the source may link to: a control
// character there would split the redirect's headers (and plant a cookie in the
// browser of whoever pressed play), and a loopback or link-local address would point
// that browser at a service on its own machine.

// RecordingPolicy is what a source allows its recording URLs.
type RecordingPolicy struct {
	// Hosts, when not empty, lists the hosts URLs may point at ("rec.example.com"); an
	// entry "http://host" also allows plain http for that host. Empty: any https host.
	Hosts []string
}

// IsRecordingURL says whether a recording reference is a URL rather than a name or an id.
func IsRecordingURL(ref string) bool {
	return strings.Contains(ref, "://") || strings.HasPrefix(ref, "//")
}

// CheckRecordingURL parses a vendor recording URL and returns it re-encoded (safe to
// put in a Location header), or why it is refused.
func (p RecordingPolicy) CheckRecordingURL(ref string) (string, error) {
	if i := strings.IndexFunc(ref, isControl); i >= 0 {
		return "", fmt.Errorf("recording URL has a control character (%q) at byte %d", ref[i], i)
	}
	u, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("recording URL does not parse: %v", err)
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("recording URL scheme %q is not https", u.Scheme)
	case host == "" || u.Opaque != "":
		return "", errors.New("recording URL has no host")
	case u.User != nil:
		return "", errors.New("recording URL carries a user name or password")
	case localHost(host):
		return "", fmt.Errorf("recording URL points at a loopback or link-local address (%s)", host)
	}
	if !p.allows(u.Scheme, host) {
		if u.Scheme == "http" {
			return "", fmt.Errorf("recording URL is plain http (%s is not allowed it in recording_hosts)", host)
		}
		return "", fmt.Errorf("recording host %s is not in the source's recording_hosts", host)
	}
	u.RawQuery = escapeLoose(u.RawQuery) // url.URL keeps a query as sent
	return u.String(), nil
}

// escapeLoose percent-encodes the bytes a URL may not carry raw (space, quotes, angle
// brackets, non-ASCII), leaving escapes and the query's own delimiters as they are.
func escapeLoose(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (p RecordingPolicy) allows(scheme, host string) bool {
	if len(p.Hosts) == 0 {
		return scheme == "https"
	}
	for _, h := range p.Hosts {
		h = strings.ToLower(h)
		if rest, ok := strings.CutPrefix(h, "http://"); ok {
			if rest == host {
				return true // http or https
			}
			continue
		}
		if strings.TrimPrefix(h, "https://") == host && scheme == "https" {
			return true
		}
	}
	return false
}

// localHost says whether host names this machine or its link: localhost, a loopback,
// link-local or unspecified address, or a number a browser would read as one.
func localHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	addr, _, _ := strings.Cut(host, "%") // an IPv6 zone
	ip := net.ParseIP(addr)
	if ip == nil {
		// A browser reads "2130706433", "0x7f.1" or "127.1" as 127.0.0.1: a host whose
		// last label is a number is an address in disguise, not a name.
		last := host[strings.LastIndexByte(host, '.')+1:]
		return last == "" || strings.Trim(last, "0123456789") == "" || strings.HasPrefix(last, "0x")
	}
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// checkRecordings refuses recording references that could not be played safely: URLs
// by the source's policy, and names or ids with control characters.
func checkRecordings(src Source, res *Result) error {
	for i := range res.Events {
		e := &res.Events[i]
		for j, ref := range e.Recordings {
			if !IsRecordingURL(ref) {
				if strings.IndexFunc(ref, isControl) >= 0 {
					return fmt.Errorf("%w: recording name %q has a control character", ErrUndecodable, ref)
				}
				continue
			}
			clean, err := src.Recordings.CheckRecordingURL(ref)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUndecodable, err)
			}
			e.Recordings[j] = clean
		}
	}
	return nil
}
