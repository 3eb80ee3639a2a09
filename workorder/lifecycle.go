package workorder

import (
	"strings"
	"time"
	"unicode/utf8"
)

// transitions is the lifecycle: the statuses each status may move to.
var transitions = map[Status][]Status{
	Accepted:   {Dispatched},
	Dispatched: {InProgress, Returned},
	InProgress: {Finished, Returned},
	Returned:   {Dispatched},
	Finished:   {Visited},
	Visited:    {Reopened},
	Reopened:   {Dispatched},
}

// maxText bounds a summary, a reply and a reason, in characters.
const maxText = 2000

// Allowed reports whether the lifecycle lets an order move from one status
// to the other, whatever the order's contents. Consoles use it to offer
// only the buttons that can work.
func Allowed(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition moves o to status to, recording who did it and why at now.
// It is a pure function of its arguments: the Service calls it inside an
// atomic update of the stored order.
//
// The lifecycle allows exactly: accepted→dispatched;
// dispatched→in_progress|returned; in_progress→finished|returned;
// returned→dispatched; finished→visited; visited→reopened;
// reopened→dispatched. Anything else is a *TransitionError (ErrTransition).
// Besides:
//   - by must name someone;
//   - dispatched needs o.Department, or takes o.Suggested.Department when
//     none was chosen;
//   - finished needs text, the department's reply, which becomes o.Reply;
//   - returned needs text, the reason;
//   - visited needs o.Rating set to 1..4 beforehand (Service.Visit does);
//   - reopened needs o.Rating to be 不满意, and clears it for the next
//     follow-up (the history keeps every rating).
//
// On error o is unchanged.
func Transition(o *WorkOrder, to Status, by, text string, now time.Time) error {
	from := o.Status
	if !Allowed(from, to) {
		return &TransitionError{From: from, To: to}
	}
	by, text = strings.TrimSpace(by), strings.TrimSpace(text)
	if by == "" {
		return invalid("by", "who changes the status is required")
	}
	if n := utf8.RuneCountInString(text); n > maxText {
		return invalid("text", "%d characters, at most %d", n, maxText)
	}
	ev := Event{Time: now, Status: to, By: by, Text: text}
	switch to {
	case Dispatched:
		dept := department(o.Department, o.Suggested)
		if dept == "" {
			return invalid("department", "dispatching needs a department")
		}
		o.Department = dept
		ev.Department = dept
	case Finished:
		if text == "" {
			return invalid("reply", "finishing needs the department's reply")
		}
		o.Reply = text
	case Returned:
		if text == "" {
			return invalid("reason", "returning needs a reason")
		}
	case Visited:
		if !o.Rating.Valid() {
			return invalid("rating", "%d is not a rating 1..4", o.Rating)
		}
		ev.Rating = o.Rating
	case Reopened:
		if o.Rating != RatingUnsatisfied {
			return &TransitionError{From: from, To: to, Why: "only a 不满意 rating reopens an order"}
		}
		o.Rating = 0
	}
	o.Status = to
	o.Updated = now
	o.History = append(o.History, ev)
	return nil
}
