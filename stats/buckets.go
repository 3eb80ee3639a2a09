package stats

import (
	"math"
	"slices"
	"time"
)

// day is a local calendar date, counted in days since 1970-01-01.
type day int32

// dayOf returns the local date of t in loc.
func dayOf(t time.Time, loc *time.Location) day {
	y, m, d := t.In(loc).Date()
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// date is the day's calendar date at midnight UTC, for labels and
// arithmetic on years, months and weeks.
func (d day) date() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// start is the instant the day starts in loc.
func (d day) start(loc *time.Location) time.Time {
	c := d.date()
	return time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, loc)
}

// String is the date as 2006-01-02.
func (d day) String() string { return d.date().Format(time.DateOnly) }

// key is the traffic a bucket counts: one channel, one department.
type key struct {
	channel    string
	department string
}

// other is the channel or department of traffic that has none.
const other = "other"

// notApplicable is the NLU's department for a message about no
// department (a greeting, 转人工): nlu.NotApplicable.
const notApplicable = "-"

// orOther returns s, or "other" when s is empty or the NLU's "-".
func orOther(s string) string {
	if s == "" || s == notApplicable {
		return other
	}
	return s
}

// bucket holds one day's counts for one key.
type bucket struct {
	conversations, messages, botAnswered         int
	handoffs, accepted, acceptedIn15s, abandoned int
	wait, firstResponse                          histogram
	ordersCreated, ordersFinished                int
	// overdueEnd counts the work orders that were open and past due at
	// the end of the day, for the stretches of their lives that later
	// changes closed; orders whose current state started before the end
	// of the day are counted from the live orders instead.
	overdueEnd   int
	satisfaction [4]int
	intents      []intentCount // a dozen intents: a slice is smaller than a map
}

// intentCount is how many messages had an intent.
type intentCount struct {
	intent string
	n      int
}

// countIntent counts one message of intent.
func (b *bucket) countIntent(intent string) {
	for i := range b.intents {
		if b.intents[i].intent == intent {
			b.intents[i].n++
			return
		}
	}
	b.intents = append(b.intents, intentCount{intent, 1})
}

// compact gives back the spare capacity of a bucket that will not grow
// any more (a day long past).
func (b *bucket) compact() {
	b.intents = slices.Clip(b.intents)
	b.wait = slices.Clip(b.wait)
	b.firstResponse = slices.Clip(b.firstResponse)
}

// histogram is a mergeable, sparse histogram of durations in seconds,
// each rounded to three significant digits (so up to 0.5 % off, and whole
// seconds below 1000 s exact). Sorted by value.
type histogram []histBin

type histBin struct {
	v float64
	n int
}

// round3 rounds v to three significant digits; negative values are 0.
func round3(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	if math.IsInf(v, 1) {
		return math.MaxFloat64
	}
	scale := math.Pow(10, 2-math.Floor(math.Log10(v)))
	return math.Round(v*scale) / scale
}

// add counts n samples of v.
func (h *histogram) add(v float64, n int) {
	v = round3(v)
	i, found := slices.BinarySearchFunc(*h, v, func(b histBin, v float64) int {
		switch {
		case b.v < v:
			return -1
		case b.v > v:
			return 1
		}
		return 0
	})
	if found {
		(*h)[i].n += n
		return
	}
	*h = slices.Insert(*h, i, histBin{v, n})
}

// merge adds every sample of o.
func (h *histogram) merge(o histogram) {
	for _, b := range o {
		h.add(b.v, b.n)
	}
}

// quantile returns the nearest-rank q-quantile (0 < q ≤ 1): the smallest
// sample value with at least ceil(q·n) samples at or below it; 0 when
// there are no samples.
func (h histogram) quantile(q float64) float64 {
	total := 0
	for _, b := range h {
		total += b.n
	}
	if total == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	seen := 0
	for _, b := range h {
		seen += b.n
		if seen >= rank {
			return b.v
		}
	}
	return h[len(h)-1].v
}
