package handoff

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// DefaultHours is the service hours when none are configured: agents take
// chats every day from 08:00 to 20:00 local time. Outside the hours, or with
// no agent online, the citizen is offered 留言 instead of a queue.
const DefaultHours = "daily 08:00-20:00"

// hoursMaxRange is the longest date range one calendar key may span. The
// longest holiday is about nine days; a bigger range is almost always a
// typo in a year or a month (2026-02-15~2027-02-23).
const hoursMaxRange = 31

// hoursSpan is one period of a day when agents take chats, in minutes since
// midnight: from inclusive, to exclusive; to may be 24*60.
type hoursSpan struct{ from, to int }

// Hours is the weekly timetable of the human agents: for each day of the
// week, the periods when chats are handed to agents. Build it with
// ParseHours. The zero Hours has no periods at all, and NewSchedule reads
// it as DefaultHours; ParseHours("closed") is the timetable that is really
// never open. Hours values are immutable and safe to copy and share.
type Hours struct {
	week [7][]hoursSpan // indexed by time.Weekday, periods sorted, disjoint
	spec string         // canonical spec; "" only in the zero Hours
}

// hoursWeek lists the days Monday first, the order Chinese timetables and
// day ranges (mon-fri) use.
var hoursWeek = [7]time.Weekday{
	time.Monday, time.Tuesday, time.Wednesday, time.Thursday,
	time.Friday, time.Saturday, time.Sunday,
}

// hoursDayNames maps the day names a spec may use to the day.
var hoursDayNames = map[string]time.Weekday{
	"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sunday": time.Sunday,
}

// hoursDaySpec and hoursDayChinese name a day in the canonical spec and in
// the text shown to citizens.
var (
	hoursDaySpec    = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	hoursDayChinese = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
)

// hoursPunct turns what a Chinese input method types into the ASCII a spec
// is written in, so that "周一至周五 08:00－20:00" typed as
// "mon-fri 08：00～20：00；sat，sun …" still parses.
var hoursPunct = strings.NewReplacer(
	"；", ";", "，", ",", "、", ",", "：", ":",
	"～", "-", "~", "-", "－", "-", "—", "-", "–", "-",
	"\u3000", " ",
)

// hoursClock is a clock time in a spec: H:MM or HH:MM.
var hoursClock = regexp.MustCompile(`^(\d{1,2}):(\d{2})$`)

// ParseHours reads a service-hours spec: clauses separated by ';', each a
// list of days and a list of periods:
//
//	daily 08:00-20:00
//	mon-fri 08:30-12:00,13:30-18:00; sat,sun 09:00-17:00
//	24h
//
// Days are mon tue wed thu fri sat sun (or the full English names), ranges
// of them in Monday-first order (mon-fri, sat-sun), or daily. Periods are
// HH:MM-HH:MM, end exclusive, 24:00 allowed as an end; "24h" is the whole
// day. A period cannot cross midnight: write 22:00-24:00 on one day and
// 00:00-06:00 on the next. Days not named are closed; "closed" alone means
// never open; "" means DefaultHours. Case, extra spaces and full-width
// punctuation (；，：～) are ignored. Errors quote the part that is wrong.
func ParseHours(spec string) (Hours, error) {
	norm := strings.TrimSpace(strings.ToLower(hoursPunct.Replace(spec)))
	switch norm {
	case "":
		norm = DefaultHours
	case "closed":
		return Hours{spec: "closed"}, nil
	case "24h":
		norm = "daily 24h"
	}
	fail := func(format string, args ...any) (Hours, error) {
		return Hours{}, fmt.Errorf("handoff: service hours %q: %s", spec, fmt.Sprintf(format, args...))
	}

	var (
		h      Hours
		named  [7]string // the clause that named each day, for "named twice"
		parsed bool
	)
	for clause := range strings.SplitSeq(norm, ";") {
		clause = strings.TrimSpace(clause)
		if clause == "" {
			continue // a trailing ';' is harmless
		}
		i := strings.IndexFunc(clause, func(r rune) bool { return r >= '0' && r <= '9' })
		switch {
		case i < 0:
			return fail("clause %q has no times: want days and periods, e.g. %q", clause, "mon-fri 08:00-20:00")
		case i == 0:
			return fail("clause %q names no days: start it with daily or days such as mon-fri or sat,sun", clause)
		}
		days, err := hoursParseDays(hoursNoSpace(clause[:i]))
		if err != nil {
			return fail("clause %q: %v", clause, err)
		}
		times := hoursNoSpace(clause[i:])
		if times != "24h" && strings.ContainsFunc(times, unicode.IsLetter) {
			return fail("clause %q runs into the next one: separate clauses with ';', e.g. %q", clause, "mon-fri 08:00-20:00; sat 09:00-12:00")
		}
		spans, err := hoursParseSpans(times)
		if err != nil {
			return fail("clause %q: %v", clause, err)
		}
		for _, d := range days {
			if named[d] != "" {
				return fail("%s is named twice, in %q and in %q", hoursDaySpec[d], named[d], clause)
			}
			named[d] = clause
			h.week[d] = spans
		}
		parsed = true
	}
	if !parsed {
		return fail("no clauses: want e.g. %q", DefaultHours)
	}
	h.spec = hoursCanonical(&h.week)
	return h, nil
}

