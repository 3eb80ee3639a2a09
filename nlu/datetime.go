package nlu

import (
	"strconv"
	"time"
)

// This file reads dates and times, relative to the message's time `now`
// and in now's location.
//
// Dates (value "2006-01-02"):
//
//   - 今天/今日, 明天, 后天, 大后天, 昨天, 前天, 大前天; 今早/今晚/明早/
//     明晚/昨晚/昨夜 are the day too, and lend their part of the day to a
//     time right after them (今晚8点 → date today, time 20:00).
//   - Weekdays (周三, 星期天, 礼拜日) are days of a week that runs Monday to
//     Sunday: 上周三 is Wednesday of last week, 下周一 Monday of next week,
//     这周五/本周五 Friday of this week. A bare weekday (周日) means this
//     week's, like 这周: it may be in the past or the future, as the
//     citizen said it. 每周三 (every Wednesday) and ranges like 周一到周五
//     (opening hours) are not dates.
//   - 3月5日, 3月5号, 三月五号, 2026年3月5日, 二〇二六年三月五日, 去年/今年/
//     明年3月5日, 2026-03-05, 2026/3/5, 2026.3.5. A month and day without a
//     year is always in now's year (2026-11-27: "3月5日" is 2026-03-05,
//     already past), so the value never depends on guessing the tense. The
//     dotted 3.5 is taken only with 号/日 after it (3.5号): alone it is a
//     number.
//   - 上个月15号, 下个月3号, 本月20日; 月底/月初 and 上个月底/下月初 (the
//     last or first day of that month); 3月底.
//   - 元旦, 劳动节, 儿童节, 国庆(节), 圣诞节: the next one, today included
//     (on 2026-11-27, 元旦 is 2027-01-01). Lunar holidays are not read.
//
// Times (value "15:04", 24-hour):
//
//   - A part of the day (凌晨, 早上, 上午, 中午, 下午, 傍晚, 晚上, 夜里,
//     半夜…), an hour in digits or Chinese numerals (三, 两, 十一, 23) with
//     点/时 and optionally 钟, then 半, 一刻, 三刻, 整, or minutes (二十,
//     零五, 30分): 下午三点 15:00, 晚上8点半 20:30, 早上七点一刻 07:15,
//     凌晨两点 02:00, 中午12点 12:00, 晚上12点 00:00.
//   - 15:30 (also 15：30 and with seconds).
//   - Without a part of the day, an hour from 1 to 6 is read as afternoon
//     (三点钟 → 15:00): citizens rarely mean 3 a.m. without saying 凌晨 or
//     半夜, and offices are open in the afternoon. 7 to 12 and 0, 13–23 are
//     as written.
//   - "一点" alone and Chinese-numeral hours after 有/快/早/晚… or before
//     建议/意见/问题… are not times (快一点, 有两点建议).
//
// A date and a time written together (明天下午三点) give two entities:
// a date (2026-11-28) and a time (15:00), always, never one combined value.

// dayWords are the relative day words, longest first where one contains
// another; period is the part of the day they imply for a time after them.
var dayWords = []struct {
	word   string
	delta  int
	period string
}{
	{"大前天", -3, ""}, {"大后天", 3, ""},
	{"前天", -2, ""}, {"昨天", -1, ""}, {"昨日", -1, ""}, {"昨晚", -1, "晚上"}, {"昨夜", -1, "夜里"},
	{"今天", 0, ""}, {"今日", 0, ""}, {"今早", 0, "早上"}, {"今晨", 0, "早上"}, {"今晚", 0, "晚上"}, {"今夜", 0, "夜里"},
	{"明天", 1, ""}, {"明日", 1, ""}, {"明早", 1, "早上"}, {"明晚", 1, "晚上"},
	{"后天", 2, ""},
}

// periods are the parts of the day that can precede an hour, longest first.
var periods = []string{"凌晨", "清晨", "早上", "早晨", "上午", "中午", "下午", "傍晚", "晚上", "夜里", "夜间", "半夜", "深夜", "午夜", "早", "晚"}

