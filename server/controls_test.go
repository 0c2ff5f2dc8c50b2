package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ringside/server/config"
	"ringside/server/simotel"
)

// controlsEnv: pbx1 (Simotel) has an API when withAPI; Petr has an extension there,
// Olga only on the cloudcdr source, which sends no presence and has no API.
func controlsEnv(t *testing.T, withAPI bool) (*testEnv, *simotel.Fake) {
	fake := simotel.NewFake(simotel.FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey})
	fake.Start()
	t.Cleanup(fake.Close)
	cfg := testConfig(t)
	for i := range cfg.Sources {
		if cfg.Sources[i].Name == "pbx1" && withAPI {
			cfg.Sources[i].API = &config.API{URL: fake.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey}
		}
	}
	cfg.Users = []config.User{
		{Name: "admin", PasswordHash: cheapHash(), Role: "admin"},
		{Name: "sup", PasswordHash: cheapHash(), Role: "supervisor"},
		{Name: "petr", PasswordHash: cheapHash(), Role: "agent", Agent: "petr"},
		{Name: "olga", PasswordHash: cheapHash(), Role: "agent", Agent: "olga"},
	}
	cfg.Agents = []config.Agent{
		{ID: "petr", Name: "Petr", Match: []string{"pbx1:991"}, Queues: []string{"pbx1:902"}},
		{ID: "olga", Name: "Olga", Match: []string{"cloud:994"}},
	}
	e := startEnv(t, cfg)
	e.admin = [2]string{"admin", personPass}
	return e, fake
}

func (e *testEnv) pageAs(cookie *http.Cookie, path string) string {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.AddCookie(cookie)
	code, body := do(e.t, req)
	if code != 200 {
		e.t.Fatalf("GET %s: %d", path, code)
	}
	return body
}

// bodyClass is the class attribute of a page's <body>.
func bodyClass(page string) string {
	i := strings.Index(page, "<body")
	j := strings.Index(page[i:], `class="`)
	if i < 0 || j < 0 {
		return ""
	}
	rest := page[i+j+len(`class="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// Pause and click-to-call work only through a Simotel API, for an agent with an
// extension on its source: the pages offer them there and nowhere else.
func TestControlsOnlyWhereTheyWork(t *testing.T) {
	e, _ := controlsEnv(t, true)
	petr, olga, sup := e.formLogin("petr", personPass), e.formLogin("olga", personPass), e.formLogin("sup", personPass)

	page := e.pageAs(petr, "/agent")
	if !strings.Contains(page, `class="pause-form"`) || !strings.Contains(page, `hx-post="/agent/pause"`) || !strings.Contains(page, `hx-target="#toast"`) {
		t.Error("Petr (extension on pbx1, which has an API; in its queue 902) gets no pause form answering in the toast")
	}
	if !strings.Contains(bodyClass(page), "may-act") {
		t.Errorf("Petr's page does not offer click-to-call: body class %q", bodyClass(page))
	}
	page = e.pageAs(olga, "/agent")
	if strings.Contains(page, "pause-form") || strings.Contains(page, "resume-form") || strings.Contains(bodyClass(page), "may-act") {
		t.Errorf("Olga (cloudcdr only: no API) is offered pause or calls: body class %q", bodyClass(page))
	}
	// Her PBX reports no presence: her state is not reported, not "Offline".
	if !strings.Contains(page, "Not reported") || strings.Contains(page, ">Offline<") || !strings.Contains(page, "does not report whether you are signed in") {
		t.Error("Olga's page does not say her presence is not reported")
	}
	if !strings.Contains(bodyClass(e.pageAs(sup, "/wallboard")), "may-act") {
		t.Error("the supervisor is not offered click-to-call though Petr's phone can place calls")
	}

	// Without any API, nobody is offered a control.
	e2, _ := controlsEnv(t, false)
	for _, name := range []string{"petr", "sup", "admin"} {
		c := e2.formLogin(name, personPass)
		path := map[string]string{"petr": "/agent", "sup": "/wallboard", "admin": "/cdrs"}[name]
		page := e2.pageAs(c, path)
		if strings.Contains(bodyClass(page), "may-act") || strings.Contains(page, "pause-form") || strings.Contains(page, `id="call-as"`) {
			t.Errorf("%s on %s is offered PBX controls with no Simotel API configured", name, path)
		}
	}
}

// A pause the PBX does not carry out answers with a message: in the toast for the
// page's script, as a styled page for a browser without it; never a bare text page.
func TestFailedPauseIsReadable(t *testing.T) {
	e, fake := controlsEnv(t, true)
	petr := e.formLogin("petr", personPass)
	fake.Close() // the PBX is down

	code, body := e.pagePost(petr, "/agent/pause", url.Values{"reason": {"Lunch"}})
	if code != http.StatusBadGateway || !strings.Contains(body, `class="toast-msg toast-error"`) || strings.Contains(body, "<html") {
		t.Errorf("htmx pause with the PBX down: %d %q, want 502 and an error toast fragment", code, body)
	}

	// The same form posted without script (no HX-Request): the styled error page.
	page := e.pageAs(petr, "/agent")
	tok := csrfInPage.FindStringSubmatch(strings.ReplaceAll(page, "&#34;", `"`))
	if tok == nil {
		t.Fatal("no CSRF token on the agent page")
	}
	req, _ := http.NewRequest("POST", e.url+"/agent/pause", strings.NewReader(url.Values{"reason": {"Lunch"}, "csrf": {tok[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", tok[1])
	req.AddCookie(petr)
	code, body = do(t, req)
	if code != http.StatusBadGateway || !strings.Contains(body, "<html") || !strings.Contains(body, `class="error-card"`) ||
		!strings.Contains(body, "The PBX did not carry out the action") {
		t.Errorf("form pause with the PBX down: %d, want 502 as the styled error page; got %.300q", code, body)
	}
}
