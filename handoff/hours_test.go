package handoff

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// hoursTestCST is China Standard Time without the time zone database, for
// writing test instants; every Schedule converts them to its own location.
var hoursTestCST = time.FixedZone("CST", 8*60*60)

// hoursTestAt reads "2026-03-02 08:00" or "2026-03-02 08:00:05" as CST.
func hoursTestAt(t *testing.T, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if strings.Count(s, ":") == 2 {
		layout = "2006-01-02 15:04:05"
	}
	at, err := time.ParseInLocation(layout, s, hoursTestCST)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// hoursTestSchedule builds a Schedule from a spec and calendar YAML.
func hoursTestSchedule(t *testing.T, spec, calendar string) *Schedule {
	t.Helper()
	h, err := ParseHours(spec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := calParse("calendar.yaml", []byte(calendar))
	if err != nil {
		t.Fatal(err)
	}
	return NewSchedule(h, c, nil)
}

// hoursTestCalendar is a holiday week with a shortened day before it and
// a worked Saturday after it (the 2026 National Day arrangement).
const hoursTestCalendar = `
closed:
  2026-10-01~2026-10-07: 国庆节
hours:
  2026-09-30: "08:00-17:00"
workdays:
  2026-10-10: 国庆节调休上班
`

func TestParseHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec, want string
	}{
		{"empty is default", "", "daily 08:00-20:00"},
		{"default", DefaultHours, "daily 08:00-20:00"},
		{"case and short hour", "DAILY 8:00-20:00", "daily 08:00-20:00"},
		{"whole week range", "mon-sun 08:00-20:00", "daily 08:00-20:00"},
		{"24h", "24h", "24h"},
		{"whole day spelled out", "daily 00:00-24:00", "24h"},
		{"24h on some days", "sat,sun 24h", "sat,sun 24h"},
		{"closed", "closed", "closed"},
		{"weekdays and weekend", "mon-fri 08:30-12:00, 13:30-18:00; sat,sun 09:00-17:00",
			"mon-fri 08:30-12:00,13:30-18:00; sat,sun 09:00-17:00"},
		{"full-width punctuation", "mon - fri 08：00～20：00；sat，sun 09:00-17:00",
			"mon-fri 08:00-20:00; sat,sun 09:00-17:00"},
		{"full names, touching periods merged", "monday,tuesday 09:00-12:00,12:00-17:00", "mon,tue 09:00-17:00"},
		{"periods sorted", "fri 13:30-18:00,08:30-12:00", "fri 08:30-12:00,13:30-18:00"},
		{"two-day range", "sat-sun 22:00-24:00", "sat,sun 22:00-24:00"},
		{"trailing semicolon", "mon-fri 08:00-20:00;", "mon-fri 08:00-20:00"},
		{"days split and joined", "mon,wed-fri 09:00-17:00; tue 09:00-17:00", "mon-fri 09:00-17:00"},
		{"night shift split at midnight", "mon 22:00-24:00; tue-fri 00:00-06:00,22:00-24:00; sat 00:00-06:00",
			"mon 22:00-24:00; tue-fri 00:00-06:00,22:00-24:00; sat 00:00-06:00"},
		{"sunday listed first", "sun 10:00-16:00; mon-sat 08:00-20:00", "mon-sat 08:00-20:00; sun 10:00-16:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := ParseHours(tt.spec)
			if err != nil {
				t.Fatalf("ParseHours(%q): %v", tt.spec, err)
			}
			if got := h.String(); got != tt.want {
				t.Errorf("ParseHours(%q) = %q, want %q", tt.spec, got, tt.want)
			}
		})
	}
}

func TestParseHoursErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec, want string
	}{
		{"no times", "mon-fri", `clause "mon-fri" has no times`},
		{"no days", "08:00-20:00", `clause "08:00-20:00" names no days`},
		{"unknown day", "mom 08:00-20:00", `unknown day "mom"`},
		{"unknown range end", "mon-fry 08:00-20:00", `unknown day "fry" in "mon-fry"`},
		{"backwards range", "fri-mon 08:00-20:00", `day range "fri-mon" runs backwards`},
		{"hours without minutes", "mon-fri 8-20", `bad time "8"`},
		{"hour 25", "mon-fri 08:00-25:00", `bad time "25:00"`},
		{"minute 60", "mon-fri 08:60-20:00", `bad time "08:60"`},
		{"24:00 as a start", "mon-fri 24:00-24:00", `bad time "24:00"`},
		{"crosses midnight", "daily 20:00-08:00", `period "20:00-08:00" ends before it starts`},
		{"empty period", "daily 08:00-08:00", `period "08:00-08:00" ends before it starts`},
		{"overlap", "mon-fri 08:00-12:00,11:00-14:00", `periods "08:00-12:00" and "11:00-14:00" overlap`},
		{"day in two clauses", "mon-fri 08:00-20:00; fri 09:00-12:00", `fri is named twice, in "mon-fri 08:00-20:00" and in "fri 09:00-12:00"`},
		{"day twice in a clause", "daily,sat 08:00-20:00", `sat is named twice in "daily,sat"`},
		{"missing semicolon", "mon-fri 08:00-20:00 sat 09:00-12:00", `separate clauses with ';'`},
		{"only a semicolon", ";", "no clauses"},
		{"half a period", "mon-fri 08:00", `bad period "08:00"`},
		{"three times", "mon-fri 08:00-12:00-13:00", `bad period "08:00-12:00-13:00"`},
		{"empty period in list", "mon-fri 08:00-12:00,", `bad period ""`},
		{"documented example", "mon-fri 8-20", `handoff: service hours "mon-fri 8-20": clause "mon-fri 8-20": period "8-20": bad time "8": want HH:MM such as 08:30`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := ParseHours(tt.spec)
			if err == nil {
				t.Fatalf("ParseHours(%q) = %q, want an error", tt.spec, h)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseHours(%q) error %q, want it to contain %q", tt.spec, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("handoff: service hours %q: ", tt.spec)) {
				t.Errorf("error %q does not start with the spec", err)
			}
		})
	}
}

