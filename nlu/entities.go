package nlu

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Entity is a piece of information found in a message. Start and End are
// rune offsets into the text (End exclusive), so that
// []rune(text)[Start:End] is the span as the citizen wrote it.
//
// Value is normalised per Type:
//
//   - phone: a mobile as its 11 digits ("13812345678", without +86); a
//     landline as area code, dash, local number ("0571-88886666"); a local
//     number without area code (only taken after 电话/座机/联系方式) as its
//     digits ("88886666").
//   - id_card: the 18 characters, X uppercase.
//   - ticket_no: the work order number in its dash form ("20261127-000123").
//   - plate: province, letter and the rest, uppercase, no separator
//     ("京A12345", "粤BD12345", "京A1234警").
//   - date: an ISO date ("2026-11-28").
//   - time: a 24-hour clock time ("15:00"). A date and a time written
//     together (明天下午三点) are two entities, a date and a time, never one
//     combined value.
//   - address: the span itself, as written.
type Entity struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// The entity types Extract finds.
const (
	EntityPhone    = "phone"
	EntityIDCard   = "id_card"
	EntityTicketNo = "ticket_no"
	EntityPlate    = "plate"
	EntityDate     = "date"
	EntityTime     = "time"
	EntityAddress  = "address"
)

// Extractor finds entities in citizen messages. It is built once from the
// city's gazetteer, holds no mutable state, and is safe for concurrent use.
//
// Everything is rule-based over the runes of the message: no segmenter, no
// model, a few microseconds for a short message. Full-width digits, letters
// and punctuation (１３８, ：, （）) are read as their ASCII forms; offsets
// and address values still refer to the original text.
type Extractor struct {
	gaz *gazetteer
}

// NewExtractor builds an Extractor that knows the given districts (their
// names, aliases and streets). With no districts it still finds addresses
// by their generic shape (…路18号, …小区3栋).
func NewExtractor(districts []District) *Extractor {
	return &Extractor{gaz: newGazetteer(districts)}
}

// Extract returns the entities in text, sorted by Start. now anchors
// relative dates (今天, 下周一, 月底) and is read in its own location; see
// datetime.go for the rules.
//
// When two candidates overlap, the longer wins; at equal length the more
// specific type wins (id_card, ticket_no, phone, plate, date, time,
// address). The scanners also keep an 18-digit ID number (valid or not) from
// ever reading as a phone, and a work order number from reading as a date.
func (x *Extractor) Extract(text string, now time.Time) []Entity {
	if text == "" {
		return nil
	}
	raw := []rune(text)
	norm := normaliseRunes(raw)
	var c []Entity
	c = appendNumbers(c, norm, now)
	c = appendPlates(c, norm)
	c = appendDateTimes(c, norm, now)
	c = x.gaz.appendAddresses(c, raw, norm)
	return resolveOverlaps(c, len(raw))
}

// typeRank orders types from most to least specific for overlap ties.
func typeRank(t string) int {
	switch t {
	case EntityIDCard:
		return 0
	case EntityTicketNo:
		return 1
	case EntityPhone:
		return 2
	case EntityPlate:
		return 3
	case EntityDate:
		return 4
	case EntityTime:
		return 5
	default:
		return 6
	}
}

// resolveOverlaps keeps a set of non-overlapping candidates, longest first,
// and returns them sorted by Start.
func resolveOverlaps(c []Entity, n int) []Entity {
	if len(c) <= 1 {
		return c
	}
	slices.SortStableFunc(c, func(a, b Entity) int {
		if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
			return lb - la
		}
		if ra, rb := typeRank(a.Type), typeRank(b.Type); ra != rb {
			return ra - rb
		}
		return a.Start - b.Start
	})
	taken := make([]bool, n)
	out := c[:0]
	for _, e := range c {
		free := true
		for i := e.Start; i < e.End; i++ {
			if taken[i] {
				free = false
				break
			}
		}
		if !free {
			continue
		}
		for i := e.Start; i < e.End; i++ {
			taken[i] = true
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entity) int { return a.Start - b.Start })
	return out
}

