package stats

import (
	"time"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/workorder"
)

// answeredWithin is the answer norm of the hand-off: an agent accepts
// within 15 seconds ("three rings").
const answeredWithin = 15.0

// conv is what the aggregator remembers of a conversation.
type conv struct {
	channel string
	last    time.Time // newest event, for forgetting
	// The current conversation-day (session): the local day, its
	// department, and what happened in it.
	day                     day
	department              string
	counted, answered, sent bool // sent: handed off (queued) that day
	// req is the latest hand-off request, nil before the first.
	req *request
}

// request is one hand-off request: a queued event and what followed.
type request struct {
	day      day
	key      key
	accepted bool
	waiting  bool // in the queue now: first queued, or again after a transfer or a return
}

// order is an open work order: its state since the last change.
type order struct {
	key   key
	due   time.Time
	since time.Time // when this state began
}

// bucket returns the bucket of a day and key, creating it.
func (a *Aggregator) bucket(d day, k key) *bucket {
	m := a.days[d]
	if m == nil {
		m = map[key]*bucket{}
		a.days[d] = m
	}
	b := m[k]
	if b == nil {
		b = &bucket{}
		m[key{a.intern(k.channel), a.intern(k.department)}] = b
	}
	return b
}

// intern returns one shared copy of a code (channel, department,
// intent): years of buckets keep their keys once.
func (a *Aggregator) intern(s string) string {
	if v, ok := a.strings[s]; ok {
		return v
	}
	if len(a.strings) < maxInterned {
		a.strings[s] = s
	}
	return s
}

// maxInterned bounds the interned codes: a misbehaving writer inventing
// codes must not grow the table for ever.
const maxInterned = 10000

// event applies one event. Called with a.mu held.
func (a *Aggregator) event(ev event) {
	a.applied++
	if ev.at.After(a.latest) {
		a.latest = ev.at
	}
	switch ev.log {
	case logDialog:
		a.dialogEvent(ev.d, ev.at)
	case logHandoff:
		a.handoffEvent(ev.h, ev.at)
	case logWorkorder:
		a.orderChange(ev.w, ev.at)
	}
	if a.latest.Sub(a.swept) > time.Hour {
		a.forget()
	}
}

// forget drops the conversations whose last event is older than
// Remember: their sessions are over and any later event about them is
// attributed without them. It also compacts the buckets of the days
// before yesterday, which only late events still change.
func (a *Aggregator) forget() {
	a.swept = a.latest
	cut := a.latest.Add(-a.cfg.Remember)
	for id, c := range a.convs {
		if c.last.Before(cut) {
			delete(a.convs, id)
		}
	}
	done := dayOf(a.latest, a.loc) - 2
	if a.compacted == 0 {
		a.compacted = done - day(a.cfg.Remember/(24*time.Hour)) - 400
	}
	for d := a.compacted + 1; d <= done; d++ {
		for _, b := range a.days[d] {
			b.compact()
		}
	}
	a.compacted = max(a.compacted, done)
}

// conv returns the conversation's state, creating it, and starts a new
// session when at falls on a later day than the current one. current is
// false for a late event of an earlier day: it leaves the session alone.
func (a *Aggregator) conv(id, channel string, at time.Time) (c *conv, current bool) {
	c = a.convs[id]
	if c == nil {
		c = &conv{channel: orOther(channel), day: -1 << 30}
		a.convs[id] = c
	}
	if channel != "" {
		c.channel = channel
	}
	if at.After(c.last) {
		c.last = at
	}
	d := dayOf(at, a.loc)
	if d > c.day {
		c.day, c.department, c.counted, c.answered, c.sent = d, other, false, false, false
	}
	return c, d == c.day
}

// sessionShare is what a conversation-day contributes to its bucket.
func (c *conv) sessionShare() (conversations, botAnswered int) {
	if !c.counted {
		return 0, 0
	}
	if c.answered && !c.sent {
		return 1, 1
	}
	return 1, 0
}

// changeSession applies fn to the conversation's session and moves its
// contribution (conversations, bot answered) to where it now belongs.
func (a *Aggregator) changeSession(c *conv, fn func()) {
	convs, bot := c.sessionShare()
	before := key{c.channel, c.department}
	fn()
	convs2, bot2 := c.sessionShare()
	after := key{c.channel, c.department}
	if convs == convs2 && bot == bot2 && before == after {
		return
	}
	if convs != 0 || bot != 0 {
		b := a.bucket(c.day, before)
		b.conversations -= convs
		b.botAnswered -= bot
	}
	b := a.bucket(c.day, after)
	b.conversations += convs2
	b.botAnswered += bot2
}

// realDepartment reports whether a department names one (not empty,
// "-" or "other").
func realDepartment(d string) bool { return orOther(d) != other }

