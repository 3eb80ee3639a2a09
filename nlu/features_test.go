package nlu

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestNormalizeText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"社保卡 丢了", "社保卡 丢了"},
		{"  ＡＢＣ１２３\u3000你好\t\n吗  ", "abc123 你好 吗"},
		{"Hello\x00World", "helloworld"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := normalizeText(tt.in); got != tt.want {
			t.Errorf("normalizeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCharTerms(t *testing.T) {
	t.Parallel()
	b := block{kind: blockChars, minN: 1, maxN: 3}
	var sc termScratch
	var got []string
	b.forEachTerm("你好吗", nil, &sc, func(s string) { got = append(got, s) })
	want := []string{"你", "好", "吗",
		markStart + "你", "你好", "好吗", "吗" + markEnd,
		markStart + "你好", "你好吗", "好吗" + markEnd}
	if !slices.Equal(got, want) {
		t.Fatalf("terms %q, want %q", got, want)
	}
}

func TestVectorizeBlocksUnitLength(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	texts := []string{"社保卡丢了怎么办", "社保卡怎么补办", "公积金怎么提取"}
	fs, docIDs := fitFeatures([]blockRecipe{{kind: blockChars, minN: 1, maxN: 2, weight: 1}, {kind: blockWords, weight: 1}}, true, 1, texts, seg)
	if len(fs.blocks) != 2 || fs.blocks[1].first != int32(len(fs.blocks[0].terms)) {
		t.Fatalf("blocks %+v", fs.blocks)
	}
	var sc termScratch
	// The training texts' ids give the vectors vectorize gives.
	for i, text := range texts {
		a, av := fs.vectorize(text, seg, &sc)
		a, av = slices.Clone(a), slices.Clone(av)
		var sc2 termScratch
		b, bv := fs.weigh(slices.Clone(docIDs[i]), &sc2)
		if !slices.Equal(a, b) || !slices.Equal(av, bv) {
			t.Errorf("%q: training vector %v %v, vectorize %v %v", text, b, bv, a, av)
		}
	}
	idx, val := fs.vectorize("社保卡丢了，公积金呢？", seg, &sc)
	if !slices.IsSorted(idx) {
		t.Fatalf("indices not sorted: %v", idx)
	}
	var norms [2]float64
	for p, f := range idx {
		bi := 0
		if f >= fs.blocks[1].first {
			bi = 1
		}
		norms[bi] += val[p] * val[p]
	}
	for bi, n := range norms {
		if math.Abs(n-1) > 1e-9 {
			t.Errorf("block %d: squared norm %v, want 1", bi, n)
		}
	}
	// A text with no known term is the zero vector.
	if idx, _ := fs.vectorize("xyz", seg, &sc); len(idx) != 0 {
		t.Errorf("unknown text has features %v", idx)
	}
	// Without a segmenter the word block is left out.
	if fs, _ := fitFeatures([]blockRecipe{{kind: blockWords, weight: 1}}, true, 1, texts, nil); len(fs.blocks) != 0 {
		t.Errorf("word block without segmenter: %+v", fs.blocks)
	}
}

func TestPinyin(t *testing.T) {
	t.Parallel()
	for r, want := range map[rune]string{'社': "she", '保': "bao", '宝': "bao", '金': "jin", '斤': "jin", '女': "nv", 'a': "", '1': "", '。': ""} {
		if got := pinyin(r); got != want {
			t.Errorf("pinyin(%q) = %q, want %q", r, got, want)
		}
	}
	// Every ideograph of the training corpus has a reading.
	c, err := LoadCorpus("../kb-data/nlu/corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var han int
	for _, ex := range c.Head(HeadIntent) {
		for _, r := range ex.Text {
			if r >= pinyinFirst && r <= pinyinLast {
				han++
				if pinyin(r) == "" {
					t.Errorf("no pinyin for %q in %q", r, ex.Text)
				}
			}
		}
	}
	if han == 0 {
		t.Fatal("no ideographs in the corpus")
	}
}

func TestPinyinTerms(t *testing.T) {
	t.Parallel()
	b := block{kind: blockPinyin, minN: 1, maxN: 2}
	terms := func(text string) []string {
		var sc termScratch
		var got []string
		b.forEachTerm(normalizeText(text), nil, &sc, func(s string) { got = append(got, strings.Clone(s)) })
		return got
	}
	want := []string{"she", "bao", "ka", "2",
		markStart + "|she", "she|bao", "bao|ka", "ka|2", "2|" + markEnd}
	if got := terms("社保卡2"); !slices.Equal(got, want) {
		t.Fatalf("terms %q, want %q", got, want)
	}
	// A homophone typo reads the same: the model trained on the right
	// spelling sees the same pinyin vector in the misspelt one.
	fs, _ := fitFeatures([]blockRecipe{{kind: blockPinyin, minN: 1, maxN: 2, weight: 1}}, true, 1, []string{"社保卡丢了", "公积金提取"}, nil)
	var sc termScratch
	a, av := fs.vectorize("社宝卡丢了", nil, &sc)
	a, av = slices.Clone(a), slices.Clone(av)
	r, rv := fs.vectorize("社保卡丢了", nil, &sc)
	if len(a) == 0 || !slices.Equal(a, r) || !slices.Equal(av, rv) {
		t.Errorf("社宝卡 %v %v, 社保卡 %v %v", a, av, r, rv)
	}
}
