package knowledge

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// LintOptions tune Lint.
type LintOptions struct {
	// Now is the day expiry and review dates are checked against (zero:
	// time.Now()).
	Now time.Time
	// AllowExpired reports expired entries as warnings instead of
	// problems. An expired entry is never served, so by default it is an
	// error: retire it or extend it, don't leave it to rot.
	AllowExpired bool
}

// LintReport is what Lint found. Problems fail a CI run; warnings are worth
// a look but do not. Both are *Problem values ("file:line: message").
type LintReport struct {
	Entries     int
	Departments int // distinct departments with entries
	Files       int // knowledge base files read
	Problems    []error
	Warnings    []error
}

// Lint checks a kb-data directory the way CI should before deploying:
//
//   - everything LoadDir checks (fields, formats, dates, unique ids and
//     questions);
//   - an expires date before today (a problem unless AllowExpired) and an
//     updated date after today;
//   - phrasings (question and similar) repeated within an entry or across
//     entries, which makes two entries equally good matches;
//   - with departments.yaml: its format, and that every entry's department
//     is listed there;
//   - that an entry lives in kb/<department>.yaml (other: hotline.yaml) —
//     a warning;
//   - with synonyms.yaml: everything LoadSynonyms checks;
//   - with eval/*.tsv: their format, that every expected id exists (or is
//     "none"), and — warnings — queries equal to an entry's phrasing or
//     nearly so (character-bigram Dice similarity at least
//     nearPhrasingDice), which measure string matching rather than
//     retrieval.
//
// The error is for what stops the check (a missing kb directory).
func Lint(dir string, opt LintOptions) (LintReport, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	today := time.Date(opt.Now.Year(), opt.Now.Month(), opt.Now.Day(), 0, 0, 0, 0, time.UTC)
	var r LintReport
	entries, problems, err := loadDir(dir)
	if err != nil {
		return r, err
	}
	r.Problems = problems
	problem := func(warn bool, file string, line int, id, field, format string, args ...any) {
		p := &Problem{File: file, Line: line, ID: id, Field: field, Msg: fmt.Sprintf(format, args...)}
		if warn {
			r.Warnings = append(r.Warnings, p)
		} else {
			r.Problems = append(r.Problems, p)
		}
	}

	files, depts := map[string]bool{}, map[string]bool{}
	type at struct {
		id         string
		file       string
		line       int
		isQuestion bool
	}
	phrasings := map[string]at{}
	var near []nearPhrasing
	for _, e := range entries {
		files[e.File] = true
		depts[e.Department] = true
		if d, err := parseDay(e.Expires); err == nil && !d.IsZero() && d.Before(today) {
			problem(opt.AllowExpired, e.File, e.Line, e.ID, "expires", "%s: expired on %s: it is never served; retire it or extend it", e.ID, e.Expires)
		}
		if d, err := parseDay(e.Updated); err == nil && !d.IsZero() && d.After(today) {
			problem(false, e.File, e.Line, e.ID, "updated", "%s: updated %s is in the future", e.ID, e.Updated)
		}
		want := e.Department + ".yaml"
		if e.Department == "other" {
			want = "hotline.yaml"
		}
		if base := filepath.Base(e.File); base != want && strings.TrimSuffix(base, ".yml")+".yaml" != want {
			problem(true, e.File, e.Line, e.ID, "department", "%s: department %s belongs in kb/%s", e.ID, e.Department, want)
		}
		for k, p := range append([]string{e.Question}, e.Similar...) {
			key := normalizePhrasing(p)
			if key == "" {
				continue
			}
			field := "similar"
			if k == 0 {
				field = "question"
			}
			first, dup := phrasings[key]
			switch {
			case !dup:
				phrasings[key] = at{e.ID, e.File, e.Line, k == 0}
				near = append(near, nearPhrasing{text: p, id: e.ID, file: e.File, line: e.Line, bigrams: bigramSet(p)})
			case first.id == e.ID:
				problem(false, e.File, e.Line, e.ID, field, "%s: phrasing %q repeated within the entry", e.ID, p)
			case k == 0 && first.isQuestion:
				// duplicate questions are LoadDir's problem already
			default:
				problem(false, e.File, e.Line, e.ID, field, "%s: phrasing %q is also a phrasing of %s (%s:%d)", e.ID, p, first.id, first.file, first.line)
			}
		}
	}
	r.Entries, r.Departments, r.Files = len(entries), len(depts), len(files)

	if path := filepath.Join(dir, "departments.yaml"); exists(path) {
		codes, ps := loadDepartments(path)
		r.Problems = append(r.Problems, ps...)
		if len(ps) == 0 {
			for _, e := range entries {
				if !codes[e.Department] {
					problem(false, e.File, e.Line, e.ID, "department", "%s: department %q is not in %s", e.ID, e.Department, path)
				}
			}
		}
	}
	if path := filepath.Join(dir, "synonyms.yaml"); exists(path) {
		if _, err := LoadSynonyms(path); err != nil {
			r.Problems = append(r.Problems, unjoin(err)...)
		}
	}
	if evals, _ := filepath.Glob(filepath.Join(dir, "eval", "*.tsv")); len(evals) > 0 {
		ids := map[string]bool{}
		for _, e := range entries {
			ids[e.ID] = true
		}
		qs, ps, err := readEvalFiles(evals)
		if err != nil {
			return r, err
		}
		r.Problems = append(r.Problems, ps...)
		for _, q := range qs {
			if q.Want != OutOfScope && !ids[q.Want] {
				problem(false, q.File, q.Line, "", "", "expected id %q is not in the knowledge base", q.Want)
			}
			if first, ok := phrasings[normalizePhrasing(q.Query)]; ok {
				problem(true, q.File, q.Line, "", "", "query %q is a phrasing of %s (%s:%d): it measures string matching, not retrieval", q.Query, first.id, first.file, first.line)
			} else if p, d := nearest(near, q.Query); d >= nearPhrasingDice {
				problem(true, q.File, q.Line, "", "", "query %q is nearly the phrasing %q of %s (%s:%d, similarity %.2f): it measures string matching, not retrieval", q.Query, p.text, p.id, p.file, p.line, d)
			}
		}
	}
	return r, nil
}