// holidays are fixed-date holidays: month and day.
var holidays = []struct {
	word       string
	month, day int
}{
	{"元旦", 1, 1}, {"劳动节", 5, 1}, {"儿童节", 6, 1}, {"国庆节", 10, 1}, {"国庆", 10, 1}, {"圣诞节", 12, 25},
}

// dateTimeStarts holds every rune a date or time can start with, besides
// ASCII digits: a cheap test that skips most characters of a message.
var dateTimeStarts = func() runeSet {
	set := newRuneSet("零〇一二两三四五六七八九十今去明前后上下这本每周星礼拜月当元劳儿国圣")
	for _, w := range dayWords {
		set[[]rune(w.word)[0]] = struct{}{}
	}
	for _, p := range periods {
		set[[]rune(p)[0]] = struct{}{}
	}
	return set
}()

var (
	dayWordStarts   = newRuneSet("大前昨今明后")
	otherDateStarts = newRuneSet("上下这本周星礼当月元劳儿国圣")
	periodStarts    = firstRunes(periods)
)

// appendDateTimes appends the date and time entities of the normalised
// runes r.
func appendDateTimes(out []Entity, r []rune, now time.Time) []Entity {
	loc := now.Location()
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	period := ""
	periodEnd := -1
	for i := 0; i < len(r); {
		if !dateTimeStarts.has(r[i]) && !isDigit(r[i]) && i != periodEnd {
			i++
			continue
		}
		if t, end, p, ok := dateAt(r, i, today); ok {
			out = append(out, Entity{Type: EntityDate, Value: t.Format(time.DateOnly), Start: i, End: end})
			period, periodEnd = p, end
			i = end
			continue
		}
		inherited := ""
		if i == periodEnd {
			inherited = period
		}
		if v, end, ok := timeAt(r, i, inherited); ok {
			out = append(out, Entity{Type: EntityTime, Value: v, Start: i, End: end})
			i = end
			continue
		}
		i++
	}
	return out
}

// dateAt reads a date starting at r[i].
func dateAt(r []rune, i int, today time.Time) (time.Time, int, string, bool) {
	if i > 0 && (isDigit(r[i-1]) || r[i-1] == '每') {
		return time.Time{}, 0, "", false
	}
	c := r[i]
	switch {
	case isDigit(c) || isCNDigit(c) || c == '十':
		if i > 0 && (isCNDigit(r[i-1]) || r[i-1] == '十' || r[i-1] == '.' || r[i-1] == '-' || r[i-1] == '/') {
			return time.Time{}, 0, "", false
		}
		if t, end, ok := absoluteDate(r, i, today); ok {
			return t, end, "", true
		}
	case c == '今' || c == '去' || c == '明' || c == '前' || c == '后':
		// 今年/去年/明年/前年/后年 + month and day.
		if i+1 < len(r) && r[i+1] == '年' {
			off := 0
			switch c {
			case '去':
				off = -1
			case '明':
				off = 1
			case '前':
				off = -2
			case '后':
				off = 2
			}
			if t, end, ok := monthDay(r, i+2, today.Year()+off, today.Location()); ok {
				return t, end, "", true
			}
		}
	}
	if dayWordStarts.has(c) {
		for _, w := range dayWords {
			if !hasPrefixAt(r, i, w.word) {
				continue
			}
			if w.word == "后天" && i > 0 && containsRune("以之最然落先", r[i-1]) {
				break // 以后天气…, 先天后天
			}
			return today.AddDate(0, 0, w.delta), i + len([]rune(w.word)), w.period, true
		}
	}
	if !otherDateStarts.has(c) {
		return time.Time{}, 0, "", false
	}
	if t, end, ok := weekdayAt(r, i, today); ok {
		return t, end, "", true
	}
	if t, end, ok := monthRelative(r, i, today); ok {
		return t, end, "", true
	}
	for _, h := range holidays {
		if hasPrefixAt(r, i, h.word) {
			t := time.Date(today.Year(), time.Month(h.month), h.day, 0, 0, 0, 0, today.Location())
			if t.Before(today) {
				t = t.AddDate(1, 0, 0)
			}
			return t, i + len([]rune(h.word)), "", true
		}
	}
	return time.Time{}, 0, "", false
}

