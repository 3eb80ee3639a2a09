package knowledge

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hotline12345/hotline/nlu"
)

// Confidence is the share of what the citizen wrote that an entry's own
// texts contain, with a little weight on how the index ranked it:
//
//	coverage   = (1-bagShare)·phrasing + bagShare·bag
//	phrasing   = max over question and similar p of
//	             (1-phrasingShare)·w(q∩p)/w(q) + phrasingShare·w(q∩p)/w(p)
//	bag        = (w(q∩texts) + answerWeight·w(q∩answer only)) / w(q)
//	confidence = coverage · ((1-relShare) + relShare·score/topScore)
//
// q is the query's content: character unigrams and bigrams (Han characters
// one by one, runs of letters or digits whole) of everything but fillers and
// punctuation. texts are the entry's question, similar, keywords and tags.
// w sums gram weights: idf over entries, ln(1+N/df), a gram no entry has
// weighing as much as the rarest one (so off-topic words pull confidence
// down) and bigrams half as much as unigrams (a shared bigram is also two
// shared unigrams). The constants were chosen on kb-data/eval (doc.go).
const (
	bagShare      = 0.85
	phrasingShare = 0.25
	answerWeight  = 0.5
	relShare      = 0.2
	bigramWeight  = 0.5
	maxPhrasings  = 62 // question + similar tracked per entry; more are ignored
	bitInTexts    = 62
	bitInAnswer   = 63
	unknownGram   = -1
)

// gram is one unigram or bigram of a text's content.
type gram struct {
	text   string
	bigram bool
}

