package nlu

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// testUserDict is the user dictionary of the shared test segmenter. gse's own
// dictionary splits 一网通办 (一网通 办) and 12345热线 (12345 热线); 社保卡 is
// in gse with a tiny frequency, overridden here.
const testUserDict = `# test user dictionary
社保卡 1000 n

一网通办 100 n
12345热线 100 nz
`

var (
	testSegOnce sync.Once
	testSeg     *Segmenter
	testSegErr  error
)

// testSegmenter returns the one Segmenter of this test binary, loaded with
// testUserDict. gse's dictionary takes seconds to load (far longer under
// -race): every test in package nlu shares this one.
func testSegmenter(tb testing.TB) *Segmenter {
	tb.Helper()
	testSegOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nlu-test")
		if err != nil {
			testSegErr = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "user.txt")
		if err := os.WriteFile(path, []byte(testUserDict), 0o644); err != nil {
			testSegErr = err
			return
		}
		testSeg, testSegErr = NewSegmenter(path)
	})
	if testSegErr != nil {
		tb.Fatalf("NewSegmenter: %v", testSegErr)
	}
	return testSeg
}

func TestTokens(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	tests := []struct {
		name string
		in   string
		want []Token
	}{
		{
			name: "user word and punctuation dropped",
			in:   "社保卡丢了怎么办？",
			want: []Token{{"社保卡", 0, 9}, {"丢了", 9, 15}, {"怎么办", 15, 24}},
		},
		{
			name: "repeated words keep their own offsets",
			in:   "社保卡，社保卡！社保卡",
			want: []Token{{"社保卡", 0, 9}, {"社保卡", 12, 21}, {"社保卡", 24, 33}},
		},
		{
			name: "mixed ascii, whitespace dropped, text lowercased",
			in:   "打 12345热线问ABC公司",
			want: []Token{{"打", 0, 3}, {"12345热线", 4, 15}, {"问", 15, 18}, {"abc", 18, 21}, {"公司", 21, 27}},
		},
		{
			name: "user word splits what gse would not",
			in:   "一网通办",
			want: []Token{{"一网通办", 0, 12}},
		},
		{
			name: "only punctuation",
			in:   "？！，。 ...",
			want: []Token{},
		},
		{
			name: "empty",
			in:   "",
			want: []Token{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := []byte(tt.in)
			got := seg.Tokens(in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Tokens(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for _, tok := range got {
				if orig := bytes.ToLower(in[tok.Start:tok.End]); string(orig) != tok.Text {
					t.Errorf("token %q: input[%d:%d] = %q", tok.Text, tok.Start, tok.End, orig)
				}
			}
		})
	}
}

func TestSearchTokens(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	in := []byte("我在中华人民共和国，中华人民共和国")
	got := seg.SearchTokens(in)
	want := []SearchToken{
		{Token{"我", 0, 3}, 0},
		{Token{"在", 3, 6}, 1},
		{Token{"中华人民共和国", 6, 27}, 2},
		{Token{"中华", 6, 12}, 2},
		{Token{"人民共和国", 12, 27}, 2},
		{Token{"人民", 12, 18}, 2},
		{Token{"共和国", 18, 27}, 2},
		{Token{"共和", 18, 24}, 2},
		{Token{"中华人民共和国", 30, 51}, 3},
		{Token{"中华", 30, 36}, 3},
		{Token{"人民共和国", 36, 51}, 3},
		{Token{"人民", 36, 42}, 3},
		{Token{"共和国", 42, 51}, 3},
		{Token{"共和", 42, 48}, 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SearchTokens = %v\nwant %v", got, want)
	}
	precise := seg.Tokens(in)
	for _, st := range got {
		if string(in[st.Start:st.End]) != st.Text {
			t.Errorf("sub-word %q: input[%d:%d] = %q", st.Text, st.Start, st.End, in[st.Start:st.End])
		}
		p := precise[st.Parent]
		if st.Start < p.Start || st.End > p.End {
			t.Errorf("sub-word %q [%d,%d) outside parent %q [%d,%d)", st.Text, st.Start, st.End, p.Text, p.Start, p.End)
		}
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	got := seg.Cut("请问社保卡丢了怎么补办？")
	want := []string{"请问", "社保卡", "丢了", "怎么", "补办"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Cut = %q, want %q", got, want)
	}
}

func TestSegmenterConcurrent(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	in := []byte("社保卡丢了怎么办，12345热线能帮我一网通办吗")
	want := seg.SearchTokens(in)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if got := seg.SearchTokens(in); !reflect.DeepEqual(got, want) {
					t.Error("concurrent SearchTokens differ")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNewSegmenterBadUserDict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    string // substring of the error after the file name
	}{
		{"one field", "# c\n\n社保卡\n", ":3: want \"word freq [pos]\""},
		{"four fields", "社保卡 10 n x\n", ":1: want \"word freq [pos]\""},
		{"freq not a number", "社保卡 10\n医保 many n\n", ":2: frequency \"many\""},
		{"freq below gse minimum", "社保卡 1 n\n", ":1: frequency \"1\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "user.txt")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			// Checked before the slow dictionary load: this returns at once.
			_, err := NewSegmenter(path)
			if err == nil {
				t.Fatal("NewSegmenter: no error")
			}
			if !strings.Contains(err.Error(), path+tt.want) {
				t.Fatalf("error %q does not contain %q", err, path+tt.want)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		_, err := NewSegmenter(filepath.Join(t.TempDir(), "nope.txt"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("error = %v, want not-exist", err)
		}
	})
}

// FuzzTokens checks the offsets of every token against the input.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"社保卡丢了怎么办？", "打12345热线ABC", "中华人民共和国", "  ", "\xff\xfe社保", "ＡＢＣ１２３"} {
		f.Add(s)
	}
	seg := testSegmenter(f)
	f.Fuzz(func(t *testing.T, s string) {
		in := []byte(s)
		precise := seg.Tokens(in)
		end := 0
		for _, tok := range precise {
			if tok.Start < end || tok.End <= tok.Start || tok.End > len(in) {
				t.Fatalf("token %+v out of order or bounds (len %d)", tok, len(in))
			}
			end = tok.End
		}
		for _, st := range seg.SearchTokens(in) {
			if st.Parent < 0 || st.Parent >= len(precise) {
				t.Fatalf("sub-word %+v: parent outside %d precise tokens", st, len(precise))
			}
			p := precise[st.Parent]
			if st.Start < p.Start || st.End > p.End {
				t.Fatalf("sub-word %+v outside parent %+v", st, p)
			}
		}
	})
}
