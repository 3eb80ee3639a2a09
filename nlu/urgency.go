package nlu

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Urgency is how soon a message needs a person: an emergency (danger to
// life now) is told the emergency number at once and goes to an agent ahead
// of everyone; urgent (harm soon) jumps the queue.
type Urgency string

// The urgency levels, from least to most urgent.
const (
	UrgencyNone      Urgency = "none"
	UrgencyUrgent    Urgency = "urgent"
	UrgencyEmergency Urgency = "emergency"
)

// How the urgency rules read a message
//
// The rules are a lexicon: each rule has a level, the emergency numbers to
// call, patterns, optional required context and excluded contexts. Recall
// comes first — a missed emergency costs far more than a false alarm — so
// the patterns are generous and the rules only step down for the few
// contexts that reliably mean "not now, not literally":
//
//   - A pattern is literal text; '*' in it is a gap of up to six characters
//     inside one clause (clauses end at punctuation and spaces):
//     "燃气*漏" matches 燃气管子漏气了.
//   - Chinese has no spaces, so a trigger inside a longer everyday word is
//     excluded by listing that word: 跳楼 does not fire inside 跳楼价, 被困
//     not inside 被困难, 死人 not inside 吵死人. Excluded contexts of a rule
//     void a match they overlap. Single characters (火, 血, 死, 打) are never
//     triggers, so 火车票, 火锅, 上火, 白血病 and 打电话 never match.
//   - requires: every entry (alternatives separated by '|') must occur
//     somewhere in the message, not directly negated (天不算热 is no heat):
//     停水 is urgent with 老人 or 三天了, not as a notice question.
//   - A match steps down one level (emergency → urgent → none) for each of:
//     a negation just before it in its clause (没有人受伤, 不是着火); a
//     hypothetical before it in its clause (万一着火, 如果闻到煤气味, 容易引起
//     火灾) or a consulting context anywhere in its clause (火灾隐患, 消防演练,
//     理赔); the past, a habit or an aftermath in its clause (去年着火,
//     天天冒烟) or the danger over anywhere in the message (已经扑灭了), unless
//     its clause says it is happening now (现在, 正在, 还在, 刚刚, 又).
//     Praise (表扬, 感谢, 锦旗) anywhere in the message makes it none unless
//     its clause says now.
//
// The message's level is the highest level of its matches; the words
// returned are those matches at that level, as written.

// urgencyRule is one rule of the lexicon; the YAML field names are those of
// kb-data/nlu/urgency.yaml.
type urgencyRule struct {
	Name     string   `yaml:"name"`
	Level    Urgency  `yaml:"level"`
	Numbers  []string `yaml:"numbers"`
	Patterns []string `yaml:"patterns"`
	Requires []string `yaml:"requires"`
	Except   []string `yaml:"except"`
}

// urgencyModifiers are the context words that step a match down.
type urgencyModifiers struct {
	// Negation: just before the match (up to two characters between).
	Negation []string `yaml:"negation"`
	// Hypothetical: before the match in its clause.
	Hypothetical []string `yaml:"hypothetical"`
	// Consulting: anywhere in the match's clause.
	Consulting []string `yaml:"consulting"`
	// Past: the past, habits and aftermath, anywhere in the match's clause.
	Past []string `yaml:"past"`
	// Resolved: the danger is over, anywhere in the message.
	Resolved []string `yaml:"resolved"`
	// Present: happening now, in the match's clause; cancels Past,
	// Resolved and Praise.
	Present []string `yaml:"present"`
	// Praise: anywhere in the message.
	Praise []string `yaml:"praise"`
}

// urgencyFile is the schema of an urgency lexicon file (see
// kb-data/nlu/urgency.yaml): rules and modifiers are added to the built-in
// ones, disable switches built-in rules off by name.
type urgencyFile struct {
	Disable   []string         `yaml:"disable"`
	Modifiers urgencyModifiers `yaml:"modifiers"`
	Rules     []urgencyRule    `yaml:"rules"`
}

// maxGap is how many characters a '*' in a pattern may stand for.
const maxGap = 6

// UrgencyDetector applies an urgency lexicon. It is immutable and safe for
// concurrent use; build it once at start-up.
type UrgencyDetector struct {
	rules []cRule
	// first maps the first rune of a pattern to the patterns starting with it.
	first map[rune][]patRef
	// modFirst does the same for the modifier words.
	modFirst map[rune][]modWord
}

type patRef struct{ rule, pat int }

// cPattern is a compiled pattern: literal segments joined by gaps.
type cPattern []string

type cRule struct {
	name     string
	level    int
	numbers  []string
	patterns []cPattern
	requires [][]cPattern
	except   []cPattern
}

// DetectUrgency applies the built-in rules: the level and the words that
// triggered it, as they appear in the text (nil for none).
func DetectUrgency(text string) (Urgency, []string) {
	return builtinUrgency().Detect(text)
}

// EmergencyNumbers says which numbers to call for an emergency text, the
// most relevant first (the order of the triggers in the text, each rule's
// own order within it): "119" fire, gas, smoke, explosion, trapped; "120"
// injured, unconscious, not breathing, bleeding, poisoning, heart attack,
// birth; "110" violence, threats, suicide, robbery, a child missing just
// now, fraud in progress; "122" a traffic accident. nil when the text is no
// emergency. It uses the built-in rules.
func EmergencyNumbers(text string) []string {
	return builtinUrgency().EmergencyNumbers(text)
}

var builtinUrgency = sync.OnceValue(func() *UrgencyDetector {
	d, err := newUrgencyDetector(builtinUrgencyRules, builtinUrgencyModifiers)
	if err != nil {
		panic("nlu: built-in urgency rules: " + err.Error())
	}
	return d
})

// LoadUrgencyDetector builds a detector from the built-in rules and the
// lexicon file at path ("" for the built-in rules alone): the file adds
// rules and modifier words and may disable built-in rules by name. A
// malformed file is reported as "file:line: message".
func LoadUrgencyDetector(path string) (*UrgencyDetector, error) {
	if path == "" {
		return builtinUrgency(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nlu: urgency lexicon: %w", err)
	}
	f, err := parseUrgencyFile(path, data)
	if err != nil {
		return nil, err
	}
	rules := slices.Clone(builtinUrgencyRules)
	for _, name := range f.Disable {
		rules = slices.DeleteFunc(rules, func(r urgencyRule) bool { return r.Name == name })
	}
	rules = append(rules, f.Rules...)
	m := builtinUrgencyModifiers
	m.Negation = append(slices.Clone(m.Negation), f.Modifiers.Negation...)
	m.Hypothetical = append(slices.Clone(m.Hypothetical), f.Modifiers.Hypothetical...)
	m.Consulting = append(slices.Clone(m.Consulting), f.Modifiers.Consulting...)
	m.Past = append(slices.Clone(m.Past), f.Modifiers.Past...)
	m.Resolved = append(slices.Clone(m.Resolved), f.Modifiers.Resolved...)
	m.Present = append(slices.Clone(m.Present), f.Modifiers.Present...)
	m.Praise = append(slices.Clone(m.Praise), f.Modifiers.Praise...)
	d, err := newUrgencyDetector(rules, m)
	if err != nil {
		return nil, fmt.Errorf("nlu: %s: %w", path, err)
	}
	return d, nil
}

// numberPattern is what an emergency number looks like (110, 96333).
var numberPattern = regexp.MustCompile(`^[0-9]{3,8}$`)

// parseUrgencyFile reads and checks a lexicon file, with line numbers.
func parseUrgencyFile(path string, data []byte) (*urgencyFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("nlu: %s: %w", path, err)
	}
	fail := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("nlu: %s:%d: %s", path, n.Line, fmt.Sprintf(format, args...))
	}
	f := &urgencyFile{}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fail(root, "want a mapping with disable, modifiers, rules")
	}
	if err := yamlCheckKeys(root, fail, "disable", "modifiers", "rules"); err != nil {
		return nil, err
	}
	builtin := map[string]bool{}
	for _, r := range builtinUrgencyRules {
		builtin[r.Name] = true
	}
	names := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		switch key {
		case "disable":
			if err := val.Decode(&f.Disable); err != nil {
				return nil, fail(val, "disable: want a list of rule names: %v", err)
			}
			for j, name := range f.Disable {
				if !builtin[name] {
					return nil, fail(val.Content[j], "disable: no built-in rule %q", name)
				}
			}
		case "modifiers":
			if err := yamlCheckKeys(val, fail, "negation", "hypothetical", "consulting", "past", "resolved", "present", "praise"); err != nil {
				return nil, err
			}
			if err := val.Decode(&f.Modifiers); err != nil {
				return nil, fail(val, "modifiers: %v", err)
			}
			for j := 1; j < len(val.Content); j += 2 {
				for _, w := range val.Content[j].Content {
					if w.Value == "" || strings.ContainsAny(w.Value, "* \t") {
						return nil, fail(w, "modifier %q: want plain text", w.Value)
					}
				}
			}
		case "rules":
			if val.Kind != yaml.SequenceNode {
				return nil, fail(val, "rules: want a list")
			}
			for _, item := range val.Content {
				if item.Kind != yaml.MappingNode {
					return nil, fail(item, "rule: want a mapping")
				}
				if err := yamlCheckKeys(item, fail, "name", "level", "numbers", "patterns", "requires", "except"); err != nil {
					return nil, err
				}
				var r urgencyRule
				if err := item.Decode(&r); err != nil {
					return nil, fail(item, "rule: %v", err)
				}
				if err := checkRule(r); err != nil {
					return nil, fail(item, "%v", err)
				}
				if builtin[r.Name] || names[r.Name] {
					return nil, fail(item, "rule %q: name already used", r.Name)
				}
				names[r.Name] = true
				f.Rules = append(f.Rules, r)
			}
		}
	}
	return f, nil
}

