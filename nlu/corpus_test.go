package nlu

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadTSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Example
		wantErr string
	}{
		{
			name: "header, comments, blank lines, CRLF, BOM, trimmed fields",
			in:   "\ufefftext\tlabel\r\n# comment\n\n社保卡丢了\tconsult\r\n 谢谢 \t thanks \n",
			want: []Example{{"社保卡丢了", "consult"}, {"谢谢", "thanks"}},
		},
		{name: "no header", in: "你好\tgreeting\n", want: []Example{{"你好", "greeting"}}},
		{name: "one column", in: "text\tlabel\n你好\tgreeting\n再见\n", wantErr: "nlu: corpus.tsv:3: want 2 columns, got 1"},
		{name: "three columns", in: "a\tb\tc\n", wantErr: "corpus.tsv:1: want 2 columns, got 3"},
		{name: "empty label", in: "你好\t\n", wantErr: "corpus.tsv:1: empty label"},
		{name: "empty text", in: "# x\n\tgreeting\n", wantErr: "corpus.tsv:2: empty text"},
		{name: "invalid UTF-8", in: "你好\tgreeting\n\xff\xfe\tx\n", wantErr: "corpus.tsv:2: not valid UTF-8"},
		{name: "header only", in: "text\tlabel\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadTSV(strings.NewReader(tt.in), "corpus.tsv")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadCorpus(t *testing.T) {
	t.Parallel()
	in := "# corpus\ntext\tintent\tdepartment\turgency\n你好\tgreeting\t-\tnone\n水管爆了\treport\tutilities\turgent\n"
	c, err := ReadCorpus(strings.NewReader(in), "c.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Heads(); !reflect.DeepEqual(got, []string{"intent", "department", "urgency"}) {
		t.Fatalf("heads %q", got)
	}
	if c.Len() != 2 {
		t.Fatalf("Len = %d", c.Len())
	}
	if got, want := c.Head(HeadDepartment), []Example{{"水管爆了", "utilities"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("department head %q, want %q (the - line left out)", got, want)
	}
	if got := c.Head(HeadIntent); len(got) != 2 || got[0].Label != "greeting" {
		t.Fatalf("intent head %q", got)
	}
	if c.Head("nope") != nil {
		t.Fatal("unknown head not nil")
	}

	for _, bad := range []struct{ in, want string }{
		{"label\tintent\n", "c.tsv:1: want a header"},
		{"text\tintent\tintent\n", "c.tsv:1: header: empty or repeated head"},
		{"text\tintent\tdepartment\n你好\tgreeting\n", "c.tsv:2: want 3 columns, got 2"},
		{"text\tintent\tdepartment\n你好\t\t-\n", "c.tsv:2: empty intent"},
		{"# only comments\n", "c.tsv: no header"},
	} {
		if _, err := ReadCorpus(strings.NewReader(bad.in), "c.tsv"); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ReadCorpus(%q) err = %v, want %q", bad.in, err, bad.want)
		}
	}
}

// TestLoadCorpusFile reads the real corpus: every head has examples and at
// least two labels.
func TestLoadCorpusFile(t *testing.T) {
	t.Parallel()
	c, err := LoadCorpus("../kb-data/nlu/corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{HeadIntent, HeadDepartment, HeadUrgency} {
		ex := c.Head(h)
		labels := map[string]bool{}
		for _, e := range ex {
			labels[e.Label] = true
		}
		if len(ex) < 100 || len(labels) < 2 {
			t.Errorf("head %s: %d examples, %d labels", h, len(ex), len(labels))
		}
	}
}
