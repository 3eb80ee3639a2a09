package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// Store is what the statistics read: the three logs and the misses.
type Store interface {
	store.Logs
	store.Misses
}

// Config configures an Aggregator.
type Config struct {
	// Store holds the logs. Required.
	Store Store
	// Location draws the day boundaries. Default Asia/Shanghai (China
	// Standard Time when the system has no time zone database).
	Location *time.Location
	// PageSize is how many log entries one read asks for. Default 1000:
	// a catch-up over years of logs is a few thousand reads, each small.
	PageSize int
	// Settle is how old an event must be before it is applied. Events
	// are applied in time order; waiting for late appends (another
	// instance's event stamped a moment earlier but written a moment
	// later) keeps instances in agreement. Default 3 s; reports lag by
	// that much.
	Settle time.Duration
	// Remember is how long after a conversation's last event the
	// aggregator keeps what it knows of it (its channel, department and
	// latest hand-off request) to attribute later events such as a
	// rating. Default 7 days.
	Remember time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Logger receives the errors of Run. Default: discard.
	Logger *slog.Logger
}

// The defaults of Config.
const (
	DefaultPageSize = 1000
	DefaultSettle   = 3 * time.Second
	DefaultRemember = 7 * 24 * time.Hour
)

// Aggregator folds the hotline's event logs into daily figures and
// answers reports from them. Its methods are safe for concurrent use.
type Aggregator struct {
	cfg Config
	loc *time.Location

	syncMu  sync.Mutex // serializes Sync: one reader of the logs
	sources [3]*source // dialog, handoff, workorder: owned by Sync

	mu      sync.RWMutex // guards everything below
	days    map[day]map[key]*bucket
	convs   map[string]*conv
	orders  map[string]*order
	strings map[string]string // interned codes
	// compacted is the last day whose buckets were compacted.
	compacted day
	applied   int64     // events applied
	latest    time.Time // newest event time applied
	swept     time.Time // last forgetting of old conversations
	synced    time.Time // end of the last successful Sync
}

// The logs, in the order they win a tie on time.
const (
	logDialog = iota
	logHandoff
	logWorkorder
)

var logNames = [3]string{dialog.LogName, handoff.LogName, workorder.LogName}

// source is one log being read: the cursor and the events read but not
// applied yet (younger than Settle, or waiting for the other logs).
type source struct {
	name      string
	after     int64 // the last Seq read
	pending   []event
	exhausted bool // the last read came back short: nothing more for now
}

// event is a decoded log entry.
type event struct {
	log int
	seq int64
	at  time.Time
	d   dialog.Event
	h   handoff.Event
	w   workorder.Change
}

// New returns an Aggregator that has read nothing yet: call Sync (or Run).
func New(cfg Config) (*Aggregator, error) {
	if cfg.Store == nil {
		return nil, errors.New("stats: Store is required")
	}
	if cfg.Location == nil {
		cfg.Location = shanghai()
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Settle == 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.Remember <= 0 {
		cfg.Remember = DefaultRemember
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Aggregator{cfg: cfg, loc: cfg.Location,
		days: map[day]map[key]*bucket{}, convs: map[string]*conv{}, orders: map[string]*order{},
		strings: map[string]string{}}
	for i, n := range logNames {
		a.sources[i] = &source{name: n}
	}
	return a, nil
}

// Location is the time zone of the aggregator's days.
func (a *Aggregator) Location() *time.Location { return a.loc }

// Run calls Sync every period until ctx ends, logging failures (the next
// round retries from where the last one stopped).
func (a *Aggregator) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := a.Sync(ctx); err != nil && ctx.Err() == nil {
			a.cfg.Logger.Warn("stats: sync failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sync reads what was appended to the logs since the last Sync and
// applies every event that is at least Settle old, oldest first. A failed
// read leaves the cursors where they were: nothing is counted twice.
func (a *Aggregator) Sync(ctx context.Context) error {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	for _, s := range a.sources {
		s.exhausted = false
	}
	frontier := a.cfg.Now().Add(-a.cfg.Settle)
	for {
		for _, s := range a.sources {
			for len(s.pending) == 0 && !s.exhausted { // a page may be all undecodable
				if err := a.read(ctx, s); err != nil {
					return err
				}
			}
		}
		if n := a.apply(frontier); n == 0 {
			break
		}
	}
	a.mu.Lock()
	a.synced = a.cfg.Now()
	a.mu.Unlock()
	return nil
}

// read reads the next page of a log into its pending events.
func (a *Aggregator) read(ctx context.Context, s *source) error {
	entries, err := a.cfg.Store.ReadLog(ctx, s.name, s.after, a.cfg.PageSize)
	if err != nil {
		return fmt.Errorf("stats: read log %s after %d: %w", s.name, s.after, err)
	}
	s.exhausted = len(entries) < a.cfg.PageSize
	now := a.cfg.Now()
	for _, e := range entries {
		s.after = e.Seq
		ev, ok := decode(s.name, e)
		if !ok {
			a.cfg.Logger.Warn("stats: undecodable log entry skipped", "log", s.name, "seq", e.Seq)
			continue
		}
		if ev.at.After(now) {
			// Stamped by a clock ahead of ours: it happened by now, and
			// waiting for its time would hold up the log behind it.
			ev.at = now
		}
		s.pending = append(s.pending, ev)
	}
	return nil
}

// decode reads a log entry; the event's own time wins over the store's.
func decode(name string, e store.LogEntry) (event, bool) {
	ev := event{seq: e.Seq}
	var err error
	switch name {
	case dialog.LogName:
		ev.log = logDialog
		err = json.Unmarshal(e.Data, &ev.d)
		ev.at = ev.d.Time
	case handoff.LogName:
		ev.log = logHandoff
		err = json.Unmarshal(e.Data, &ev.h)
		ev.at = ev.h.Time
	default:
		ev.log = logWorkorder
		err = json.Unmarshal(e.Data, &ev.w)
		ev.at = ev.w.Time
	}
	if ev.at.IsZero() {
		ev.at = e.Time
	}
	return ev, err == nil
}

// apply applies pending events in time order while every log that may
// still hold older events has a pending one to compare with, up to
// frontier. It returns how many it applied.
func (a *Aggregator) apply(frontier time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for {
		var next *source
		for _, s := range a.sources {
			if len(s.pending) == 0 {
				if !s.exhausted {
					return n // must read this log before going on
				}
				continue
			}
			if next == nil || s.pending[0].at.Before(next.pending[0].at) {
				next = s
			}
		}
		if next == nil || next.pending[0].at.After(frontier) {
			return n
		}
		ev := next.pending[0]
		next.pending[0] = event{}
		next.pending = next.pending[1:]
		if len(next.pending) == 0 {
			next.pending = nil // let the page's array go
		}
		a.event(ev)
		n++
	}
}

// Synced returns when the last Sync finished and how many events the
// aggregator has applied.
func (a *Aggregator) Synced() (time.Time, int64) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.synced, a.applied
}

// shanghai is China Standard Time, from the system's time zone database
// when it has one.
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}