// absoluteDate reads 2026年3月5日, 二〇二六年三月五日, 2026-03-05, 2026/3/5,
// 2026.3.5, 3月5日, 3.5号, 3月底.
func absoluteDate(r []rune, i int, today time.Time) (time.Time, int, bool) {
	loc := today.Location()
	// Year first.
	if y, end, ok := yearAt(r, i); ok {
		if end < len(r) && r[end] == '年' {
			return monthDay(r, end+1, y, loc)
		}
		if end+1 < len(r) && (r[end] == '-' || r[end] == '/' || r[end] == '.') && isDigit(r[end+1]) {
			sep := r[end]
			mo, e2 := digitsAt(r, end+1, 2)
			if e2 < len(r) && r[e2] == sep && e2+1 < len(r) && isDigit(r[e2+1]) {
				day, e3 := digitsAt(r, e2+1, 2)
				if e3 < len(r) && (isDigit(r[e3]) || (e3+1 < len(r) && (r[e3] == sep || r[e3] == '.') && isDigit(r[e3+1]))) {
					return time.Time{}, 0, false
				}
				if e3 < len(r) && (r[e3] == '日' || r[e3] == '号') {
					e3++
				}
				if t, ok := makeDate(y, mo, day, loc); ok {
					return t, e3, true
				}
			}
		}
		return time.Time{}, 0, false
	}
	// 3.5号 / 11.27日.
	if isDigit(r[i]) {
		mo, e1 := digitsAt(r, i, 2)
		if e1+1 < len(r) && r[e1] == '.' && isDigit(r[e1+1]) {
			day, e2 := digitsAt(r, e1+1, 2)
			if e2 < len(r) && (r[e2] == '号' || r[e2] == '日') {
				if t, ok := makeDate(today.Year(), mo, day, loc); ok {
					return t, e2 + 1, true
				}
			}
			return time.Time{}, 0, false
		}
	}
	return monthDay(r, i, today.Year(), loc)
}

// monthDay reads "3月5日", "三月五号", "3月底", "3月初" at r[i] in year y.
func monthDay(r []rune, i, y int, loc *time.Location) (time.Time, int, bool) {
	mo, e1, ok := numberAt(r, i)
	if !ok || e1 >= len(r) || r[e1] != '月' || mo < 1 || mo > 12 {
		return time.Time{}, 0, false
	}
	e1++
	if e1 < len(r) {
		switch r[e1] {
		case '底', '末':
			return time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, loc), e1 + 1, true
		case '初':
			return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, loc), e1 + 1, true
		}
	}
	day, e2, ok := numberAt(r, e1)
	if !ok || e2 >= len(r) || (r[e2] != '日' && r[e2] != '号') {
		return time.Time{}, 0, false
	}
	t, ok := makeDate(y, mo, day, loc)
	if !ok {
		return time.Time{}, 0, false
	}
	return t, e2 + 1, true
}

