// Package stats computes the hotline's supervision figures (volume, bot
// answer rate, hand-off answer rate and waits, abandonment, first
// response, work orders, satisfaction) from the three append-only store
// logs the other packages write: dialog.LogName, handoff.LogName and
// workorder.LogName.
//
// An Aggregator reads the logs incrementally (a cursor per log, pages of
// entries), merges them in event-time order and folds every event into
// per-day buckets keyed by local date, channel and department. A report
// adds up the buckets of its days, so a month costs a few thousand small
// additions whatever the traffic. Memory grows with the number of days
// and (channel, department) pairs seen, not with the number of events;
// the per-conversation state that attributes later events (which hand-off
// request a rating belongs to, which department a conversation is about)
// is forgotten a few days after the conversation's last event, and work
// orders are remembered only while they are open.
//
// Every instance of a scaled-out hotline keeps its own Aggregator over
// the shared logs. Events are applied in the order of their time (ties:
// dialog, then hand-off, then work order log, then sequence number), and
// only once they are Settle old, so instances that synced at different
// moments have applied the same events in the same order and agree. The
// definitions of every figure are in docs/STATS.md.
package stats
