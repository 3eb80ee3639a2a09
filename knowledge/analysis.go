package knowledge

import (
	"errors"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/hotline12345/hotline/nlu"
)

// Names in Bleve's analysis registry. They are stored in the index mapping
// on disk: renaming one means bumping indexVersion.
const (
	// tokenizerWords is gse precise mode; tokenizerSearchWords adds the
	// search-mode sub-words of long words at their parent's position.
	tokenizerWords       = "hotline_gse"
	tokenizerSearchWords = "hotline_gse_search"
	// analyzerWords analyzes queries; analyzerSearchWords indexes the word
	// fields. Both drop fillers (stop words) and fold width and case.
	analyzerWords       = "hotline_words"
	analyzerSearchWords = "hotline_words_search"
	// tokenizerChars and analyzerChars make the character fields: one
	// term per Han character, one per run of other letters or digits.
	tokenizerChars = "hotline_chars"
	analyzerChars  = "hotline_chars"
)

// fillers are the words a question is phrased with rather than about. The
// word analyzers drop them, and they do not count towards a query's
// coverage (see confidence.go). Changing the list changes the index: bump
// indexVersion.
var fillers = []string{
	"怎么", "怎么办", "怎样", "怎么样", "如何", "请问", "问一下", "问下", "一下", "想问",
	"什么", "哪里", "哪儿", "在哪", "在哪里", "哪些", "多少", "几",
	"吗", "呢", "的", "了", "啊", "呀", "吧", "嘛", "么",
	"我", "我们", "你", "你们", "您", "你好", "您好", "是", "要", "想", "能", "可以", "有",
}

// gseHandle hands the Segmenter to Bleve's tokenizer constructors. It is the
// package's only mutable package-level state, forced by Bleve: analyzers are
// built by name from a global registry, through constructors that get no
// value of ours, whenever an index mapping first needs them (creating,
// reopening, querying). Open holds gseHandle.open, stores its Segmenter, builds
// or opens the index and makes the mapping construct every analyzer, then
// clears seg. Each index mapping caches its analyzers, so every Base keeps
// the Segmenter it was opened with even when several are open at once.
var gseHandle struct {
	open sync.Mutex
	seg  atomic.Pointer[nlu.Segmenter]
}

// errNoHandle is returned by the tokenizer constructors outside Open.
var errNoHandle = errors.New("knowledge: gse tokenizer built outside knowledge.Open (no segmenter)")

func init() {
	for name, search := range map[string]bool{tokenizerWords: false, tokenizerSearchWords: true} {
		if err := registry.RegisterTokenizer(name, gseTokenizerConstructor(search)); err != nil {
			panic(err)
		}
	}
	for name, tok := range map[string]string{analyzerWords: tokenizerWords, analyzerSearchWords: tokenizerSearchWords} {
		if err := registry.RegisterAnalyzer(name, wordAnalyzerConstructor(tok)); err != nil {
			panic(err)
		}
	}
	if err := registry.RegisterTokenizer(tokenizerChars, charTokenizerConstructor); err != nil {
		panic(err)
	}
	if err := registry.RegisterAnalyzer(analyzerChars, charAnalyzerConstructor); err != nil {
		panic(err)
	}
}

// gseTokenizerConstructor returns the registry constructor of one mode. It
// may run more than once; each run wraps the same Segmenter.
func gseTokenizerConstructor(search bool) registry.TokenizerConstructor {
	return func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
		seg := gseHandle.seg.Load()
		if seg == nil {
			return nil, errNoHandle
		}
		return &gseTokenizer{seg: seg, search: search}, nil
	}
}

