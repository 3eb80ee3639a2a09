package stats

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// The granularities of a report's Series.
const (
	Day   = "day"
	Week  = "week"
	Month = "month"
)

// MaxDays is the longest range a report covers.
const MaxDays = 366

// topN bounds the top lists of a report.
const topN = 20

// Query selects a report.
type Query struct {
	// From and To are the first and last day of the period, inclusive:
	// any instant of the day will do, its date is taken in the
	// aggregator's Location.
	From, To time.Time
	// Channel and Department filter the traffic; empty means all.
	Channel, Department string
	// Granularity is Day (the default), Week or Month.
	Granularity string
}

// Report computes the figures of a query from the events applied so far
// (call Sync first for the latest). Errors wrapping ErrBadQuery say what
// is wrong with q; the misses come from the store, so ctx bounds that
// read.
func (a *Aggregator) Report(ctx context.Context, q Query) (Report, error) {
	from, to := dayOf(q.From, a.loc), dayOf(q.To, a.loc)
	if to < from {
		return Report{}, fmt.Errorf("%w: to %s is before from %s", ErrBadQuery, to, from)
	}
	if int(to-from)+1 > MaxDays {
		return Report{}, fmt.Errorf("%w: %d days, at most %d", ErrBadQuery, int(to-from)+1, MaxDays)
	}
	gran := cmp.Or(q.Granularity, Day)
	if gran != Day && gran != Week && gran != Month {
		return Report{}, fmt.Errorf("%w: granularity %q: want day, week or month", ErrBadQuery, q.Granularity)
	}
	misses, err := a.cfg.Store.Misses(ctx, topN)
	if err != nil {
		return Report{}, fmt.Errorf("stats: misses: %w", err)
	}
	now := a.cfg.Now().In(a.loc)
	r := Report{
		From: from.String(), To: to.String(), Channel: q.Channel, Department: q.Department,
		Granularity: gran, Generated: now,
		Series: []Row{}, ByChannel: []Row{}, ByDepartment: []Row{},
		TopIntents: []Count{}, TopDepartments: []Count{}, TopMisses: make([]Miss, 0, len(misses)),
	}
	for _, m := range misses {
		r.TopMisses = append(r.TopMisses, Miss{Query: m.Query, Decision: m.Decision, Count: int(m.Count)})
	}

	a.mu.RLock()
	defer a.mu.RUnlock()
	match := func(k key) bool {
		return (q.Channel == "" || k.channel == q.Channel) && (q.Department == "" || k.department == q.Department)
	}
	var total sum
	byChannel, byDept := map[string]*sum{}, map[string]*sum{}
	intents, depts := map[string]int{}, map[string]int{}
	for _, p := range periods(from, to, gran) {
		var row sum
		for d := p.first; d <= p.last; d++ {
			for k, b := range a.days[d] {
				if !match(k) {
					continue
				}
				row.add(b)
				total.add(b)
				sumOf(byChannel, k.channel).add(b)
				sumOf(byDept, k.department).add(b)
				for _, c := range b.intents {
					intents[c.intent] += c.n
				}
				if b.messages > 0 {
					depts[k.department] += b.messages
				}
			}
		}
		for _, n := range a.overdue(p.last, now, match) {
			row.overdue += n
		}
		r.Series = append(r.Series, Row{Key: p.label, Figures: row.figures()})
	}
	for k, n := range a.overdue(to, now, match) {
		total.overdue += n
		sumOf(byChannel, k.channel).overdue += n
		sumOf(byDept, k.department).overdue += n
	}
	r.Totals = total.figures()
	r.ByChannel = rows(byChannel)
	r.ByDepartment = rows(byDept)
	r.TopIntents = top(intents)
	r.TopDepartments = top(depts)
	return r, nil
}

// overdue counts, per key, the work orders open and past due at the end
// of day d, or at now when that is sooner; none for a day not begun.
// Called with a.mu held.
func (a *Aggregator) overdue(d day, now time.Time, match func(key) bool) map[key]int {
	out := map[key]int{}
	if d.start(a.loc).After(now) {
		return out
	}
	end := (d + 1).start(a.loc)
	if end.After(now) {
		end = now
	} else {
		for k, b := range a.days[d] {
			if b.overdueEnd > 0 && match(k) {
				out[k] += b.overdueEnd
			}
		}
	}
	for _, o := range a.orders {
		if match(o.key) && o.overdueLive(end) {
			out[o.key]++
		}
	}
	return out
}

