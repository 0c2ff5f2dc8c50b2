// Package report answers the managers' reports (queues and agents over any period) from
// pre-aggregated buckets in the store, with the live board's definitions.
//
// Buckets. Every ended call contributes to its queue's bucket of the quarter hour it
// started in (as the board counts a call on the day it started) and to each agent it
// reached; every interval between two presence facts of an agent contributes its time,
// split at quarter hours. Contributions are members of their buckets (store.BucketTx),
// so a call seen again (a late CDR, a changed queue) or an interval split by a late
// presence event replaces exactly what it added. The board's CDR writer keeps them as
// calls end and presence events are applied; Ensure rebuilds them from the stored
// CDRs and the event log when they are missing or were counted under other thresholds
// or another directory.
//
// Queue figures are live.Rules.Tally's (the wallboard's): offered, answered,
// abandoned after the queue's short-abandon window (short abandons apart), service
// level over answered plus abandoned, ASA over answered calls, AHT over answered
// ended calls with a known talk time. A report that covers now adds the calls still
// on, counted as the wallboard counts them, so today's report and the wallboard agree.
// Longest wait is the longest wait of any call of the period (a caller still waiting:
// so far). Callbacks made count the abandoned calls of the queue someone started
// calling back (a "callback.taken" fact, once per abandoned call), when they did.
//
// Agent figures:
//   - offered: the offers (legs) that rang at the agent, except rings cancelled because
//     a colleague answered; answered: the offers they took; not answered: the rest. An
//     answering agent without a leg (a vendor that sends none) was offered the call.
//   - outbound: answered calls the agent placed (a record of an unanswered outbound
//     call names no agent, so it is not counted);
//   - talk: the talk of their answered legs and outbound calls; AHT: the talk of the
//     answered offers over their number;
//   - logged in: from a presence fact saying the agent is reachable (a login, an
//     unpause, a device state available, ringing or on a call) or paused, to the next
//     fact, or to now for the latest one. A vendor whose only presence signal is the
//     device state (Simotel's NewState) makes an idle phone a logged-in agent, as the
//     wallboard shows it; vendors without presence events (cloudcdr, SipSim) give no
//     logged-in time. Presence is per agent, not per queue.
//   - paused: by the pause's reason ("unspecified" when the event gave none: Simotel's
//     NewState carries none);
//   - available: logged in, not paused and not talking;
//   - occupancy: talk ÷ (logged in − paused).
//
// Periods are grouped in the caller's zone (their [[users]] timezone, else the
// display zone); every real zone's hours are whole quarter hours.
package report
