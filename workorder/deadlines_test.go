package workorder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline12345/hotline/handoff"
)

// testCalendar is the 2026 National Day arrangement: a week closed, a
// shortened working day before it, a Sunday and a Saturday worked.
const testCalendar = `
closed:
  2026-10-01~2026-10-07: 国庆节
hours:
  2026-09-30: "08:00-17:00"
  2026-02-14: "09:00-17:00"
workdays:
  2026-09-20: 国庆节调休上班
  2026-10-10: 国庆节调休上班
`

// cst writes test instants; Deadlines converts them to its own location.
var cst = time.FixedZone("CST", 8*60*60)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, cst)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// loadTestCalendar writes testCalendar to a file and loads it, as the
// server does with kb-data/handoff/calendar.yaml.
func loadTestCalendar(t *testing.T) handoff.Calendar {
	t.Helper()
	path := filepath.Join(t.TempDir(), "calendar.yaml")
	if err := os.WriteFile(path, []byte(testCalendar), 0o600); err != nil {
		t.Fatal(err)
	}
	cal, err := handoff.LoadCalendar(path)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func TestWorkingDay(t *testing.T) {
	t.Parallel()
	d, err := NewDeadlines(nil, loadTestCalendar(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for day, want := range map[string]bool{
		"2026-11-27": true,  // Friday
		"2026-11-28": false, // Saturday
		"2026-11-29": false, // Sunday
		"2026-09-30": true,  // shortened day before the holiday
		"2026-10-01": false, // National Day
		"2026-10-07": false,
		"2026-10-08": true,
		"2026-10-10": true,  // Saturday worked
		"2026-09-20": true,  // Sunday worked
		"2026-02-14": true,  // Saturday worked with short hours
		"2026-10-11": false, // Sunday
	} {
		// Late in the evening: the date, not the hour, decides.
		if got := d.WorkingDay(at(t, day+" 23:30:00")); got != want {
			t.Errorf("WorkingDay(%s) = %v, want %v", day, got, want)
		}
	}
}

func TestDue(t *testing.T) {
	t.Parallel()
	d, err := NewDeadlines(map[AppealType]int{Help: 2}, loadTestCalendar(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		appeal  AppealType
		created string
		want    string
	}{
		{"consult on a Monday", Consult, "2026-11-23 09:00:00", "2026-11-24 23:59:59"},
		{"consult on Friday: over the weekend", Consult, "2026-11-27 16:00:00", "2026-11-30 23:59:59"},
		{"consult on Saturday: counted from Monday", Consult, "2026-11-28 10:00:00", "2026-11-30 23:59:59"},
		{"consult just before midnight", Consult, "2026-11-23 23:59:00", "2026-11-24 23:59:59"},
		{"configured help limit", Help, "2026-11-27 16:00:00", "2026-12-01 23:59:59"},
		{"complaint: one working week", Complaint, "2026-11-23 09:00:00", "2026-11-30 23:59:59"},
		{"suggestion: two working weeks", Suggestion, "2026-11-23 09:00:00", "2026-12-07 23:59:59"},
		// 09-30 (short day) 1, holiday 10-01..07, 10-08 2, 10-09 3,
		// 10-10 Saturday worked 4, Sunday, 10-12 5.
		{"complaint across National Day", Complaint, "2026-09-29 15:00:00", "2026-10-12 23:59:59"},
		{"consult on the eve of the holiday", Consult, "2026-09-30 16:00:00", "2026-10-08 23:59:59"},
		{"consult in the holiday", Consult, "2026-10-03 10:00:00", "2026-10-08 23:59:59"},
		{"consult on the Friday before a worked Saturday", Consult, "2026-10-09 10:00:00", "2026-10-10 23:59:59"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := d.Due(tt.appeal, at(t, tt.created))
			if want := at(t, tt.want); !got.Equal(want) {
				t.Errorf("Due = %s, want %s", got.In(cst).Format(time.DateTime), tt.want)
			}
		})
	}
}

func TestDeadlinesConfig(t *testing.T) {
	t.Parallel()
	d, err := NewDeadlines(nil, handoff.Calendar{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for a, n := range DefaultLimits {
		if d.Limit(a) != n {
			t.Errorf("Limit(%s) = %d, want the default %d", a, d.Limit(a), n)
		}
	}
	// The zero calendar knows weekends only.
	if d.WorkingDay(at(t, "2026-10-01 12:00:00")) != true || d.WorkingDay(at(t, "2026-10-03 12:00:00")) {
		t.Error("zero calendar: want Thursday 10-01 working and Saturday 10-03 not")
	}
	for name, limits := range map[string]map[AppealType]int{
		"unknown type": {"praise": 3},
		"zero days":    {Consult: 0},
		"a year":       {Suggestion: 365},
	} {
		if _, err := NewDeadlines(limits, handoff.Calendar{}, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestOverdue(t *testing.T) {
	t.Parallel()
	due := at(t, "2026-11-30 23:59:59")
	for _, tt := range []struct {
		status Status
		now    string
		want   bool
	}{
		{Accepted, "2026-11-30 23:59:59", false},
		{Accepted, "2026-12-01 00:00:00", true},
		{InProgress, "2026-12-03 10:00:00", true},
		{Returned, "2026-12-03 10:00:00", true},
		{Reopened, "2026-12-03 10:00:00", true},
		{Finished, "2026-12-03 10:00:00", false},
		{Visited, "2026-12-03 10:00:00", false},
	} {
		o := WorkOrder{Status: tt.status, Due: due}
		if got := o.Overdue(at(t, tt.now)); got != tt.want {
			t.Errorf("%s at %s: Overdue = %v, want %v", tt.status, tt.now, got, tt.want)
		}
	}
	if (&WorkOrder{Status: Accepted}).Overdue(time.Now()) {
		t.Error("an order without a due date is overdue")
	}
}
