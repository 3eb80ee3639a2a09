package nlu

import (
	"math"
	"slices"
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
