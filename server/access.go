package server

import (
	"slices"

	"ringside/server/call"
	"ringside/server/config"
)

// Who may see and do what: one table, read by the routes (routes.go), the WebSocket
// (ws.go), the nav (pageOf) and the PBX actions (actions.go), so none of them grants
// what another refuses. A rule about a role is a line here.

// permission is one thing a person may see or do.
type permission int

const (
	signedIn      permission = iota + 1 // their own session: log out, language, a call card they may view
	seeWallboard                        // the wallboard and its socket
	seeOwnCalls                         // their agent page: the calls offered to them
	previewAgents                       // any agent's page, as a preview (/agent?agent=id)
	seeAllCalls                         // every call: records, cards, CSV, the API's board, events and searches
	seeReports                          // reports (page, CSV, API)
	administer                          // settings, reload, backup, /metrics
	actForSelf                          // make the PBX act (pause, click-to-call) for their own extension
	actForAnyone                        // ... for any agent of the directory
	workCallbacks                       // mark callers to call back as taken or done
)

// rolePermissions is the table. A role not listed may do nothing.
var rolePermissions = map[string][]permission{
	"admin":      {signedIn, seeWallboard, previewAgents, seeAllCalls, seeReports, administer, actForAnyone, workCallbacks},
	"supervisor": {signedIn, seeWallboard, seeAllCalls, seeReports, actForAnyone, workCallbacks},
	"manager":    {signedIn, seeAllCalls, seeReports},
	"agent":      {signedIn, seeOwnCalls, actForSelf, workCallbacks},
}

// may says whether u has permission p.
func may(u *config.User, p permission) bool {
	return u != nil && slices.Contains(rolePermissions[u.Role], p)
}

// mayAny says whether u has one of ps.
func mayAny(u *config.User, ps ...permission) bool {
	return slices.ContainsFunc(ps, func(p permission) bool { return may(u, p) })
}

// MayAct says whether a role may make the PBX act at all (pages show the controls).
func MayAct(role string) bool {
	u := &config.User{Role: role}
	return mayAny(u, actForSelf, actForAnyone)
}

// navOf lists the pages of the nav a person may open.
func navOf(u *config.User) []string {
	var out []string
	for _, e := range []struct {
		page string
		p    permission
	}{{"wallboard", seeWallboard}, {"cdrs", seeAllCalls}, {"reports", seeReports}, {"settings", administer}} {
		if may(u, e.p) {
			out = append(out, e.page)
		}
	}
	return out
}

// visibleTo keeps of a list (callers to call back, voicemails) what u may see: all of
// it for whoever sees every call, else what concerns says is theirs (their agent id
// and queues).
func visibleTo[T any](u *config.User, queues []string, list []T, concerns func(T, string, []string) bool) []T {
	if may(u, seeAllCalls) {
		return list
	}
	return slices.DeleteFunc(list, func(x T) bool { return !concerns(x, u.Agent, queues) })
}

// mayView says whether a person may see a call: whoever sees all calls, and an agent
// the calls that were offered to them.
func mayView(u *config.User, c call.Call) bool {
	if may(u, seeAllCalls) {
		return true
	}
	if !may(u, seeOwnCalls) {
		return false
	}
	if c.Agent == u.Agent || slices.Contains(c.Ringing, u.Agent) {
		return true
	}
	for _, l := range c.Legs {
		if l.Agent == u.Agent {
			return true
		}
	}
	return false
}
