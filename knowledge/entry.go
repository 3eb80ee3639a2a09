package knowledge

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MinSimilar is how many alternative phrasings (similar) every entry needs.
// Paraphrases are what the index matches citizens' wording against; an entry
// with only its official question is found far less often.
const MinSimilar = 2

// dateLayout is the only date format of the knowledge base files.
const dateLayout = "2006-01-02"

// Source is the policy document an answer rests on.
type Source struct {
	// Title of the document; required.
	Title string `yaml:"title" json:"title"`
	// Number is the document number (文号), e.g. 本人社规〔2024〕3号.
	Number string `yaml:"number,omitempty" json:"number,omitempty"`
	// URL where citizens can read the document (http or https).
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
}

// Entry is one question and its answer in the policy knowledge base.
type Entry struct {
	// ID is unique across all files: lowercase ASCII letters, digits, '-'
	// and '_', starting with a letter or digit (social_security-card-lost).
	ID string `yaml:"id" json:"id"`
	// Question is the official wording; unique across all files.
	Question string `yaml:"question" json:"question"`
	// Similar holds other ways citizens ask it; at least MinSimilar.
	Similar []string `yaml:"similar" json:"similar"`
	// Answer is the reply text shown to the citizen.
	Answer string `yaml:"answer" json:"answer"`
	// Department is the code of the department responsible.
	Department string `yaml:"department" json:"department"`
	// Tags group entries by topic; entries sharing tags are related.
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// Keywords are extra search terms (abbreviations, colloquial names).
	Keywords []string `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	// Source is the policy document; its title is required.
	Source Source `yaml:"source" json:"source"`
	// EffectiveFrom is the first day the answer applies (YYYY-MM-DD, local
	// time); "" means always.
	EffectiveFrom string `yaml:"effective_from,omitempty" json:"effective_from,omitempty"`
	// Expires is the last day the answer applies (YYYY-MM-DD, inclusive,
	// local time); "" means never. Expired entries are never served.
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty"`
	// Updated is when the content was last reviewed (YYYY-MM-DD).
	Updated string `yaml:"updated,omitempty" json:"updated,omitempty"`
	// Owner is who maintains the entry.
	Owner string `yaml:"owner,omitempty" json:"owner,omitempty"`

	// File and Line tell where the entry was loaded from, for messages.
	File string `yaml:"-" json:"-"`
	Line int    `yaml:"-" json:"-"`
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	deptPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// yamlLine picks "line N: message" out of yaml.v3 error texts.
	yamlLine = regexp.MustCompile(`line (\d+): (.*)`)
)

// entryKeys are the keys an entry may have; anything else is a typo.
var entryKeys = map[string]bool{
	"id": true, "question": true, "similar": true, "answer": true,
	"department": true, "tags": true, "keywords": true, "source": true,
	"effective_from": true, "expires": true, "updated": true, "owner": true,
}

// LoadDir reads every *.yaml and *.yml file under dir/kb (dir is the
// kb-data directory; files in lexical order, subdirectories included) and
// checks them: required fields, id and department format, at least
// MinSimilar phrasings, unknown keys, duplicate ids and questions across
// files, dates. Every problem is a *Problem ("file:line: message"); all are
// joined into one error that matches ErrInvalid. Entries come back in file
// order with surrounding whitespace trimmed.
func LoadDir(dir string) ([]Entry, error) {
	entries, problems, err := loadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return entries, nil
}

// loadDir is LoadDir returning the good entries along with the problems;
// err is for what stops reading (no directory, unreadable file).
func loadDir(dir string) ([]Entry, []error, error) {
	root := filepath.Join(dir, "kb")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("knowledge: load %s: %w", root, err)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w: %s: no *.yaml files", ErrInvalid, root)
	}

	var (
		entries  []Entry
		problems []error
	)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, fmt.Errorf("knowledge: load %s: %w", f, err)
		}
		es, ps := parseFile(f, data)
		entries = append(entries, es...)
		problems = append(problems, ps...)
	}
	problems = append(problems, checkUnique(entries)...)
	return entries, problems, nil
}