func wordAnalyzerConstructor(tokenizer string) registry.AnalyzerConstructor {
	return func(_ map[string]any, cache *registry.Cache) (analysis.Analyzer, error) {
		tok, err := cache.TokenizerNamed(tokenizer)
		if err != nil {
			return nil, err
		}
		stopWords := analysis.NewTokenMap()
		for _, w := range fillers {
			stopWords.AddToken(w)
		}
		return &analysis.DefaultAnalyzer{
			Tokenizer: tok,
			TokenFilters: []analysis.TokenFilter{
				cjk.NewCJKWidthFilter(),
				lowercase.NewLowerCaseFilter(),
				stop.NewStopTokensFilter(stopWords),
			},
		}, nil
	}
}

func charTokenizerConstructor(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
	return charTokenizer{}, nil
}

func charAnalyzerConstructor(_ map[string]any, cache *registry.Cache) (analysis.Analyzer, error) {
	tok, err := cache.TokenizerNamed(tokenizerChars)
	if err != nil {
		return nil, err
	}
	return &analysis.DefaultAnalyzer{Tokenizer: tok}, nil
}

// charTokenizer makes the character terms. Bleve's unicode tokenizer would
// do for Han characters but silently drops full-width digits (１２), which
// Chinese input methods produce.
type charTokenizer struct{}

var _ analysis.Tokenizer = charTokenizer{}

// Tokenize returns one token per Han character and per run of other
// letters or digits, folded to half width and lower case, with byte
// offsets into input.
func (charTokenizer) Tokenize(input []byte) analysis.TokenStream {
	us := charUnits(input)
	out := make(analysis.TokenStream, len(us))
	for i, u := range us {
		out[i] = &analysis.Token{
			Term: []byte(u.term), Start: u.start, End: u.end,
			Position: i + 1, Type: tokenType(u.term),
		}
	}
	return out
}

// unit is one character unit of a text.
type unit struct {
	term       string
	start, end int
}

// charUnits splits text into Han characters and runs of other letters or
// digits; everything else separates. Terms are folded from full width and
// lowercased; offsets point into text.
func charUnits(text []byte) []unit {
	var (
		out   []unit
		run   []rune
		start int
	)
	flush := func(end int) {
		if len(run) > 0 {
			out = append(out, unit{term: string(run), start: start, end: end})
			run = run[:0]
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0 // full-width ASCII
		}
		r = unicode.ToLower(r)
		switch {
		case unicode.Is(unicode.Han, r):
			flush(i)
			out = append(out, unit{term: string(r), start: i, end: i + size})
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			if len(run) == 0 {
				start = i
			}
			run = append(run, r)
		default:
			flush(i)
		}
		i += size
	}
	flush(len(text))
	return out
}

// gseTokenizer is Bleve's view of the one nlu.Segmenter.
type gseTokenizer struct {
	seg    *nlu.Segmenter
	search bool
}

var _ analysis.Tokenizer = (*gseTokenizer)(nil)

// Tokenize returns gse's words with byte offsets into input and 1-based
// positions; in search mode a sub-word shares its parent's position (so
// phrase queries over precise words still match).
func (t *gseTokenizer) Tokenize(input []byte) analysis.TokenStream {
	if !t.search {
		toks := t.seg.Tokens(input)
		out := make(analysis.TokenStream, len(toks))
		for i, tok := range toks {
			out[i] = &analysis.Token{
				Term: []byte(tok.Text), Start: tok.Start, End: tok.End,
				Position: i + 1, Type: tokenType(tok.Text),
			}
		}
		return out
	}
	toks := t.seg.SearchTokens(input)
	out := make(analysis.TokenStream, len(toks))
	for i, tok := range toks {
		out[i] = &analysis.Token{
			Term: []byte(tok.Text), Start: tok.Start, End: tok.End,
			Position: tok.Parent + 1, Type: tokenType(tok.Text),
		}
	}
	return out
}

// tokenType classifies a word the way Bleve's own tokenizers do.
func tokenType(word string) analysis.TokenType {
	r, _ := utf8.DecodeRuneInString(word)
	switch {
	case unicode.Is(unicode.Han, r):
		return analysis.Ideographic
	case unicode.IsNumber(r):
		return analysis.Numeric
	default:
		return analysis.AlphaNumeric
	}
}