func (a *Aggregator) dialogEvent(e dialog.Event, at time.Time) {
	if e.Type != dialog.EventMessage || e.Conversation == "" {
		return // another kind of event, written by a newer version
	}
	c, current := a.conv(e.Conversation, e.Channel, at)
	if current {
		a.changeSession(c, func() {
			c.counted = true
			if c.department == other && realDepartment(e.Department) {
				c.department = e.Department
			}
			switch e.Outcome {
			case dialog.OutcomeAnswer:
				c.answered = true
			case dialog.OutcomeHandoff:
				c.sent = true
			}
		})
	}
	b := a.bucket(dayOf(at, a.loc), key{c.channel, orOther(e.Department)})
	b.messages++
	if e.Intent != "" {
		b.countIntent(a.intern(e.Intent))
	}
}

func (a *Aggregator) handoffEvent(e handoff.Event, at time.Time) {
	if e.Conversation == "" {
		return // agent status changes
	}
	if e.Type == handoff.EventQueued {
		c, current := a.conv(e.Conversation, e.Channel, at)
		dept := other
		if current {
			a.changeSession(c, func() { c.sent = true })
			dept = c.department
		}
		if realDepartment(e.Skill) {
			dept = e.Skill
		}
		c.req = &request{day: dayOf(at, a.loc), key: key{c.channel, dept}, waiting: true}
		a.bucket(c.req.day, c.req.key).handoffs++
		return
	}
	c := a.convs[e.Conversation]
	if c == nil || c.req == nil {
		if e.Type == handoff.EventRated {
			// A rating of a chat the aggregator knows nothing of (queued
			// before the logs begin, or long forgotten).
			a.rate(dayOf(at, a.loc), key{other, other}, e.Score)
		}
		return
	}
	if at.After(c.last) {
		c.last = at
	}
	r := c.req
	b := a.bucket(r.day, r.key)
	switch e.Type {
	case handoff.EventAccepted:
		r.waiting = false
		if r.accepted {
			return // again, after a transfer or a return: not a new answer
		}
		r.accepted = true
		b.accepted++
		b.wait.add(e.Wait, 1)
		if e.Wait <= answeredWithin {
			b.acceptedIn15s++
		}
	case handoff.EventTransferred, handoff.EventReturned:
		r.waiting = true
	case handoff.EventCancelled:
		if r.waiting && !r.accepted {
			b.abandoned++
		}
		r.waiting = false
	case handoff.EventClosed:
		r.waiting = false
	case handoff.EventReplied:
		b.firstResponse.add(e.Wait, 1)
	case handoff.EventRated:
		a.rate(dayOf(at, a.loc), r.key, e.Score)
	}
}

// rate counts a satisfaction rating 1 (不满意) … 4 (非常满意).
func (a *Aggregator) rate(d day, k key, score int) {
	if score < 1 || score > 4 {
		return
	}
	a.bucket(d, k).satisfaction[score-1]++
}

// orderKey is where a work order's figures go: its channel and its
// department, else the NLU's suggestion.
func orderKey(c workorder.Change) key {
	dept := c.Department
	if dept == "" {
		dept = c.Suggested.Department
	}
	return key{orOther(c.Channel), orOther(dept)}
}

func (a *Aggregator) orderChange(c workorder.Change, at time.Time) {
	if c.Number == "" {
		return
	}
	k, d := orderKey(c), dayOf(at, a.loc)
	switch {
	case c.Kind == "created":
		a.bucket(d, k).ordersCreated++
	case c.Kind == "status" && c.Status == workorder.Finished:
		a.bucket(d, k).ordersFinished++
	case c.Kind == "status" && c.Status == workorder.Visited:
		a.rate(d, k, int(c.Rating))
	}
	// The order's state until now is over: count the days it ended
	// overdue, then remember the new state while the order is open.
	if o := a.orders[c.Number]; o != nil {
		a.closeStretch(o, at)
		delete(a.orders, c.Number)
	}
	if c.Status.Open() {
		a.orders[c.Number] = &order{key: k, due: c.Due, since: at}
	}
}

// closeStretch counts, in each day's bucket, the open order o as overdue
// at the end of every day that ended in [o.since, until) after o's due.
func (a *Aggregator) closeStretch(o *order, until time.Time) {
	if o.due.IsZero() {
		return
	}
	from := o.since
	if o.due.After(from) {
		from = o.due
	}
	// The first day whose end may qualify is the day of from.
	for d := dayOf(from, a.loc); ; d++ {
		end := (d + 1).start(a.loc)
		if !end.Before(until) {
			return
		}
		if end.Before(o.since) || !end.After(o.due) {
			continue
		}
		a.bucket(d, o.key).overdueEnd++
	}
}

// overdueLive reports whether the open order o counts as overdue at t
// from its current state (t not before the state began).
func (o *order) overdueLive(t time.Time) bool {
	return !o.due.IsZero() && !t.Before(o.since) && t.After(o.due)
}
