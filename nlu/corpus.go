package nlu

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Example is one labelled text: the unit a classifier trains and is
// measured on.
type Example struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

// The heads of the NLU corpus: the columns of kb-data/nlu/corpus.tsv after
// the text.
const (
	HeadIntent     = "intent"
	HeadDepartment = "department"
	HeadUrgency    = "urgency"
)

// NotApplicable is the label of a corpus line that says nothing for a head
// (a greeting has no department). [Corpus.Head] leaves such lines out.
const NotApplicable = "-"

// maxLine bounds one line of a TSV file; long letters fit, a runaway file
// without newlines does not.
const maxLine = 1 << 20

// ReadTSV reads labelled examples, one "text<TAB>label" line each. A first
// line "text<TAB>label" is a header and skipped; so are blank lines and
// lines starting with '#'. Both fields are trimmed and must not be empty.
// Errors name the file and line: "corpus.tsv:17: want 2 columns, got 1".
func ReadTSV(r io.Reader, name string) ([]Example, error) {
	var out []Example
	first := true
	err := scanTSV(r, name, func(line int, fields []string) error {
		header := first
		first = false
		if len(fields) != 2 {
			return fmt.Errorf("want 2 columns, got %d", len(fields))
		}
		if header && strings.EqualFold(fields[0], "text") && strings.EqualFold(fields[1], "label") {
			return nil
		}
		if fields[0] == "" {
			return fmt.Errorf("empty text")
		}
		if fields[1] == "" {
			return fmt.Errorf("empty label")
		}
		out = append(out, Example{Text: fields[0], Label: fields[1]})
		return nil
	})
	return out, err
}

// scanTSV calls fn with the trimmed fields of every line that is not blank
// or a comment. An error from fn, invalid UTF-8 or a line too long is
// returned as "nlu: name:line: message".
func scanTSV(r io.Reader, name string, fn func(line int, fields []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !utf8.ValidString(text) {
			return fmt.Errorf("nlu: %s:%d: not valid UTF-8", name, line)
		}
		fields := strings.Split(text, "\t")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if err := fn(line, fields); err != nil {
			return fmt.Errorf("nlu: %s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return fmt.Errorf("nlu: %s:%d: line longer than %d bytes", name, line+1, maxLine)
		}
		return fmt.Errorf("nlu: %s: %w", name, err)
	}
	return nil
}

// Corpus is a multi-head training corpus such as kb-data/nlu/corpus.tsv: a
// header "text<TAB>head<TAB>head…" and one labelled text per line, one label
// per head. It is read-only once loaded.
type Corpus struct {
	heads []string
	texts []string
	// labels[h][i] is the label of text i for head h.
	labels [][]string
}

// LoadCorpus reads the corpus file at path (see [ReadCorpus]).
func LoadCorpus(path string) (Corpus, error) {
	f, err := os.Open(path)
	if err != nil {
		return Corpus{}, fmt.Errorf("nlu: corpus: %w", err)
	}
	defer f.Close()
	return ReadCorpus(f, path)
}

// ReadCorpus reads a corpus. The first line that is not blank or a comment
// is the header: "text" and then at least one head name. Every other line
// has one field per header column; a label may be [NotApplicable]. Errors
// name the file and line.
func ReadCorpus(r io.Reader, name string) (Corpus, error) {
	var c Corpus
	err := scanTSV(r, name, func(line int, fields []string) error {
		if c.heads == nil {
			if len(fields) < 2 || fields[0] != "text" {
				return fmt.Errorf("want a header \"text<TAB>head…\", got %q", strings.Join(fields, "\t"))
			}
			seen := map[string]bool{}
			for _, h := range fields[1:] {
				if h == "" || seen[h] {
					return fmt.Errorf("header: empty or repeated head %q", h)
				}
				seen[h] = true
			}
			c.heads = fields[1:]
			c.labels = make([][]string, len(c.heads))
			return nil
		}
		if len(fields) != len(c.heads)+1 {
			return fmt.Errorf("want %d columns, got %d", len(c.heads)+1, len(fields))
		}
		if fields[0] == "" {
			return fmt.Errorf("empty text")
		}
		for h, label := range fields[1:] {
			if label == "" {
				return fmt.Errorf("empty %s (write %q if it does not apply)", c.heads[h], NotApplicable)
			}
		}
		c.texts = append(c.texts, fields[0])
		for h, label := range fields[1:] {
			c.labels[h] = append(c.labels[h], label)
		}
		return nil
	})
	if err != nil {
		return Corpus{}, err
	}
	if c.heads == nil {
		return Corpus{}, fmt.Errorf("nlu: %s: no header", name)
	}
	return c, nil
}

// Heads returns the head names in file order.
func (c Corpus) Heads() []string { return append([]string(nil), c.heads...) }

// Len is the number of texts.
func (c Corpus) Len() int { return len(c.texts) }

// Head returns the examples of one head in file order, leaving out the lines
// whose label is [NotApplicable]. It returns nil for an unknown head.
func (c Corpus) Head(name string) []Example {
	for h, head := range c.heads {
		if head != name {
			continue
		}
		out := make([]Example, 0, len(c.texts))
		for i, text := range c.texts {
			if label := c.labels[h][i]; label != NotApplicable {
				out = append(out, Example{Text: text, Label: label})
			}
		}
		return out
	}
	return nil
}
