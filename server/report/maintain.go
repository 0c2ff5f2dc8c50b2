package report

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
)

// Rules are what a call's contribution depends on besides the call: each queue's
// thresholds (live.Rules). A change of rules (or of the directory, which decides whose
// presence an event is) rebuilds the buckets.
type Rules struct {
	live.Rules
	cfg live.Config
}

// RulesOf takes the rules from the board's configuration.
func RulesOf(lc live.Config) Rules { return Rules{Rules: live.NewRules(lc), cfg: lc} }

// bucketsVersion changes whenever what a member holds changes meaning.
const bucketsVersion = "2"

// stamp names everything the stored buckets depend on.
func (r Rules) stamp() string {
	var b strings.Builder
	d := r.For("")
	fmt.Fprintf(&b, "v%s;default=%g/%g", bucketsVersion, d.SLThresholdS, d.AbandonAfterS)
	for _, q := range sortedKeys(r.cfg.Queues) {
		c := r.For(q)
		fmt.Fprintf(&b, ";%q=%g/%g", q, c.SLThresholdS, c.AbandonAfterS)
	}
	dir := slices.Clone(r.cfg.Directory)
	slices.SortFunc(dir, func(a, b live.DirectoryEntry) int { return strings.Compare(a.ID, b.ID) })
	for _, d := range dir {
		m := slices.Clone(d.Match)
		slices.Sort(m)
		fmt.Fprintf(&b, ";@%q=%q", d.ID, m)
	}
	return b.String()
}

// Update records ended calls (a call seen before replaces its earlier contribution)
// and presence facts in one transaction.
func Update(st *store.Store, r Rules, calls []call.Call, pres []store.Presence) error {
	return UpdateAll(st, r, calls, pres, nil)
}

// UpdateAll is Update with callbacks made too.
func UpdateAll(st *store.Store, r Rules, calls []call.Call, pres []store.Presence, cbs []Callback) error {
	if len(calls)+len(pres)+len(cbs) == 0 {
		return nil
	}
	for i := range cbs {
		if cbs[i].Queue == "" { // the abandoned call left memory: its record says
			if c, ok, err := st.CDR(cbs[i].Call); err != nil {
				return err
			} else if ok {
				cbs[i].Queue = c.Queue
			}
		}
	}
	return st.UpdateBuckets(func(bt *store.BucketTx) error {
		for _, cb := range cbs {
			if err := bt.SetMember("cb\x00"+cb.Call, cb.facts()); err != nil {
				return err
			}
		}
		for i := range calls {
			c := &calls[i]
			if err := bt.SetMember("c\x00"+c.ID, CallFacts(c, r.Rules)); err != nil {
				return err
			}
		}
		for _, p := range pres {
			if err := putPresence(bt, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// putPresence inserts p between its neighbours: the interval before it now ends at p,
// and p's own interval runs to the next fact (the last fact's interval is open and
// counted when read).
func putPresence(bt *store.BucketTx, p store.Presence) error {
	prev, next, hasPrev, hasNext, added, err := bt.PutPresence(p)
	if err != nil || !added {
		return err
	}
	if hasPrev {
		if err := bt.SetMember(store.PresenceMember(prev), intervalFacts(prev, p.At)); err != nil {
			return err
		}
	}
	if hasNext {
		return bt.SetMember(store.PresenceMember(p), intervalFacts(p, next.At))
	}
	return nil
}

// Current says whether the buckets were built under r (Ensure has nothing to do).
func Current(st *store.Store, r Rules) bool { return st.BucketStamp() == r.stamp() }

// Ensure rebuilds the buckets when they are missing or were built under other rules:
// calls from the stored CDRs (the log's ended calls), presence from the agent events
// of the log. Run it where the buckets are written (the board's CDR writer), so no
// call is added meanwhile.
func Ensure(ctx context.Context, st *store.Store, r Rules, log *slog.Logger) error {
	return EnsureThrough(ctx, st, r, log, math.MaxUint64)
}

// EnsureThrough is Ensure reading presence and callback facts from the log's events
// through seq only: a board about to replay the log after seq (a start) hands the
// facts of those events to the writer as it applies them, so reading them here too
// would only write them twice (the same facts: the buckets keep a fact once). A first
// start over a 1M-event log saved some 3 s of CPU by it.
func EnsureThrough(ctx context.Context, st *store.Store, r Rules, log *slog.Logger, seq uint64) error {
	stamp := r.stamp()
	if st.BucketStamp() == stamp {
		return nil
	}
	t0 := time.Now()
	log.Info("building report buckets from the stored calls and the event log")
	if err := st.UpdateBuckets(func(bt *store.BucketTx) error { return bt.ResetBuckets() }); err != nil {
		return err
	}
	const batch = 4000
	var calls []call.Call
	ncalls := 0
	err := st.EachCDR(store.Query{Asc: true}, func(c call.Call) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if calls = append(calls, c); len(calls) == batch {
			ncalls += len(calls)
			err := Update(st, r, calls, nil)
			calls = calls[:0]
			return err
		}
		return nil
	})
	if err == nil {
		ncalls += len(calls)
		err = Update(st, r, calls, nil)
	}
	if err != nil {
		return fmt.Errorf("report buckets from CDRs: %w", err)
	}
	npres, err := rebuildPresence(ctx, st, r, seq)
	if err != nil {
		return fmt.Errorf("report buckets from the event log: %w", err)
	}
	if err := st.UpdateBuckets(func(bt *store.BucketTx) error { return bt.SetStamp(stamp) }); err != nil {
		return err
	}
	log.Info("report buckets built", "calls", ncalls, "presence_events", npres, "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// MarkBuilt records that the buckets hold every stored CDR and presence fact counted
// by r (a tool that filled the store through Update), so Ensure does not rebuild them.
func MarkBuilt(st *store.Store, r Rules) error {
	return st.UpdateBuckets(func(bt *store.BucketTx) error { return bt.SetStamp(r.stamp()) })
}

func rebuildPresence(ctx context.Context, st *store.Store, r Rules, through uint64) (int, error) {
	resolver := live.New(r.cfg)
	n := 0
	for after := uint64(0); after < through; {
		evs, err := st.Events(after, int(min(5000, through-after)))
		if err != nil || len(evs) == 0 {
			return n, err
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		var pres []store.Presence
		var cbs []Callback
		for _, e := range evs {
			if e.Seq > through {
				break
			}
			if p, ok := PresenceOf(e, resolver.AgentID(e)); ok {
				pres = append(pres, p)
			}
			if cb, ok := CallbackOf(e, ""); ok {
				cbs = append(cbs, cb)
			}
		}
		if err := UpdateAll(st, r, nil, pres, cbs); err != nil {
			return n, err
		}
		n += len(pres)
		after = evs[len(evs)-1].Seq
	}
	return n, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