// monthRelative reads 上个月15号, 下月3日, 本月底, 月底, 月初.
func monthRelative(r []rune, i int, today time.Time) (time.Time, int, bool) {
	off, n := 0, 0
	for _, p := range []struct {
		w   string
		off int
	}{{"上个月", -1}, {"上月", -1}, {"下个月", 1}, {"下月", 1}, {"这个月", 0}, {"这月", 0}, {"本月", 0}, {"当月", 0}, {"月", 0}} {
		if hasPrefixAt(r, i, p.w) {
			off, n = p.off, len([]rune(p.w))
			break
		}
	}
	if n == 0 {
		return time.Time{}, 0, false
	}
	if n == 1 && i > 0 && (isDigit(r[i-1]) || isCNDigit(r[i-1]) || r[i-1] == '十' || r[i-1] == '个' || r[i-1] == '每' || r[i-1] == '年') {
		return time.Time{}, 0, false
	}
	y, m, _ := today.Date()
	first := time.Date(y, m+time.Month(off), 1, 0, 0, 0, 0, today.Location())
	j := i + n
	if j < len(r) {
		switch r[j] {
		case '底', '末':
			return first.AddDate(0, 1, -1), j + 1, true
		case '初':
			return first, j + 1, true
		}
	}
	if n == 1 {
		return time.Time{}, 0, false // 月 alone is no date: "月15号" is odd
	}
	day, e, ok := numberAt(r, j)
	if !ok || e >= len(r) || (r[e] != '号' && r[e] != '日') {
		return time.Time{}, 0, false
	}
	t, ok := makeDate(first.Year(), int(first.Month()), day, today.Location())
	if !ok {
		return time.Time{}, 0, false
	}
	return t, e + 1, true
}

// weekdayAt reads (上上|上个|上|这个|这|本|下个|下下|下)?(周|星期|礼拜)X.
func weekdayAt(r []rune, i int, today time.Time) (time.Time, int, bool) {
	week, j := 0, i
	for _, p := range []struct {
		w    string
		week int
	}{{"上上个", -2}, {"上上", -2}, {"下下个", 2}, {"下下", 2}, {"上个", -1}, {"下个", 1}, {"这个", 0}, {"上", -1}, {"下", 1}, {"这", 0}, {"本", 0}} {
		if hasPrefixAt(r, i, p.w) {
			week, j = p.week, i+len([]rune(p.w))
			break
		}
	}
	k := -1
	for _, w := range []string{"星期", "礼拜", "周"} {
		if hasPrefixAt(r, j, w) {
			k = j + len([]rune(w))
			break
		}
	}
	if k < 0 || k >= len(r) {
		return time.Time{}, 0, false
	}
	day := -1
	switch r[k] {
	case '一', '1':
		day = 0
	case '二', '2':
		day = 1
	case '三', '3':
		day = 2
	case '四', '4':
		day = 3
	case '五', '5':
		day = 4
	case '六', '6':
		day = 5
	case '日', '天', '七', '7':
		day = 6
	}
	if day < 0 || (k+1 < len(r) && isDigit(r[k+1])) {
		return time.Time{}, 0, false
	}
	// 一周 (a week), 周一到周五 (a range, usually opening hours).
	if j == i && i > 0 && (isCNDigit(r[i-1]) || r[i-1] == '每' || r[i-1] == '个' || r[i-1] == '几') {
		return time.Time{}, 0, false
	}
	if isWeekdayRange(r, i, k+1) {
		return time.Time{}, 0, false
	}
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*week+day), k + 1, true
}

// isWeekdayRange reports whether the weekday at r[start:end] is one end of
// a range: 周一到周五, 周一至周五, 周一~周五, 周一-周五.
func isWeekdayRange(r []rune, start, end int) bool {
	isWeekStart := func(j int) bool {
		return hasPrefixAt(r, j, "周") || hasPrefixAt(r, j, "星期") || hasPrefixAt(r, j, "礼拜")
	}
	if end < len(r) && containsRune("到至~-", r[end]) && isWeekStart(end+1) {
		return true
	}
	if start > 1 && containsRune("到至~-", r[start-1]) && containsRune("一二三四五六日天七1234567", r[start-2]) {
		p := start - 2
		if p > 0 && r[p-1] == '周' {
			return true
		}
		for _, w := range []string{"星期", "礼拜"} {
			if _, ok := hasSuffixAt(r, p, w); ok {
				return true
			}
		}
	}
	return false
}

