package nlu

import (
	"time"
)

// This file reads the entities written in digits: phone numbers, resident
// ID numbers and work order numbers.
//
// The text is cut into digit runs (maximal sequences of digits) and runs
// joined by one '-' or one space form a chain ("138 1234 5678",
// "0571-8888-6666", "20261127-000123"); "(0571)" joins the next run too.
// Every entity is made of whole runs of a chain, so a phone number is never
// read out of the middle of a longer number (an ID number, a bank card, an
// order number), and an 18-digit ID number, valid or not, is consumed
// whole.

// Phones returns the phone numbers written in text, in order, normalised as
// the phone entities of [Extractor.Extract] are: mobiles as 11 digits
// ("13812345678"), landlines as "0571-88886666".
func Phones(text string) []string {
	var out []string
	for _, e := range appendNumbers(nil, normaliseRunes([]rune(text)), time.Time{}) {
		if e.Type == EntityPhone {
			out = append(out, e.Value)
		}
	}
	return out
}

// digitRun is a maximal run of ASCII digits, r[start:end], and sep the rune
// that joins it to the previous run of its chain (0 for the first run).
type digitRun struct {
	start, end int
	sep        rune
}

func (d digitRun) len() int { return d.end - d.start }

// ticketContext, landlineContext: words that must come just before a
// work order number without its dash, or a landline without area code.
var (
	ticketContext   = []string{"工单", "单号", "编号", "受理号", "工单号"}
	landlineContext = []string{"电话", "座机", "联系方式", "固话", "联系方法"}
)

// appendNumbers appends the phone, id_card and ticket_no entities of the
// normalised runes r. now bounds an ID number's date of birth (zero: no
// bound).
func appendNumbers(out []Entity, r []rune, now time.Time) []Entity {
	var runs []digitRun
	for i := 0; i < len(r); {
		if !isDigit(r[i]) {
			i++
			continue
		}
		runs = chainAt(r, i, runs[:0])
		for k := 0; k < len(runs); {
			e, used := matchNumber(r, runs, k, now)
			if used == 0 {
				k++
				continue
			}
			if e.Type != "" {
				out = append(out, e)
			}
			k += used
		}
		i = runs[len(runs)-1].end
	}
	return out
}

// chainAt collects the chain of digit runs that starts at i.
func chainAt(r []rune, i int, runs []digitRun) []digitRun {
	var sep rune
	for {
		j := i
		for j < len(r) && isDigit(r[j]) {
			j++
		}
		runs = append(runs, digitRun{start: i, end: j, sep: sep})
		if j+1 >= len(r) {
			return runs
		}
		switch {
		case (r[j] == '-' || r[j] == ' ') && isDigit(r[j+1]):
			sep, i = r[j], j+1
		case r[j] == ')' && i > 0 && r[i-1] == '(':
			k := j + 1
			if k < len(r) && r[k] == ' ' {
				k++
			}
			if k >= len(r) || !isDigit(r[k]) {
				return runs
			}
			sep, i = ')', k
		default:
			return runs
		}
	}
}