// checkRule validates one rule without line information.
func checkRule(r urgencyRule) error {
	if r.Name == "" {
		return fmt.Errorf("rule without a name")
	}
	if r.Level != UrgencyUrgent && r.Level != UrgencyEmergency {
		return fmt.Errorf("rule %q: level %q: want urgent or emergency", r.Name, r.Level)
	}
	if r.Level == UrgencyEmergency && len(r.Numbers) == 0 {
		return fmt.Errorf("rule %q: an emergency rule needs numbers", r.Name)
	}
	for _, n := range r.Numbers {
		if !numberPattern.MatchString(n) {
			return fmt.Errorf("rule %q: number %q: want 3 to 8 digits (quote it)", r.Name, n)
		}
	}
	if len(r.Patterns) == 0 {
		return fmt.Errorf("rule %q: no patterns", r.Name)
	}
	check := func(what, p string) error {
		if p == "" || !utf8.ValidString(p) || strings.HasPrefix(p, "*") || strings.HasSuffix(p, "*") || strings.Contains(p, "**") || strings.ContainsAny(p, " \t\n") {
			return fmt.Errorf("rule %q: %s %q: want text with '*' only between characters", r.Name, what, p)
		}
		return nil
	}
	for _, p := range r.Patterns {
		if err := check("pattern", p); err != nil {
			return err
		}
	}
	for _, q := range r.Requires {
		for _, alt := range strings.Split(q, "|") {
			if err := check("requires", alt); err != nil {
				return err
			}
		}
	}
	for _, p := range r.Except {
		if err := check("except", p); err != nil {
			return err
		}
	}
	return nil
}

func levelIndex(u Urgency) int {
	switch u {
	case UrgencyEmergency:
		return 2
	case UrgencyUrgent:
		return 1
	}
	return 0
}

var urgencyLevels = [3]Urgency{UrgencyNone, UrgencyUrgent, UrgencyEmergency}

func newUrgencyDetector(rules []urgencyRule, m urgencyModifiers) (*UrgencyDetector, error) {
	d := &UrgencyDetector{first: map[rune][]patRef{}}
	seen := map[string]bool{}
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			return nil, err
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("rule %q: name already used", r.Name)
		}
		seen[r.Name] = true
		c := cRule{name: r.Name, level: levelIndex(r.Level), numbers: r.Numbers}
		for _, p := range r.Patterns {
			c.patterns = append(c.patterns, compilePattern(p))
		}
		for _, q := range r.Requires {
			var alts []cPattern
			for _, alt := range strings.Split(q, "|") {
				alts = append(alts, compilePattern(alt))
			}
			c.requires = append(c.requires, alts)
		}
		for _, p := range r.Except {
			c.except = append(c.except, compilePattern(p))
		}
		for pi, p := range c.patterns {
			first, _ := utf8.DecodeRuneInString(p[0])
			d.first[first] = append(d.first[first], patRef{len(d.rules), pi})
		}
		d.rules = append(d.rules, c)
	}
	d.modFirst = map[rune][]modWord{}
	for kind, words := range [modKinds][]string{m.Negation, m.Hypothetical, m.Consulting, m.Past, m.Resolved, m.Present, m.Praise} {
		for _, w := range words {
			if w == "" || strings.Contains(w, "*") {
				return nil, fmt.Errorf("modifier %q: want plain text", w)
			}
			first, _ := utf8.DecodeRuneInString(w)
			d.modFirst[first] = append(d.modFirst[first], modWord{modKind(kind), w})
		}
	}
	return d, nil
}

func compilePattern(p string) cPattern { return strings.Split(p, "*") }

// isClauseBreak reports whether r ends a clause: punctuation, spaces and
// line breaks.
func isClauseBreak(r rune) bool {
	switch r {
	case '，', '。', '！', '？', '；', '：', '、', '…', ',', '.', '!', '?', ';', ':', ' ', '\t', '\n', '\r', '　', '~', '～':
		return true
	}
	return false
}