// String returns the spec in canonical form (daily 08:00-20:00; mon-fri
// 08:30-12:00,13:30-18:00; sat,sun 09:00-17:00; 24h; closed): what the
// server logs at start and what ParseHours reads back to the same Hours.
// The zero Hours returns "".
func (h Hours) String() string { return h.spec }

// hoursNoSpace drops all white space: "mon - fri" is "mon-fri".
func hoursNoSpace(s string) string { return strings.Join(strings.Fields(s), "") }

// hoursParseDays reads "daily", "mon-fri", "sat,sun", "mon,wed-fri".
func hoursParseDays(s string) ([]time.Weekday, error) {
	var (
		days []time.Weekday
		seen [7]bool
	)
	add := func(d time.Weekday) error {
		if seen[d] {
			return fmt.Errorf("%s is named twice in %q", hoursDaySpec[d], s)
		}
		seen[d] = true
		days = append(days, d)
		return nil
	}
	for item := range strings.SplitSeq(s, ",") {
		if item == "daily" {
			for _, d := range hoursWeek {
				if err := add(d); err != nil {
					return nil, err
				}
			}
			continue
		}
		first, last, isRange := strings.Cut(item, "-")
		a, ok := hoursDayNames[first]
		if !ok {
			return nil, fmt.Errorf("unknown day %q: want mon tue wed thu fri sat sun, a range such as mon-fri, or daily", first)
		}
		if !isRange {
			if err := add(a); err != nil {
				return nil, err
			}
			continue
		}
		b, ok := hoursDayNames[last]
		if !ok {
			return nil, fmt.Errorf("unknown day %q in %q: want mon tue wed thu fri sat sun", last, item)
		}
		ia, ib := slices.Index(hoursWeek[:], a), slices.Index(hoursWeek[:], b)
		if ia > ib {
			return nil, fmt.Errorf("day range %q runs backwards: weeks start on mon, so list the days instead (e.g. sat,sun,mon)", item)
		}
		for _, d := range hoursWeek[ia : ib+1] {
			if err := add(d); err != nil {
				return nil, err
			}
		}
	}
	return days, nil
}

