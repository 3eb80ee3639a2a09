package workorder

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned for a number that names no order, and for a
// citizen asking about someone else's order: the two must look the same.
var ErrNotFound = errors.New("workorder: not found")

// ErrInvalid is returned, wrapped with the field and the problem, when an
// order or a change lacks what it needs (no phone, an empty summary, a
// finish without a reply…). Retrying the same input does not help.
var ErrInvalid = errors.New("workorder: invalid")

// ErrTransition is returned, as a *TransitionError, for a status change
// the lifecycle does not allow.
var ErrTransition = errors.New("workorder: transition not allowed")

// TransitionError is a refused status change. It matches ErrTransition
// with errors.Is; errors.As gives the two statuses for a message such as
// "工单已办结，不能退单".
type TransitionError struct {
	From, To Status
	// Why is set when the change is allowed in general but not for this
	// order (reopening one whose rating is not 不满意).
	Why string
}

func (e *TransitionError) Error() string {
	s := fmt.Sprintf("workorder: transition %s (%s) → %s (%s) not allowed", e.From, e.From.Label(), e.To, e.To.Label())
	if e.Why != "" {
		s += ": " + e.Why
	}
	return s
}

// Is makes errors.Is(err, ErrTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }

// FieldError is an invalid field. It matches ErrInvalid with errors.Is;
// errors.As gives the field (the JSON name: "phone", "summary"…) so that a
// form can mark it.
type FieldError struct {
	Field, Problem string
}

func (e *FieldError) Error() string { return ErrInvalid.Error() + ": " + e.Field + ": " + e.Problem }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// invalid returns a *FieldError for field.
func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}