// nearPhrasingDice is the similarity from which Lint warns that an eval
// query is nearly a stored phrasing. The sample data's queries stay below
// 0.8 (the closest, 考研报名什么时候开始 to 小学报名什么时候开始, is 0.78).
const nearPhrasingDice = 0.8

// nearPhrasing is one stored phrasing as its character bigrams, for
// nearest.
type nearPhrasing struct {
	text, id, file string
	line           int
	bigrams        map[string]bool
}

// bigramSet is the set of character bigrams of s's content (its one unit
// when it has only one).
func bigramSet(s string) map[string]bool {
	us := charUnits([]byte(s))
	set := make(map[string]bool, len(us))
	for i := 1; i < len(us); i++ {
		set[us[i-1].term+"\x1f"+us[i].term] = true
	}
	if len(us) == 1 {
		set[us[0].term] = true
	}
	return set
}

// nearest returns the stored phrasing most similar to q (Dice coefficient
// of their bigram sets) and the similarity.
func nearest(near []nearPhrasing, q string) (nearPhrasing, float64) {
	qb := bigramSet(q)
	var (
		best nearPhrasing
		dice float64
	)
	if len(qb) == 0 {
		return best, 0
	}
	for _, p := range near {
		shared := 0
		for b := range qb {
			if p.bigrams[b] {
				shared++
			}
		}
		if d := 2 * float64(shared) / float64(len(qb)+len(p.bigrams)); d > dice {
			best, dice = p, d
		}
	}
	return best, dice
}

// normalizePhrasing is what makes two phrasings the same for Lint: case,
// width, spaces and punctuation ignored.
func normalizePhrasing(s string) string {
	var b strings.Builder
	for _, u := range charUnits([]byte(s)) {
		b.WriteString(u.term)
	}
	return b.String()
}

// loadDepartments reads departments.yaml: a list of code, name, agency and
// description, all required, codes unique and well formed.
func loadDepartments(path string) (map[string]bool, []error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{fmt.Errorf("knowledge: %w", err)}
	}
	var problems []error
	problem := func(line int, format string, args ...any) {
		problems = append(problems, &Problem{File: path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlProblems(path, 1, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		problem(1, "want a mapping with a departments list")
		return nil, problems
	}
	top := doc.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "departments" {
			list = top.Content[i+1]
		} else {
			problem(top.Content[i].Line, "unknown key %q (want departments)", top.Content[i].Value)
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		problem(top.Line, "no departments list")
		return nil, problems
	}
	codes := map[string]bool{}
	for _, item := range list.Content {
		var d struct{ Code, Name, Agency, Description string }
		if item.Kind != yaml.MappingNode {
			problem(item.Line, "department: want a mapping")
			continue
		}
		if err := item.Decode(&d); err != nil {
			problems = append(problems, yamlProblems(path, item.Line, err)...)
			continue
		}
		var missing []string
		for _, kv := range [][2]string{{"code", d.Code}, {"name", d.Name}, {"agency", d.Agency}, {"description", d.Description}} {
			if strings.TrimSpace(kv[1]) == "" {
				missing = append(missing, kv[0])
			}
		}
		for i := 0; i+1 < len(item.Content); i += 2 {
			if k := item.Content[i].Value; !slices.Contains([]string{"code", "name", "agency", "description"}, k) {
				problem(item.Content[i].Line, "unknown key %q", k)
			}
		}
		switch {
		case len(missing) > 0:
			problem(item.Line, "department %q: %s required", d.Code, strings.Join(missing, ", "))
		case !deptPattern.MatchString(d.Code):
			problem(item.Line, "department code %q: want lowercase ascii letters, digits and '_'", d.Code)
		case codes[d.Code]:
			problem(item.Line, "duplicate department code %q", d.Code)
		}
		codes[d.Code] = true
	}
	return codes, problems
}

// unjoin splits an errors.Join result into its errors.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