// hoursParseSpans reads "08:00-20:00", "08:30-12:00,13:30-18:00" or "24h";
// periods come back sorted, with touching ones merged.
func hoursParseSpans(s string) ([]hoursSpan, error) {
	if s == "24h" {
		return []hoursSpan{{0, 24 * 60}}, nil
	}
	var spans []hoursSpan
	for item := range strings.SplitSeq(s, ",") {
		from, to, ok := strings.Cut(item, "-")
		if !ok || strings.Contains(to, "-") {
			return nil, fmt.Errorf("bad period %q: want HH:MM-HH:MM such as 08:00-20:00, or 24h", item)
		}
		f, err := hoursParseClock(from, false)
		if err != nil {
			return nil, fmt.Errorf("period %q: %w", item, err)
		}
		t, err := hoursParseClock(to, true)
		if err != nil {
			return nil, fmt.Errorf("period %q: %w", item, err)
		}
		if f >= t {
			return nil, fmt.Errorf("period %q ends before it starts: a period cannot cross midnight, split it into 22:00-24:00 and 00:00-06:00 of the next day", item)
		}
		spans = append(spans, hoursSpan{f, t})
	}
	slices.SortFunc(spans, func(a, b hoursSpan) int { return a.from - b.from })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		switch {
		case sp.from < last.to:
			return nil, fmt.Errorf("periods %q and %q overlap", hoursFormatSpan(*last), hoursFormatSpan(sp))
		case sp.from == last.to:
			last.to = sp.to
		default:
			merged = append(merged, sp)
		}
	}
	return slices.Clip(merged), nil
}

// hoursParseClock reads H:MM or HH:MM as minutes since midnight; 24:00 only
// as the end of a period.
func hoursParseClock(s string, end bool) (int, error) {
	m := hoursClock.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bad time %q: want HH:MM such as 08:30", s)
	}
	hh, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	switch {
	case hh == 24 && mm == 0 && end:
		return 24 * 60, nil
	case hh > 23 || mm > 59:
		return 0, fmt.Errorf("bad time %q: hours run 00-23 (24:00 only as an end), minutes 00-59", s)
	}
	return hh*60 + mm, nil
}

// hoursFormatSpan writes a period as HH:MM-HH:MM.
func hoursFormatSpan(sp hoursSpan) string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", sp.from/60, sp.from%60, sp.to/60, sp.to%60)
}

// hoursIsAllDay reports whether spans is the whole day.
func hoursIsAllDay(spans []hoursSpan) bool {
	return len(spans) == 1 && spans[0] == hoursSpan{0, 24 * 60}
}

// hoursGroup is the days of the week that share one set of periods.
type hoursGroup struct {
	days  []time.Weekday // Monday first
	spans []hoursSpan
}

// hoursGroups groups the open days by their periods, in the order of each
// group's first day (Monday first).
func hoursGroups(week *[7][]hoursSpan) []hoursGroup {
	var groups []hoursGroup
	for _, d := range hoursWeek {
		spans := week[d]
		if len(spans) == 0 {
			continue
		}
		i := slices.IndexFunc(groups, func(g hoursGroup) bool { return slices.Equal(g.spans, spans) })
		if i < 0 {
			groups = append(groups, hoursGroup{spans: spans})
			i = len(groups) - 1
		}
		groups[i].days = append(groups[i].days, d)
	}
	return groups
}

// hoursDayList writes days (Monday first) as runs: three or more
// consecutive days as a range (first + to + last), others one by one, all
// joined with sep.
func hoursDayList(days []time.Weekday, names *[7]string, to, sep string) string {
	var parts []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && slices.Index(hoursWeek[:], days[j+1]) == slices.Index(hoursWeek[:], days[j])+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, names[days[i]]+to+names[days[j]])
		} else {
			for _, d := range days[i : j+1] {
				parts = append(parts, names[d])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, sep)
}

// hoursSpanList writes periods joined with sep, or all for the whole day.
func hoursSpanList(spans []hoursSpan, sep, all string) string {
	if hoursIsAllDay(spans) {
		return all
	}
	parts := make([]string, len(spans))
	for i, sp := range spans {
		parts[i] = hoursFormatSpan(sp)
	}
	return strings.Join(parts, sep)
}

// hoursCanonical writes week as the spec ParseHours reads back to it.
func hoursCanonical(week *[7][]hoursSpan) string {
	groups := hoursGroups(week)
	switch {
	case len(groups) == 0:
		return "closed"
	case len(groups) == 1 && len(groups[0].days) == 7:
		if hoursIsAllDay(groups[0].spans) {
			return "24h"
		}
		return "daily " + hoursSpanList(groups[0].spans, ",", "24h")
	}
	clauses := make([]string, len(groups))
	for i, g := range groups {
		clauses[i] = hoursDayList(g.days, &hoursDaySpec, "-", ",") + " " + hoursSpanList(g.spans, ",", "24h")
	}
	return strings.Join(clauses, "; ")
}

