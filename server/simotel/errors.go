package simotel

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrNotFound is what a download of an unknown recording file matches (errors.Is).
var ErrNotFound = errors.New("simotel: recording file not found")

// Error is an answer of the Simotel API that says the call did not succeed: an HTTP error of
// the documented table, or 200 with success 0. Error() tells the admin what to do about it.
type Error struct {
	Status  int    // HTTP status of the answer
	Success int    // the envelope's success (0 also when the answer had no envelope)
	Message string // the PBX's message, e.g. "Field 'queue':value is missing"
	Op      string // the service called, e.g. "call/originate/act"
}

func (e *Error) Error() string {
	p := "simotel " + e.Op + ": "
	msg := strings.ToLower(e.Message)
	switch {
	case e.Status == http.StatusUnauthorized:
		m := e.Message
		if m == "" {
			m = "BasicAuth or ApiKey is invalid"
		}
		return p + "Simotel API rejected the credentials (" + m + "): check [sources.api] username/password/api_key"
	case e.Status == http.StatusForbidden && strings.Contains(msg, "ip is not permitted"):
		return p + "the Simotel PBX does not permit Ringside's IP address: add it to the API account's allowed IPs (Simotel: Maintenance > Settings > Simotel API)"
	case e.Status == http.StatusForbidden && strings.Contains(msg, "access denied"):
		return p + "the API account lacks permission for " + e.Op + ": enable /" + e.Op + " in the account's requests (Simotel: Maintenance > API Accounts)"
	case e.Status == http.StatusForbidden:
		return p + "the Simotel PBX refused the request (HTTP 403): " + e.Message
	case e.Status == http.StatusNotFound && e.Op == svcDownload:
		return p + "recording file not found on the PBX (HTTP 404)"
	case e.Status == http.StatusNotFound:
		return p + "no such address on the PBX (HTTP 404): check [sources.api] url, it should look like http://pbx.example/api/v4"
	case e.Status >= 200 && e.Status < 300:
		return p + "operation failed: " + e.Message
	}
	what := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		what += ": " + e.Message
	}
	switch e.Status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType, http.StatusNotImplemented:
		// Ringside sends what the docs say; these mean the PBX's API version differs.
		return p + "unexpected " + what + " (this PBX's Simotel API does not accept Ringside's request: check its version is v4)"
	}
	return p + "unexpected " + what
}

// Is makes errors.Is(err, ErrNotFound) true for a download of an unknown file.
func (e *Error) Is(target error) bool {
	if target != ErrNotFound || e.Op != svcDownload {
		return false
	}
	return e.Status == http.StatusNotFound || (e.Success == 0 && strings.Contains(strings.ToLower(e.Message), "not found"))
}