// period is one row of a report's series.
type period struct {
	label       string
	first, last day
}

// periods cuts [from, to] into days, ISO weeks or months, the first and
// last clipped to the range.
func periods(from, to day, gran string) []period {
	var out []period
	for d := from; d <= to; {
		c := d.date()
		var p period
		switch gran {
		case Week:
			y, w := c.ISOWeek()
			wd := (int(c.Weekday()) + 6) % 7 // Monday 0
			p = period{label: fmt.Sprintf("%04d-W%02d", y, w), first: d, last: d + day(6-wd)}
		case Month:
			next := time.Date(c.Year(), c.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			p = period{label: c.Format("2006-01"), first: d, last: day(next.Unix()/86400) - 1}
		default:
			p = period{label: d.String(), first: d, last: d}
		}
		p.last = min(p.last, to)
		out = append(out, p)
		d = p.last + 1
	}
	return out
}

// sum adds up buckets.
type sum struct {
	bucket
	overdue int
}

func sumOf(m map[string]*sum, k string) *sum {
	s := m[k]
	if s == nil {
		s = &sum{}
		m[k] = s
	}
	return s
}

func (s *sum) add(b *bucket) {
	s.conversations += b.conversations
	s.messages += b.messages
	s.botAnswered += b.botAnswered
	s.handoffs += b.handoffs
	s.accepted += b.accepted
	s.acceptedIn15s += b.acceptedIn15s
	s.abandoned += b.abandoned
	s.wait.merge(b.wait)
	s.firstResponse.merge(b.firstResponse)
	s.ordersCreated += b.ordersCreated
	s.ordersFinished += b.ordersFinished
	for i, n := range b.satisfaction {
		s.satisfaction[i] += n
	}
}

// empty reports whether nothing at all was counted.
func (s *sum) empty() bool {
	return s.conversations == 0 && s.messages == 0 && s.handoffs == 0 && s.accepted == 0 &&
		s.abandoned == 0 && len(s.firstResponse) == 0 && s.ordersCreated == 0 && s.ordersFinished == 0 &&
		s.overdue == 0 && s.satisfaction == [4]int{}
}

// rate divides, 0 when there is nothing to divide by.
func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func (s *sum) figures() Figures {
	f := Figures{
		Conversations: s.conversations, Messages: s.messages,
		BotAnswered: s.botAnswered, BotAnswerRate: rate(s.botAnswered, s.conversations),
		Handoffs: s.handoffs, HandoffRate: rate(s.handoffs, s.conversations),
		Accepted: s.accepted, AnswerRate: rate(s.accepted, s.handoffs),
		AcceptedIn15s: s.acceptedIn15s, AcceptedIn15Rate: rate(s.acceptedIn15s, s.handoffs),
		WaitP50: s.wait.quantile(0.5), WaitP90: s.wait.quantile(0.9),
		Abandoned: s.abandoned, AbandonmentRate: rate(s.abandoned, s.handoffs),
		FirstResponseP50: s.firstResponse.quantile(0.5), FirstResponseP90: s.firstResponse.quantile(0.9),
		OrdersCreated: s.ordersCreated, OrdersFinished: s.ordersFinished, OrdersOverdue: s.overdue,
		Satisfaction: s.satisfaction,
	}
	for _, n := range s.satisfaction {
		f.Rated += n
	}
	f.SatisfactionRate = rate(f.Rated-s.satisfaction[0], f.Rated)
	return f
}

// rows turns a breakdown into rows, most conversations, then messages,
// then by key; keys where nothing was counted are left out.
func rows(m map[string]*sum) []Row {
	out := make([]Row, 0, len(m))
	for k, s := range m {
		if !s.empty() {
			out = append(out, Row{Key: k, Figures: s.figures()})
		}
	}
	slices.SortFunc(out, func(x, y Row) int {
		return cmp.Or(cmp.Compare(y.Conversations, x.Conversations), cmp.Compare(y.Messages, x.Messages), cmp.Compare(x.Key, y.Key))
	})
	return out
}

// top returns the counts, most first (ties by key), at most topN.
func top(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		if n > 0 {
			out = append(out, Count{Key: k, Count: n})
		}
	}
	slices.SortFunc(out, func(x, y Count) int { return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Key, y.Key)) })
	return out[:min(len(out), topN)]
}
