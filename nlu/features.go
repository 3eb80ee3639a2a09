package nlu

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// This file turns a text into the sparse feature vector of one model
// member: normalisation, character n-grams and gse words, the vocabulary
// (terms seen in at least minDF training texts), tf weighting, idf and
// l2 normalisation per block.

// blockKind says where the terms of a block come from.
type blockKind uint8

const (
	// blockChars: character n-grams of the normalised text.
	blockChars blockKind = 1
	// blockWords: gse search-mode words (precise words and their sub-words).
	blockWords blockKind = 2
	// blockPinyin: n-grams of the text read as toneless pinyin syllables
	// (other characters as themselves), so homophone typos (社宝卡 for
	// 社保卡, 公积斤 for 公积金) and speech-recognition errors share
	// features with the right characters.
	blockPinyin blockKind = 3
)

// Text boundary markers: the normalised text is wrapped in them so that a
// bigram can say "starts with 你好" or "ends with 吗".
const (
	markStart = "\x02"
	markEnd   = "\x03"
)

// block is one group of features of a member. Its vector is l2-normalised
// on its own and then scaled by weight, so that a block with many terms
// (character n-grams) does not drown one with few (words).
type block struct {
	kind       blockKind
	minN, maxN int     // n-gram orders (chars only)
	weight     float64 // scale of the normalised block vector
	// first is the index of the block's first feature in the member's
	// feature space; the block owns [first, first+len(terms)).
	first int32
	terms []string         // feature index - first → term, sorted
	vocab map[string]int32 // term → feature index (member space)
}

// featureSet is the vectoriser of one member: blocks, tf weighting and idf.
// Immutable after training.
type featureSet struct {
	blocks    []block
	sublinear bool // tf → 1+ln(tf)
	idf       []float64
}

// normalizeText folds full-width ASCII to half-width, lowercases, collapses
// whitespace to one space and drops control characters.
func normalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// termScratch holds the reusable buffers of one featurisation.
type termScratch struct {
	offsets []int
	ids     []int32
	idx     []int32
	val     []float64
	bytes   []byte
	toks    []string
	// words, when set, are the gse search-mode words of the text, already
	// cut (Parser.Parse cuts once for its three heads).
	words []string
}

// forEachTerm calls fn with every term of block b in the normalised text
// norm (with repeats: term frequency matters). Character terms are
// substrings of one marked string, so generating them allocates nothing;
// pinyin n-grams of two or more syllables are built in sc's buffer and are
// valid only during the call of fn.
func (b *block) forEachTerm(norm string, seg *Segmenter, sc *termScratch, fn func(term string)) {
	switch b.kind {
	case blockChars:
		marked := markStart + norm + markEnd
		offs := sc.offsets[:0]
		for i := range marked {
			offs = append(offs, i)
		}
		offs = append(offs, len(marked))
		sc.offsets = offs
		runes := len(offs) - 1
		for n := b.minN; n <= b.maxN; n++ {
			for i := 0; i+n <= runes; i++ {
				if n == 1 && (i == 0 || i == runes-1) {
					continue // a marker alone says nothing
				}
				term := marked[offs[i]:offs[i+n]]
				if n == 1 && term == " " {
					continue
				}
				fn(term)
			}
		}
	case blockPinyin:
		marked := markStart + norm + markEnd
		toks := sc.toks[:0]
		for i := 0; i < len(marked); {
			r, size := utf8.DecodeRuneInString(marked[i:])
			if syl := pinyin(r); syl != "" {
				toks = append(toks, syl)
			} else {
				toks = append(toks, marked[i:i+size])
			}
			i += size
		}
		sc.toks = toks
		for n := b.minN; n <= b.maxN; n++ {
			for i := 0; i+n <= len(toks); i++ {
				if n == 1 {
					if i == 0 || i == len(toks)-1 || toks[i] == " " {
						continue
					}
					fn(toks[i])
					continue
				}
				buf := sc.bytes[:0]
				for j := i; j < i+n; j++ {
					if j > i {
						buf = append(buf, '|')
					}
					buf = append(buf, toks[j]...)
				}
				sc.bytes = buf
				fn(unsafe.String(unsafe.SliceData(buf), len(buf)))
			}
		}
	case blockWords:
		if sc.words != nil {
			for _, w := range sc.words {
				fn(w)
			}
			return
		}
		if seg == nil {
			return
		}
		sc.bytes = append(sc.bytes[:0], norm...)
		for _, t := range seg.SearchTokens(sc.bytes) {
			fn(t.Text)
		}
	}
}

// vectorize returns the feature vector of text: indices ascending, values
// tf·idf, each block l2-normalised and scaled by its weight. The slices are
// sc's buffers, valid until the next call with sc.
func (fs *featureSet) vectorize(text string, seg *Segmenter, sc *termScratch) ([]int32, []float64) {
	return fs.vectorizeNorm(normalizeText(text), seg, sc)
}

// vectorizeNorm is vectorize of a text already normalised by normalizeText.
func (fs *featureSet) vectorizeNorm(norm string, seg *Segmenter, sc *termScratch) ([]int32, []float64) {
	ids := sc.ids[:0]
	for bi := range fs.blocks {
		b := &fs.blocks[bi]
		b.forEachTerm(norm, seg, sc, func(term string) {
			if id, ok := b.vocab[term]; ok {
				ids = append(ids, id)
			}
		})
	}
	sc.ids = ids
	return fs.weigh(ids, sc)
}