// matchNumber tries the number shapes at runs[k] and returns the entity
// and how many runs it used (0: nothing starts here). An entity with an
// empty Type consumes its runs without being reported (an ID number with
// a bad checksum).
func matchNumber(r []rune, runs []digitRun, k int, now time.Time) (Entity, int) {
	run := runs[k]
	digits := func(from, to int) string { return string(r[runs[from].start:runs[to].end]) }

	// Work order number: 20261127-000123, or 20261127000123 after 工单/单号.
	if run.len() == 8 && validDate8(r[run.start:run.end]) && k+1 < len(runs) && runs[k+1].sep == '-' && runs[k+1].len() == 6 {
		return Entity{Type: EntityTicketNo, Value: digits(k, k+1), Start: run.start, End: runs[k+1].end}, 2
	}
	if run.len() == 14 && validDate8(r[run.start:run.start+8]) && precededBy(r, run.start, ticketContext) {
		v := string(r[run.start:run.start+8]) + "-" + string(r[run.start+8:run.end])
		return Entity{Type: EntityTicketNo, Value: v, Start: run.start, End: run.end}, 1
	}

	// Resident ID number: 17 digits and a digit or X.
	if run.len() == 18 || (run.len() == 17 && run.end < len(r) && (r[run.end] == 'X' || r[run.end] == 'x')) {
		end := run.start + 18
		if end < len(r) && isASCIIAlnum(r[end]) {
			return Entity{}, 1
		}
		id := make([]rune, 18)
		copy(id, r[run.start:end])
		id[17] = upperASCII(id[17])
		if validIDCard(id, now) {
			return Entity{Type: EntityIDCard, Value: string(id), Start: run.start, End: end}, 1
		}
		return Entity{}, 1
	}

	// Mobile: 11 digits 1[3-9]…, whole or grouped 3-4-4, 3-8, 7-4, with an
	// optional +86 / 0086 in front.
	if e, used := matchMobile(r, runs, k); used > 0 {
		return e, used
	}

	// Landline with area code.
	if e, used := matchLandline(r, runs, k); used > 0 {
		return e, used
	}

	// Local landline without area code, only right after 电话/座机/联系方式.
	if run.sep == 0 || run.sep == ' ' {
		if n, used := localNumber(r, runs, k); used > 0 && precededBy(r, run.start, landlineContext) {
			return Entity{Type: EntityPhone, Value: n, Start: run.start, End: runs[k+used-1].end}, used
		}
	}
	return Entity{}, 0
}

// mobileGroups are the ways a mobile number is commonly grouped.
var mobileGroups = [][]int{{11}, {3, 4, 4}, {3, 8}, {7, 4}}

func matchMobile(r []rune, runs []digitRun, k int) (Entity, int) {
	run := runs[k]
	// One run with the country code glued on: +8613812345678, 008613812345678.
	switch {
	case run.len() == 13 && hasPrefixAt(r, run.start, "86") && run.start > 0 && r[run.start-1] == '+':
		if isMobile(r[run.start+2 : run.end]) {
			return Entity{Type: EntityPhone, Value: string(r[run.start+2 : run.end]), Start: run.start - 1, End: run.end}, 1
		}
	case run.len() == 15 && hasPrefixAt(r, run.start, "0086"):
		if isMobile(r[run.start+4 : run.end]) {
			return Entity{Type: EntityPhone, Value: string(r[run.start+4 : run.end]), Start: run.start, End: run.end}, 1
		}
	}
	for _, g := range mobileGroups {
		if k+len(g) > len(runs) {
			continue
		}
		ok := true
		buf := make([]rune, 0, 11)
		for j, size := range g {
			rr := runs[k+j]
			if rr.len() != size || (j > 0 && (rr.sep != runs[k+1].sep || rr.sep == ')')) {
				ok = false
				break
			}
			buf = append(buf, r[rr.start:rr.end]...)
		}
		if !ok || !isMobile(buf) {
			continue
		}
		return Entity{Type: EntityPhone, Value: string(buf), Start: countryCodeStart(r, runs, k), End: runs[k+len(g)-1].end}, len(g)
	}
	return Entity{}, 0
}

// countryCodeStart extends a mobile starting at runs[k] back over a
// country code written before it: "+86 138…", "0086-138…", "(+86)138…".
func countryCodeStart(r []rune, runs []digitRun, k int) int {
	start := runs[k].start
	if k > 0 {
		prev := runs[k-1]
		switch {
		case prev.len() == 2 && hasPrefixAt(r, prev.start, "86") && prev.start > 0 && r[prev.start-1] == '+':
			return prev.start - 1
		case prev.len() == 4 && hasPrefixAt(r, prev.start, "0086"):
			return prev.start
		}
		return start
	}
	// "(+86)138…" and "+86)…" are not chained: look back by hand.
	j := start
	if j > 0 && (r[j-1] == ')' || r[j-1] == ' ') {
		j--
	}
	if p, ok := hasSuffixAt(r, j, "+86"); ok {
		if p > 0 && r[p-1] == '(' && r[j] == ')' {
			p--
		}
		return p
	}
	return start
}

