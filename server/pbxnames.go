package server

import (
	"context"
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
)

// Simotel extension names. Where a source has a Simotel API, Ringside asks the PBX for
// its users (pbx/users/search) in the background, keeps the answer, and names the
// extensions on the board that the directory does not: each new or changed name is
// logged as an agent.named event, so the board stays a function of the log and a
// restart or a second node shows the same names. The board never waits for the PBX: a
// slow or failing API only delays the names.
const (
	pbxNamesFirst = 3 * time.Second
	pbxNamesEvery = 10 * time.Minute
)

func (s *Server) runPBXNames(stop <-chan struct{}) {
	poll(stop, pbxNamesFirst, pbxNamesEvery, 30*time.Second, func(ctx context.Context) {
		s.refreshPBXNames(ctx)
		s.refreshPBXMembers(ctx)
	})
}

// poll runs ask after first and then every period until stop, each time under a
// timeout: the background questions Ringside asks a PBX, which never block the board.
func poll(stop <-chan struct{}, first, every, timeout time.Duration, ask func(context.Context)) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		ask(ctx)
		cancel()
		t.Reset(every)
	}
}

// refreshPBXNames fetches every Simotel API's users and logs the names the board lacks.
func (s *Server) refreshPBXNames(ctx context.Context) {
	names := map[string]string{} // "source:ext" → the PBX's name for it
	for src, cl := range s.pbx() {
		users, err := cl.SearchUsers(ctx, "", "")
		if err != nil {
			s.log.Warn("Simotel users for names", "source", src, "err", err)
			continue
		}
		for _, u := range users {
			if u.Number != "" && u.Name != "" {
				names[src+":"+u.Number] = u.Name
			}
		}
	}
	directory := map[string]bool{}
	for _, a := range s.cfg().Agents {
		directory[a.ID] = true
	}
	var evs []call.Event
	now := s.now()
	s.board.read(func(b *live.Board) {
		for _, a := range b.Agents() {
			if n := names[a.ID]; n != "" && !directory[a.ID] && a.Name != n {
				src := a.ID[:indexColon(a.ID)]
				evs = append(evs, call.Event{Source: src, Vendor: "ringside", Name: "PBXUserName", Type: call.AgentNamed,
					Agent: a.ID, AgentName: n, At: now, ReceivedAt: now})
			}
		}
	})
	for _, e := range evs {
		d := store.Delivery{Source: e.Source, Method: "API", Path: "/pbx/users/search", ReceivedAt: now}
		if _, err := s.store.Append(ctx, d, []call.Event{e}); err != nil {
			s.log.Error("logging a PBX user name failed", "agent", e.Agent, "err", err)
			return
		}
	}
}

// memberDays is how far back the PBX's agent report is read for queue membership.
const memberDays = 7

// refreshPBXMembers asks each Simotel API which extensions worked which queues lately
// (reports/agent/search; the API has no list of queue members) and logs an agent.member
// event for each pair the board does not know yet: the tiles then count those agents
// by their device state from the first day, before a call of the queue passes them.
func (s *Server) refreshPBXMembers(ctx context.Context) {
	var evs []call.Event
	now := s.now()
	known := map[string]bool{} // "identity\x00queue" the board knows
	s.board.read(func(b *live.Board) {
		for _, a := range b.Agents() {
			for _, id := range a.Identities {
				for _, q := range a.Queues {
					known[id+"\x00"+q] = true
				}
			}
		}
	})
	for _, src := range s.cfg().Sources {
		cl := s.pbx()[src.Name]
		if cl == nil {
			continue
		}
		loc := src.Location
		if loc == nil {
			loc = time.UTC
		}
		const layout = "2006-01-02 15:04"
		rows, err := cl.SearchAgentSessions(ctx, now.AddDate(0, 0, -memberDays).In(loc).Format(layout), now.In(loc).Format(layout), 1000)
		if err != nil {
			s.log.Warn("Simotel agent report for queue membership", "source", src.Name, "err", err)
			continue
		}
		for _, r := range rows {
			id, q := src.Name+":"+r.Exten, src.Name+":"+r.Queue
			if r.Exten == "" || r.Queue == "" || known[id+"\x00"+q] {
				continue
			}
			known[id+"\x00"+q] = true
			evs = append(evs, call.Event{Source: src.Name, Vendor: "ringside", Name: "PBXQueueMember", Type: call.AgentMember,
				Agent: id, Queue: q, At: now, ReceivedAt: now})
		}
	}
	for _, e := range evs {
		d := store.Delivery{Source: e.Source, Method: "API", Path: "/reports/agent/search", ReceivedAt: now}
		if _, err := s.store.Append(ctx, d, []call.Event{e}); err != nil {
			s.log.Error("logging a PBX queue member failed", "agent", e.Agent, "err", err)
			return
		}
	}
}

func indexColon(id string) int {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return i
		}
	}
	return len(id)
}