// timeAt reads a clock time at r[i]; inherited is the part of the day of a
// date word right before (今晚).
func timeAt(r []rune, i int, inherited string) (string, int, bool) {
	period := inherited
	j := i
	if periodStarts.has(r[i]) {
		if p, n, ok := prefixAny(r, i, periods); ok {
			period, j = p, i+n
		}
	}
	if j >= len(r) || !(isDigit(r[j]) || isCNDigit(r[j]) || r[j] == '十') {
		return "", 0, false
	}
	if j == i && i > 0 && (isDigit(r[i-1]) || isCNDigit(r[i-1]) || r[i-1] == '十' || r[i-1] == '.' || r[i-1] == ':') {
		return "", 0, false
	}
	// 15:30 (and 15:30:00).
	if isDigit(r[j]) {
		h, e := digitsAt(r, j, 2)
		if e+2 < len(r) && r[e] == ':' && isDigit(r[e+1]) && isDigit(r[e+2]) && (e+3 >= len(r) || !isDigit(r[e+3])) {
			mi := int(r[e+1]-'0')*10 + int(r[e+2]-'0')
			end := e + 3
			if end+2 < len(r) && r[end] == ':' && isDigit(r[end+1]) && isDigit(r[end+2]) {
				end += 3
			}
			if end < len(r) && (isDigit(r[end]) || r[end] == ':') {
				return "", 0, false
			}
			if e-j >= 1 && h <= 23 && mi <= 59 {
				return clockValue(adjustHour(h, period, false), mi), end, true
			}
			return "", 0, false
		}
	}
	h, e, ok := numberAt(r, j)
	if !ok || e >= len(r) || h > 24 {
		return "", 0, false
	}
	cn := !isDigit(r[j])
	switch {
	case r[e] == '点' || r[e] == '點':
	case r[e] == '时' && !cn:
	default:
		return "", 0, false
	}
	e++
	if e < len(r) && r[e] == '钟' {
		e++
	}
	mi, end, minuteGiven := minutesAt(r, e)
	marked := period != "" || minuteGiven || (e > 0 && r[e-1] == '钟')
	if cn && !marked {
		// Chinese-numeral hours need some sign that a clock is meant.
		if h == 1 || (i > 0 && containsRune("有快慢好多少大小早晚高低一这那几第提两三", r[i-1])) {
			return "", 0, false
		}
		for _, w := range []string{"建议", "意见", "要求", "问题", "原因", "内容", "看法", "想法", "理由", "事", "东西", "都", "也", "儿", "吧"} {
			if hasPrefixAt(r, end, w) {
				return "", 0, false
			}
		}
	}
	if (period == "早" || period == "晚") && j > i && h == 1 && cn {
		return "", 0, false // 早一点, 晚一点
	}
	if h == 24 {
		h = 0
	}
	if mi > 59 {
		return "", 0, false
	}
	return clockValue(adjustHour(h, period, true), mi), end, true
}

// minutesAt reads what follows 点: 半, 一刻, 三刻, 整, 30分, 二十, 零五.
func minutesAt(r []rune, i int) (int, int, bool) {
	if i >= len(r) {
		return 0, i, false
	}
	switch {
	case r[i] == '半':
		return 30, i + 1, true
	case r[i] == '整':
		return 0, i + 1, true
	case hasPrefixAt(r, i, "一刻"):
		return 15, i + 2, true
	case hasPrefixAt(r, i, "三刻"):
		return 45, i + 2, true
	}
	j := i
	zero := false
	if r[j] == '零' || r[j] == '〇' {
		zero = true
		j++
	}
	m, e, ok := numberAt(r, j)
	if !ok {
		return 0, i, false
	}
	if e < len(r) && r[e] == '分' {
		return m, e + 1, true
	}
	cn := !isDigit(r[j])
	// "三点二十", "8点05": minutes without 分 if they can only be minutes.
	if (zero && m < 10) || (cn && m >= 10) || (!cn && e-j == 2) {
		if e < len(r) && (r[e] == '点' || r[e] == '号' || r[e] == '个' || r[e] == '月' || r[e] == '日' || isDigit(r[e])) {
			return 0, i, false
		}
		return m, e, true
	}
	return 0, i, false
}