// isMobile reports whether d is a mainland mobile number: 11 digits, 1,
// then 3–9.
func isMobile(d []rune) bool {
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return false
	}
	for _, c := range d {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// areaCodeLen returns the length of the area code that d starts with: 3
// for 010 and 020–029, 4 for the other 0xxx codes, 0 if d cannot start
// one.
func areaCodeLen(d []rune) int {
	if len(d) < 3 || d[0] != '0' || d[1] == '0' {
		return 0
	}
	if d[1] == '1' || d[1] == '2' {
		return 3
	}
	return 4
}

// localGroups are the ways a local number is commonly grouped.
var localGroups = [][]int{{8}, {7}, {4, 4}, {3, 4}}

// localNumber reads a local landline number (7 or 8 digits, first digit
// 2–9) from runes[k…], grouped as in localGroups.
func localNumber(r []rune, runs []digitRun, k int) (string, int) {
	for _, g := range localGroups {
		if k+len(g) > len(runs) {
			continue
		}
		ok := true
		buf := make([]rune, 0, 8)
		for j, size := range g {
			rr := runs[k+j]
			if rr.len() != size || (j > 0 && rr.sep != ' ' && rr.sep != '-') {
				ok = false
				break
			}
			buf = append(buf, r[rr.start:rr.end]...)
		}
		if ok && buf[0] >= '2' && buf[0] <= '9' {
			return string(buf), len(g)
		}
	}
	return "", 0
}

func matchLandline(r []rune, runs []digitRun, k int) (Entity, int) {
	run := runs[k]
	d := r[run.start:run.end]
	// Area code as its own run: 010-12345678, 0571 8888 6666, (0571)88886666.
	if n := areaCodeLen(d); n > 0 && n == len(d) && k+1 < len(runs) {
		next := runs[k+1]
		paren := next.sep == ')'
		if !paren || (run.start > 0 && r[run.start-1] == '(') {
			if local, used := localNumber(r, runs, k+1); used > 0 {
				start := run.start
				if paren {
					start--
				}
				return Entity{Type: EntityPhone, Value: string(d) + "-" + local, Start: start, End: runs[k+used].end}, 1 + used
			}
		}
	}
	// Written without a separator: 01012345678, 057188886666.
	if n := areaCodeLen(d); n > 0 && (len(d) == n+7 || len(d) == n+8) && d[n] >= '2' && d[n] <= '9' {
		if n == 3 && len(d) != 11 {
			return Entity{}, 0 // 010/02x numbers have 8 local digits
		}
		return Entity{Type: EntityPhone, Value: string(d[:n]) + "-" + string(d[n:]), Start: run.start, End: run.end}, 1
	}
	return Entity{}, 0
}

// validDate8 reports whether d (8 digits) is a calendar date YYYYMMDD in
// 2000–2099, the range of work order numbers.
func validDate8(d []rune) bool {
	if len(d) != 8 || d[0] != '2' || d[1] != '0' {
		return false
	}
	_, ok := ymd(d)
	return ok
}

// ymd reads YYYYMMDD digits as a date.
func ymd(d []rune) (time.Time, bool) {
	n := 0
	for _, c := range d[:8] {
		if !isDigit(c) {
			return time.Time{}, false
		}
		n = n*10 + int(c-'0')
	}
	y, m, day := n/10000, n/100%100, n%100
	if m < 1 || m > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// idWeights are the ISO 7064 MOD 11-2 weights of the first 17 characters
// of a resident ID number (GB 11643-1999); idCheck maps the weighted sum
// mod 11 to the check character.
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheck   = [11]rune{'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'}
)

// validIDCard checks an 18-character resident ID number (check character
// already uppercase): region code starting 1–8, a real date of birth from
// 1900 on and not after now (unless now is zero), and the checksum.
func validIDCard(id []rune, now time.Time) bool {
	if len(id) != 18 || id[0] < '1' || id[0] > '8' {
		return false
	}
	sum := 0
	for i, w := range idWeights {
		if !isDigit(id[i]) {
			return false
		}
		sum += int(id[i]-'0') * w
	}
	if idCheck[sum%11] != id[17] {
		return false
	}
	birth, ok := ymd(id[6:14])
	if !ok || birth.Year() < 1900 {
		return false
	}
	if !now.IsZero() {
		y, m, d := now.Date()
		if birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
			return false
		}
	}
	return true
}
