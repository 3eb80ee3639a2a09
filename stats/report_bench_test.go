package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/workorder"
)

// traffic generates about perDay×5 events a day for days days from
// start, in time order: conversations on three channels and eight
// departments, a third handed off (some abandoned), a tenth turned into
// work orders finished two days later.
func traffic(start time.Time, days, perDay int) []event {
	channels := []string{"web", "wechat", "app"}
	depts := []string{"social_security", "medical_insurance", "housing_fund", "household", "traffic", "housing", "education", "employment"}
	intents := []string{"consult", "consult", "consult", "complaint", "help", "greeting", "human"}
	var out []event
	n := 0
	for d := range days {
		day0 := start.AddDate(0, 0, d)
		for i := range perDay {
			n++
			t := day0.Add(time.Duration(i) * 24 * time.Hour / time.Duration(perDay))
			id := fmt.Sprintf("c%d", n)
			ch, dept := channels[n%3], depts[n%len(depts)]
			msg := func(t time.Time, intent, outcome string) {
				out = append(out, event{log: logDialog, at: t, d: dialog.Event{Type: dialog.EventMessage, Time: t,
					Conversation: id, Channel: ch, Intent: intent, Department: dept, Outcome: outcome}})
			}
			ho := func(t time.Time, e handoff.Event) {
				e.Conversation, e.Time = id, t
				out = append(out, event{log: logHandoff, at: t, h: e})
			}
			msg(t.Add(time.Second), intents[n%len(intents)], dialog.OutcomeAnswer)
			if n%3 == 0 {
				msg(t.Add(20*time.Second), "human", dialog.OutcomeHandoff)
				q := t.Add(21 * time.Second)
				ho(q, handoff.Event{Type: handoff.EventQueued, Channel: ch, Skill: dept})
				if n%9 == 0 {
					ho(q.Add(90*time.Second), handoff.Event{Type: handoff.EventCancelled, Wait: 90})
				} else {
					wait := float64(n % 40)
					ho(q.Add(time.Duration(wait)*time.Second), handoff.Event{Type: handoff.EventAccepted, Wait: wait})
					ho(q.Add(time.Duration(wait+20)*time.Second), handoff.Event{Type: handoff.EventReplied, Wait: 20})
					ho(q.Add(5*time.Minute), handoff.Event{Type: handoff.EventClosed, Duration: 250})
					ho(q.Add(6*time.Minute), handoff.Event{Type: handoff.EventRated, Score: 1 + n%4})
				}
			} else {
				msg(t.Add(40*time.Second), "thanks", dialog.OutcomeSmallTalk)
			}
			if n%10 == 0 {
				c := workorder.Change{Number: fmt.Sprintf("o%d", n), Kind: "created", Status: workorder.Accepted,
					Channel: ch, Department: dept, Due: t.AddDate(0, 0, 1), Time: t.Add(time.Minute)}
				out = append(out, event{log: logWorkorder, at: c.Time, w: c})
				c.Kind, c.Status, c.Time = "status", workorder.Finished, t.AddDate(0, 0, 2)
				out = append(out, event{log: logWorkorder, at: c.Time, w: c})
			}
		}
	}
	return out
}

// BenchmarkReport31Days reports a 31-day month, by day, over about 100k
// events (31 days × 650 conversations).
func BenchmarkReport31Days(b *testing.B) {
	st, err := embedded.Open(embedded.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	loc := shanghai()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc)
	now := start.AddDate(0, 0, 33)
	a, err := New(Config{Store: st, Location: loc, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	events := traffic(start, 31, 650)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a.mu.Lock()
	for _, ev := range events {
		a.event(ev)
	}
	a.mu.Unlock()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(events)
	// What stays for years: the day buckets, without the conversations
	// remembered for a week (the report does not need them).
	a.convs = map[string]*conv{}
	var days runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&days)
	runtime.KeepAlive(events)
	q := Query{From: start, To: start.AddDate(0, 0, 30), Granularity: Day}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := a.Report(ctx, q)
		if err != nil || len(r.Series) != 31 || r.Totals.Conversations != 31*650 {
			b.Fatalf("report: %v, %d days, %d conversations", err, len(r.Series), r.Totals.Conversations)
		}
	}
	b.ReportMetric(float64(len(events)), "events")
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/31/1024, "heap-KiB/day")
	b.ReportMetric((float64(days.HeapAlloc)-float64(before.HeapAlloc))/31/1024, "days-KiB/day")
}

// BenchmarkSync measures catching up on logs in a store: events applied
// per second, including the reads and JSON decoding.
func BenchmarkSync(b *testing.B) {
	st, err := embedded.Open(embedded.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	loc := shanghai()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc)
	events := traffic(start, 2, 300)
	ctx := context.Background()
	for _, ev := range events {
		var err error
		switch ev.log {
		case logDialog:
			err = appendJSON(ctx, st, dialog.LogName, ev.d)
		case logHandoff:
			err = appendJSON(ctx, st, handoff.LogName, ev.h)
		default:
			err = appendJSON(ctx, st, workorder.LogName, ev.w)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	now := start.AddDate(0, 0, 5)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a, err := New(Config{Store: st, Location: loc, Now: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// appendJSON appends v to a log of st.
func appendJSON(ctx context.Context, st store.Logs, log string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = st.AppendLog(ctx, log, data)
	return err
}
