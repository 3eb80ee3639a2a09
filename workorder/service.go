package workorder

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/store"
)

// Kind is the store record kind of work orders; the record id is the
// order's number.
const Kind = "workorder"

// LogName is the store log every change of an order is appended to, as a
// Change: the raw data of the hotline's statistics.
const LogName = "workorder"

// numberTries bounds the sequence numbers Create draws for one order. A
// number is taken twice only if a day's counter was lost (a store restored
// from an older backup), and then the next one is free.
const numberTries = 5

// Store is what work orders need from the store.
type Store interface {
	store.Records
	store.Counters
	store.Logs
}

// Config configures a Service.
type Config struct {
	Store Store // required
	// Limits are the time limits in working days per appeal type; types
	// not listed take DefaultLimits.
	Limits map[AppealType]int
	// Calendar is the holiday calendar working days are counted on (the
	// one hand-off uses, kb-data/handoff/calendar.yaml); the zero Calendar
	// knows only weekends.
	Calendar handoff.Calendar
	// Location is whose dates numbers and due dates use. Default
	// Asia/Shanghai.
	Location *time.Location
	// Similarity is the summary similarity (0..1) from which two orders
	// are the same matter. Default DefaultSimilarity; higher misses more
	// duplicates, lower suggests more wrong ones.
	Similarity float64
	// DuplicateWindow is how far back Create looks for open orders about
	// the same matter to list in Related. Default DefaultDuplicateWindow;
	// negative: Create does not look (it then reads no other orders).
	DuplicateWindow time.Duration
	// Logger receives operational logs: numbers and errors, never phone
	// numbers or what citizens wrote.
	Logger *slog.Logger
	// OnChange, when set, is told of every change after it is stored (the
	// bot tells the citizen when their order is finished). It runs in the
	// caller's goroutine and must not block for long.
	OnChange func(ctx context.Context, o WorkOrder, c Change)
	// HotWindow and HotMinOrders are the hot-issue rule of Hot. Defaults
	// DefaultHotWindow and DefaultHotMinOrders.
	HotWindow    time.Duration
	HotMinOrders int
	// Now is the clock; tests set it.
	Now func() time.Time
}

// Service creates, finds and changes work orders. Every change is atomic
// in the store, so any number of Services on one shared store (one per
// instance) work together. It is safe for concurrent use.
type Service struct {
	store     Store
	deadlines *Deadlines
	loc       *time.Location
	threshold float64
	window    time.Duration
	hotWindow time.Duration
	hotMin    int
	log       *slog.Logger
	now       func() time.Time
	onChange  func(ctx context.Context, o WorkOrder, c Change)
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("workorder: Store is required")
	}
	if cfg.Location == nil {
		cfg.Location = shanghai()
	}
	d, err := NewDeadlines(cfg.Limits, cfg.Calendar, cfg.Location)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Similarity == 0:
		cfg.Similarity = DefaultSimilarity
	case cfg.Similarity < 0 || cfg.Similarity > 1:
		return nil, fmt.Errorf("workorder: Similarity %v, want 0..1", cfg.Similarity)
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = DefaultDuplicateWindow
	}
	if cfg.HotWindow <= 0 {
		cfg.HotWindow = DefaultHotWindow
	}
	if cfg.HotMinOrders < 2 {
		cfg.HotMinOrders = DefaultHotMinOrders
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: cfg.Store, deadlines: d, loc: cfg.Location, threshold: cfg.Similarity,
		window: cfg.DuplicateWindow, hotWindow: cfg.HotWindow, hotMin: cfg.HotMinOrders,
		log: cfg.Logger, now: cfg.Now, onChange: cfg.OnChange}, nil
}

