package workorder

import (
	"fmt"
	"time"

	"github.com/hotline12345/hotline/handoff"
)

// DefaultLimits are the time limits in working days per appeal type, the
// usual 12345 practice: a question is answered by the next working day, a
// request for help within three, a complaint or report (which needs an
// inspection) within five, a suggestion (which needs a considered answer)
// within ten. A city sets its own in configuration.
var DefaultLimits = map[AppealType]int{
	Consult:    1,
	Help:       3,
	Complaint:  5,
	Report:     5,
	Suggestion: 10,
}

// maxLimit bounds a time limit: longer ones are typing mistakes.
const maxLimit = 60

// maxScan bounds the days Deadlines looks through for working days, so
// that a calendar closing everything cannot make it loop: a year and a
// bit, more than any time limit with any holidays.
const maxScan = 400

// weekdays24 is the week Deadlines reads the holiday calendar with: every
// weekday is served all day, so a date has service periods exactly when it
// is a working day.
const weekdays24 = "mon-fri 24h"

// Deadlines computes due dates: a time limit in working days per appeal
// type, counted on a holiday calendar. It is immutable and safe for
// concurrent use.
//
// A working day is a Monday to Friday not closed in the calendar, or a
// Saturday or Sunday the calendar lists under workdays (调休上班) or
// under hours (a worked weekend day with shortened service, such as
// 2026-02-14 in the sample calendar). So a holiday must be listed under
// closed, not given short hours, to stop the clock.
type Deadlines struct {
	limits map[AppealType]int
	days   *handoff.Schedule
	loc    *time.Location
}

// NewDeadlines returns deadlines with the given limits (working days per
// appeal type; types it does not name take DefaultLimits) on the holiday
// calendar (the zero Calendar: weekends only), in loc (nil: Asia/Shanghai).
func NewDeadlines(limits map[AppealType]int, cal handoff.Calendar, loc *time.Location) (*Deadlines, error) {
	if loc == nil {
		loc = shanghai()
	}
	d := &Deadlines{limits: make(map[AppealType]int, len(DefaultLimits)), loc: loc}
	for a, n := range DefaultLimits {
		d.limits[a] = n
	}
	for a, n := range limits {
		if !a.Valid() {
			return nil, fmt.Errorf("workorder: time limit for unknown appeal type %q", a)
		}
		if n < 1 || n > maxLimit {
			return nil, fmt.Errorf("workorder: time limit for %s: %d working days, want 1..%d", a, n, maxLimit)
		}
		d.limits[a] = n
	}
	week, err := handoff.ParseHours(weekdays24)
	if err != nil {
		return nil, fmt.Errorf("workorder: %w", err) // a constant: tested never to happen
	}
	d.days = handoff.NewSchedule(week, cal, loc)
	return d, nil
}

// Limit returns the time limit of an appeal type in working days.
func (d *Deadlines) Limit(a AppealType) int { return d.limits[a] }

// WorkingDay reports whether the local date of t is a working day.
func (d *Deadlines) WorkingDay(t time.Time) bool {
	y, m, day := t.In(d.loc).Date()
	start := time.Date(y, m, day, 0, 0, 0, 0, d.loc)
	next, ok := d.days.NextOpen(start)
	return ok && next.Before(time.Date(y, m, day+1, 0, 0, 0, 0, d.loc))
}

// AddWorkingDays returns the end (23:59:59 local) of the n-th working day
// after the local date of from. The day of from is not counted, whatever
// the hour, as with legal time limits: an appeal received on Friday with a
// limit of one working day is due at the end of Monday.
func (d *Deadlines) AddWorkingDays(from time.Time, n int) time.Time {
	y, m, day := from.In(d.loc).Date()
	left := n
	for i := 1; i <= maxScan; i++ {
		date := time.Date(y, m, day+i, 12, 0, 0, 0, d.loc)
		if d.WorkingDay(date) {
			left--
		}
		if left <= 0 {
			return time.Date(date.Year(), date.Month(), date.Day(), 23, 59, 59, 0, d.loc)
		}
	}
	// No working days for over a year: count calendar days instead of
	// promising nothing.
	return time.Date(y, m, day+n, 23, 59, 59, 0, d.loc)
}

// Due returns when an appeal of type a received at from must be answered.
func (d *Deadlines) Due(a AppealType, from time.Time) time.Time {
	return d.AddWorkingDays(from, d.limits[a])
}

// shanghai is China Standard Time, from the system's time zone database
// when it has one (China has one zone and no daylight saving time since
// 1991, so the fixed zone gives the same dates).
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}