// hoursDescribe writes week in Chinese for citizens: "每天 08:00-20:00",
// "周一至周五 08:30-12:00、13:30-18:00；周六、周日 09:00-17:00".
func hoursDescribe(week *[7][]hoursSpan) string {
	groups := hoursGroups(week)
	switch {
	case len(groups) == 0:
		return "暂不提供人工服务"
	case len(groups) == 1 && len(groups[0].days) == 7:
		return "每天 " + hoursSpanList(groups[0].spans, "、", "24 小时")
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = hoursDayList(g.days, &hoursDayChinese, "至", "、") + " " + hoursSpanList(g.spans, "、", "24 小时")
	}
	return strings.Join(parts, "；")
}

// Calendar is the holiday calendar: the dates on which the weekly Hours do
// not apply. A date is closed (法定节假日), has hours of its own (a
// shortened day), or is a weekend day worked as a weekday (调休上班). Load
// it with LoadCalendar; the zero Calendar has no such dates. Calendars are
// immutable and safe to share.
type Calendar struct {
	days map[calDate]calDay
}

// calDate is a date on the wall calendar, in the Schedule's location.
type calDate struct {
	year  int
	month time.Month
	day   int
}

// calKind is what the calendar says about a date.
type calKind int

const (
	calClosed  calKind = iota + 1 // no service all day
	calHours                      // service in the day's own periods
	calWorkday                    // a weekend day worked with weekday hours
)

// calSections maps the calendar file's keys to what they mark.
var calSections = map[string]calKind{"closed": calClosed, "hours": calHours, "workdays": calWorkday}

// calDay is a calendar date's entry, with the line it came from.
type calDay struct {
	kind  calKind
	spans []hoursSpan // for calHours
	key   string      // the key as written, for messages
	line  int
}

var (
	// calDateKey is the only date format of the calendar file.
	calDateKey = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	// calYAMLLine picks "line N: message" out of yaml.v3 syntax errors.
	calYAMLLine = regexp.MustCompile(`line (\d+): (.*)`)
)

// LoadCalendar reads a holiday calendar file (kb-data/handoff/calendar.yaml):
//
//	closed:                         # no human service all day
//	  2026-10-01~2026-10-07: 国庆节
//	hours:                          # the day's own periods (a shortened day)
//	  2026-09-30: "08:00-17:00"
//	workdays:                       # weekend days worked with weekday hours
//	  2026-10-10: 国庆调休上班
//
// Keys are dates (YYYY-MM-DD) or ranges of at most 31 days (first~last,
// inclusive; first..last also works); the values under closed and workdays
// are free notes. A date may be listed once; workdays must be Saturdays or
// Sundays. Every problem is reported as "file:line: message", all of them
// joined in one error. A missing file is an empty calendar: the weekly
// hours apply every day.
func LoadCalendar(path string) (Calendar, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Calendar{}, nil
	}
	if err != nil {
		return Calendar{}, fmt.Errorf("handoff: calendar: %w", err)
	}
	return calParse(path, data)
}

// problemsIn returns a function that adds a "file:line: message" problem
// to problems.
func problemsIn(file string, problems *[]error) func(line int, format string, args ...any) {
	return func(line int, format string, args ...any) {
		*problems = append(*problems, fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...)))
	}
}

// yamlDoc parses a YAML file's contents, with syntax errors as
// "file:line: message".
func yamlDoc(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := calYAMLLine.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s", file, m[1], m[2])
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &doc, nil
}

