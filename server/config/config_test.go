package config

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestZeroConfigGeneratesAndKeepsSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c, err := Load([]string{"-data", dir}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 4 || len(c.Users) != 1 || c.Users[0].Role != "admin" || c.Users[0].Password == "" {
		t.Fatalf("defaults: %+v %+v", c.Sources, c.Users)
	}
	if c.Listen != ":8080" {
		t.Errorf("listen = %q", c.Listen)
	}
	fi, err := os.Stat(filepath.Join(dir, "generated.toml"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("generated file: %v %v", fi, err)
	}
	again, err := Load([]string{"-data", dir}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if again.Users[0].Password != c.Users[0].Password || again.Sources[0].Password != c.Sources[0].Password {
		t.Error("secrets changed across restarts")
	}
	if u := c.HookURL(&c.Sources[2]); !strings.HasPrefix(u, "http://localhost:8080/hooks/cloudcdr?token=") {
		t.Errorf("hook url %q", u)
	}
}

func TestEnvAndFlags(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"RINGSIDE_LISTEN": "127.0.0.1:9999", "RINGSIDE_DATA": dir, "RINGSIDE_DEMO": "1"}
	c, err := Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.Data != dir || !c.Demo {
		t.Fatalf("%+v", c)
	}
	c, err = Load([]string{"-listen", ":7000"}, func(k string) string { return env[k] })
	if err != nil || c.Listen != ":7000" {
		t.Fatalf("flag should win over env: %v %v", c, err)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ringside.toml")
	os.WriteFile(path, []byte(`
listen = "127.0.0.1:8081"
data = "`+dir+`"
[[sources]]
name = "pbx1"
vendor = "Simotel"
username = "hook"
password = "secret"
timezone = "Asia/Tehran"
allow_ips = ["10.0.0.0/8", "192.168.1.5"]
  [sources.api]
  url = "http://pbx.local/api/v4"
  api_key = "k"
[[users]]
name = "boss"
password = "pw"
role = "supervisor"
[[agents]]
id = "petr"
name = "Petr Novák"
match = ["ipex:petr.novak", "pbx1:991"]
`), 0o644)
	c, err := Load([]string{"-config", path}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sources[0]
	if s.Vendor != "simotel" || s.Location.String() != "Asia/Tehran" || len(s.Nets) != 2 || s.API.Context != "main_routing" {
		t.Fatalf("%+v", s)
	}
	if c.Generated != "" {
		t.Error("a file with sources and users must not use generated defaults")
	}
	if c.Agents[0].Name != "Petr Novák" {
		t.Error(c.Agents)
	}
}

func TestFileErrorsNameTheLine(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"bad vendor":    {"[[sources]]\nname = \"x\"\nvendor = \"asterisk\"\ntoken = \"t\"\n", ":3: vendor \"asterisk\" unknown"},
		"unknown key":   {"listen = \":1\"\nlisten_port = 3\n", ":2: unknown key \"listen_port\""},
		"syntax":        {"listen = \n", ":1:"},
		"no creds":      {"[[sources]]\nname = \"x\"\nvendor = \"sipsim\"\n", ":2: source \"x\" has no credentials"},
		"bad tz":        {"[[sources]]\nname = \"x\"\nvendor = \"sipsim\"\ntoken = \"t\"\ntimezone = \"Mars/Base\"\n", ":5: unknown time zone"},
		"bad role":      {"[[users]]\nname = \"a\"\npassword = \"p\"\nrole = \"root\"\n", ":4: role \"root\" unknown"},
		"second source": {"[[sources]]\nname = \"x\"\nvendor = \"sipsim\"\ntoken = \"t\"\n[[sources]]\nname = \"x y\"\nvendor = \"sipsim\"\n", ":6: source name \"x y\""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(path, []byte(tc.text), 0o644)
			_, err := Load([]string{"-config", path, "-data", t.TempDir()}, noEnv)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want it to contain %q and the path", err, tc.want)
			}
		})
	}
}

func TestTopLevelKeysChecked(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ text, want string }{
		{"listen = \":1\"\nlog_format = \"xml\"\n", ":2: log_format \"xml\" unknown"},
		{"# proxies\n\ntrusted_proxies = [\"10.0.0.1\", \"not-an-ip\"]\n", ":3: \"not-an-ip\" is not an IP or CIDR"},
	} {
		path := filepath.Join(dir, "c.toml")
		os.WriteFile(path, []byte(tc.text), 0o644)
		_, err := Load([]string{"-config", path, "-data", dir}, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.text, err, tc.want)
		}
	}
	path := filepath.Join(dir, "ok.toml")
	os.WriteFile(path, []byte("trusted_proxies = [\"10.0.0.1\", \"fd00::/8\"]\nlog_format = \"json\"\nmetrics_token = \"t\"\n"), 0o644)
	c, err := Load([]string{"-config", path, "-data", dir}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Proxies) != 2 || !c.Proxies[1].Contains(net.ParseIP("fd00::5")) {
		t.Fatalf("proxies %v", c.Proxies)
	}
}

// Generated sources read zone-less vendor times in the server's own zone, not UTC.
func TestGeneratedSourcesTakeTheLocalZone(t *testing.T) {
	t.Setenv("TZ", "Asia/Tehran")
	c := &Config{Data: t.TempDir()}
	if err := c.generateDefaults(); err != nil {
		t.Fatal(err)
	}
	if !c.SourcesGenerated || len(c.Sources) == 0 {
		t.Fatalf("no generated sources: %+v", c)
	}
	want := LocalZoneName()
	if want == "UTC" {
		t.Skip("this system's zone has no name")
	}
	for _, s := range c.Sources {
		if s.Timezone != want {
			t.Errorf("source %s reads times in %q, want the server's %q", s.Name, s.Timezone, want)
		}
	}
}