// contentRuns returns the content of text as runs of character units:
// fillers are dropped, each Han character is a unit, a run of other letters
// or digits is one unit (12345, app); a filler, punctuation or space ends a
// run.
func contentRuns(seg *nlu.Segmenter, text string) [][]string {
	var (
		runs [][]string
		cur  []string
		end  = -1 // byte end of the previous kept token
	)
	for _, tok := range seg.Tokens([]byte(text)) {
		if isFiller[tok.Text] || tok.Start != end {
			if len(cur) > 0 {
				runs = append(runs, cur)
				cur = nil
			}
		}
		if isFiller[tok.Text] {
			continue
		}
		end = tok.End
		for _, u := range charUnits([]byte(tok.Text)) {
			cur = append(cur, u.term)
		}
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

// grams returns the unigrams and bigrams of content runs.
func grams(runs [][]string) []gram {
	var out []gram
	for _, run := range runs {
		for i, u := range run {
			out = append(out, gram{text: u})
			if i > 0 {
				out = append(out, gram{text: run[i-1] + u, bigram: true})
			}
		}
	}
	return out
}

var isFiller = func() map[string]bool {
	m := make(map[string]bool, len(fillers))
	for _, f := range fillers {
		m[f] = true
	}
	return m
}()

// vocabulary numbers the grams of all entries and knows their weights.
type vocabulary struct {
	ids     map[string]int32
	weights []float64 // by id
	unseen  float64   // unigram weight of a gram no entry has
}

// queryGrams are a query's distinct grams as ids (unknownGram for grams no
// entry has) with their weights.
type queryGrams struct {
	ids     []int32
	weights []float64
	total   float64
}

func (v *vocabulary) query(gs []gram) queryGrams {
	var q queryGrams
	seen := make(map[string]bool, len(gs))
	for _, g := range gs {
		if seen[g.text] {
			continue
		}
		seen[g.text] = true
		id, ok := v.ids[g.text]
		w := v.unseen
		if ok {
			w = v.weights[id]
		} else {
			id = unknownGram
		}
		if g.bigram {
			w *= bigramWeight
		}
		q.ids = append(q.ids, id)
		q.weights = append(q.weights, w)
		q.total += w
	}
	return q
}

// entryGrams is what confidence needs of one entry: per gram id a bit set
// of the phrasings (bits 0..61) that have it, bitInTexts when question,
// similar, keywords or tags have it, bitInAnswer when the answer does; and
// the weight of each phrasing.
type entryGrams struct {
	bits      map[int32]uint64
	phrasings []float64
}

// prepare computes validity, the vocabulary, entry grams and neighbours.
func (b *Base) prepare() error {
	seg := b.cfg.Segmenter
	n := len(b.entries)
	b.validity = make([]validity, n)
	b.grams = make([]entryGrams, n)

	type texts struct {
		phrasings [][]gram
		other     []gram // keywords and tags
		answer    []gram
	}
	all := make([]texts, n)
	df := map[string]int{}
	for i, e := range b.entries {
		var err error
		if b.validity[i].from, err = parseDay(e.EffectiveFrom); err != nil {
			return fmt.Errorf("%w: %s: effective_from: %v", ErrInvalid, e.ID, err)
		}
		if b.validity[i].until, err = parseDay(e.Expires); err != nil {
			return fmt.Errorf("%w: %s: expires: %v", ErrInvalid, e.ID, err)
		}
		t := &all[i]
		for k, p := range append([]string{e.Question}, e.Similar...) {
			if k < maxPhrasings {
				t.phrasings = append(t.phrasings, grams(contentRuns(seg, p)))
			}
		}
		for _, k := range append(slices.Clone(e.Keywords), e.Tags...) {
			t.other = append(t.other, grams(contentRuns(seg, k))...)
		}
		t.answer = grams(contentRuns(seg, e.Answer))

		seen := map[string]bool{}
		for _, gs := range append(slices.Clone(t.phrasings), t.other) {
			for _, g := range gs {
				seen[g.text] = true
			}
		}
		for g := range seen {
			df[g]++
		}
	}

	v := &vocabulary{ids: make(map[string]int32, len(df)), unseen: math.Log(1 + float64(n))}
	intern := func(g string) int32 {
		id, ok := v.ids[g]
		if !ok {
			id = int32(len(v.weights))
			v.ids[g] = id
			w := v.unseen // answer-only grams: as rare as can be
			if d := df[g]; d > 0 {
				w = math.Log(1 + float64(n)/float64(d))
			}
			v.weights = append(v.weights, w)
		}
		return id
	}
	weight := func(g gram) float64 {
		w := v.weights[v.ids[g.text]]
		if g.bigram {
			w *= bigramWeight
		}
		return w
	}
	for i := range all {
		eg := entryGrams{bits: map[int32]uint64{}}
		for k, gs := range all[i].phrasings {
			total := 0.0
			for _, g := range gs {
				id := intern(g.text)
				if eg.bits[id]&(1<<k) == 0 {
					eg.bits[id] |= 1<<k | 1<<bitInTexts
					total += weight(g)
				}
			}
			eg.phrasings = append(eg.phrasings, total)
		}
		for _, g := range all[i].other {
			eg.bits[intern(g.text)] |= 1 << bitInTexts
		}
		for _, g := range all[i].answer {
			eg.bits[intern(g.text)] |= 1 << bitInAnswer
		}
		b.grams[i] = eg
	}
	b.vocab = v
	b.neighbours = neighbours(b.entries)
	return nil
}

// coverage is how much of the query entry i's texts contain (see the
// comment at the top of this file).
func (b *Base) coverage(q queryGrams, i int) float64 {
	if q.total == 0 {
		return 0
	}
	eg := &b.grams[i]
	var shared [maxPhrasings]float64
	bag := 0.0
	for k, id := range q.ids {
		if id == unknownGram {
			continue
		}
		bits, ok := eg.bits[id]
		if !ok {
			continue
		}
		w := q.weights[k]
		switch {
		case bits&(1<<bitInTexts) != 0:
			bag += w
		case bits&(1<<bitInAnswer) != 0:
			bag += answerWeight * w
		}
		for p := range eg.phrasings {
			if bits&(1<<p) != 0 {
				shared[p] += w
			}
		}
	}
	best := 0.0
	for p, total := range eg.phrasings {
		if total > 0 {
			best = max(best, (1-phrasingShare)*shared[p]/q.total+phrasingShare*shared[p]/total)
		}
	}
	return (1-bagShare)*best + bagShare*bag/q.total
}

// confidence is coverage scaled a little by the hit's index score relative
// to the best one, clamped to 0..1.
func confidence(coverage, relScore float64) float64 {
	c := coverage * ((1 - relShare) + relShare*relScore)
	return min(max(c, 0), 1)
}

// neighbours lists, per entry, the other entries of its department or
// sharing a tag: most shared tags first, then same department, then file
// order.
func neighbours(entries []Entry) [][]int {
	out := make([][]int, len(entries))
	for i, e := range entries {
		type cand struct{ j, tags, dept int }
		var cands []cand
		for j, o := range entries {
			if j == i {
				continue
			}
			c := cand{j: j}
			for _, t := range o.Tags {
				if slices.Contains(e.Tags, t) {
					c.tags++
				}
			}
			if o.Department == e.Department {
				c.dept = 1
			}
			if c.tags > 0 || c.dept > 0 {
				cands = append(cands, c)
			}
		}
		slices.SortStableFunc(cands, func(a, b cand) int {
			if a.tags != b.tags {
				return b.tags - a.tags
			}
			return b.dept - a.dept
		})
		for _, c := range cands {
			out[i] = append(out[i], c.j)
		}
	}
	return out
}

// parseDay parses YYYY-MM-DD as a UTC date; "" is the zero time.
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(dateLayout, s)
}