// calParse checks and decodes a calendar file's contents.
func calParse(file string, data []byte) (Calendar, error) {
	var problems []error
	problem := problemsIn(file, &problems)
	doc, err := yamlDoc(file, data)
	if err != nil {
		return Calendar{}, err
	}
	if len(doc.Content) == 0 {
		return Calendar{}, nil // empty, or only comments
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		if top.Tag == "!!null" {
			return Calendar{}, nil
		}
		problem(top.Line, "want a mapping with closed, hours and workdays")
		return Calendar{}, errors.Join(problems...)
	}

	c := Calendar{days: map[calDate]calDay{}}
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, section := top.Content[i], top.Content[i+1]
		kind, ok := calSections[key.Value]
		if !ok {
			problem(key.Line, "unknown key %q: want closed, hours or workdays", key.Value)
			continue
		}
		if section.Tag == "!!null" {
			continue // "workdays:" with nothing under it
		}
		if section.Kind != yaml.MappingNode {
			problem(section.Line, "%s: want dates as keys, e.g. \"2026-10-01: 国庆节\"", key.Value)
			continue
		}
		for j := 0; j+1 < len(section.Content); j += 2 {
			k, v := section.Content[j], section.Content[j+1]
			dates, err := calParseKey(k)
			if err != nil {
				problem(k.Line, "%s: %v", key.Value, err)
				continue
			}
			d := calDay{kind: kind, key: k.Value, line: k.Line}
			switch {
			case kind == calHours:
				if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
					problem(v.Line, "hours: %s: want the day's periods, e.g. \"09:00-17:00\"", k.Value)
					continue
				}
				spans, err := hoursParseSpans(hoursNoSpace(strings.ToLower(hoursPunct.Replace(v.Value))))
				if err != nil {
					problem(v.Line, "hours: %s: %v", k.Value, err)
					continue
				}
				d.spans = spans
			case v.Kind != yaml.ScalarNode:
				problem(v.Line, "%s: %s: want a short note (e.g. 国庆节) or nothing", key.Value, k.Value)
				continue
			}
			for _, date := range dates {
				t := time.Date(date.year, date.month, date.day, 12, 0, 0, 0, time.UTC)
				if kind == calWorkday && t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
					problem(k.Line, "workdays: %s is a %s: list only weekend days worked as weekdays (调休上班)", t.Format(time.DateOnly), t.Weekday())
					continue
				}
				if prev, dup := c.days[date]; dup {
					problem(k.Line, "%s is already listed at line %d (%s)", t.Format(time.DateOnly), prev.line, prev.key)
					continue
				}
				c.days[date] = d
			}
		}
	}
	if len(problems) > 0 {
		return Calendar{}, errors.Join(problems...)
	}
	return c, nil
}

// calParseKey reads a calendar key: one date, or a range first~last (or
// first..last) of at most hoursMaxRange days.
func calParseKey(k *yaml.Node) ([]calDate, error) {
	if k.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("want a date (YYYY-MM-DD) or a range (YYYY-MM-DD~YYYY-MM-DD) as the key")
	}
	s := strings.ReplaceAll(hoursNoSpace(k.Value), "～", "~")
	first, last, isRange := strings.Cut(s, "~")
	if !isRange {
		first, last, isRange = strings.Cut(s, "..")
	}
	a, err := calParseDate(first)
	if err != nil {
		return nil, err
	}
	if !isRange {
		return []calDate{a}, nil
	}
	b, err := calParseDate(last)
	if err != nil {
		return nil, err
	}
	ta := time.Date(a.year, a.month, a.day, 12, 0, 0, 0, time.UTC)
	tb := time.Date(b.year, b.month, b.day, 12, 0, 0, 0, time.UTC)
	n := int(tb.Sub(ta).Hours()/24) + 1
	switch {
	case n < 1:
		return nil, fmt.Errorf("range %q ends before it starts", k.Value)
	case n > hoursMaxRange:
		return nil, fmt.Errorf("range %q spans %d days, more than %d: check the year and month", k.Value, n, hoursMaxRange)
	}
	dates := make([]calDate, n)
	for i := range dates {
		y, m, d := ta.AddDate(0, 0, i).Date()
		dates[i] = calDate{y, m, d}
	}
	return dates, nil
}

// calParseDate reads YYYY-MM-DD strictly: 2026-1-1 and 2026-02-30 are
// refused.
func calParseDate(s string) (calDate, error) {
	if !calDateKey.MatchString(s) {
		return calDate{}, fmt.Errorf("%q is not a date: want YYYY-MM-DD such as 2026-10-01", s)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return calDate{}, fmt.Errorf("%q is not a date on the calendar", s)
	}
	y, m, d := t.Date()
	return calDate{y, m, d}, nil
}

