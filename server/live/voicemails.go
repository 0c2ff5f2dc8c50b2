package live

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"ringside/server/call"
)

// Voicemail messages.
//
// A message is kept as its VoicemailSaved event, by source and vendor id, as long as
// calls are. It belongs to the call it names (SipSim's pbx_id); a message that names
// none (Simotel) belongs to the latest call of its source from the same number that
// had started by the time the message was saved and had not ended more than
// voicemailLinkWindow before it: the caller left it at the end of that call. A message
// is its mailbox's agent's (a mailbox numbered like an agent's extension), and the
// queue's and agents' of its call. Links are worked out when asked, from the calls held
// then, so they do not depend on the order events came in.
const voicemailLinkWindow = 15 * time.Minute

func voicemailKey(e call.Event) string { return e.Source + ":" + e.Voicemail }

// applyVoicemail keeps a saved message.
func (b *Board) applyVoicemail(e call.Event, ch *changes) {
	if e.Voicemail == "" {
		return
	}
	k := voicemailKey(e)
	if old, ok := b.vms[k]; ok && eventKey(&old) == eventKey(&e) {
		return
	}
	b.vms[k] = e
	if ch.voicemails == nil {
		ch.voicemails = map[string]bool{}
	}
	ch.voicemails[k] = true
}

// pruneVoicemails forgets messages saved before the retention cutoff, with their calls.
func (b *Board) pruneVoicemails(ch *changes) {
	for k, e := range b.vms {
		if e.At.Before(b.cutoff) {
			delete(b.vms, k)
			if ch.voicemails == nil {
				ch.voicemails = map[string]bool{}
			}
			ch.voicemails[k] = true
		}
	}
}

// Voicemails lists the messages, the latest first.
func (b *Board) Voicemails() []call.Voicemail {
	out := make([]call.Voicemail, 0, len(b.vms))
	byNum := map[string][]string{} // number key → message keys without a call
	for k, e := range b.vms {
		if e.Call == "" && e.From != "" {
			n := e.Source + "|" + numberKey(e.From)
			byNum[n] = append(byNum[n], k)
		}
	}
	links := map[string]*callEntry{}
	if len(byNum) > 0 {
		for _, id := range sortedKeys(b.calls) {
			ce := b.calls[id]
			if ce.ghost || ce.view.From == "" {
				continue
			}
			for _, k := range byNum[ce.view.Source+"|"+numberKey(ce.view.From)] {
				if b.mayHold(ce, b.vms[k]) && (links[k] == nil || ce.start.After(links[k].start)) {
					links[k] = ce
				}
			}
		}
	}
	for k, e := range b.vms {
		ce := links[k]
		if e.Call != "" {
			ce = b.calls[e.Call]
		}
		out = append(out, b.voicemailView(k, e, ce))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.After(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// mayHold says whether a message without a call could have been left on this call.
func (b *Board) mayHold(ce *callEntry, e call.Event) bool {
	if ce.start.After(e.At) {
		return false
	}
	end := ce.view.EndedAt
	return end == nil || !end.Before(e.At.Add(-voicemailLinkWindow))
}

func (b *Board) voicemailView(k string, e call.Event, ce *callEntry) call.Voicemail {
	v := call.Voicemail{ID: k, Source: e.Source, Mailbox: e.To, From: e.From, At: e.At, DurationS: e.DurationS,
		URL: fmt.Sprintf("/voicemails/%s/%s", url.PathEscape(e.Source), url.PathEscape(e.Voicemail))}
	if len(e.Recordings) > 0 {
		v.Ref = e.Recordings[0]
	}
	if e.To != "" {
		if a, ok := b.dir[strings.ToLower(e.Source+":"+e.To)]; ok {
			v.Agents = append(v.Agents, a)
		}
	}
	if ce != nil && !ce.ghost {
		c := ce.full()
		v.Call, v.Queue = c.ID, c.Queue
		if c.Agent != "" {
			v.Agents = append(v.Agents, c.Agent)
		}
		v.Agents = append(v.Agents, c.Ringing...)
		for _, l := range c.Legs {
			v.Agents = append(v.Agents, l.Agent)
		}
	}
	v.Agents = sortedSet(v.Agents)
	return v
}

// Voicemail is one message by its key ("source:vendor id").
func (b *Board) Voicemail(key string) (call.Voicemail, bool) {
	for _, v := range b.Voicemails() {
		if v.ID == key {
			return v, true
		}
	}
	return call.Voicemail{}, false
}