// matchAt matches p at text[i:] and returns the end.
func (p cPattern) matchAt(text string, i int) (int, bool) {
	if !strings.HasPrefix(text[i:], p[0]) {
		return 0, false
	}
	e := i + len(p[0])
	for _, s := range p[1:] {
		j, found := e, false
		for g := 0; g <= maxGap; g++ {
			if strings.HasPrefix(text[j:], s) {
				e, found = j+len(s), true
				break
			}
			if j >= len(text) {
				break
			}
			r, size := utf8.DecodeRuneInString(text[j:])
			if isClauseBreak(r) {
				break
			}
			j += size
		}
		if !found {
			return 0, false
		}
	}
	return e, true
}

// each calls fn for every match of p in text[from:to] (byte offsets).
func (p cPattern) each(text string, from, to int, fn func(s, e int) bool) {
	sub := text[:to]
	for from < to {
		k := strings.Index(sub[from:], p[0])
		if k < 0 {
			return
		}
		s := from + k
		if e, ok := p.matchAt(sub, s); ok {
			if !fn(s, e) {
				return
			}
		}
		_, size := utf8.DecodeRuneInString(sub[s:])
		from = s + size
	}
}

// maxClause bounds how far (in bytes) a clause reaches on either side of
// a match: real clauses are far shorter, and the bound keeps a message
// without punctuation linear.
const maxClause = 300

// clauseAround returns the bounds of the clause around byte offset i.
func clauseAround(text string, i int) (int, int) {
	s := i
	for s > 0 && i-s < maxClause {
		r, size := utf8.DecodeLastRuneInString(text[:s])
		if isClauseBreak(r) {
			break
		}
		s -= size
	}
	e := i
	for e < len(text) && e-i < maxClause {
		r, size := utf8.DecodeRuneInString(text[e:])
		if isClauseBreak(r) {
			break
		}
		e += size
	}
	return s, e
}

// urgencyHit is one match of a rule after its context was weighed.
type urgencyHit struct {
	rule       int
	start, end int
	level      int
}

// Detect returns the level of text and the words that triggered it, as
// they appear in the text (nil for none).
func (d *UrgencyDetector) Detect(text string) (Urgency, []string) {
	hits := d.hits(text)
	top := 0
	for _, h := range hits {
		top = max(top, h.level)
	}
	if top == 0 {
		return UrgencyNone, nil
	}
	var words []string
	for _, h := range hits {
		if h.level == top {
			if w := text[h.start:h.end]; !slices.Contains(words, w) {
				words = append(words, w)
			}
		}
	}
	return urgencyLevels[top], words
}