// parseFile decodes one file's entries; entries with problems are left out.
func parseFile(file string, data []byte) ([]Entry, []error) {
	problem := func(line int, format string, args ...any) error {
		return &Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlProblems(file, 1, err)
	}
	if len(doc.Content) == 0 {
		return nil, []error{problem(1, "empty file: want a mapping with an entries list")}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, []error{problem(top.Line, "want a mapping with an entries list")}
	}
	var list *yaml.Node
	var problems []error
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i], top.Content[i+1]
		if key.Value != "entries" {
			problems = append(problems, problem(key.Line, "unknown key %q (want entries)", key.Value))
			continue
		}
		list = val
	}
	if list == nil {
		return nil, append(problems, problem(top.Line, "no entries list"))
	}
	if list.Kind != yaml.SequenceNode {
		return nil, append(problems, problem(list.Line, "entries: want a list"))
	}

	var entries []Entry
	for _, item := range list.Content {
		e, ps := parseEntry(file, item)
		if len(ps) > 0 {
			problems = append(problems, ps...)
			continue
		}
		entries = append(entries, e)
	}
	return entries, problems
}

// parseEntry decodes and checks one entry node.
func parseEntry(file string, item *yaml.Node) (Entry, []error) {
	var problems []error
	add := func(line int, id, field, format string, args ...any) {
		problems = append(problems, &Problem{File: file, Line: line, ID: id, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if item.Kind != yaml.MappingNode {
		add(item.Line, "", "", "entry: want a mapping")
		return Entry{}, problems
	}

	// lines of each key, to point at the field a problem is about.
	lines := map[string]int{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		key := item.Content[i]
		if !entryKeys[key.Value] {
			add(key.Line, "", key.Value, "unknown key %q", key.Value)
		}
		lines[key.Value] = key.Line
	}

	var e Entry
	if err := item.Decode(&e); err != nil {
		return Entry{}, append(problems, yamlProblems(file, item.Line, err)...)
	}
	e.File, e.Line = file, item.Line
	trimEntry(&e)
	for _, is := range checkEntry(e) {
		line := item.Line
		key, _, _ := strings.Cut(is.field, ".")
		if l, ok := lines[key]; ok {
			line = l
		}
		add(line, e.ID, is.field, "%s", is.msg)
	}
	return e, problems
}

// ValidateEntry checks one entry with the rules LoadDir applies to every
// entry of a file (required fields, id and department format, at least
// MinSimilar phrasings, URL and dates), after trimming surrounding
// whitespace as LoadDir does. It does not check uniqueness: that needs the
// rest of the base (Apply checks it). The problems are *Problem values
// joined into one error matching ErrInvalid; they carry e.File and e.Line
// when the entry has them.
func ValidateEntry(e Entry) error {
	e = cloneEntry(e)
	trimEntry(&e)
	var problems []error
	for _, is := range checkEntry(e) {
		problems = append(problems, &Problem{File: e.File, Line: e.Line, ID: e.ID, Field: is.field, Msg: is.msg})
	}
	return errors.Join(problems...)
}

// issue is one problem of an entry, about one field.
type issue struct {
	field string // "similar", "source.url"; "" for the whole entry
	msg   string
}

// checkEntry applies the per-entry rules to a trimmed entry. Messages start
// with the entry's id so that a list of them reads on its own.
func checkEntry(e Entry) []issue {
	var out []issue
	name := e.ID
	if name == "" {
		name = "entry"
	}
	add := func(field, format string, args ...any) {
		out = append(out, issue{field: field, msg: name + ": " + fmt.Sprintf(format, args...)})
	}
	switch {
	case e.ID == "":
		out = append(out, issue{field: "id", msg: "entry: id is required"})
	case !idPattern.MatchString(e.ID):
		add("id", "id %q: want lowercase ascii letters, digits, '-' and '_'", e.ID)
	}
	if e.Question == "" {
		add("question", "question is required")
	}
	nonEmpty := 0
	for _, s := range e.Similar {
		if s != "" {
			nonEmpty++
		}
	}
	if nonEmpty != len(e.Similar) {
		add("similar", "similar: empty phrasing")
	}
	if nonEmpty < MinSimilar {
		add("similar", "similar: want at least %d phrasings, got %d", MinSimilar, nonEmpty)
	}
	if e.Answer == "" {
		add("answer", "answer is required")
	}
	switch {
	case e.Department == "":
		add("department", "department is required")
	case !deptPattern.MatchString(e.Department):
		add("department", "department %q: want a department code like social_security", e.Department)
	}
	if e.Source.Title == "" {
		add("source.title", "source.title is required")
	}
	if e.Source.URL != "" {
		if u, err := url.Parse(e.Source.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("source.url", "source.url %q: want an http(s) URL", e.Source.URL)
		}
	}
	dates := map[string]time.Time{}
	for _, d := range []struct{ key, val string }{
		{"effective_from", e.EffectiveFrom}, {"expires", e.Expires}, {"updated", e.Updated},
	} {
		if d.val == "" {
			continue
		}
		t, err := time.Parse(dateLayout, d.val)
		if err != nil {
			add(d.key, "%s %q: want YYYY-MM-DD", d.key, d.val)
			continue
		}
		dates[d.key] = t
	}
	if from, ok := dates["effective_from"]; ok {
		if until, ok := dates["expires"]; ok && until.Before(from) {
			add("expires", "expires %s is before effective_from %s", e.Expires, e.EffectiveFrom)
		}
	}
	return out
}

// cloneEntry copies e with its own slices, so that the copy can be changed
// (trimmed) without touching the caller's entry.
func cloneEntry(e Entry) Entry {
	e.Similar = slices.Clone(e.Similar)
	e.Tags = slices.Clone(e.Tags)
	e.Keywords = slices.Clone(e.Keywords)
	return e
}

// trimEntry trims surrounding whitespace from every text field.
func trimEntry(e *Entry) {
	for _, p := range []*string{
		&e.ID, &e.Question, &e.Answer, &e.Department, &e.Source.Title, &e.Source.Number,
		&e.Source.URL, &e.EffectiveFrom, &e.Expires, &e.Updated, &e.Owner,
	} {
		*p = strings.TrimSpace(*p)
	}
	for _, list := range [][]string{e.Similar, e.Tags, e.Keywords} {
		for i := range list {
			list[i] = strings.TrimSpace(list[i])
		}
	}
}

// checkUnique reports ids and questions that occur more than once.
func checkUnique(entries []Entry) []error {
	var problems []error
	ids := map[string]*Entry{}
	questions := map[string]*Entry{}
	for i := range entries {
		e := &entries[i]
		if first, ok := ids[e.ID]; ok {
			problems = append(problems, &Problem{File: e.File, Line: e.Line, ID: e.ID, Field: "id",
				Msg: fmt.Sprintf("duplicate id %q (first at %s:%d)", e.ID, first.File, first.Line)})
		} else {
			ids[e.ID] = e
		}
		if first, ok := questions[e.Question]; ok {
			problems = append(problems, &Problem{File: e.File, Line: e.Line, ID: e.ID, Field: "question",
				Msg: fmt.Sprintf("%s: duplicate question %q (first in %s at %s:%d)", e.ID, e.Question, first.ID, first.File, first.Line)})
		} else {
			questions[e.Question] = e
		}
	}
	return problems
}

// yamlProblems turns a yaml.v3 error into problems with line numbers.
func yamlProblems(file string, line int, err error) []error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	problems := make([]error, 0, len(msgs))
	for _, m := range msgs {
		l, text := line, strings.TrimPrefix(m, "yaml: ")
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			if n, err := strconv.Atoi(sm[1]); err == nil {
				l, text = n, sm[2]
			}
		}
		problems = append(problems, &Problem{File: file, Line: l, Msg: text})
	}
	return problems
}