// adjustHour turns an hour as said with a part of the day into 0–23.
// bare applies the afternoon rule for 1–6 without a part of the day.
func adjustHour(h int, period string, bare bool) int {
	switch period {
	case "凌晨", "半夜", "午夜", "深夜":
		if h == 12 {
			return 0
		}
		if period == "深夜" && h >= 9 && h <= 11 {
			return h + 12
		}
		return h
	case "早上", "早晨", "清晨", "上午", "早":
		return h
	case "中午":
		if h >= 1 && h <= 3 {
			return h + 12
		}
		return h
	case "下午", "傍晚":
		if h < 12 {
			return h + 12
		}
		return h
	case "晚上", "夜里", "夜间", "晚":
		if h == 12 {
			return 0
		}
		if h >= 6 && h < 12 {
			return h + 12
		}
		return h
	}
	if bare && h >= 1 && h <= 6 {
		return h + 12
	}
	return h
}

func clockValue(h, m int) string {
	b := make([]byte, 0, 5)
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(h), 10)
	b = append(b, ':')
	if m < 10 {
		b = append(b, '0')
	}
	return string(strconv.AppendInt(b, int64(m), 10))
}

// makeDate builds y-m-d in loc if that is a real calendar date.
func makeDate(y, m, d int, loc *time.Location) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// yearAt reads a four-digit year (1900–2099), in digits or Chinese digits
// (二〇二六), that is not part of a longer number.
func yearAt(r []rune, i int) (int, int, bool) {
	if i+4 > len(r) {
		return 0, 0, false
	}
	y := 0
	for k := i; k < i+4; k++ {
		var d int
		switch {
		case isDigit(r[k]):
			d = int(r[k] - '0')
		case isCNDigit(r[k]) && r[k] != '两':
			d = cnDigit(r[k])
		default:
			return 0, 0, false
		}
		y = y*10 + d
	}
	if i+4 < len(r) && (isDigit(r[i+4]) || isCNDigit(r[i+4]) || r[i+4] == '十') {
		return 0, 0, false
	}
	if y < 1900 || y > 2099 {
		return 0, 0, false
	}
	return y, i + 4, true
}

// digitsAt reads up to max ASCII digits at r[i] (the caller checked that
// there is one).
func digitsAt(r []rune, i, max int) (int, int) {
	n, j := 0, i
	for j < len(r) && j-i < max && isDigit(r[j]) {
		n = n*10 + int(r[j]-'0')
		j++
	}
	return n, j
}

func isCNDigit(r rune) bool {
	return cnDigit(r) >= 0
}

func cnDigit(r rune) int {
	switch r {
	case '零', '〇':
		return 0
	case '一':
		return 1
	case '二', '两':
		return 2
	case '三':
		return 3
	case '四':
		return 4
	case '五':
		return 5
	case '六':
		return 6
	case '七':
		return 7
	case '八':
		return 8
	case '九':
		return 9
	}
	return -1
}

// numberAt reads a small number at r[i]: one or two ASCII digits (a longer
// digit run is no day, month, hour or minute), or Chinese numerals up to
// 99 in the spoken forms 三, 十, 十一, 二十, 二十三 (两 only as a single digit).
func numberAt(r []rune, i int) (int, int, bool) {
	if i >= len(r) {
		return 0, i, false
	}
	if isDigit(r[i]) {
		n, e := digitsAt(r, i, 3)
		if e-i > 2 {
			return 0, i, false
		}
		return n, e, true
	}
	j := i
	tens, units := -1, -1
	if d := cnDigit(r[j]); d >= 1 {
		units = d
		j++
	}
	if j < len(r) && r[j] == '十' {
		if units == -1 {
			tens = 1
		} else {
			if r[i] == '两' {
				return 0, i, false
			}
			tens = units
		}
		units = 0
		j++
		if j < len(r) {
			if d := cnDigit(r[j]); d >= 1 && r[j] != '两' {
				units = d
				j++
			}
		}
	}
	if j == i {
		return 0, i, false
	}
	if tens < 0 {
		tens = 0
	}
	return tens*10 + units, j, true
}
