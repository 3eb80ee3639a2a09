package nlu

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
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
	// blockShape: word 1- and 2-grams of the precise words with names,
	// places, organisations, numbers and other open-class tokens replaced by
	// their gse part-of-speech tag ("给 <nr> 发短信"): a template seen with
	// one name matches every other name the dictionary knows.
	blockShape blockKind = 3
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
	blocks     []block
	sublinear  bool // tf → 1+ln(tf)
	foldDigits bool // every decimal digit reads as 0
	// unseenNorm counts the terms the vocabulary does not have (each at the
	// idf of an unseen term) in a block's l2 norm. A text made mostly of
	// unseen terms then keeps small weights on the few it shares with the
	// training texts, instead of having them blown up to unit length.
	unseenNorm bool
	idf        []float64
	// unseenIDF is the idf of a term no training text had.
	unseenIDF float64
}

// normalizeText folds full-width ASCII to half-width, lowercases, collapses
// whitespace to one space, drops control characters and, when foldDigits is
// set, writes every decimal digit as 0 (numbers vary, their shape matters).
func normalizeText(s string, foldDigits bool) string {
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
		if foldDigits && r >= '0' && r <= '9' {
			r = '0'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// termScratch holds the reusable buffers of one featurisation.
type termScratch struct {
	offsets []int
	ids     []int32
	unseen  []int // per block: occurrences of unseen terms
	idx     []int32
	val     []float64
	bytes   []byte
}

// forEachTerm calls fn with every term of block b in the normalised text
// norm (with repeats: term frequency matters). Character terms are
// substrings of one marked string, so generating them allocates nothing.
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
	case blockWords:
		if seg == nil {
			return
		}
		sc.bytes = append(sc.bytes[:0], norm...)
		for _, t := range seg.SearchTokens(sc.bytes) {
			fn(t.Text)
		}
	case blockShape:
		if seg == nil {
			return
		}
		sc.bytes = append(sc.bytes[:0], norm...)
		prev := markStart
		for _, sg := range seg.gse.Segment(sc.bytes) {
			if !hasContent(sc.bytes[sg.Start():sg.End()]) {
				continue
			}
			tok := sg.Token()
			cur := shapeOf(tok.Text(), tok.Pos())
			if cur[0] == '<' {
				fn(cur)
			}
			fn(prev + "|" + cur)
			prev = cur
		}
		fn(prev + "|" + markEnd)
	}
}

// shapeOf is a precise word as the shape block sees it: open-class words
// (names, places, organisations, other proper nouns, numerals, tokens gse
// does not know) become "<tag>", everything else stays itself.
func shapeOf(word, pos string) string {
	switch pos {
	case "nr", "nrfg", "nrt", "ns", "nt", "nz", "m", "mq", "t", "eng":
		return "<" + pos + ">"
	case "x", "":
		return "<x>"
	}
	return word
}

// vectorize returns the feature vector of text: indices ascending, values
// tf·idf, each block l2-normalised and scaled by its weight. The slices are
// sc's buffers, valid until the next call with sc.
func (fs *featureSet) vectorize(text string, seg *Segmenter, sc *termScratch) ([]int32, []float64) {
	norm := normalizeText(text, fs.foldDigits)
	ids := sc.ids[:0]
	unseen := append(sc.unseen[:0], make([]int, len(fs.blocks))...)
	for bi := range fs.blocks {
		b := &fs.blocks[bi]
		b.forEachTerm(norm, seg, sc, func(term string) {
			if id, ok := b.vocab[term]; ok {
				ids = append(ids, id)
			} else {
				unseen[bi]++
			}
		})
	}
	sc.unseen = unseen
	slices.Sort(ids)
	sc.ids = ids
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
		if fs.unseenNorm {
			sum += float64(unseen[bi]) * fs.unseenIDF * fs.unseenIDF
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
// feature order, and the model bytes, do not depend on map order).
func fitFeatures(recipes []blockRecipe, sublinear, foldDigits, unseenNorm bool, minDF int, texts []string, seg *Segmenter) *featureSet {
	fs := &featureSet{sublinear: sublinear, foldDigits: foldDigits, unseenNorm: unseenNorm}
	norms := make([]string, len(texts))
	for i, t := range texts {
		norms[i] = normalizeText(t, foldDigits)
	}
	var sc termScratch
	var dfs []map[string]int
	var first int32
	for _, r := range recipes {
		if r.kind.usesWords() && seg == nil {
			continue
		}
		b := block{kind: r.kind, minN: r.minN, maxN: r.maxN, weight: r.weight, first: first}
		df := map[string]int{}
		seen := map[string]bool{}
		for _, norm := range norms {
			clear(seen)
			b.forEachTerm(norm, seg, &sc, func(term string) {
				if !seen[term] {
					seen[term] = true
					df[term]++
				}
			})
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
		first += int32(len(b.terms))
		fs.blocks = append(fs.blocks, b)
		dfs = append(dfs, df)
	}
	// Smooth idf as scikit-learn computes it: ln((1+N)/(1+df)) + 1.
	fs.idf = make([]float64, first)
	n := float64(len(texts))
	fs.unseenIDF = math.Log(1+n) + 1
	for bi, b := range fs.blocks {
		for i, term := range b.terms {
			fs.idf[int(b.first)+i] = math.Log((1+n)/(1+float64(dfs[bi][term]))) + 1
		}
	}
	return fs
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
func (k blockKind) usesWords() bool { return k == blockWords || k == blockShape }
