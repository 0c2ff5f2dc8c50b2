package simotel

import (
	"errors"
	"net/http"
)

// keepCredentialsHome is the client's redirect policy: the API's credentials
// (X-APIKEY and Basic) go only to the PBX they were configured for. A redirect to
// another host, or from https to http, is followed without them (net/http drops
// Authorization across domains, but not a custom header like X-APIKEY). Up to 10
// redirects, as net/http's default.
func keepCredentialsHome(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		first := via[0].URL
		if req.URL.Host != first.Host || (first.Scheme == "https" && req.URL.Scheme != "https") {
			req.Header.Del("X-APIKEY")
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}