// Change is one entry of the store log LogName, decoded by the
// statistics. It never carries the citizen's contact or words.
type Change struct {
	Number string `json:"number"`
	// Kind is "created", "status" (a transition) or "updated" (an edit
	// through Update).
	Kind       string     `json:"kind"`
	Status     Status     `json:"status"`
	From       Status     `json:"from,omitempty"` // for status
	AppealType AppealType `json:"appeal_type"`
	Channel    string     `json:"channel,omitempty"`
	Department string     `json:"department,omitempty"`
	// Suggested is the NLU's department, for measuring routing.
	Suggested Suggested `json:"suggested,omitzero"`
	Rating    Rating    `json:"rating,omitempty"` // for visited
	By        string    `json:"by,omitempty"`
	Due       time.Time `json:"due"`
	// Late is set on finished when the order was finished after Due.
	Late bool      `json:"late,omitempty"`
	Time time.Time `json:"time"`
}

// Create validates a draft, numbers it and stores it as an accepted order
// with its due date, listing in Related the open orders that look like the
// same matter. Errors wrapping ErrInvalid say which field is wrong.
//
// Numbers come from a per-day store counter, so they are unique and, with
// no failures in between, consecutive across every instance.
func (s *Service) Create(ctx context.Context, d Draft) (WorkOrder, error) {
	d, err := d.normalize()
	if err != nil {
		return WorkOrder{}, err
	}
	now := s.now()
	o := WorkOrder{
		Conversation: d.Conversation,
		Channel:      d.Channel,
		AppealType:   d.AppealType,
		Department:   d.Department,
		Suggested:    d.Suggested,
		Summary:      d.Summary,
		Address:      d.Address,
		When:         d.When,
		Contact:      d.Contact,
		Status:       Accepted,
		Due:          s.deadlines.Due(d.AppealType, now),
		History:      []Event{{Time: now, Status: Accepted, By: d.By}},
		Created:      now,
		Updated:      now,
	}
	if s.window > 0 {
		all, err := s.all(ctx)
		if err != nil {
			return WorkOrder{}, err
		}
		for _, r := range s.similar(all, newMatter(d.Department, d.Suggested, d.Summary, d.Address), s.window, "") {
			o.Related = append(o.Related, r.Number)
		}
	}

	date := now.In(s.loc).Format("20060102")
	for range numberTries {
		seq, err := s.store.Increment(ctx, seqCounter(date), 1, seqTTL)
		if err != nil {
			return WorkOrder{}, fmt.Errorf("workorder: number: %w", err)
		}
		o.Number = formatNumber(date, seq)
		value, err := json.Marshal(o)
		if err != nil {
			return WorkOrder{}, fmt.Errorf("workorder: encode: %w", err)
		}
		_, err = s.store.UpdateRecord(ctx, Kind, o.Number, func(current []byte) ([]byte, error) {
			if current != nil {
				return nil, store.ErrExists
			}
			return value, nil
		})
		if errors.Is(err, store.ErrExists) {
			s.log.Warn("workorder: number already taken, drawing another", "number", o.Number)
			continue
		}
		if err != nil {
			return WorkOrder{}, fmt.Errorf("workorder: store %s: %w", o.Number, err)
		}
		s.record(ctx, o, Change{Kind: "created", By: d.By})
		return o, nil
	}
	return WorkOrder{}, fmt.Errorf("workorder: %d numbers of %s already taken: is the counter %s behind?", numberTries, date, seqCounter(date))
}

// Get returns the order numbered number, or ErrNotFound.
func (s *Service) Get(ctx context.Context, number string) (WorkOrder, error) {
	v, err := s.store.Record(ctx, Kind, number)
	if errors.Is(err, store.ErrNotFound) {
		return WorkOrder{}, fmt.Errorf("workorder %s: %w", number, ErrNotFound)
	}
	if err != nil {
		return WorkOrder{}, fmt.Errorf("workorder %s: %w", number, err)
	}
	return decode(number, v)
}

// Lookup is Get for a citizen asking in chat: it returns the order only
// when it came from the asking conversation, and ErrNotFound for someone
// else's order exactly as for a wrong number.
func (s *Service) Lookup(ctx context.Context, conversation, number string) (WorkOrder, error) {
	o, err := s.Get(ctx, number)
	if err != nil {
		return WorkOrder{}, err
	}
	if conversation == "" || o.Conversation != conversation {
		return WorkOrder{}, fmt.Errorf("workorder %s: %w", number, ErrNotFound)
	}
	return o, nil
}