// normaliseRunes maps full-width ASCII (U+FF01–FF5E) and the ideographic
// space to ASCII, dashes to '-', and the middle-dot variants to '·', one
// rune for one rune so offsets stay put.
func normaliseRunes(raw []rune) []rune {
	norm := make([]rune, len(raw))
	for i, r := range raw {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFF01 - 0x21
		case r == 0x3000:
			r = ' '
		case r == '—' || r == '–' || r == '‐' || r == '‑' || r == '−':
			r = '-'
		case r == '•' || r == '・' || r == '･' || r == '∙':
			r = '·'
		}
		norm[i] = r
	}
	return norm
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isASCIILetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }

func isASCIIAlnum(r rune) bool { return isDigit(r) || isASCIILetter(r) }

// isHan reports whether r is a CJK ideograph (the unified block and its
// first extension, which is where names and addresses live).
func isHan(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || r == '〇'
}

// hasPrefixAt reports whether r[i:] starts with w. w is valid UTF-8 (the
// scanners' own word lists); it is decoded by hand because this runs for
// many words at many positions.
func hasPrefixAt(r []rune, i int, w string) bool {
	for k := 0; k < len(w); i++ {
		b := rune(w[k])
		var c rune
		switch {
		case b < 0x80:
			c, k = b, k+1
		case b < 0xE0 && k+1 < len(w):
			c, k = (b&0x1F)<<6|rune(w[k+1]&0x3F), k+2
		case b < 0xF0 && k+2 < len(w):
			c, k = (b&0x0F)<<12|rune(w[k+1]&0x3F)<<6|rune(w[k+2]&0x3F), k+3
		default:
			var size int
			c, size = utf8.DecodeRuneInString(w[k:])
			k += size
		}
		if i >= len(r) || r[i] != c {
			return false
		}
	}
	return true
}

// hasSuffixAt reports whether r[:i] ends with w, returning where w starts.
func hasSuffixAt(r []rune, i int, w string) (int, bool) {
	n := utf8.RuneCountInString(w)
	if n > i {
		return 0, false
	}
	if hasPrefixAt(r, i-n, w) {
		return i - n, true
	}
	return 0, false
}

// prefixAny returns the longest of words that r[i:] starts with.
func prefixAny(r []rune, i int, words []string) (string, int, bool) {
	if i >= len(r) {
		return "", 0, false
	}
	best, bestLen := "", 0
	for _, w := range words {
		if hasPrefixAt(r, i, w) {
			if n := utf8.RuneCountInString(w); n > bestLen {
				best, bestLen = w, n
			}
		}
	}
	return best, bestLen, bestLen > 0
}

// precededBy reports whether one of words ends just before i, allowing up
// to four filler runes (spaces, colons, 是, 为, 号, 码…) in between:
// "工单号：2026…", "电话号码是8888…".
func precededBy(r []rune, i int, words []string) bool {
	j := i
	for g := 0; ; g++ {
		for _, w := range words {
			if _, ok := hasSuffixAt(r, j, w); ok {
				return true
			}
		}
		if g == 4 || j == 0 {
			return false
		}
		switch r[j-1] {
		case ' ', ':', '是', '为', '號', '号', '码', '#', '(', '[', '【', '「', '（':
			j--
		default:
			return false
		}
	}
}

// plateProvinces are the one-character province abbreviations that start a
// licence plate.
const plateProvinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// plateSuffixes end a plate with four alphanumerics (police, learner,
// trailer, Hong Kong, Macao, embassy).
const plateSuffixes = "警学挂港澳领使"

var provinceSet = newRuneSet(plateProvinces)

func isProvince(r rune) bool { return provinceSet.has(r) }

// runeSet is a set of runes, for the character classes the scanners test
// on every character.
type runeSet map[rune]struct{}

