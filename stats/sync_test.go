package stats_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/internal/testwait"
	"github.com/hotline12345/hotline/stats"
)

// clock is a settable time for an aggregator.
type clock struct{ ns atomic.Int64 }

func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

func TestIncrementalSync(t *testing.T) {
	ctx := context.Background()
	st := openEmbedded(t)
	w := writer{t: t, st: st}
	writeScriptedDay(w)
	clk := newClock(scriptNow)
	a, err := stats.New(stats.Config{Store: st, Location: shanghai, Now: clk.now, PageSize: 5, Settle: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	before := report(t, a, "11-29", "12-01", "", "", "").Totals
	sameFigures(t, "first sync", before, totals)

	// A sync with nothing new changes nothing.
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sameFigures(t, "second sync", report(t, a, "11-29", "12-01", "", "", "").Totals, totals)

	// Tuesday 09:59:58: c11 asks, is handed off, accepted after 5 s.
	// The last events are younger than Settle at 10:00:00: not yet.
	w.msg("12-01 09:59:50", "c11", "app", "complaint", "traffic", dialog.OutcomeHandoff)
	w.ho("12-01 09:59:51", handoff.Event{Type: handoff.EventQueued, Conversation: "c11", Channel: "app", Skill: "traffic"})
	w.ho("12-01 09:59:58", handoff.Event{Type: handoff.EventAccepted, Conversation: "c11", Agent: "li", Wait: 5})
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got := report(t, a, "11-29", "12-01", "", "", "").Totals
	if got.Conversations != 12 || got.Handoffs != 6 || got.Accepted != 4 {
		t.Errorf("after a sync at 10:00:00: conversations %d, handoffs %d, accepted %d; want 12, 6, 4 (the acceptance at 09:59:58 is younger than Settle)",
			got.Conversations, got.Handoffs, got.Accepted)
	}
	clk.add(2 * time.Second)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got = report(t, a, "11-29", "12-01", "", "", "").Totals
	if got.Conversations != 12 || got.Messages != 17 || got.Handoffs != 6 || got.Accepted != 5 || got.AcceptedIn15s != 4 {
		t.Errorf("after the next sync: conversations %d messages %d handoffs %d accepted %d within 15 s %d; want 12 17 6 5 4",
			got.Conversations, got.Messages, got.Handoffs, got.Accepted, got.AcceptedIn15s)
	}
	r := report(t, a, "12-01", "12-01", "app", "", "")
	if r.Totals.Conversations != 1 || r.Totals.Accepted != 1 || r.Totals.WaitP50 != 5 {
		t.Errorf("app on Tuesday: %+v", r.Totals)
	}
	if _, applied := a.Synced(); applied == 0 {
		t.Error("Synced reports no events applied")
	}
}

func TestRunStops(t *testing.T) {
	st := openEmbedded(t)
	writeScriptedDay(writer{t: t, st: st})
	a := newAggregator(t, st, scriptNow, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		a.Run(ctx, 10*time.Millisecond)
		close(done)
	}()
	testwait.Until(t, 5*time.Second, func() error {
		if at, _ := a.Synced(); at.IsZero() {
			return errors.New("Run has not finished a sync")
		}
		return nil
	})
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	sameFigures(t, "after Run", report(t, a, "11-29", "12-01", "", "", "").Totals, totals)
}

// TestInstancesAgree plays the scripted day live: each event is appended
// a second after its time, some after a later event of another log (an
// instance's hand-off event written after another's dialog event stamped
// a moment later). One aggregator syncs after every append, as a busy
// instance does; another reads everything at the end. Their reports are
// the same, and the same as the hand-computed ones.
func TestInstancesAgree(t *testing.T) {
	ctx := context.Background()
	var events []logged
	writeScriptedDay(writer{t: t, sink: &events})
	slices.SortStableFunc(events, func(x, y logged) int { return x.at.Compare(y.at) })
	// Late appends: swap neighbours of different logs less than 2 s apart.
	swaps := 0
	for i := 0; i+1 < len(events); i += 2 {
		if events[i].log != events[i+1].log && events[i+1].at.Sub(events[i].at) < 2*time.Second {
			events[i], events[i+1] = events[i+1], events[i]
			swaps++
		}
	}
	if swaps == 0 {
		t.Fatal("the script has no close events of different logs to append late")
	}
	// c12 (app) asks for a person about education; the hand-off has no
	// skill, so it takes the department of the conversation, which the
	// dialog event stamped a second earlier but appended later tells.
	var extra []logged
	x := writer{t: t, sink: &extra}
	x.ho("12-01 09:30:01", handoff.Event{Type: handoff.EventQueued, Conversation: "c12", Channel: "app"})
	x.msg("12-01 09:30:00", "c12", "app", "help", "education", dialog.OutcomeHandoff)
	events = append(events, extra...)
	st := openEmbedded(t)
	clk := newClock(events[0].at)
	live, err := stats.New(stats.Config{Store: st, Location: shanghai, Now: clk.now, Settle: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if _, err := st.AppendLog(ctx, e.log, e.data); err != nil {
			t.Fatal(err)
		}
		if e.at.Add(time.Second).After(clk.now()) {
			clk.set(e.at.Add(time.Second))
		}
		if err := live.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clk.set(scriptNow)
	if err := live.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	late := newAggregator(t, st, scriptNow, 0)
	if err := late.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"day", "week"} {
		x, y := report(t, live, "11-29", "12-01", "", "", g), report(t, late, "11-29", "12-01", "", "", g)
		x.Generated, y.Generated = time.Time{}, time.Time{}
		if !reflect.DeepEqual(x, y) {
			t.Errorf("by %s: the live and the late aggregator disagree:\n%+v\n%+v", g, x, y)
		}
	}
	r := report(t, live, "12-01", "12-01", "app", "education", "")
	if r.Totals.Conversations != 1 || r.Totals.Handoffs != 1 {
		t.Errorf("c12's hand-off is not education's: %+v", r.Totals)
	}
	// Without c12, the hand-computed figures.
	sameFigures(t, "live totals", report(t, live, "11-29", "12-01", "web", "", "").Totals, report(t, late, "11-29", "12-01", "web", "", "").Totals)
	r = report(t, live, "11-29", "12-01", "", "", "")
	if r.Totals.Conversations != totals.Conversations+1 || r.Totals.Handoffs != totals.Handoffs+1 || r.Totals.Messages != totals.Messages+1 {
		t.Errorf("live totals %+v, want the script's plus c12", r.Totals)
	}
}
