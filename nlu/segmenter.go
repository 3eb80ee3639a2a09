package nlu

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

// Segmenter wraps one gse segmenter loaded once for the process. It is
// read-only after NewSegmenter returns and safe for concurrent use.
type Segmenter struct {
	gse     gse.Segmenter
	version string
}

// Token is one word of the input with its byte offsets into the input:
// input[Start:End] is the original spelling, Text the lowercased word.
type Token struct {
	Text       string
	Start, End int
}

// SearchToken is a token of search mode. Parent is the index (into the
// precise tokens of the same input) of the precise word it belongs to; a
// precise word is its own parent. An analyzer gives a sub-word its parent's
// position so that phrase queries still line up.
type SearchToken struct {
	Token
	Parent int
}

// userWord is one checked line of a user dictionary.
type userWord struct {
	word, freq, pos string
}

// NewSegmenter loads gse's embedded Chinese dictionary (simplified and
// traditional) and then the user dictionary at userDict ("" for none). The
// user dictionary is read and checked before the slow load (about 2.5 s), so
// a malformed file fails fast with "file:line: message". Words of the user
// dictionary override gse's own entry for the same word.
func NewSegmenter(userDict string) (*Segmenter, error) {
	var words []userWord
	if userDict != "" {
		var err error
		if words, err = readUserDict(userDict); err != nil {
			return nil, err
		}
	}

	s := &Segmenter{version: dictVersion(words)}
	s.gse.SkipLog = true
	// LoadDictEmbed, never LoadDict: LoadDict resolves paths against gse's
	// source folder, which a deployed binary does not have.
	if err := s.gse.LoadDictEmbed(); err != nil {
		return nil, fmt.Errorf("nlu: load gse dictionary: %w", err)
	}
	if len(words) == 0 {
		return s, nil
	}

	// gse's AddToken keeps the first entry for a word, so drop gse's own
	// entry first: the user dictionary's frequency must win.
	var b strings.Builder
	for _, w := range words {
		if _, _, ok := s.gse.Dict.Find([]byte(w.word)); ok {
			if err := s.gse.RemoveToken(w.word); err != nil {
				return nil, fmt.Errorf("nlu: user dictionary %s: replace %q: %w", userDict, w.word, err)
			}
		}
		// gse splits fields on exactly one space: write canonical lines.
		b.WriteString(w.word)
		b.WriteByte(' ')
		b.WriteString(w.freq)
		if w.pos != "" {
			b.WriteByte(' ')
			b.WriteString(w.pos)
		}
		b.WriteByte('\n')
	}
	// LoadDictStr, never LoadDict: LoadDict would reset the dictionary.
	if err := s.gse.LoadDictStr(b.String()); err != nil {
		return nil, fmt.Errorf("nlu: user dictionary %s: %w", userDict, err)
	}
	return s, nil
}

// Version identifies the dictionaries: gse's version and a hash of the user
// dictionary's words. Indexes built from segmented text store it so that
// they are rebuilt when the segmentation may have changed.
func (s *Segmenter) Version() string { return s.version }

// dictVersion is the Version of gse's dictionary plus words.
func dictVersion(words []userWord) string {
	h := sha256.New()
	for _, w := range words {
		fmt.Fprintf(h, "%s %s %s\n", w.word, w.freq, w.pos)
	}
	return fmt.Sprintf("gse %s; user %x", gse.GetVersion(), h.Sum(nil)[:8])
}

// readUserDict reads and checks a user dictionary file without touching gse.
func readUserDict(path string) ([]userWord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nlu: user dictionary: %w", err)
	}
	defer f.Close()

	var words []userWord
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) < 2 || len(fields) > 3 {
			return nil, fmt.Errorf("nlu: %s:%d: want \"word freq [pos]\", got %d fields", path, line, len(fields))
		}
		if !utf8.ValidString(fields[0]) {
			return nil, fmt.Errorf("nlu: %s:%d: word is not valid UTF-8", path, line)
		}
		freq, err := strconv.ParseFloat(fields[1], 64)
		if err != nil || freq < 2 {
			// gse silently drops words below its minimum frequency of 2.
			return nil, fmt.Errorf("nlu: %s:%d: frequency %q: want a number >= 2", path, line, fields[1])
		}
		w := userWord{word: fields[0], freq: fields[1]}
		if len(fields) == 3 {
			w.pos = fields[2]
		}
		words = append(words, w)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("nlu: user dictionary %s: %w", path, err)
	}
	return words, nil
}

// Tokens segments text in gse's precise mode (Segment: dictionary shortest
// path, no HMM) and drops whitespace and punctuation. Offsets point into
// text; Text is lowercased like gse does (ASCII letters).
func (s *Segmenter) Tokens(text []byte) []Token {
	segs := s.gse.Segment(text)
	out := make([]Token, 0, len(segs))
	for i := range segs {
		start, end := segs[i].Start(), segs[i].End()
		if !hasContent(text[start:end]) {
			continue
		}
		out = append(out, Token{Text: segs[i].Token().Text(), Start: start, End: end})
	}
	return out
}

// SearchTokens returns the precise tokens of text, each followed by the
// search-mode sub-words of at least two characters of that word (gse's token
// tree, depth first). Sub-word offsets are absolute. Parent is the index of
// the precise token among the precise tokens of text.
func (s *Segmenter) SearchTokens(text []byte) []SearchToken {
	segs := s.gse.Segment(text)
	out := make([]SearchToken, 0, len(segs)+len(segs)/2)
	parent := 0
	for i := range segs {
		start, end := segs[i].Start(), segs[i].End()
		if !hasContent(text[start:end]) {
			continue
		}
		tok := segs[i].Token()
		out = append(out, SearchToken{Token: Token{Text: tok.Text(), Start: start, End: end}, Parent: parent})
		out = appendSubWords(out, tok, start, parent)
		parent++
	}
	return out
}

// appendSubWords walks gse's search-mode tree below tok, whose text starts at
// byte offset base of the input. gse stores child offsets relative to the
// parent token. Single characters are left out: they add nothing a character
// index does not already have.
func appendSubWords(out []SearchToken, tok *gse.Token, base, parent int) []SearchToken {
	for _, sub := range tok.Segments() {
		child := sub.Token()
		start, end := base+sub.Start(), base+sub.End()
		text := child.Text()
		if utf8.RuneCountInString(text) >= 2 {
			out = append(out, SearchToken{Token: Token{Text: text, Start: start, End: end}, Parent: parent})
		}
		out = appendSubWords(out, child, start, parent)
	}
	return out
}

// Cut returns the words of Tokens.
func (s *Segmenter) Cut(text string) []string {
	toks := s.Tokens([]byte(text))
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}

// hasContent reports whether b holds a letter or a digit; segments without
// one are whitespace, punctuation or symbols.
func hasContent(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			return true
		}
		b = b[size:]
	}
	return false
}