// weigh turns the feature index of every known term occurrence (in any
// order; sorted in place) into the weighted, normalised vector.
func (fs *featureSet) weigh(ids []int32, sc *termScratch) ([]int32, []float64) {
	slices.Sort(ids)
	idx, val := sc.idx[:0], sc.val[:0]
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		tf := float64(j - i)
		if fs.sublinear {
			tf = 1 + math.Log(tf)
		}
		idx = append(idx, ids[i])
		val = append(val, tf*fs.idf[ids[i]])
		i = j
	}
	// Blocks own consecutive index ranges: normalise each range.
	start := 0
	for bi := range fs.blocks {
		b := &fs.blocks[bi]
		end := start
		limit := b.first + int32(len(b.terms))
		var sum float64
		for end < len(idx) && idx[end] < limit {
			sum += val[end] * val[end]
			end++
		}
		if sum > 0 {
			scale := b.weight / math.Sqrt(sum)
			for i := start; i < end; i++ {
				val[i] *= scale
			}
		}
		start = end
	}
	sc.idx, sc.val = idx, val
	return idx, val
}

// numFeatures is the size of the member's feature space.
func (fs *featureSet) numFeatures() int { return len(fs.idf) }

// fitFeatures builds the vocabulary and idf of a member from the training
// texts: per block, the terms found in at least minDF texts, sorted (so the
// feature order, and the model bytes, do not depend on map order). It also
// returns the feature index of every known term occurrence of each text, so
// that the texts need not be segmented again.
func fitFeatures(recipes []blockRecipe, sublinear bool, minDF int, texts []string, seg *Segmenter) (*featureSet, [][]int32) {
	fs := &featureSet{sublinear: sublinear}
	norms := make([]string, len(texts))
	for i, t := range texts {
		norms[i] = normalizeText(t)
	}
	var sc termScratch
	var dfs []map[string]int
	var first int32
	docIDs := make([][]int32, len(texts))
	docTerms := make([][]string, len(texts))
	for _, r := range recipes {
		if r.kind.usesWords() && seg == nil {
			continue
		}
		b := block{kind: r.kind, minN: r.minN, maxN: r.maxN, weight: r.weight, first: first}
		df := map[string]int{}
		seen := map[string]bool{}
		for i, norm := range norms {
			clear(seen)
			terms := docTerms[i][:0]
			b.forEachTerm(norm, seg, &sc, func(term string) {
				if b.kind == blockPinyin {
					term = strings.Clone(term) // aliases sc's buffer
				}
				terms = append(terms, term)
				if !seen[term] {
					seen[term] = true
					df[term]++
				}
			})
			docTerms[i] = terms
		}
		for term, n := range df {
			if n >= minDF {
				b.terms = append(b.terms, term)
			}
		}
		slices.Sort(b.terms)
		b.vocab = make(map[string]int32, len(b.terms))
		for i, term := range b.terms {
			b.vocab[term] = first + int32(i)
		}
		for i, terms := range docTerms {
			for _, term := range terms {
				if id, ok := b.vocab[term]; ok {
					docIDs[i] = append(docIDs[i], id)
				}
			}
		}
		first += int32(len(b.terms))
		fs.blocks = append(fs.blocks, b)
		dfs = append(dfs, df)
	}
	// Smooth idf as scikit-learn computes it: ln((1+N)/(1+df)) + 1.
	fs.idf = make([]float64, first)
	n := float64(len(texts))
	for bi, b := range fs.blocks {
		for i, term := range b.terms {
			fs.idf[int(b.first)+i] = math.Log((1+n)/(1+float64(dfs[bi][term]))) + 1
		}
	}
	return fs, docIDs
}

// rebuildVocab restores the term → index maps after reading a model.
func (fs *featureSet) rebuildVocab() {
	for bi := range fs.blocks {
		b := &fs.blocks[bi]
		b.vocab = make(map[string]int32, len(b.terms))
		for i, term := range b.terms {
			b.vocab[term] = b.first + int32(i)
		}
	}
}

// usesWords reports whether a block needs the segmenter.
func (fs *featureSet) usesWords() bool {
	for _, b := range fs.blocks {
		if b.kind.usesWords() {
			return true
		}
	}
	return false
}

// usesWords reports whether blocks of this kind need the segmenter.
func (k blockKind) usesWords() bool { return k == blockWords }

// sameAs reports whether fs and o turn every text into the same vector:
// same tf weighting, blocks, terms and idf.
func (fs *featureSet) sameAs(o *featureSet) bool {
	if fs.sublinear != o.sublinear || len(fs.blocks) != len(o.blocks) || !slices.Equal(fs.idf, o.idf) {
		return false
	}
	for i := range fs.blocks {
		a, b := &fs.blocks[i], &o.blocks[i]
		if a.kind != b.kind || a.minN != b.minN || a.maxN != b.maxN || a.weight != b.weight || a.first != b.first || !slices.Equal(a.terms, b.terms) {
			return false
		}
	}
	return true
}

// searchWords returns the gse search-mode words of a normalised text, as
// the word blocks see them.
func searchWords(norm string, seg *Segmenter) []string {
	toks := seg.SearchTokens([]byte(norm))
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.Text
	}
	return words
}
