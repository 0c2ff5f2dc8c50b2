package server

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ringside/server/config"
	"ringside/server/simotel"
)

// actionsEnv is a server whose pbx1 has a Simotel API (a fake PBX that records what
// it is asked), with a directory and one person of every role.
func actionsEnv(t *testing.T, dialPattern string) (*testEnv, *simotel.Fake) {
	fake := simotel.NewFake(simotel.FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey})
	fake.Start()
	t.Cleanup(fake.Close)
	cfg := testConfig(t)
	for i := range cfg.Sources {
		if cfg.Sources[i].Name == "pbx1" {
			cfg.Sources[i].API = &config.API{URL: fake.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey}
			cfg.Sources[i].DialPattern = dialPattern
		}
	}
	cfg.Users = []config.User{
		{Name: "admin", PasswordHash: cheapHash(), Role: "admin", APIKey: "admin-key"},
		{Name: "sup", PasswordHash: cheapHash(), Role: "supervisor", APIKey: "sup-key"},
		{Name: "mgr", PasswordHash: cheapHash(), Role: "manager"},
		{Name: "keymgr", Role: "manager", APIKey: "mgr-key"},
		{Name: "petr", PasswordHash: cheapHash(), Role: "agent", Agent: "petr", APIKey: "petr-key"},
	}
	cfg.Agents = []config.Agent{
		{ID: "petr", Name: "Petr", Match: []string{"pbx1:991"}},
		{ID: "jana", Name: "Jana", Match: []string{"pbx1:992"}},
	}
	e := startEnv(t, cfg)
	e.admin = [2]string{"admin", personPass}
	return e, fake
}

// pbxActs is what the PBX was asked to do since the fake started ("service caller→callee").
func pbxActs(f *simotel.Fake) []string {
	var out []string
	for _, r := range f.Requests() {
		switch r.Service {
		case "call/originate/act":
			out = append(out, r.Service+" "+r.Field("caller")+"→"+r.Field("callee"))
		case "pbx/queues/pauseagent", "pbx/queues/resumeagent":
			out = append(out, r.Service+" "+r.Field("agent"))
		}
	}
	return out
}

var csrfInPage = regexp.MustCompile(`"X-CSRF-Token":"([^"]+)"`)

// pagePost posts a form as a logged-in browser does (session cookie and CSRF token).
func (e *testEnv) pagePost(cookie *http.Cookie, path string, form url.Values) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/", nil)
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req) // follows to the person's home page
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	m := csrfInPage.FindStringSubmatch(html.UnescapeString(b.String()))
	if m == nil {
		e.t.Fatalf("no CSRF token on %s", resp.Request.URL.Path)
	}
	req, _ = http.NewRequest("POST", e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", m[1])
	req.Header.Set("HX-Request", "true")
	req.AddCookie(cookie)
	return do(e.t, req)
}

func apiKeyed(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("X-APIKEY", key) }
}

