package knowledge

import (
	"errors"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// tok is the part of an analysis.Token the tests compare.
type tok struct {
	term       string
	start, end int
	pos        int
}

func toks(ts analysis.TokenStream) []tok {
	out := make([]tok, len(ts))
	for i, t := range ts {
		out[i] = tok{string(t.Term), t.Start, t.End, t.Position}
	}
	return out
}

func equalToks(a, b []tok) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGSETokenizer(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	tests := []struct {
		name   string
		search bool
		in     string
		want   []tok
	}{
		{
			name: "precise, repeated word, punctuation dropped",
			in:   "社保卡丢了，社保卡",
			want: []tok{{"社保卡", 0, 9, 1}, {"丢了", 9, 15, 2}, {"社保卡", 18, 27, 3}},
		},
		{
			name: "precise, mixed ascii lowercased with original offsets",
			in:   "打12345问APP",
			want: []tok{{"打", 0, 3, 1}, {"12345", 3, 8, 2}, {"问", 8, 11, 3}, {"app", 11, 14, 4}},
		},
		{
			name:   "search mode: sub-words at the parent's position",
			search: true,
			in:     "去中华人民共和国",
			want: []tok{
				{"去", 0, 3, 1},
				{"中华人民共和国", 3, 24, 2}, {"中华", 3, 9, 2}, {"人民共和国", 9, 24, 2},
				{"人民", 9, 15, 2}, {"共和国", 15, 24, 2}, {"共和", 15, 21, 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := toks((&gseTokenizer{seg: seg, search: tt.search}).Tokenize([]byte(tt.in)))
			if !equalToks(got, tt.want) {
				t.Fatalf("Tokenize(%q) =\n%v\nwant\n%v", tt.in, got, tt.want)
			}
		})
	}
}

func TestAnalyzers(t *testing.T) {
	t.Parallel()
	b := openTest(t, fixtureEntries(), Config{})
	m := b.idx.Mapping()
	tests := []struct {
		analyzer string
		in       string
		want     []tok
	}{
		{
			// fillers (请问, 怎么办, 的) dropped; positions keep their gaps.
			analyzer: analyzerWords,
			in:       "请问社保卡丢了怎么办",
			want:     []tok{{"社保卡", 6, 15, 2}, {"丢了", 15, 21, 3}},
		},
		{
			analyzer: analyzerSearchWords,
			in:       "公积金提取",
			want:     []tok{{"公积金", 0, 9, 1}, {"公积", 0, 6, 1}, {"提取", 9, 15, 2}},
		},
		{
			// one term per CJK character; full-width digits folded.
			analyzer: analyzerChars,
			in:       "补办社保卡１２",
			want: []tok{{"补", 0, 3, 1}, {"办", 3, 6, 2}, {"社", 6, 9, 3}, {"保", 9, 12, 4},
				{"卡", 12, 15, 5}, {"12", 15, 21, 6}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.analyzer, func(t *testing.T) {
			t.Parallel()
			a := m.AnalyzerNamed(tt.analyzer)
			if a == nil {
				t.Fatalf("no analyzer %s", tt.analyzer)
			}
			if got := toks(a.Analyze([]byte(tt.in))); !equalToks(got, tt.want) {
				t.Fatalf("%s(%q) =\n%v\nwant\n%v", tt.analyzer, tt.in, got, tt.want)
			}
		})
	}
}

func TestTokenizerOutsideOpen(t *testing.T) {
	t.Parallel()
	// A fresh registry cache, as a mapping loaded by someone else would use:
	// without Open there is no segmenter to wrap.
	_, err := registry.NewCache().TokenizerNamed(tokenizerWords)
	if err == nil {
		// Open may be running in a parallel test; only a nil error with no
		// Open in flight would be wrong, which this cannot tell apart.
		t.Skip("an Open was in progress")
	}
	if !errors.Is(err, errNoHandle) && err.Error() != "error building tokenizer: "+errNoHandle.Error() {
		t.Fatalf("err = %v, want %v", err, errNoHandle)
	}
}
