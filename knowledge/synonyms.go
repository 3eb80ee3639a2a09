package knowledge

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Synonyms rewrites the different names of one thing to one canonical
// name, in the entries' texts when they are indexed and in every query, so
// that 社会保险 finds 社保 and 驾照 finds 驾驶证 in every field and in
// confidence alike. A group's first term is the canonical one; the others
// are replaced by it wherever they occur as a substring, in one
// left-to-right pass that takes the longest term (canonical or not)
// starting at each position and does not scan its output again.
//
// Rewriting both sides rather than expanding queries keeps one term per
// concept in the index, so BM25 counts 社保 and 社会保险 as the same
// evidence and a long synonym does not outweigh a short one. The cost: the
// index depends on the synonyms (they are part of Open's fingerprint, so a
// change rebuilds it), and a term that is also part of an unrelated word
// would be rewritten inside it, which is why terms must have at least two
// characters and why the list holds hotline vocabulary only.
//
// A nil *Synonyms rewrites nothing. A Synonyms is immutable and safe for
// concurrent use.
type Synonyms struct {
	groups  [][]string
	rep     *strings.Replacer
	version string
}

// NewSynonyms checks groups (each at least two distinct terms of at least
// two characters, no term in two groups, no term that is a filler) and
// returns their rewriter. Problems are *Problem values matching
// ErrInvalid.
func NewSynonyms(groups [][]string) (*Synonyms, error) {
	lines := make([][]int, len(groups))
	return newSynonyms("", groups, lines)
}

// LoadSynonyms reads a synonyms file (kb-data/synonyms.yaml):
//
//	synonyms:
//	  - [社保, 社会保险, 社会保障]
//	  - [公积金, 住房公积金]
//
// Problems come back as "file:line: message" (*Problem, matching
// ErrInvalid); a missing file is an error matching os.ErrNotExist.
func LoadSynonyms(path string) (*Synonyms, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("knowledge: synonyms: %w", err)
	}
	return parseSynonyms(path, data)
}

func parseSynonyms(file string, data []byte) (*Synonyms, error) {
	problem := func(line int, format string, args ...any) error {
		return &Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errors.Join(yamlProblems(file, 1, err)...)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, problem(1, "want a mapping with a synonyms list")
	}
	top := doc.Content[0]
	var list *yaml.Node
	var problems []error
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i], top.Content[i+1]
		if key.Value != "synonyms" {
			problems = append(problems, problem(key.Line, "unknown key %q (want synonyms)", key.Value))
			continue
		}
		list = val
	}
	switch {
	case list == nil:
		return nil, errors.Join(append(problems, problem(top.Line, "no synonyms list"))...)
	case list.Kind != yaml.SequenceNode:
		return nil, errors.Join(append(problems, problem(list.Line, "synonyms: want a list of groups"))...)
	}
	var (
		groups [][]string
		lines  [][]int
	)
	for _, g := range list.Content {
		if g.Kind != yaml.SequenceNode {
			problems = append(problems, problem(g.Line, "synonym group: want a list of terms like [社保, 社会保险]"))
			continue
		}
		if len(g.Content) < 2 {
			problems = append(problems, problem(g.Line, "synonym group: want at least two terms"))
			continue
		}
		var terms []string
		var ls []int
		for _, t := range g.Content {
			if t.Kind != yaml.ScalarNode || (t.Tag != "!!str" && t.Tag != "!!int") {
				problems = append(problems, problem(t.Line, "synonym: want a term (a string)"))
				continue
			}
			terms = append(terms, t.Value)
			ls = append(ls, t.Line)
		}
		groups = append(groups, terms)
		lines = append(lines, ls)
	}
	s, err := newSynonyms(file, groups, lines)
	if err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return s, nil
}

// newSynonyms checks groups; lines[i][j] is the line of groups[i][j] (0
// when not from a file).
func newSynonyms(file string, groups [][]string, lines [][]int) (*Synonyms, error) {
	var problems []error
	at := func(i, j int) int {
		if i < len(lines) && j < len(lines[i]) {
			return lines[i][j]
		}
		return 0
	}
	problem := func(line int, format string, args ...any) {
		problems = append(problems, &Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	type place struct{ group, line int }
	seen := map[string]place{}
	var clean [][]string
	for i, g := range groups {
		var terms []string
		for j, t := range g {
			t = strings.TrimSpace(t)
			switch {
			case utf8.RuneCountInString(t) < 2:
				problem(at(i, j), "synonym %q: want at least two characters", t)
				continue
			case strings.IndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) >= 0:
				problem(at(i, j), "synonym %q: want letters and digits only", t)
				continue
			case isFiller[t]:
				problem(at(i, j), "synonym %q: is a filler word, which search ignores", t)
				continue
			}
			if p, dup := seen[t]; dup {
				if p.group == i {
					problem(at(i, j), "synonym %q twice in one group", t)
				} else {
					problem(at(i, j), "synonym %q is already in another group (line %d)", t, p.line)
				}
				continue
			}
			seen[t] = place{i, at(i, j)}
			terms = append(terms, t)
		}
		if len(g) < 2 {
			problem(at(i, 0), "synonym group %v: want at least two terms", g)
		}
		if len(terms) >= 2 {
			clean = append(clean, terms)
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}

	type pair struct{ from, to string }
	var pairs []pair
	for _, g := range clean {
		// The canonical term maps to itself so that, as the longest match
		// at its position, it is kept whole: with [看病, 就医] and
		// [异地就医, 跨省就医], 异地就医 stays 异地就医 rather than
		// becoming 异地看病.
		for _, t := range g {
			pairs = append(pairs, pair{t, g[0]})
		}
	}
	// strings.Replacer tries old strings in argument order at each
	// position: longest first makes it the longest match.
	slices.SortStableFunc(pairs, func(a, b pair) int { return len(b.from) - len(a.from) })
	args := make([]string, 0, 2*len(pairs))
	h := sha256.New()
	for _, p := range pairs {
		args = append(args, p.from, p.to)
		fmt.Fprintf(h, "%s\t%s\n", p.from, p.to)
	}
	return &Synonyms{
		groups:  clean,
		rep:     strings.NewReplacer(args...),
		version: fmt.Sprintf("%x", h.Sum(nil)[:8]),
	}, nil
}

// Rewrite replaces every non-canonical term in text by its group's
// canonical term.
func (s *Synonyms) Rewrite(text string) string {
	if s == nil || len(s.groups) == 0 {
		return text
	}
	return s.rep.Replace(text)
}

// Groups returns the groups, canonical term first.
func (s *Synonyms) Groups() [][]string {
	if s == nil {
		return nil
	}
	out := make([][]string, len(s.groups))
	for i, g := range s.groups {
		out[i] = slices.Clone(g)
	}
	return out
}

// Version identifies the rewriting for fingerprints ("" for none).
func (s *Synonyms) Version() string {
	if s == nil || len(s.groups) == 0 {
		return ""
	}
	return s.version
}
