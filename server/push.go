package server

import (
	"context"
	"slices"

	"ringside/server/call"
	"ringside/server/live"
)

// A publication is one fragment a change puts on a topic. Which publications a batch
// of changes makes is decided by routeChanges, a pure function of the changes and what the
// board said about them; what the fragment looks like is decided when it is rendered
// (fragments.go), on the hub's goroutine, from the board as it is then, so a burst
// renders only its latest state.
type publication struct {
	topic  string   // base topic (topics.go); published once per variant
	key    string   // within the topic, the latest publication of a key wins
	now    bool     // sent at once, not coalesced (a screen-pop); key unused
	render fragment // what to render
}

// boardFacts is what routing needs to know of the board, read once per batch.
type boardFacts struct {
	calls      map[string]call.Call      // the changed calls that are on the board
	agents     []call.Agent              // every agent (only for callback and voicemail changes)
	voicemails map[string]call.Voicemail // the changed voicemails
}

// push publishes the fragments a batch of the board's changes concerns. It runs on the
// board goroutine after each applied batch: it reads the board once, routes, and
// hands renders to the hub, which calls them on its own goroutine.
func (s *Server) push(changes []live.Change) {
	for _, p := range routeChanges(changes, s.factsOf(changes)) {
		r := p.render
		if p.now {
			s.publishNow(p.topic, func(ctx context.Context) []byte { return s.renderFragment(ctx, r) })
		} else {
			s.publish(p.topic, p.key, func(ctx context.Context) []byte { return s.renderFragment(ctx, r) })
		}
	}
}

// factsOf reads what route needs about changes from the board, under one read lock.
func (s *Server) factsOf(changes []live.Change) boardFacts {
	f := boardFacts{calls: map[string]call.Call{}, voicemails: map[string]call.Voicemail{}}
	s.board.read(func(b *live.Board) {
		needAgents := false
		for _, ch := range changes {
			switch ch.Kind {
			case live.KindCall:
				if c, ok := b.Call(ch.ID); ok {
					f.calls[ch.ID] = c
				}
			case live.KindVoicemail:
				f.voicemails[ch.ID], _ = b.Voicemail(ch.ID)
				needAgents = true
			case live.KindCallback:
				needAgents = true
			}
		}
		if needAgents {
			f.agents = b.Agents()
		}
	})
	return f
}

// routeChanges decides, for a batch of changes, which fragments go to which topics, in the
// order they are to be published. It is the one place that knows which page shows what.
func routeChanges(changes []live.Change, f boardFacts) []publication {
	var out []publication
	summary := false
	var callbacks []*live.Audience
	for _, ch := range changes {
		switch ch.Kind {
		case live.KindCall:
			if c, ok := f.calls[ch.ID]; ok {
				out = append(out, routeCall(ch, c)...)
			}
		case live.KindAgent:
			out = append(out, routeAgent(ch.ID)...)
			summary = true
		case live.KindQueue:
			out = append(out, publication{topic: topicWallboard, key: "queue:" + ch.ID, render: fragment{kind: fragQueueTile, id: ch.ID}})
			summary = true
		case live.KindCallback:
			callbacks = append(callbacks, ch.Audience)
		case live.KindVoicemail:
			out = append(out, routeVoicemail(f.voicemails[ch.ID], f.agents)...)
		}
	}
	if summary {
		out = append(out, publication{topic: topicWallboard, key: "summary", render: fragment{kind: fragSummary}})
	}
	if len(callbacks) > 0 {
		out = append(out, routeCallbacks(mergeAudiences(callbacks), f.agents)...)
	}
	return out
}

// routeCall: the wallboard's row, the call's card, a screen-pop at the agent it started
// ringing at, updates of the cards at every other agent it concerns and, once it has
// ended, its record row, the agent's recent calls and the chart.
func routeCall(ch live.Change, c call.Call) []publication {
	id := ch.ID
	out := []publication{
		{topic: topicWallboard, key: "call:" + id, render: fragment{kind: fragCallRow, id: id}},
		{topic: callTopic(id), key: "card", render: fragment{kind: fragCallCard, id: id}},
	}
	if ch.Ring != "" {
		out = append(out, publication{topic: agentTopic(ch.Ring), now: true, render: fragment{kind: fragPopCard, id: id, call: &c}})
	}
	for _, a := range involved(c) {
		if a != ch.Ring && a != "" {
			out = append(out, publication{topic: agentTopic(a), key: "pop:" + id, render: fragment{kind: fragPopUpdate, id: id}})
		}
	}
	if ch.Ended {
		out = append(out, publication{topic: topicCDRs, key: "cdr:" + id, render: fragment{kind: fragCDRRow, id: id, call: &c}})
		if c.Agent != "" {
			out = append(out, publication{topic: agentTopic(c.Agent), key: "recent:" + id, render: fragment{kind: fragRecentRow, id: id, call: &c}})
		}
		out = append(out, publication{topic: topicWallboard, key: "chart", render: fragment{kind: fragChart}})
	}
	return out
}

// routeAgent: the wallboard's row and the agent's own page (their queues may have
// changed, and with them their callers to call back and messages).
func routeAgent(id string) []publication {
	return []publication{
		{topic: topicWallboard, key: "agent:" + id, render: fragment{kind: fragAgentRow, id: id}},
		{topic: agentTopic(id), key: "callbacks", render: fragment{kind: fragAgentCallbacks, id: id}},
		{topic: agentTopic(id), key: "voicemails", render: fragment{kind: fragAgentVoicemails, id: id}},
		{topic: agentTopic(id), key: "me", render: fragment{kind: fragAgentMe, id: id}},
	}
}

// routeCallbacks: the list on every wallboard, and on the pages of the agents of its
// queues or who were offered its calls.
func routeCallbacks(a *live.Audience, agents []call.Agent) []publication {
	out := []publication{{topic: topicCallbacks, key: "list", render: fragment{kind: fragCallbackList}}}
	cb := call.Callback{Queues: a.Queues, Agents: a.Agents}
	for _, ag := range agents {
		if concerns(cb, ag.ID, ag.Queues) {
			out = append(out, publication{topic: agentTopic(ag.ID), key: "callbacks", render: fragment{kind: fragAgentCallbacks, id: ag.ID}})
		}
	}
	return out
}

// routeVoicemail: the card of the call the message was left on, and the pages of the
// agents it is for.
func routeVoicemail(v call.Voicemail, agents []call.Agent) []publication {
	var out []publication
	if v.Call != "" {
		out = append(out, publication{topic: callTopic(v.Call), key: "card", render: fragment{kind: fragCallCard, id: v.Call}})
	}
	for _, a := range agents {
		if voicemailFor(v, a.ID, a.Queues) {
			out = append(out, publication{topic: agentTopic(a.ID), key: "voicemails", render: fragment{kind: fragAgentVoicemails, id: a.ID}})
		}
	}
	return out
}

// involved lists the agents a call concerns: the answering one, those ringing, its legs.
func involved(c call.Call) []string {
	out := slices.Clone(c.Ringing)
	if c.Agent != "" {
		out = append(out, c.Agent)
	}
	for _, l := range c.Legs {
		out = append(out, l.Agent)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