func TestScheduleOpen(t *testing.T) {
	t.Parallel()
	daily := hoursTestSchedule(t, DefaultHours, hoursTestCalendar)
	split := hoursTestSchedule(t, "mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00", hoursTestCalendar)
	tests := []struct {
		name  string
		sched *Schedule
		at    time.Time
		want  bool
	}{
		{"before opening", daily, hoursTestAt(t, "2026-03-02 07:59:59"), false},
		{"opening instant", daily, hoursTestAt(t, "2026-03-02 08:00"), true},
		{"last second", daily, hoursTestAt(t, "2026-03-02 19:59:59"), true},
		{"last nanosecond", daily, hoursTestAt(t, "2026-03-02 19:59:59").Add(999999999), true},
		{"closing instant", daily, hoursTestAt(t, "2026-03-02 20:00"), false},
		{"midnight", daily, hoursTestAt(t, "2026-03-03 00:00"), false},
		{"sunday with daily hours", daily, hoursTestAt(t, "2026-03-08 10:00"), true},
		{"holiday", daily, hoursTestAt(t, "2026-10-01 10:00"), false},
		{"last day of the holiday", daily, hoursTestAt(t, "2026-10-07 19:00"), false},
		{"after the holiday", daily, hoursTestAt(t, "2026-10-08 08:00"), true},
		{"shortened day open", daily, hoursTestAt(t, "2026-09-30 16:59:59"), true},
		{"shortened day closed", daily, hoursTestAt(t, "2026-09-30 17:00"), false},
		{"UTC instant at 08:00 CST", daily, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), true},
		{"UTC instant at 07:59 CST", daily, time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC), false},
		{"UTC instant at 20:00 CST", daily, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), false},
		{"summer, no DST", daily, time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC), true},
		{"summer, no DST, 19:59 CST", daily, time.Date(2026, 7, 15, 11, 59, 0, 0, time.UTC), true},
		{"summer, no DST, 20:00 CST", daily, time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC), false},
		{"morning period", split, hoursTestAt(t, "2026-03-02 08:30"), true},
		{"lunch break", split, hoursTestAt(t, "2026-03-02 12:00"), false},
		{"afternoon period", split, hoursTestAt(t, "2026-03-02 13:30"), true},
		{"after work", split, hoursTestAt(t, "2026-03-02 18:00"), false},
		{"saturday morning", split, hoursTestAt(t, "2026-03-07 09:00"), true},
		{"saturday afternoon", split, hoursTestAt(t, "2026-03-07 14:00"), false},
		{"sunday", split, hoursTestAt(t, "2026-03-08 10:00"), false},
		{"worked saturday has weekday afternoon", split, hoursTestAt(t, "2026-10-10 14:00"), true},
		{"worked saturday opens at weekday time", split, hoursTestAt(t, "2026-10-10 08:30"), true},
		{"worked saturday lunch break", split, hoursTestAt(t, "2026-10-10 12:30"), false},
		{"shortened day replaces split hours", split, hoursTestAt(t, "2026-09-30 12:30"), true},
		{"holiday weekday", split, hoursTestAt(t, "2026-10-05 09:00"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.sched.Open(tt.at); got != tt.want {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestScheduleNextOpen(t *testing.T) {
	t.Parallel()
	daily := hoursTestSchedule(t, DefaultHours, hoursTestCalendar)
	split := hoursTestSchedule(t, "mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00", hoursTestCalendar)
	closed := hoursTestSchedule(t, "closed", "")
	night := hoursTestSchedule(t, "mon 22:00-24:00; tue-fri 00:00-06:00,22:00-24:00; sat 00:00-06:00", "")
	july := hoursTestSchedule(t, "mon-fri 08:00-20:00", "closed:\n  2026-07-01~2026-07-31: 系统升级\n")
	tests := []struct {
		name  string
		sched *Schedule
		at    string
		want  string // "" for none
	}{
		{"open now", daily, "2026-03-02 10:00", "2026-03-02 10:00"},
		{"early morning", daily, "2026-03-02 07:00", "2026-03-02 08:00"},
		{"evening", daily, "2026-03-02 20:00", "2026-03-03 08:00"},
		{"late night", daily, "2026-03-02 23:59:59", "2026-03-03 08:00"},
		{"across the holiday week", daily, "2026-09-30 17:00", "2026-10-08 08:00"},
		{"inside the holiday week", daily, "2026-10-03 09:00", "2026-10-08 08:00"},
		{"lunch break", split, "2026-03-02 12:30", "2026-03-02 13:30"},
		{"friday evening", split, "2026-03-06 19:00", "2026-03-07 09:00"},
		{"saturday noon", split, "2026-03-07 12:00", "2026-03-09 08:30"},
		{"holiday to the worked saturday", split, "2026-10-09 18:00", "2026-10-10 08:30"},
		{"night shift continues past midnight", night, "2026-03-03 00:00", "2026-03-03 00:00"},
		{"night shift morning gap", night, "2026-03-03 06:00", "2026-03-03 22:00"},
		{"night shift weekend", night, "2026-03-07 06:00", "2026-03-09 22:00"},
		{"never open", closed, "2026-03-02 10:00", ""},
		{"closed longer than 14 days", july, "2026-07-01 09:00", ""},
		{"opens within 14 days", july, "2026-07-20 09:00", "2026-08-03 08:00"},
		{"opens just after 14 days", july, "2026-07-20 07:59", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tt.sched.NextOpen(hoursTestAt(t, tt.at))
			if tt.want == "" {
				if ok {
					t.Fatalf("NextOpen(%s) = %s, want none", tt.at, got)
				}
				return
			}
			if !ok {
				t.Fatalf("NextOpen(%s) = none, want %s", tt.at, tt.want)
			}
			if want := hoursTestAt(t, tt.want); !got.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, want %s", tt.at, got, want)
			}
			if got.Location() != tt.sched.loc {
				t.Errorf("NextOpen returned a time in %s, want the schedule's %s", got.Location(), tt.sched.loc)
			}
		})
	}
}

func TestScheduleDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec, want string
	}{
		{DefaultHours, "每天 08:00-20:00"},
		{"mon-fri 08:30-12:00,13:30-18:00; sat,sun 09:00-17:00", "周一至周五 08:30-12:00、13:30-18:00；周六、周日 09:00-17:00"},
		{"24h", "每天 24 小时"},
		{"closed", "暂不提供人工服务"},
		{"mon-fri 08:00-20:00", "周一至周五 08:00-20:00"},
		{"mon,wed,fri 09:00-17:00", "周一、周三、周五 09:00-17:00"},
		{"mon-wed,fri 09:00-17:00; sat 24h", "周一至周三、周五 09:00-17:00；周六 24 小时"},
		{"sun 10:00-16:00; mon-sat 08:00-20:00", "周一至周六 08:00-20:00；周日 10:00-16:00"},
		{"mon,tue 09:00-12:00,14:00-17:00", "周一、周二 09:00-12:00、14:00-17:00"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			if got := hoursTestSchedule(t, tt.spec, "").Describe(); got != tt.want {
				t.Errorf("Describe() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewScheduleDefaults(t *testing.T) {
	t.Parallel()
	if _, err := ParseHours(DefaultHours); err != nil {
		t.Fatalf("DefaultHours does not parse: %v", err)
	}
	s := NewSchedule(Hours{}, Calendar{}, nil)
	if got := s.Describe(); got != "每天 08:00-20:00" {
		t.Errorf("zero Hours describes as %q, want the default hours", got)
	}
	if got := s.hours.String(); got != DefaultHours {
		t.Errorf("zero Hours became %q, want %q", got, DefaultHours)
	}
	if !s.Open(hoursTestAt(t, "2026-10-01 10:00")) {
		t.Error("zero Calendar closes 2026-10-01")
	}
	// A schedule in another location reads the hours on that wall clock.
	utc := NewSchedule(Hours{}, Calendar{}, time.UTC)
	if !utc.Open(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) || utc.Open(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Error("a UTC schedule does not follow the UTC wall clock")
	}
}

// TestShanghaiFallback checks that the fixed UTC+8 zone used without a time
// zone database tells the same wall clock as Asia/Shanghai all year: China
// has had no daylight saving time since 1991.
func TestShanghaiFallback(t *testing.T) {
	t.Parallel()
	loc := hoursShanghai()
	fixed := time.FixedZone("CST", 8*60*60)
	for _, year := range []int{1992, 2026, 2027, 2040} {
		for m := time.January; m <= time.December; m++ {
			for _, day := range []int{1, 15} {
				at := time.Date(year, m, day, 3, 30, 0, 0, time.UTC)
				if _, off := at.In(loc).Zone(); off != 8*60*60 {
					t.Errorf("%s: Asia/Shanghai offset %ds, want +8h", at, off)
				}
				if a, b := at.In(loc).Format(time.DateTime), at.In(fixed).Format(time.DateTime); a != b {
					t.Errorf("%s: Asia/Shanghai %s, fixed zone %s", at, a, b)
				}
			}
		}
	}
}

func TestLoadCalendarSample(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "kb-data", "handoff", "calendar.yaml")
	c, err := LoadCalendar(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]calKind{
		"2026-01-01": calClosed, "2026-01-04": calWorkday,
		"2026-02-14": calHours, "2026-02-15": calClosed, "2026-02-23": calClosed, "2026-02-28": calWorkday,
		"2026-04-06": calClosed, "2026-05-05": calClosed, "2026-05-09": calWorkday,
		"2026-06-19": calClosed, "2026-09-20": calWorkday, "2026-09-25": calClosed,
		"2026-09-30": calHours, "2026-10-07": calClosed, "2026-10-10": calWorkday,
		"2027-02-05": calClosed, "2027-10-01": calClosed,
	}
	for s, kind := range want {
		at, _ := time.Parse(time.DateOnly, s)
		y, m, d := at.Date()
		if got := c.days[calDate{y, m, d}].kind; got != kind {
			t.Errorf("%s: kind %d, want %d", s, got, kind)
		}
	}
	for _, s := range []string{"2026-02-13", "2026-02-24", "2026-10-08"} {
		at, _ := time.Parse(time.DateOnly, s)
		y, m, d := at.Date()
		if got, ok := c.days[calDate{y, m, d}]; ok {
			t.Errorf("%s is listed (%d), want a normal day", s, got.kind)
		}
	}

	// 春节 2026: the worked Saturday before it closes at 17:00, and the
	// service is back on the first working day after the nine days off.
	s := NewSchedule(Hours{}, c, nil)
	next, ok := s.NextOpen(hoursTestAt(t, "2026-02-14 17:00"))
	if want := hoursTestAt(t, "2026-02-24 08:00"); !ok || !next.Equal(want) {
		t.Errorf("NextOpen over 春节 = %s, %v; want %s", next, ok, want)
	}
}

func TestLoadCalendarMissingAndEmpty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, err := LoadCalendar(filepath.Join(dir, "nope.yaml"))
	if err != nil || len(c.days) != 0 {
		t.Errorf("missing file: %v, %d days; want an empty calendar", err, len(c.days))
	}
	for name, text := range map[string]string{
		"empty":    "",
		"comments": "# nothing this year\n",
		"null":     "~\n",
		"sections": "closed:\nhours:\nworkdays:\n",
	} {
		c, err := calParse(name, []byte(text))
		if err != nil || len(c.days) != 0 {
			t.Errorf("%s: %v, %d days; want an empty calendar", name, err, len(c.days))
		}
	}
	path := filepath.Join(dir, "calendar.yaml")
	if err := os.WriteFile(path, []byte("closed:\n  2026-13-01: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCalendar(path); err == nil || !strings.HasPrefix(err.Error(), path+":2: ") {
		t.Errorf("LoadCalendar error %v, want it to start with %s:2:", err, path)
	}
	if _, err := LoadCalendar(dir); err == nil || !strings.Contains(err.Error(), "handoff: calendar") {
		t.Errorf("LoadCalendar(directory) error %v, want a read error", err)
	}
}

func TestLoadCalendarErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		want       []string
	}{
		{"short date", "closed:\n  2026-1-1: 元旦\n", []string{`c.yaml:2: closed: "2026-1-1" is not a date: want YYYY-MM-DD`}},
		{"no such day", "closed:\n  2026-02-30: x\n", []string{`c.yaml:2: closed: "2026-02-30" is not a date on the calendar`}},
		{"range overlaps a worked day", "closed:\n  2026-10-01~2026-10-07: 国庆\nworkdays:\n  2026-10-03: x\n",
			[]string{"c.yaml:4: 2026-10-03 is already listed at line 2 (2026-10-01~2026-10-07)"}},
		{"same key twice", "closed:\n  2026-10-01: a\n  2026-10-01: b\n", []string{"c.yaml:3: 2026-10-01 is already listed at line 2 (2026-10-01)"}},
		{"closed and shortened", "closed:\n  2026-10-01: a\nhours:\n  2026-10-01: \"09:00-12:00\"\n", []string{"c.yaml:4: 2026-10-01 is already listed at line 2"}},
		{"worked monday", "workdays:\n  2026-10-12: x\n", []string{"c.yaml:2: workdays: 2026-10-12 is a Monday"}},
		{"bad hours", "hours:\n  2026-09-30: \"17:00-08:00\"\n", []string{`c.yaml:2: hours: 2026-09-30: period "17:00-08:00" ends before it starts`}},
		{"no hours", "hours:\n  2026-09-30:\n", []string{"c.yaml:2: hours: 2026-09-30: want the day's periods"}},
		{"hours as a list", "hours:\n  2026-09-30: [\"09:00-12:00\"]\n", []string{"c.yaml:2: hours: 2026-09-30: want the day's periods"}},
		{"backwards range", "closed:\n  2026-10-07~2026-10-01: x\n", []string{`c.yaml:2: closed: range "2026-10-07~2026-10-01" ends before it starts`}},
		{"year typo in range", "closed:\n  2026-10-01..2027-10-07: x\n", []string{`range "2026-10-01..2027-10-07" spans 372 days, more than 31`}},
		{"bad range end", "closed:\n  2026-10-01~10-07: x\n", []string{`"10-07" is not a date`}},
		{"unknown key", "holidays:\n  2026-10-01: x\n", []string{`c.yaml:1: unknown key "holidays": want closed, hours or workdays`}},
		{"list instead of mapping", "closed:\n  - 2026-10-01\n", []string{"c.yaml:2: closed: want dates as keys"}},
		{"top level list", "- 2026-10-01\n", []string{"c.yaml:1: want a mapping with closed, hours and workdays"}},
		{"note is a list", "closed:\n  2026-10-01: [a, b]\n", []string{"c.yaml:2: closed: 2026-10-01: want a short note"}},
		{"key is a list", "closed:\n  [2026-10-01]: x\n", []string{"c.yaml:2: closed: want a date"}},
		{"yaml syntax", "closed:\n  2026-10-01: [\n", []string{"c.yaml:"}},
		{"all problems reported", "closed:\n  2026-1-1: x\n  2026-02-30: y\nworkdays:\n  2026-10-12: z\n",
			[]string{"c.yaml:2: ", "c.yaml:3: ", "c.yaml:5: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := calParse("c.yaml", []byte(tt.text))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// FuzzParseHours checks that ParseHours never panics and that every Hours
// it returns prints as a spec that reads back to the same timetable.
func FuzzParseHours(f *testing.F) {
	for _, s := range []string{
		"", DefaultHours, "24h", "closed", "mon-fri 08:30-12:00,13:30-18:00; sat,sun 09:00-17:00",
		"mon,wed-fri 09:00-17:00; tue 24h", "sun 10:00-16:00; mon-sat 08:00-24:00",
		"mon - fri 08：00～20：00；sat，sun 09:00-17:00", "fri-mon 08:00-20:00", "daily 20:00-08:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		h, err := ParseHours(spec)
		if err != nil {
			return
		}
		back, err := ParseHours(h.String())
		if err != nil {
			t.Fatalf("ParseHours(%q) = %q, which does not parse: %v", spec, h, err)
		}
		if !reflect.DeepEqual(back, h) {
			t.Fatalf("ParseHours(%q) = %q, which reads back as %q", spec, h, back)
		}
		_ = hoursDescribe(&h.week)
	})
}

func ExampleSchedule_NextOpen() {
	h, err := ParseHours("mon-fri 08:30-12:00,13:30-18:00")
	if err != nil {
		panic(err)
	}
	s := NewSchedule(h, Calendar{}, nil)
	friday := time.Date(2026, 3, 6, 19, 0, 0, 0, time.FixedZone("CST", 8*60*60))
	if next, ok := s.NextOpen(friday); ok && !s.Open(friday) {
		fmt.Printf("人工服务时间为%s，将于%s恢复。\n", s.Describe(), next.Format("1月2日 15:04"))
	}
	// Output: 人工服务时间为周一至周五 08:30-12:00、13:30-18:00，将于3月9日 08:30恢复。
}

func ExampleParseHours() {
	h, err := ParseHours("mon - fri 08:30-12:00, 13:30-18:00；sat,sun 09:00-17:00")
	if err != nil {
		panic(err)
	}
	fmt.Println(h)
	fmt.Println(NewSchedule(h, Calendar{}, nil).Describe())
	// Output:
	// mon-fri 08:30-12:00,13:30-18:00; sat,sun 09:00-17:00
	// 周一至周五 08:30-12:00、13:30-18:00；周六、周日 09:00-17:00
}

// FuzzCalendar checks that any calendar file gives a calendar or an error,
// never a panic, and that every date it keeps was checked.
func FuzzCalendar(f *testing.F) {
	f.Add([]byte(hoursTestCalendar))
	f.Add([]byte("closed:\n  2026-1-1: x\n  2026-02-30: y\nworkdays:\n  2026-10-12: z\n"))
	f.Add([]byte("hours:\n  2026-09-30: \"09:00-12:00,13:00-17:00\"\nclosed:\n  2026-10-01..2026-10-31:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := calParse("c.yaml", data)
		if err != nil {
			return
		}
		for date, d := range c.days {
			wd := time.Date(date.year, date.month, date.day, 12, 0, 0, 0, time.UTC).Weekday()
			if d.kind == calWorkday && wd != time.Saturday && wd != time.Sunday {
				t.Fatalf("worked %s kept on a %s", d.key, wd)
			}
			if d.kind == calHours && len(d.spans) == 0 {
				t.Fatalf("%s kept with no periods", d.key)
			}
		}
	})
}