// Update applies fn to the stored order atomically, for corrections and
// extensions: details the citizen added, the department before dispatch,
// a new Due (an approved extension, 延期). fn may be called more than once
// and must not block. The number, conversation, status, rating, history
// and creation time are the lifecycle's: changing them is an ErrInvalid
// (use Transition). The result must still be a valid order.
func (s *Service) Update(ctx context.Context, number string, fn func(*WorkOrder) error) (WorkOrder, error) {
	o, err := s.update(ctx, number, func(o *WorkOrder, now time.Time) error {
		before := o.clone()
		if err := fn(o); err != nil {
			return err
		}
		switch {
		case o.Number != before.Number, o.Conversation != before.Conversation, o.Status != before.Status,
			o.Rating != before.Rating, !o.Created.Equal(before.Created), !slices.Equal(o.History, before.History):
			return invalid("update", "number, conversation, status, rating, history and creation time change only through Transition")
		}
		o.Summary = strings.TrimSpace(o.Summary)
		if err := validate(o.AppealType, o.Summary, o.Address, o.When, o.Department, &o.Contact); err != nil {
			return err
		}
		o.Updated = now
		return nil
	})
	if err != nil {
		return WorkOrder{}, err
	}
	s.record(ctx, o, Change{Kind: "updated"})
	return o, nil
}

// Transition moves the stored order to status to, atomically, under the
// lifecycle's rules (see the package function Transition). Reopening
// starts a new time limit from now: the second handling gets its own.
func (s *Service) Transition(ctx context.Context, number string, to Status, by, text string) (WorkOrder, error) {
	return s.transition(ctx, number, to, by, text, nil)
}

// TransitionIf is Transition when check accepts the order as it is at
// the moment of the change: the check and the change are one atomic
// update, so an order that moved meanwhile (a department's order that a
// supervisor took back) is judged as it is now. An error from check is
// returned unchanged and nothing changes.
func (s *Service) TransitionIf(ctx context.Context, number string, to Status, by, text string, check func(WorkOrder) error) (WorkOrder, error) {
	return s.transition(ctx, number, to, by, text, func(o *WorkOrder) error { return check(*o) })
}

// Dispatch sends the order to department (派单), or to another one when
// it comes back returned or reopened: the department and the transition
// are one atomic change. An empty department takes the suggested one.
func (s *Service) Dispatch(ctx context.Context, number, department, by, text string) (WorkOrder, error) {
	department = strings.TrimSpace(department)
	return s.transition(ctx, number, Dispatched, by, text, func(o *WorkOrder) error {
		if department != "" {
			o.Department = department
		}
		return nil
	})
}

// Visit records the follow-up (回访): the citizen's rating and words.
// A 不满意 rating lets the order be reopened (Transition to Reopened).
func (s *Service) Visit(ctx context.Context, number string, rating Rating, by, text string) (WorkOrder, error) {
	if !rating.Valid() {
		return WorkOrder{}, invalid("rating", "%d is not a rating 1..4", rating)
	}
	return s.transition(ctx, number, Visited, by, text, func(o *WorkOrder) error {
		o.Rating = rating
		return nil
	})
}

// transition runs prepare and Transition in one atomic update and logs it.
func (s *Service) transition(ctx context.Context, number string, to Status, by, text string, prepare func(*WorkOrder) error) (WorkOrder, error) {
	var from Status
	o, err := s.update(ctx, number, func(o *WorkOrder, now time.Time) error {
		from = o.Status
		if prepare != nil {
			if err := prepare(o); err != nil {
				return err
			}
		}
		if err := Transition(o, to, by, text, now); err != nil {
			return err
		}
		if to == Reopened {
			o.Due = s.deadlines.Due(o.AppealType, now)
		}
		return nil
	})
	if err != nil {
		return WorkOrder{}, err
	}
	ev := o.Latest()
	c := Change{Kind: "status", From: from, By: ev.By, Rating: ev.Rating}
	if to == Finished {
		c.Late = ev.Time.After(o.Due)
	}
	s.record(ctx, o, c)
	return o, nil
}

