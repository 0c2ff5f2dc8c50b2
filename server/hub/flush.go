package hub

import (
	"bytes"
	"cmp"
	"log"
	"slices"
	"time"
)

type dirty struct {
	pkey
	seq    uint64
	render func() []byte
}

// flushLoop is the one goroutine that calls render funcs.
func (h *Hub) flushLoop() {
	defer close(h.flushed)
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-h.wake:
		case <-t.C:
		}
		h.flushNow()
		batch, next := h.takeDue(time.Now())
		h.flush(batch)
		if !next.IsZero() {
			t.Reset(time.Until(next))
		}
	}
}

// flushNow renders and sends what PublishNow queued, each on its own.
func (h *Hub) flushNow() {
	h.pmu.Lock()
	now := h.now
	h.now = nil
	h.pmu.Unlock()
	for _, d := range now {
		if !h.HasSubscribers(d.topic) {
			continue
		}
		if b := h.render(d.topic, d.render); len(b) > 0 {
			h.send(d.topic, NewMessage(b))
		}
	}
}

// takeDue removes the entries due by now and returns them with the time of the
// next due entry (zero if none). Entries idle for a whole window are forgotten.
func (h *Hub) takeDue(now time.Time) (batch []dirty, next time.Time) {
	h.pmu.Lock()
	defer h.pmu.Unlock()
	for k, e := range h.pending {
		switch {
		case e.render != nil && !e.due.After(now):
			batch = append(batch, dirty{k, e.seq, e.render})
			e.render, e.last = nil, now
			h.flushes[k.topic] = now
		case e.render != nil:
			if next.IsZero() || e.due.Before(next) {
				next = e.due
			}
		case now.Sub(e.last) >= h.window(k.topic):
			delete(h.pending, k)
		}
	}
	for topic, t := range h.flushes {
		if now.Sub(t) >= h.window(topic) {
			delete(h.flushes, topic)
		}
	}
	h.next = next
	return batch, next
}

// flush renders each topic of batch once, in publish order, and sends it; what
// PublishNow queued meanwhile is sent between two renders.
func (h *Hub) flush(batch []dirty) {
	slices.SortFunc(batch, func(a, b dirty) int { return cmp.Compare(a.seq, b.seq) })
	var order []string
	byTopic := map[string][]func() []byte{}
	for _, d := range batch {
		if _, ok := byTopic[d.topic]; !ok {
			order = append(order, d.topic)
		}
		byTopic[d.topic] = append(byTopic[d.topic], d.render)
	}
	for _, topic := range order {
		if !h.HasSubscribers(topic) {
			continue
		}
		var parts [][]byte
		for _, r := range byTopic[topic] {
			// A screen-pop published meanwhile goes first: it waits for one
			// render, not for a wall of wallboard fragments (tens of milliseconds).
			h.flushNow()
			if b := h.render(topic, r); len(b) > 0 {
				parts = append(parts, b)
			}
		}
		if len(parts) == 0 {
			continue
		}
		frame := parts[0]
		if len(parts) > 1 {
			frame = bytes.Join(parts, nil)
		}
		h.send(topic, NewMessage(frame))
	}
}

func (h *Hub) render(topic string, r func() []byte) []byte {
	h.renders.Add(1)
	b, _ := safeRender(topic, r)
	return b
}

// safeRender calls r, keeping a panicking view from taking the hub down with it.
func safeRender(what string, r func() []byte) (b []byte, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			log.Printf("hub: render of %q panicked: %v", what, p)
			b, ok = nil, false
		}
	}()
	return r(), true
}