// EmergencyNumbers returns the numbers to call for text, most relevant
// first, or nil when it is no emergency.
func (d *UrgencyDetector) EmergencyNumbers(text string) []string {
	var out []string
	for _, h := range d.hits(text) {
		if h.level != 2 {
			continue
		}
		for _, n := range d.rules[h.rule].numbers {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// hits finds every rule match in text, in text order, with its level after
// context.
func (d *UrgencyDetector) hits(text string) []urgencyHit {
	var hits []urgencyHit
	var lastEnd []int // per rule, the end of its last match
	for i, c := range text {
		for _, ref := range d.first[c] {
			r := &d.rules[ref.rule]
			e, ok := r.patterns[ref.pat].matchAt(text, i)
			if !ok {
				continue
			}
			if lastEnd == nil {
				lastEnd = make([]int, len(d.rules))
			}
			// The same rule matching the same place twice (two patterns)
			// counts once; matches come in order of their start.
			if i < lastEnd[ref.rule] {
				continue
			}
			lastEnd[ref.rule] = e
			hits = append(hits, urgencyHit{rule: ref.rule, start: i, end: e, level: -1})
		}
	}
	if len(hits) == 0 {
		return nil
	}
	msg := &messageContext{mods: d.modifierOccurrences(text)}
	for _, o := range msg.mods {
		msg.anywhere[o.kind] = true
	}
	out := hits[:0]
	for _, h := range hits {
		if lvl := d.weigh(text, h, msg); lvl > 0 {
			h.level = lvl
			out = append(out, h)
		}
	}
	return out
}

// modKind is which list of urgencyModifiers a word comes from.
type modKind uint8

const (
	modNegation modKind = iota
	modHypothetical
	modConsulting
	modPast
	modResolved
	modPresent
	modPraise
	modKinds
)

type modWord struct {
	kind modKind
	word string
}

// modOcc is one occurrence of a modifier word in a message (byte offsets).
type modOcc struct {
	kind       modKind
	start, end int
}

// modifierOccurrences finds every modifier word of text in one pass.
func (d *UrgencyDetector) modifierOccurrences(text string) []modOcc {
	var out []modOcc
	for i, c := range text {
		for _, w := range d.modFirst[c] {
			if strings.HasPrefix(text[i:], w.word) {
				out = append(out, modOcc{w.kind, i, i + len(w.word)})
			}
		}
	}
	return out
}

// messageContext is what weigh learns once per message: the modifier
// words and which rules' requirements hold.
type messageContext struct {
	mods     []modOcc
	anywhere [modKinds]bool
	requires map[int]bool
}

// weigh returns the level of one match after its context (0: none).
func (d *UrgencyDetector) weigh(text string, h urgencyHit, msg *messageContext) int {
	r := &d.rules[h.rule]
	cs, ce := clauseAround(text, h.start)
	for _, x := range r.except {
		excluded := false
		x.each(text, cs, ce, func(s, e int) bool {
			if s < h.end && h.start < e {
				excluded = true
				return false
			}
			return true
		})
		if excluded {
			return 0
		}
	}
	if len(r.requires) > 0 {
		ok, known := msg.requires[h.rule]
		if !known {
			ok = true
			for _, alts := range r.requires {
				if !d.anyUnnegated(text, alts) {
					ok = false
					break
				}
			}
			if msg.requires == nil {
				msg.requires = map[int]bool{}
			}
			msg.requires[h.rule] = ok
		}
		if !ok {
			return 0
		}
	}
	var in [modKinds]bool // in the clause (before the match for hypothetical)
	anywhere := &msg.anywhere
	negated := false
	first, _ := slices.BinarySearchFunc(msg.mods, cs, func(o modOcc, cs int) int { return o.start - cs })
	for _, o := range msg.mods[first:] {
		if o.start >= ce {
			break
		}
		if o.end > ce {
			continue
		}
		switch o.kind {
		case modNegation:
			if o.end <= h.start && utf8.RuneCountInString(text[o.end:h.start]) <= 2 && !isQuestion(text[:o.start], text[o.start:o.end]) {
				negated = true
			}
		case modHypothetical:
			in[o.kind] = in[o.kind] || o.end <= h.start
		default:
			in[o.kind] = true
		}
	}
	level := r.level
	if negated {
		level--
	}
	if in[modHypothetical] || in[modConsulting] {
		level--
	}
	// A "now" word elsewhere in the message also cancels a past marker
	// (之前就闻到煤气味，现在更浓了) unless the message says it is over:
	// recall first.
	now := in[modPresent] || (anywhere[modPresent] && !anywhere[modResolved])
	if !now && (in[modPast] || anywhere[modResolved]) {
		level--
	}
	if !now && anywhere[modPraise] {
		level = 0
	}
	return max(level, 0)
}

// isQuestion reports whether the negation neg, after before, is part of a
// question (有没有, 是不是) rather than a negation.
func isQuestion(before, neg string) bool {
	return (strings.HasPrefix(neg, "没") && strings.HasSuffix(before, "有")) || (strings.HasPrefix(neg, "不") && strings.HasSuffix(before, "是"))
}

// requireNegators just before a required word cancel it: 天不算热,
// 没有人受伤.
var requireNegators = []string{"不", "没", "无", "未", "不算", "不太", "并不", "没有"}

// anyUnnegated reports whether one of alts occurs in text without a
// negation right before it.
func (d *UrgencyDetector) anyUnnegated(text string, alts []cPattern) bool {
	found := false
	for _, p := range alts {
		p.each(text, 0, len(text), func(s, e int) bool {
			cs, _ := clauseAround(text, s)
			if negatedBefore(text[cs:s], requireNegators) {
				return true
			}
			found = true
			return false
		})
		if found {
			return true
		}
	}
	return false
}

// negatedBefore reports whether before (the clause up to a match) ends with
// a negation, allowing up to two characters between (没有人受伤, 未发生火灾).
// 有没有 and 是不是 are questions, not negations.
func negatedBefore(before string, negations []string) bool {
	for g := 0; g <= 2; g++ {
		for _, n := range negations {
			if strings.HasSuffix(before, n) {
				if isQuestion(before[:len(before)-len(n)], n) {
					continue
				}
				return true
			}
		}
		if before == "" {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(before)
		before = before[:len(before)-size]
	}
	return false
}

func containsAnyWord(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// lexWords splits a space-separated word list; it keeps the lexicon below
// readable.
func lexWords(s string) []string { return strings.Fields(s) }

// Who can be in danger, for rules that need a person nearby.
const (
	urgPerson = "人|孩|老人|老师|家长|司机|工人|游客|乘客|小孩|宝宝|婴儿|儿子|女儿|爸|妈|父亲|母亲|爷爷|奶奶|外公|外婆|老公|老婆|丈夫|妻子|老伴|朋友|同学|同事|学生|男子|女子|男的|女的|老太|老头|大爷|大妈|阿姨|邻居|他|她"
	urgChild  = "孩子|小孩|儿子|女儿|宝宝|婴儿|娃|孙子|孙女|闺女|小朋友"
	urgFrail  = "老人|孩子|小孩|宝宝|婴儿|病人|孕妇|瘫痪|残疾|卧床|新生儿|刚出生|月子|八十|九十|七十|老太|老头|老母亲|老父亲|我妈|我爸"
	urgGas    = "燃气|煤气|天然气|液化气|气罐|气瓶|燃气管|管道|管子|灶|气味|味道"
	urgInjury = "有人|人|受伤|伤|流血|血|倒|躺|不动|出不来|卡在|卡住|被困|困在|昏|叫不醒|不醒|死|骨折|断了|救护车|120|翻了"
)

// builtinUrgencyRules is the national lexicon every city starts from; a
// city adds its own in kb-data/nlu/urgency.yaml. Rules are grouped by the
// number to call.
var builtinUrgencyRules = []urgencyRule{
	// ---- 119: fire, gas, explosion, collapse, people trapped ----
	{Name: "gas_leak", Level: UrgencyEmergency, Numbers: lexWords("119"),
		Patterns: lexWords(`燃气泄漏 燃气泄露 煤气泄漏 煤气泄露 天然气泄漏 天然气泄露 液化气泄漏 液化气泄露 泄漏 泄露
			煤气味 燃气味 天然气味 液化气味 煤气的味 燃气的味 天然气的味 闻到*煤气 闻到*燃气 闻到*天然气 一股*煤气
			煤气*味道 燃气*味道 天然气*味道 燃气*漏 煤气*漏 天然气*漏 液化气*漏 气罐*漏 气瓶*漏 燃气表*漏
			燃气管*破 燃气管*断 燃气管*裂 燃气管*爆 挖断*燃气 挖破*燃气 挖断*天然气 挖断*煤气 煤气中毒 一氧化碳`),
		Except: lexWords(`信息*泄 隐私*泄 泄露*信息 泄漏*信息 泄露*隐私 数据*泄 号码*泄 泄露*号码 电话*泄 泄露*电话 个人*泄露 资料*泄 泄露*资料 密码*泄
			泄露*密码 题*泄 泄题 天机 燃气*漏*检 漏缴 漏交 漏收 漏费`)},
	{Name: "gas_hiss", Level: UrgencyEmergency, Numbers: lexWords("119"),
		Patterns: lexWords("漏气 喷气 往外喷 嘶嘶"),
		Requires: []string{urgGas},
		Except:   lexWords("轮胎*漏气 车胎*漏气 胎*漏气 气球 游泳圈 充气")},
	{Name: "fire", Level: UrgencyEmergency, Numbers: lexWords("119"),
		Patterns: lexWords(`着火 起火 失火 火灾 大火 火很大 火太大 火势 烧起来 烧着了 着起来 燃起来 冒烟 冒黑烟 冒浓烟 浓烟 火苗
			明火 冒火 火花 火光 爆燃 自燃 救火 火场 烧死 纵火 放火 泼汽油 浇汽油`),
		Except: lexWords(`火灾隐患 消防隐患 火灾预防 预防火灾 火灾报警 火灾自动 防火 着火点 引起火 起火原因 火灾险 火灾保险 大火收汁 大火烧开 大火炒 大火煮 大火蒸 开大火 用大火 转大火 大火力
			火气 肝火 心火 虚火 救火队 救火英雄 救火员 嗓子*冒烟 喉咙*冒烟 渴得*冒烟 擦出*火花 碰撞*火花 思想*火花 灵感*火花
			火花塞 冒火了 心里*冒火 气得*冒火 火光冲天的日子 烟火气 放火烧山牢底坐穿`)},
	{Name: "explosion", Level: UrgencyEmergency, Numbers: lexWords("119 120"),
		Patterns: lexWords("爆炸 炸了 炸开 炸响 发生爆 爆了*火"),
		Except: lexWords(`爆炸性 信息爆炸 爆炸头 爆炸式 知识爆炸 人口爆炸 气炸 炸鸡 炸了锅 炸锅 炸毛 炸群 炸街 炸串 油炸 炸酱
			肺都炸 脑子*炸 头*炸了 手机*炸了 群*炸了 电话*炸了 评论*炸`)},
	{Name: "chemical", Level: UrgencyEmergency, Numbers: lexWords("119"),
		Patterns: lexWords("毒气 有毒气体 氯气 氨气 化学品*泄 危化品 硫化氢"),
		Requires: []string{"泄|漏|闻|晕|呛|喘|咳|吸入|中毒|倒"}},
	{Name: "collapse", Level: UrgencyEmergency, Numbers: lexWords("119 120"),
		Patterns: lexWords("楼塌 房子塌 房塌 倒塌 坍塌 塌了 被埋 埋在 压在下面 压在底下 人被压 压着人 压住了人 被压住 被压在 山体滑坡 泥石流 山洪 决堤 溃坝 溃堤 管涌"),
		Requires: []string{"人|孩|老|埋|压|困|塌|泥石流|山洪|决堤|溃坝|溃堤|管涌|滑坡"}},
	{Name: "elevator_fall", Level: UrgencyEmergency, Numbers: lexWords("119 120"),
		Patterns: lexWords("电梯*坠 电梯*往下掉 电梯*掉下去 电梯*冲下 电梯*冲顶 电梯*失控 电梯*下滑 电梯*溜车 电梯*夹*人 电梯*夹住 夹在电梯")},
	{Name: "lock_in_car_heat", Level: UrgencyEmergency, Numbers: lexWords("110 119"),
		Patterns: lexWords("锁在车里 锁车里 关在车里 困在车里 锁在车内 反锁在车 被锁*车里 被锁*车内 闷在车里 车里*锁着 车里*关着 车内*锁着"),
		Requires: []string{urgChild + "|老人|狗|猫|宠物", "热|晒|高温|闷|没力气|中暑|喘不过气|满头大汗|大太阳|太阳底下|度|脸通红|哭不出|没声音|不哭了|不动"}},
	{Name: "lock_in_car", Level: UrgencyUrgent, Numbers: lexWords("110 119"),
		Patterns: lexWords("锁在车里 锁车里 关在车里 困在车里 锁在车内 反锁在车 被锁*车里 被锁*车内 车里*锁着 车里*关着 车内*锁着"),
		Requires: []string{urgPerson + "|狗|猫|宠物"}},
	{Name: "alone_locked_in", Level: UrgencyUrgent, Numbers: lexWords("110 119"),
		Patterns: lexWords("锁在门外 锁在外面 关在门外 进不去门 门打不开 锁在屋里 锁在家里 反锁 一个人在家 一个人在屋里 独自在家 没人照顾 无人照顾 没人看护 赶不回来"),
		Requires: []string{urgFrail + "|岁的|养老院|卧床"}},
	{Name: "trapped_elevator", Level: UrgencyUrgent, Numbers: lexWords("119"),
		Patterns: lexWords("被困*电梯 困在电梯 关在电梯 电梯*困 电梯里出不来 卡在电梯 电梯*关*人 电梯*卡*人 电梯*停*里面有人"),
		Except:   lexWords("被困难 困难")},
	{Name: "trapped", Level: UrgencyUrgent, Numbers: lexWords("119"),
		Patterns: lexWords("被困 困在 被关在 出不来了 反锁在"),
		Except:   lexWords("被困难 困难 困在家里*没钱 困在*问题 困在这个*问题 困扰 困在*系统 出不来了*结果 成绩*出不来 钱*出不来 证*出不来 结果出不来")},

	// ---- 110: violence, threats, suicide, abduction, fraud in progress ----
	{Name: "suicide", Level: UrgencyEmergency, Numbers: lexWords("110 120"),
		Patterns: lexWords(`跳楼 要跳下去 往下跳 跳下去 跳河 跳江 跳湖 跳桥 跳海 自杀 轻生 不想活 割腕 上吊 寻死 想死 结束*生命 了结自己
			吃安眠药 吞安眠药 吞药 喝农药 喝了农药 服毒 烧炭 要寻短见 寻短见 站在楼顶 爬上*楼顶*跳 楼顶边上 天台边上`),
		Except: lexWords(`跳楼价 跳楼甩卖 跳楼大甩卖 跳楼大减价 跳楼清仓 跳楼秒杀 自杀式 想死你 想死我 热得想死 累得想死 饿得想死 困得想死
			烦得想死 笑得想死 跳下去*游泳 跳河里*游泳 跳*舞`)},
	{Name: "suicide_risk", Level: UrgencyUrgent, Numbers: lexWords("110"),
		Patterns: lexWords("活不下去 想不开 不如死了 死了算了 一死了之 活着没意思 撑不下去了"),
		Except:   lexWords("生意*活不下去 店*活不下去")},
	{Name: "violence", Level: UrgencyEmergency, Numbers: lexWords("110 120"),
		Patterns: lexWords(`持刀 拿*刀 提着刀 举着刀 刀砍 砍人 砍伤 追砍 捅人 捅伤 捅了 杀人 要杀 杀了你 杀了我 杀了他 杀了她 弄死 打死 打人
			在打人 打架 斗殴 群殴 殴打 行凶 抢劫 抢包 抢钱 入室 绑架 劫持 挟持 性侵 强奸 开枪 拿枪 持枪 被打伤 打伤了 打得*流血
			在打我 又打我 打我和 要打我 正在打 掐*脖子 勒*脖子 打骂孩子 拿*砸人 要砍 砍死 非礼`),
		Except: lexWords(`打人民 打人社 打人力 打人工 拿*刀叉 拿*刀削 拿刀切菜 杀人游戏 杀人案*电视 持枪证 持枪许可 打死也不 打死都不 打死我也不 打架子鼓 打架的事
			弄死*蟑螂 弄死*老鼠 打死*蟑螂 打死*蚊子 打死*苍蝇 打死*老鼠 笑死 入室盗窃案 入室*上个月 杀了你*游戏 剁手`)},
	{Name: "domestic_violence", Level: UrgencyUrgent, Numbers: lexWords("110"),
		Patterns: lexWords("家暴 家庭暴力 打老婆 打老公 打孩子 虐待")},
	{Name: "domestic_violence_now", Level: UrgencyEmergency, Numbers: lexWords("110 120"),
		Patterns: lexWords("家暴 家庭暴力 打老婆 打孩子 虐待"),
		Requires: []string{"正在|又在|还在|现在|快来|救命|打我|在打|动手|拿刀|流血|受伤"}},
	{Name: "threat", Level: UrgencyUrgent, Numbers: lexWords("110"),
		Patterns: lexWords("威胁 恐吓 扬言 报复 要打人 叫人来打 来打 打起来 场面*乱 场面*失控 情绪激动 闹事 围堵 冲突 跟踪我 尾随 跟着我 一路跟着 盯着我 堵在门口 转悠 蹲守 很害怕 吓得"),
		Except:   lexWords("没有冲突 不冲突 冲突吗 时间冲突 时间上冲突 课程冲突 冲突了吧")},
	{Name: "abduction", Level: UrgencyEmergency, Numbers: lexWords("110"),
		Patterns: lexWords("被抱走 被人抱走 被拐 拐走 抢孩子 被人带走 被陌生人带走 被*绑走")},
	{Name: "missing_child_now", Level: UrgencyEmergency, Numbers: lexWords("110"),
		Patterns: lexWords("不见了 找不到了 走丢了 走丢 丢了 找不着了 没影了"),
		Requires: []string{urgChild, "刚才|刚刚|一转眼|转眼|一眨眼|一会儿|刚还在|突然|一下子"}},
	{Name: "missing_person", Level: UrgencyUrgent, Numbers: lexWords("110"),
		Patterns: lexWords("走失 走丢 失踪 找不到人 不见了 联系不上 没回家 没回来 一直没回 离家出走 失联 迷路 找不到家 说不清*住哪"),
		Requires: []string{urgPerson + "|阿尔茨海默|老年痴呆|痴呆"},
		Except:   lexWords("联系不上*物业 联系不上*业主 联系不上*房东 联系不上*老板 联系不上*客服 联系不上*商家 业主*联系不上 房东*联系不上 老板*联系不上 中介*联系不上 商家*联系不上")},
	{Name: "fraud_now", Level: UrgencyEmergency, Numbers: lexWords("110"),
		Patterns: lexWords("正在转账 正要转账 准备转账 让我转账 要我转账 叫我转账 让我转钱 让我汇款 转到安全账户 安全账户 正在被骗 要给骗子 正在给*转账"),
		Requires: []string{"骗|诈骗|冒充|公安|警察|检察|法院|客服|陌生|验证码|安全账户|刷单|投资|贷款|洗钱"}},
	{Name: "fraud_urgent", Level: UrgencyUrgent, Numbers: lexWords("110"),
		Patterns: lexWords("紧急冻结 正在取钱 正在*取钱 骗走了 被骗走 盗刷 钱被转走 被转走 骗老人 在骗 正在骗 还在骗 骗子*还在 人还没走"),
		Requires: []string{"骗|假冒|冒充|诈骗|假的|盗|转走|冻结"}},
	{Name: "burglary", Level: UrgencyUrgent, Numbers: lexWords("110"),
		Patterns: lexWords("撬锁 撬门 锁被撬 门被撬 窗户被撬 被撬 小偷 入室盗窃 翻得乱七八糟 有人*撬")},
	{Name: "call_for_help", Level: UrgencyEmergency, Numbers: lexWords("110"),
		Patterns: lexWords("救命 救救我 快救人 快来救 出人命 死人了 有人死了 人死了 要出人命 要死人了"),
		Except: lexWords(`救命钱 救命药 救命稻草 救命恩人 吵死人 烦死人 热死人 气死人 笑死人 急死人 累死人 冷死人 臭死人 吓死人 坑死人 闷死人
			挤死人 晒死人 难死人 愁死人 馋死人 疼死人 饿死人 渴死人 憋死人 折磨死人 麻烦死人`)},
	{Name: "call_for_help_soft", Level: UrgencyUrgent, Numbers: lexWords("110"),
		Patterns: lexWords("快来人 快派人 赶紧派人 马上派人 求救 呼救")},

	// ---- 120: body in danger ----
	{Name: "unconscious", Level: UrgencyEmergency, Numbers: lexWords("120"),
		Patterns: lexWords(`晕倒 昏倒 昏迷 晕过去 昏过去 不省人事 叫不醒 喊不醒 叫不应 叫也不应 喊也不应 叫也没反应 突然倒下 捂着胸口*倒 没有意识 没意识 失去意识 意识不清 没有反应 没反应了
			倒在地上 倒地 躺在地上 躺在路上 躺在路中间 躺在马路 躺在地上*不动 躺着不动 躺*不动 一动不动 倒*不动 不动了 休克 抽搐倒 口吐白沫 翻白眼`),
		Except: lexWords(`倒地铁 笑晕 晕倒了吧 晕倒哈 开不动 走不动 搬不动 拉不动 推不动 拿不动 跑不动 扛不动 骑不动 抱不动 提不动 转不动 拧不动
			车*不动了 电梯*不动了 门*不动 网*不动 手机*不动 系统*不动 卡*不动 一动不动地*站 按兵不动`)},
	{Name: "breathing", Level: UrgencyEmergency, Numbers: lexWords("120"),
		Patterns: lexWords(`没有呼吸 没呼吸 没气了 不喘气 呼吸困难 喘不上气 喘不过气 透不过气 上不来气 嘴唇发紫 脸色发紫 脸都紫了 憋得*紫
			心脏病发作 心脏病犯了 心脏病又犯 心梗 心肌梗 心脏骤停 心跳停 没有心跳 没心跳 胸口疼得 胸口*剧痛 胸痛 胸口*压着疼
			中风 脑溢血 脑出血 半边身子*动不了 半边身子*不能动 口眼歪斜 嘴歪了 脸歪了 半边脸歪 嘴角歪 突然说不出话 噎住 卡住喉咙 卡在喉咙 喉咙*卡 过敏性休克 喉咙肿`),
		Except: lexWords("气得*喘不过气 压力*喘不过气 忙得*喘不过气 累得*喘不过气 工作*喘不过气 房贷*喘不过气 笑得*喘不过气 没气了吗 轮胎*没气 球*没气 车胎*没气 胎*没气")},
	{Name: "bleeding", Level: UrgencyEmergency, Numbers: lexWords("120"),
		Patterns: lexWords(`大出血 流血不止 血流不止 出血不止 止不住血 血止不住 满身是血 满脸是血 全身是血 浑身是血 一身血 一身的血 一地血 一地的血
			流了一地 流了好多血 流了很多血 流了一滩 血流 头破血流 在流血 一直流血 一直在流血 流血 吐血 呕血 咯血 大量出血 伤口很深
			受了重伤 重伤 伤得很重 伤得很严重 有人受伤 砸到*人 砸中*人 砸伤 被砸 砸到了*头 腿*断了 胳膊*断了 骨头*露 摔*起不来 摔*动不了
			摔*不能动 摔倒*爬不起来 头磕破 磕破*头 割伤*很深 刀伤`),
		Except: lexWords("血流量 血流速 流血流汗 流血事件 不流血 流血牺牲 砸伤了车 砸到*车 砸中*车 被砸了*店 砸*玻璃")},
	{Name: "fall_from_height", Level: UrgencyEmergency, Numbers: lexWords("120"),
		Patterns: lexWords("从*摔下来 从*掉下来 从*摔下去 从*掉下去 从*跌下 高处坠落 坠楼 坠落"),
		Requires: []string{urgPerson},
		Except:   lexWords("手机*掉 东西*掉 坠落*物 花盆*掉 瓷砖*掉 玻璃*掉 电梯*坠")},
	{Name: "poisoning", Level: UrgencyEmergency, Numbers: lexWords("120"),
		Patterns: lexWords(`中毒 误吃 误食 误服 误喝 喝了*消毒 喝了*洗洁精 喝了*农药 喝了*酒精 吃了*药*瓶 吃了大半瓶 吃了一整瓶 吃了一瓶 吞了*药
			服药过量 吃了*老鼠药 吞了*电池 吞了*硬币 吞了*磁 毒蘑菇 野生蘑菇*吐 蘑菇*中毒 被蛇咬 毒蛇咬 热射病`),
		Except: lexWords("电脑*中毒 手机*中毒 中毒太深 游戏*中毒 中毒了一样 食物中毒险")},
	{Name: "swallowed", Level: UrgencyEmergency, Numbers: lexWords("120"),
		Patterns: lexWords("喝了 吃了 吞了 误喝 误吃 误食 误服 咽下 喝下 吞下"),
		Requires: []string{"消毒液|消毒水|农药|洗洁精|洁厕|84消毒|汽油|清洁剂|老鼠药|杀虫剂|干燥剂|纽扣电池|电池|硬币|磁铁|磁珠|安眠药|百草枯|敌敌畏|除草剂|水银"}},
	{Name: "electric_shock", Level: UrgencyEmergency, Numbers: lexWords("120"),
		Patterns: lexWords("触电 被电*了 电到人 电倒 被电击 电击"),
		Except:   lexWords("电击枪 电击器 触电般")},
	{Name: "drowning", Level: UrgencyEmergency, Numbers: lexWords("110 120"),
		Patterns: lexWords("往水里走 往河里走 往江里走 往湖里走 往海里走 走进*水里 走进*河里 没到腰 没过腰 没到脖子 没过脖子 淹到脖子 没过头顶 溺水 落水 淹死 被水冲走 在水里*挣扎 沉下去了 沉下去 掉进水里 掉水里 掉*河里 掉进*河 掉*江里 掉进*湖 掉*湖里 掉进*水库 掉*水库 掉*池塘 掉*水塘 掉进*井 掉*井里 掉进去了 掉下去了 冲走了"),
		Requires: []string{urgPerson},
		Except:   lexWords("手机*掉 钥匙*掉 钱包*掉 东西*掉 包*掉 鞋*掉 帽子*掉 落水管 落水狗")},
	{Name: "in_water", Level: UrgencyEmergency, Numbers: lexWords("110 119 120"),
		Patterns: lexWords("扑腾 挣扎 呛水 不会游泳 出不来 困在 被困 困住 熄火在水里 车*泡在水里 冲走"),
		Requires: []string{"水里|河里|江里|湖里|海里|池塘|水库|水塘|水中|淹了|河中|江中|湖中|水面", urgPerson + "|车里"}},
	{Name: "birth", Level: UrgencyEmergency, Numbers: lexWords("120"),
		Patterns: lexWords("要生了 快生了 羊水破了 破水了 生在*车上 难产 早产了 孩子*生出来了 在家*生孩子 马上*生")},
	{Name: "medical_urgent", Level: UrgencyUrgent, Numbers: lexWords("120"),
		Patterns: lexWords(`高烧 发高烧 烧到*40 烧到*39 抽搐 抽风 惊厥 咬伤 被狗咬 被猫抓 被猫咬 被蛇 蜂蜇 烫伤 烧伤 骨折 摔伤 划伤 割伤 受伤 流了点血
			流了一点血 磕破 头晕*呕吐 上吐下泻 吐得厉害 拉得厉害 胰岛素*用完 胰岛素*没了 断药 药*用完了 没药了 急需*药 见红 中暑
			喘不过来 心慌 胸闷 剧烈*疼 疼得*打滚 疼得受不了 昏昏沉沉 呼吸*急促 血压*高 晕了 抢救 ICU 重症监护 急救室
			发烧*不退 烧*不退 高烧不退 摔了一跤 摔了一下 摔倒了 摔倒 跌倒 不能走路 走不了路 站不起来 肿得*厉害`),
		Except: lexWords("工伤 伤心 受伤的心 伤感 中暑补贴 高温补贴 伤残鉴定 伤残等级 受伤*认定 心慌慌")},
	{Name: "group_illness", Level: UrgencyUrgent, Numbers: lexWords("120"),
		Patterns: lexWords("吃了*肚子疼 吃了*吐 吃完*吐 吃完*拉 吃了*拉肚子 肚子疼 拉肚子 呕吐 头晕 恶心 发烧 晕倒 起疹子"),
		Requires: []string{"都|几个|好几|全家|一家|同事|学生|孩子们|很多人|多人|个人|一起|大家|一个接一个|工人们|陆续"}},
	{Name: "outbreak", Level: UrgencyUrgent, Numbers: lexWords("120"),
		Patterns: lexWords("水痘 手足口 诺如 传染病 聚集性 集体*发烧 集体*腹泻 集体*呕吐 好几个*发烧 好几个*出了 肺结核 霍乱 疫情")},
	{Name: "care_deadline", Level: UrgencyUrgent, Numbers: lexWords("120"),
		Patterns: lexWords("要手术 做手术 手术前 要住院 透析 化疗 停诊 断药 等着*救命"),
		Requires: []string{"明天|今天|今晚|马上|突然|立刻|等着|下一次|来不及"}},

	// ---- 122: traffic ----
	{Name: "traffic_injury", Level: UrgencyEmergency, Numbers: lexWords("122 120"),
		Patterns: lexWords("车祸 撞车 相撞 追尾 翻车 车*翻了 被*撞了 被车撞 撞了人 撞到人 撞倒 撞伤 撞死 撞飞 肇事逃逸 碾压 被*撞 两车*撞 车*撞了 交通事故 车*掉进"),
		Requires: []string{urgInjury}},
	{Name: "traffic_accident", Level: UrgencyUrgent, Numbers: lexWords("122"),
		Patterns: lexWords("车祸 撞车 相撞 追尾 翻车 肇事逃逸 交通事故 被*撞了 车*撞了 剐蹭")},

	// ---- urgent: city services, harm soon ----
	{Name: "flooding", Level: UrgencyUrgent,
		Patterns: lexWords(`进水了 家里进水 屋里进水 水漫 漫进 淹了 被淹 淹到 水*往*灌 往家里灌 往屋里灌 灌进 倒灌 反水 返水 水管*爆 爆管 管子爆
			水管*破裂 主管*破 水管*裂 冒水 水喷 喷水 内涝 水越来越深 水已经*膝盖 水*到腰 漫到
			积水*米 积水*深 水*一米 地下通道*积水 涵洞*积水 地下车库*进水 桥洞*积水 桥下*积水 污水*流进 污水*冒 化粪池*冒 粪水*流进
			污水*倒灌 污水*漫 流进*家里 流进了*人家 漏雨 在滴水 家里*滴水`),
		Except: lexWords("水漫金山 手机进水 脑子进水 进水口 进水阀 喷水池 喷水壶 喷水枪 音乐喷泉")},
	{Name: "no_heating_frail", Level: UrgencyUrgent,
		Patterns: lexWords("暖气不热 停暖 没有暖气 没暖气 暖气*坏 暖气管*爆 暖气*停 不供暖 没供暖 暖气*冰凉 暖气*不烧"),
		Requires: []string{urgFrail + "|冻得|冻坏|冻病|冻伤|发抖|受不了|零下|感冒|发烧"}},
	{Name: "cold_exposure", Level: UrgencyUrgent,
		Patterns: lexWords("冻得*不行 冻得*受不了 冻得发抖 冻得直哆嗦 冻僵 冻伤 冻死 冻坏了 失温"),
		Except:   lexWords("冻死了吧 冻死我了")},
	{Name: "outage_frail", Level: UrgencyUrgent,
		Patterns: lexWords("停水 停电 没水 没电 断水 断电 停气 没来水 不来水 来不了水 没有水 没有电"),
		Requires: []string{urgFrail + "|残疾|制氧机|呼吸机|透析|胰岛素|天了|几天|两天|三天|四天|五天|多天|一周|一星期|一个星期|48小时|喝水都|没水喝|没法做饭"},
		Except:   lexWords("停水通知 停电通知 手机没电 电话没电 没电了吧 车没电 电瓶没电 电动车没电")},
	{Name: "manhole", Level: UrgencyUrgent,
		Patterns: lexWords("井盖*丢 井盖*没了 井盖*不见 井盖*偷 井盖*缺 没有井盖 没井盖 井盖*坏 井盖*破 井盖*碎 井盖*塌 井盖*翘 井盖*松 井盖*移位 井盖*翻 窨井*敞 井口*敞 井盖*掉")},
	{Name: "road_collapse", Level: UrgencyUrgent,
		Patterns: lexWords("路面塌陷 地面塌陷 塌陷 塌方 地陷 天坑 路*大坑 路面*裂开 地面*裂开 桥*裂 桥*塌 墙*要倒 墙*塌 墙*裂 危房 房子*裂 楼*裂 楼*歪 墙皮*掉 外墙*脱落")},
	{Name: "fallen_tree", Level: UrgencyUrgent,
		Patterns: lexWords("树倒 树*倒了 树*压 树枝*砸 树*断了 大树*倒 树*折断 树*歪*要倒"),
		Except:   lexWords("树倒猢狲散")},
	{Name: "falling_object", Level: UrgencyUrgent,
		Patterns: lexWords(`广告牌*掉 广告牌*摇 广告牌*坠 广告牌*倒 广告牌*松 招牌*掉 招牌*摇 摇摇欲坠 随时*掉下来 要掉下来 快掉下来
			掉下来*砸 高空坠物 坠物 高空抛物 瓷砖*掉 砖*掉下来 玻璃*掉下来 空调外机*掉 外机*掉 脚手架*倒 塔吊*倒 围挡*倒 吹倒
			随时*掉 要掉下去 快掉下去 窗*松了 玻璃*松 天花板*掉 吊顶*掉 吊顶*塌 天花板*塌 石膏*掉 掉渣 倒在路上 倒在路中间 倒在马路
			杆*倒 要出事 会出事 出大事`)},
	{Name: "power_lines", Level: UrgencyUrgent,
		Patterns: lexWords("电线*掉 电线*断 电线*落 电线*垂 电线*拖在地上 电线杆*倒 高压线*断 高压线*掉 高压线*落 电缆*断 电缆*裸露 漏电 带电 电箱*开着 电线*裸露"),
		Except:   lexWords("带电作业 带电源 带电池 漏电保护")},
	{Name: "welfare_check", Level: UrgencyUrgent,
		Patterns: lexWords("敲门*不应 敲门*没人应 敲门*没反应 敲门*没人开 敲门*没动静 没出门 好几天没见 独居*联系不上 几天没见 电话*一直没人接*老人")},
	{Name: "pollution_acute", Level: UrgencyUrgent,
		Patterns: lexWords("死鱼 鱼*死了 死了*鱼 水面*油 刺鼻 呛得*睁不开 呛得*喘 大量*泄 偷排*毒 化工厂*味 农药味")},
	{Name: "animals", Level: UrgencyUrgent,
		Patterns: lexWords("毒蛇 有蛇 进蛇 野猪 疯狗 狗*咬人 马蜂窝 蜂窝*很大")},
	{Name: "road_hazard", Level: UrgencyUrgent,
		Patterns: lexWords("横在路中间 挡住*路 堵住了路 路中间*堵 停在路中间 散落*路面 油污*路面 结冰*路面 路面*结冰 钢筋*路面 红绿灯*坏了 信号灯*坏了 掉在*车道 掉在*路上 掉在*路中间 车道上*有 快车道 抛锚 爆胎 应急车道")},
	{Name: "fire_risk", Level: UrgencyUrgent, Numbers: lexWords("119"),
		Patterns: lexWords("焦糊味 烧焦 糊味 焦味 电线*发烫 插座*发烫 插座*烧 电线*烧 跳闸*焦 电闸*跳 一直跳闸")},
	{Name: "pollution_water_source", Level: UrgencyUrgent,
		Patterns: lexWords("取水口 水源地 水源*污染 排油污")},
	{Name: "heat_water_scald", Level: UrgencyUrgent,
		Patterns: lexWords("热水*喷 蒸汽*喷 暖气*喷水 开水*烫")},
}

// builtinUrgencyModifiers are the built-in context words.
var builtinUrgencyModifiers = urgencyModifiers{
	Negation:     lexWords("没有 没 不是 并非 并没有 无 未 不存在"),
	Hypothetical: lexWords("差点 差一点 险些 万一 如果 要是 假如 假设 一旦 以防 防止 预防 避免 容易 可能会 会不会 以免 否则 不然 防范 怎么防 如何防 提醒大家 注意"),
	Consulting: lexWords(`赔钱 法律援助 律师 起诉 官司 仲裁 隐患 演练 知识 培训 宣传 预案 安全检查 消防检查 灭火器 报警器 保险 理赔 赔偿 认定 鉴定 报销 索赔 补助 补贴
		补偿 罚款 处罚 责任 电影 电视剧 新闻 游戏 小说 视频里 演习 课程 考试 办理 手续 材料 申请 流程 证明 怎么办理 政策`),
	Past: lexWords(`去年 前年 上个月 上月 上次 上回 以前 之前 曾经 当年 那年 几年前 多年前 年前 小时候 上周 上星期 上礼拜 前几天 前段时间
		那次 那天 天天 每天 经常 总是 老是 每晚 每次 三天两头 长期 几个月 个多月 好几个月 半年 多年 一年多 常年 时常`),
	Resolved: lexWords(`还好及时 幸好及时 好在及时 还好没 幸好没 已经扑灭 扑灭了 灭了 被扑灭 救出来了 已经没事 没事了 抢救过来 脱离危险 脱离了危险 已送医 已经送医 送到医院 送医院了
		住院 出院 康复 已经处理 处理好了 修好了 已经找到 找到了 找回 平安回家 已经回来了`),
	Present: lexWords("现在 正在 还在 刚刚 刚才 马上 赶紧 快来 救命 快点 快派 快救 此刻 眼下 这会儿 一直在 又"),
	Praise:  lexWords("表扬 感谢 锦旗 点赞 称赞 赞扬 致谢 感激"),
}