// Schedule says when human agents take chats: the weekly Hours, with the
// Calendar's exceptions, on the wall clock of one location. It is
// immutable and safe for concurrent use.
type Schedule struct {
	hours Hours
	cal   Calendar
	loc   *time.Location
}

// NewSchedule combines the weekly hours, the holiday calendar and the
// location whose wall clock and dates they are read in. The zero Hours
// means DefaultHours; a nil loc means Asia/Shanghai (China has one time
// zone and no daylight saving time), and where the system has no time zone
// database that is a fixed UTC+8 zone, which gives the same wall clock for
// every date since 1991. Importing time/tzdata in the main package, or
// building with -tags timetzdata, makes other locations load anywhere too.
func NewSchedule(h Hours, cal Calendar, loc *time.Location) *Schedule {
	if h.spec == "" {
		h, _ = ParseHours(DefaultHours) // tested never to fail
	}
	if loc == nil {
		loc = hoursShanghai()
	}
	return &Schedule{hours: h, cal: cal, loc: loc}
}

// hoursShanghai is China Standard Time, from the system's time zone
// database when it has one.
func hoursShanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// spansOn returns the periods of a date: the calendar's when it lists the
// date, else the weekly hours of its weekday.
func (s *Schedule) spansOn(date calDate, wd time.Weekday) []hoursSpan {
	if d, ok := s.cal.days[date]; ok {
		switch d.kind {
		case calClosed:
			return nil
		case calHours:
			return d.spans
		case calWorkday:
			// "Normal weekday hours": those of the first of Monday to
			// Friday that has any. A city whose weekdays differ lists
			// the date under hours instead.
			for _, w := range hoursWeek[:5] {
				if len(s.hours.week[w]) > 0 {
					return s.hours.week[w]
				}
			}
		}
	}
	return s.hours.week[wd]
}

// Open reports whether agents take chats at t: t falls in one of the
// periods of its date (in the schedule's location), start inclusive, end
// exclusive, so with the default hours 08:00:00 is open and 20:00:00 is
// closed.
func (s *Schedule) Open(t time.Time) bool {
	lt := t.In(s.loc)
	y, m, d := lt.Date()
	sec := lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
	for _, sp := range s.spansOn(calDate{y, m, d}, lt.Weekday()) {
		if sp.from*60 <= sec && sec < sp.to*60 {
			return true
		}
	}
	return false
}

// NextOpen returns when agents next take chats, in the schedule's
// location, for telling a citizen "人工服务时间为…，将于…恢复": t itself
// when the service is open at t, else the start of the next period. It
// looks 14 days ahead (the longest holiday is nine) and reports false when
// nothing opens by then, such as with Hours "closed".
func (s *Schedule) NextOpen(t time.Time) (time.Time, bool) {
	lt := t.In(s.loc)
	if s.Open(lt) {
		return lt, true
	}
	limit := lt.Add(14 * 24 * time.Hour)
	y, m, d := lt.Date()
	for i := 0; i <= 14; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, s.loc)
		dy, dm, dd := day.Date()
		for _, sp := range s.spansOn(calDate{dy, dm, dd}, day.Weekday()) {
			start := time.Date(dy, dm, dd, sp.from/60, sp.from%60, 0, 0, s.loc)
			if !start.After(lt) {
				continue
			}
			if start.After(limit) {
				return time.Time{}, false
			}
			return start, true
		}
	}
	return time.Time{}, false
}

// Describe writes the weekly hours in Chinese, for the citizen and the
// agent console: "每天 08:00-20:00", "周一至周五 08:30-12:00、13:30-18:00；
// 周六、周日 09:00-17:00", "每天 24 小时", or "暂不提供人工服务". The
// calendar's exceptions are not part of it; NextOpen accounts for them.
func (s *Schedule) Describe() string { return hoursDescribe(&s.hours.week) }