// update applies fn to a fresh copy of the stored order in one atomic
// store update.
func (s *Service) update(ctx context.Context, number string, fn func(o *WorkOrder, now time.Time) error) (WorkOrder, error) {
	var out WorkOrder
	_, err := s.store.UpdateRecord(ctx, Kind, number, func(current []byte) ([]byte, error) {
		if current == nil {
			return nil, fmt.Errorf("workorder %s: %w", number, ErrNotFound)
		}
		o, err := decode(number, current)
		if err != nil {
			return nil, err
		}
		if err := fn(&o, s.now()); err != nil {
			return nil, err
		}
		out = o
		return json.Marshal(o)
	})
	if err != nil {
		return WorkOrder{}, err
	}
	return out, nil
}

// Filter selects orders for List; zero fields select everything.
type Filter struct {
	Status     Status
	Department string
	// From and To bound the creation time: From ≤ Created < To.
	From, To time.Time
}

// List returns the orders the filter selects, oldest number first. It
// reads every order, which is fine for the thousands a city's chat
// channels bring in a year; a busier hotline archives closed ones.
func (s *Service) List(ctx context.Context, f Filter) ([]WorkOrder, error) {
	all, err := s.all(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(o WorkOrder) bool {
		return f.Status != "" && o.Status != f.Status ||
			f.Department != "" && o.Department != f.Department ||
			!f.From.IsZero() && o.Created.Before(f.From) ||
			!f.To.IsZero() && !o.Created.Before(f.To)
	}), nil
}

// ForConversation returns the orders that came from a conversation,
// newest first: what a citizen asking "查询工单" may see, and nothing else.
func (s *Service) ForConversation(ctx context.Context, conversation string) ([]WorkOrder, error) {
	if conversation == "" {
		return nil, nil // orders without a chat belong to no conversation
	}
	all, err := s.all(ctx)
	if err != nil {
		return nil, err
	}
	mine := slices.DeleteFunc(all, func(o WorkOrder) bool { return o.Conversation != conversation })
	slices.SortStableFunc(mine, func(a, b WorkOrder) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.Number, a.Number))
	})
	return mine, nil
}

// all reads every order, in number order.
func (s *Service) all(ctx context.Context) ([]WorkOrder, error) {
	recs, err := s.store.Records(ctx, Kind)
	if err != nil {
		return nil, fmt.Errorf("workorder: list: %w", err)
	}
	out := make([]WorkOrder, 0, len(recs))
	for _, r := range recs {
		o, err := decode(r.ID, r.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// decode reads a stored order.
func decode(number string, v []byte) (WorkOrder, error) {
	var o WorkOrder
	if err := json.Unmarshal(v, &o); err != nil {
		return WorkOrder{}, fmt.Errorf("workorder %s: decode: %w", number, err)
	}
	return o, nil
}

// record appends a change to the log. The order is already stored, so a
// failure is logged, not returned: the statistics miss one event, the
// citizen's order is safe.
func (s *Service) record(ctx context.Context, o WorkOrder, c Change) {
	c.Number, c.Status, c.AppealType, c.Channel = o.Number, o.Status, o.AppealType, o.Channel
	c.Department, c.Suggested, c.Due, c.Time = o.Department, o.Suggested, o.Due, o.Updated
	data, err := json.Marshal(c)
	if err == nil {
		_, err = s.store.AppendLog(ctx, LogName, data)
	}
	if err != nil {
		s.log.Error("workorder: log change", "number", o.Number, "kind", c.Kind, "err", err)
	}
	if s.onChange != nil {
		s.onChange(ctx, o, c)
	}
}
