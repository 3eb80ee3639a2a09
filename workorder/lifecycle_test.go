package workorder

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var allStatuses = []Status{Accepted, Dispatched, InProgress, Finished, Visited, Returned, Reopened}

// ready returns an order in status from that meets every requirement of
// moving to to, so that only the lifecycle table decides.
func ready(from, to Status) *WorkOrder {
	o := &WorkOrder{Number: "20261127-000001", AppealType: Complaint, Status: from,
		Suggested: Suggested{Department: "城管局", Confidence: 0.8}}
	if to == Visited {
		o.Rating = RatingSatisfied
	}
	if to == Reopened {
		o.Rating = RatingUnsatisfied
	}
	return o
}

func TestTransitionTable(t *testing.T) {
	t.Parallel()
	allowed := map[[2]Status]bool{
		{Accepted, Dispatched}:   true,
		{Dispatched, InProgress}: true,
		{Dispatched, Returned}:   true,
		{InProgress, Finished}:   true,
		{InProgress, Returned}:   true,
		{Returned, Dispatched}:   true,
		{Finished, Visited}:      true,
		{Visited, Reopened}:      true,
		{Reopened, Dispatched}:   true,
	}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, from := range append(allStatuses, "", "closed") {
		for _, to := range append(allStatuses, "", "closed") {
			want := allowed[[2]Status{from, to}]
			t.Run(string(from)+"→"+string(to), func(t *testing.T) {
				t.Parallel()
				if got := Allowed(from, to); got != want {
					t.Fatalf("Allowed = %v, want %v", got, want)
				}
				o := ready(from, to)
				before := o.clone()
				err := Transition(o, to, "agent1", "处理说明", now)
				if !want {
					var te *TransitionError
					if !errors.Is(err, ErrTransition) || !errors.As(err, &te) || te.From != from || te.To != to {
						t.Fatalf("err = %v, want a TransitionError %s→%s", err, from, to)
					}
					if !strings.Contains(err.Error(), string(from)+" (") || !strings.Contains(err.Error(), "→ "+string(to)) {
						t.Errorf("error %q does not name both statuses", err)
					}
					if o.Status != before.Status || len(o.History) != 0 {
						t.Errorf("refused transition changed the order: %+v", o)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				ev := o.Latest()
				if o.Status != to || len(o.History) != 1 || ev.Status != to || ev.By != "agent1" || !ev.Time.Equal(now) || !o.Updated.Equal(now) {
					t.Errorf("after transition: status %s, history %+v", o.Status, o.History)
				}
			})
		}
	}
}

func TestTransitionRequirements(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name     string
		from, to Status
		edit     func(*WorkOrder)
		by, text string
		want     error
	}{
		{"finish without reply", InProgress, Finished, nil, "dept", "  ", ErrInvalid},
		{"return without reason", Dispatched, Returned, nil, "dept", "", ErrInvalid},
		{"return from in progress without reason", InProgress, Returned, nil, "dept", "", ErrInvalid},
		{"visit without rating", Finished, Visited, func(o *WorkOrder) { o.Rating = 0 }, "agent", "", ErrInvalid},
		{"visit with rating 5", Finished, Visited, func(o *WorkOrder) { o.Rating = 5 }, "agent", "", ErrInvalid},
		{"reopen when satisfied", Visited, Reopened, func(o *WorkOrder) { o.Rating = RatingSatisfied }, "agent", "", ErrTransition},
		{"reopen when fair", Visited, Reopened, func(o *WorkOrder) { o.Rating = RatingFair }, "agent", "", ErrTransition},
		{"dispatch without any department", Accepted, Dispatched, func(o *WorkOrder) { o.Suggested = Suggested{} }, "agent", "", ErrInvalid},
		{"nobody", Accepted, Dispatched, nil, " ", "", ErrInvalid},
		{"reply too long", InProgress, Finished, nil, "dept", strings.Repeat("答", maxText+1), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := ready(tt.from, tt.to)
			if tt.edit != nil {
				tt.edit(o)
			}
			before := o.clone()
			err := Transition(o, tt.to, tt.by, tt.text, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if o.Status != before.Status || o.Department != before.Department || o.Reply != before.Reply || len(o.History) != 0 {
				t.Errorf("refused transition changed the order: %+v", o)
			}
		})
	}
}

func TestTransitionEffects(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	o := ready(Accepted, Dispatched)
	step := func(to Status, by, text string) {
		t.Helper()
		if err := Transition(o, to, by, text, now); err != nil {
			t.Fatalf("→ %s: %v", to, err)
		}
	}
	step(Dispatched, "dispatcher", "")
	if o.Department != "城管局" || o.Latest().Department != "城管局" {
		t.Errorf("dispatch without a chosen department: department %q, event %+v; want the suggested one", o.Department, o.Latest())
	}
	step(Returned, "城管局", "不属于本单位职责")
	o.Department = "住建局" // the dispatcher's choice, as Service.Dispatch sets it
	step(Dispatched, "dispatcher", "改派")
	if o.Latest().Department != "住建局" {
		t.Errorf("re-dispatch event %+v, want 住建局", o.Latest())
	}
	step(InProgress, "住建局", "")
	step(Finished, "住建局", " 已责令工地停止夜间施工。 ")
	if o.Reply != "已责令工地停止夜间施工。" {
		t.Errorf("Reply = %q", o.Reply)
	}
	o.Rating = RatingUnsatisfied
	step(Visited, "agent1", "仍在夜间施工")
	if o.Latest().Rating != RatingUnsatisfied {
		t.Errorf("visited event %+v lacks the rating", o.Latest())
	}
	step(Reopened, "agent1", "")
	if o.Rating != 0 {
		t.Errorf("Rating after reopening = %d, want 0 for the next follow-up", o.Rating)
	}
	step(Dispatched, "dispatcher", "")
	var got []Status
	for _, ev := range o.History {
		got = append(got, ev.Status)
	}
	want := []Status{Dispatched, Returned, Dispatched, InProgress, Finished, Visited, Reopened, Dispatched}
	if !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
}

func TestLabels(t *testing.T) {
	t.Parallel()
	for _, s := range allStatuses {
		if s.Label() == "" || !s.Valid() {
			t.Errorf("status %s has no label", s)
		}
	}
	if Status("closed").Valid() || Status("closed").Open() {
		t.Error("unknown status is valid or open")
	}
	for _, a := range []AppealType{Complaint, Report, Help, Suggestion, Consult} {
		if a.Label() == "" || !a.Valid() {
			t.Errorf("appeal type %s has no label", a)
		}
	}
	if RatingUnsatisfied.Label() != "不满意" || Rating(5).Valid() || Rating(0).Label() != "" {
		t.Error("rating labels")
	}
}