func newRuneSet(s string) runeSet {
	set := runeSet{}
	for _, r := range s {
		set[r] = struct{}{}
	}
	return set
}

func (s runeSet) has(r rune) bool {
	_, ok := s[r]
	return ok
}

// firstRunes returns the set of the first runes of words.
func firstRunes(words ...[]string) runeSet {
	set := runeSet{}
	for _, ws := range words {
		for _, w := range ws {
			for _, r := range w {
				set[r] = struct{}{}
				break
			}
		}
	}
	return set
}

// appendPlates finds licence plates: a province, the issuing letter, an
// optional separator (·, space) and five alphanumerics (ordinary, at least
// three digits), six (new energy: D/F first followed by a letter or digit
// and four digits, or five digits then D/F), or four and a suffix
// (京A1234警). I and O never occur.
func appendPlates(out []Entity, r []rune) []Entity {
	for i := 0; i+1 < len(r); i++ {
		if !isProvince(r[i]) {
			continue
		}
		letter := upperASCII(r[i+1])
		if letter < 'A' || letter > 'Z' || letter == 'I' || letter == 'O' {
			continue
		}
		j := i + 2
		if j < len(r) && (r[j] == '·' || r[j] == ' ' || r[j] == '.') {
			j++
		}
		k := j
		for k < len(r) && isASCIIAlnum(r[k]) && k-j <= 6 {
			k++
		}
		if k < len(r) && isASCIIAlnum(r[k]) {
			continue // seven or more: no plate
		}
		body := make([]rune, 0, 7)
		for _, c := range r[j:k] {
			body = append(body, upperASCII(c))
		}
		if slices.Contains(body, 'I') || slices.Contains(body, 'O') {
			continue
		}
		end := k
		ok := false
		switch len(body) {
		case 4:
			if k < len(r) && containsRune(plateSuffixes, r[k]) && countDigits(body) >= 3 {
				body = append(body, r[k])
				end = k + 1
				ok = true
			}
		case 5:
			ok = countDigits(body) >= 3
		case 6:
			ok = newEnergyPlate(body)
		}
		if !ok {
			continue
		}
		value := string([]rune{r[i], letter}) + string(body)
		out = append(out, Entity{Type: EntityPlate, Value: value, Start: i, End: end})
		i = end - 1
	}
	return out
}

// newEnergyPlate checks the six characters after the letter of a
// new-energy plate: small cars D/F, a letter or digit, four digits; large
// vehicles five digits, then D/F.
func newEnergyPlate(b []rune) bool {
	if b[0] == 'D' || b[0] == 'F' {
		return isASCIIAlnum(b[1]) && countDigits(b[2:]) == 4
	}
	if b[5] == 'D' || b[5] == 'F' {
		return countDigits(b[:5]) == 5
	}
	return false
}

func upperASCII(r rune) rune {
	if r >= 'a' && r <= 'z' {
		return r - 'a' + 'A'
	}
	return r
}

func countDigits(rs []rune) int {
	n := 0
	for _, r := range rs {
		if isDigit(r) {
			n++
		}
	}
	return n
}

func containsRune(s string, r rune) bool { return strings.ContainsRune(s, r) }

// PlaceAndTime reads where and when from the entities Extract found in
// text, as the citizen wrote them: the first address, and the first date
// or time with the one right after it (明天 + 下午三点).
func PlaceAndTime(text string, entities []Entity) (where, when string) {
	runes := []rune(text)
	whenEnd := -1
	for _, e := range entities {
		if e.Start < 0 || e.End > len(runes) || e.Start >= e.End {
			continue
		}
		span := string(runes[e.Start:e.End])
		switch e.Type {
		case EntityAddress:
			if where == "" {
				where = span
			}
		case EntityDate, EntityTime:
			if when == "" {
				when, whenEnd = span, e.End
			} else if e.Start == whenEnd {
				when, whenEnd = when+span, e.End
			}
		}
	}
	return where, when
}