// Attacks: a manager (with a password, or with an API key only) paused agents and
// placed calls; an agent acted for another agent; a supervisor's key bridged two
// outside numbers ("from" source:number, or a feature code) through the trunk.
// Now one table decides for pages and API alike.
func TestPBXActionsByOneTable(t *testing.T) {
	e, fake := actionsEnv(t, "")
	mgr, petr, sup := e.formLogin("mgr", personPass), e.formLogin("petr", personPass), e.formLogin("sup", personPass)
	call := func(agent, number string) url.Values { return url.Values{"agent": {agent}, "number": {number}} }
	refused := []struct {
		name string
		do   func() (int, string)
		code int
		why  string
	}{
		{"manager page originate", func() (int, string) { return e.pagePost(mgr, "/calls/originate", call("petr", "09121234567")) }, 403, "may not"},
		{"manager page pause", func() (int, string) {
			return e.pagePost(mgr, "/agents/petr/pause", url.Values{"queue": {"902"}})
		}, 403, "role does not open"},
		{"key-only manager API originate", func() (int, string) {
			return e.post("/api/v1/calls/originate", `{"agent":"petr","number":"09121234567"}`, apiKeyed("mgr-key"))
		}, 403, "Access denied"},
		{"key-only manager API pause", func() (int, string) {
			return e.post("/api/v1/agents/jana/pause", `{"queue":"902"}`, apiKeyed("mgr-key"))
		}, 403, "Access denied"},
		{"key-only manager API resume", func() (int, string) {
			return e.post("/api/v1/agents/jana/resume", `{"queue":"902"}`, apiKeyed("mgr-key"))
		}, 403, "Access denied"},
		{"agent page originate for another", func() (int, string) { return e.pagePost(petr, "/calls/originate", call("jana", "09121234567")) }, 403, "may not"},
		{"agent API pause of another", func() (int, string) {
			return e.post("/api/v1/agents/jana/pause", `{"queue":"902"}`, apiKeyed("petr-key"))
		}, 403, "Access denied"},
		{"agent page pause of another", func() (int, string) {
			return e.pagePost(petr, "/agents/jana/pause", url.Values{"queue": {"902"}})
		}, 403, "role does not open"},
		{"from an outside number", func() (int, string) {
			return e.post("/api/v1/calls/originate", `{"agent":"pbx1:00441632960001","number":"00989121234567"}`, apiKeyed("sup-key"))
		}, 400, "not an agent of the directory"},
		{"from an unmapped extension", func() (int, string) {
			return e.post("/api/v1/calls/originate", `{"agent":"pbx1:995","number":"09121234567"}`, apiKeyed("sup-key"))
		}, 400, "not an agent of the directory"},
		{"feature code", func() (int, string) {
			return e.post("/api/v1/calls/originate", `{"agent":"petr","number":"*72 00441632960001"}`, apiKeyed("sup-key"))
		}, 400, "not a number this PBX may dial"},
		{"star code", func() (int, string) { return e.pagePost(sup, "/calls/originate", call("petr", "*7200441632960001")) }, 400, "not a number"},
		{"hash code", func() (int, string) {
			return e.post("/api/v1/calls/originate", `{"agent":"petr","number":"#31#00441632960001"}`, apiKeyed("sup-key"))
		}, 400, "not a number this PBX may dial"},
		{"dial string", func() (int, string) {
			return e.post("/api/v1/calls/originate", `{"agent":"petr","number":"0044163296&SIP/evil"}`, apiKeyed("sup-key"))
		}, 400, "not a number this PBX may dial"},
		{"pause of a non-directory id", func() (int, string) {
			return e.post("/api/v1/agents/pbx1:995/pause", `{"queue":"902"}`, apiKeyed("sup-key"))
		}, 400, "not an agent of the directory"},
	}
	for _, tc := range refused {
		code, body := tc.do()
		if code != tc.code || !strings.Contains(body, tc.why) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, code, body, tc.code, tc.why)
		}
	}
	if acts := pbxActs(fake); len(acts) != 0 {
		t.Fatalf("the PBX was asked to act on refused requests: %v", acts)
	}

	// What the table allows reaches the PBX, from the directory's extension.
	allowed := []struct {
		name string
		do   func() (int, string)
	}{
		{"supervisor API originate", func() (int, string) {
			return e.post("/api/v1/calls/originate", `{"agent":"jana","number":"+441632960001"}`, apiKeyed("sup-key"))
		}},
		{"supervisor page pause", func() (int, string) {
			return e.pagePost(sup, "/agents/jana/pause", url.Values{"queue": {"902"}})
		}},
		{"agent page originate for self", func() (int, string) {
			return e.pagePost(petr, "/calls/originate", url.Values{"number": {"09121234567"}})
		}},
		{"agent page pause of self", func() (int, string) { return e.pagePost(petr, "/agent/pause", url.Values{"queue": {"902"}}) }},
		{"agent API resume of self", func() (int, string) {
			return e.post("/api/v1/agents/petr/resume", `{"queue":"902"}`, apiKeyed("petr-key"))
		}},
	}
	for _, tc := range allowed {
		if code, body := tc.do(); code != 200 || strings.Contains(body, `"success":0`) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	want := []string{"call/originate/act 992→+441632960001", "pbx/queues/pauseagent 992", "call/originate/act 991→09121234567",
		"pbx/queues/pauseagent 991", "pbx/queues/resumeagent 991"}
	if got := pbxActs(fake); strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("the PBX was asked:\n%v\nwant\n%v", got, want)
	}
}

// A source that configures dial_pattern dials what it allows, feature codes included.
func TestDialPattern(t *testing.T) {
	e, fake := actionsEnv(t, `\*7[0-9]|0[1-9][0-9]{9}`)
	for number, ok := range map[string]bool{"*72": true, "09121234567": true, "+441632960001": false, "*8": false} {
		code, body := e.post("/api/v1/calls/originate", `{"agent":"petr","number":"`+number+`"}`, apiKeyed("sup-key"))
		if ok != (code == 200 && strings.Contains(body, `"success":1`)) {
			t.Errorf("%s: %d %s, want allowed=%v", number, code, body, ok)
		}
	}
	if got := len(pbxActs(fake)); got != 2 {
		t.Errorf("the PBX placed %d calls, want 2", got)
	}
}
