package knowledge

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/hotline12345/hotline/nlu"
)

// Confidence is the share of what the citizen wrote that an entry's own
// texts contain, discounted when the entry's closest phrasing says much
// that the citizen did not, with a little weight on how the index ranked
// it:
//
//	coverage   = ((1-bagShare)·phrasing + bagShare·bag) · ((1-precShare) + precShare·precision)
//	phrasing   = max over question and similar p of
//	             (1-phrasingShare)·w(q∩p)/w(q) + phrasingShare·w(q∩p)/w(p)
//	precision  = max over question and similar p of w(q∩p)/w(p)
//	bag        = (w(q∩texts) + answerWeight·w(q∩answer only)) / w(q)
//	confidence = coverage · ((1-relShare) + relShare·score/topScore)
//
// q is the query's content: character unigrams and bigrams (Han characters
// one by one, runs of letters or digits whole) of everything but fillers and
// punctuation. texts are the entry's question, similar, keywords and tags.
// w sums gram weights: idf over entries, ln(1+N/df), a gram no entry has
// weighing as much as the rarest one (so off-topic words pull confidence
// down) and bigrams a quarter as much as unigrams (a shared bigram is also
// two shared unigrams). Precision is what keeps a short question from
// being "fully covered" by a long phrasing that merely contains its one
// word (你吃饭了吗 and 老人一个人在家吃饭没着落): bag alone only asks
// whether the query's grams occur somewhere in the entry. The shares are
// in weights; docs/KNOWLEDGE.md has how they were chosen.
const (
	maxPhrasings = 62 // question + similar tracked per entry; more are ignored
	bitInTexts   = 62
	bitInAnswer  = 63
	unknownGram  = -1
)

// weights are the shares of the confidence formula and the query boosts.
type weights struct {
	bagShare, phrasingShare, answerWeight, relShare, precShare float64
	// bigram is a bigram's weight relative to a unigram's.
	bigram float64
	// boost overrides a field's boost from the layout, by field name.
	boost map[string]float64
}

// defaultWeights are the shipped weights.
var defaultWeights = weights{bagShare: 0.85, phrasingShare: 0.25, answerWeight: 0.5, relShare: 0.2, precShare: 0.8, bigram: 0.25}

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
				out = append(out, gram{text: run[i-1] + "\x1f" + u, bigram: true})
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
// Grams are never forgotten (an edited-away gram keeps its id with df 0);
// it is guarded by Base.mu.
type vocabulary struct {
	ids          map[string]int32
	bigram       []bool    // by id
	df           []int32   // by id: entries whose texts (not answer) have it
	adf          []int32   // by id: entries whose answer has it
	weights      []float64 // by id: idf, before the bigram factor
	n            int       // entries counted in df
	unseen       float64   // weight of a gram no entry's texts have
	bigramFactor float64   // weight factor of bigrams
}

func (v *vocabulary) init() { v.ids = map[string]int32{} }

// intern returns g's id, numbering it if new.
func (v *vocabulary) intern(g gram) int32 {
	id, ok := v.ids[g.text]
	if !ok {
		id = int32(len(v.df))
		v.ids[g.text] = id
		v.bigram = append(v.bigram, g.bigram)
		v.df = append(v.df, 0)
		v.adf = append(v.adf, 0)
		v.weights = append(v.weights, 0)
	}
	return id
}

// reweigh recomputes the weights after df or n changed.
func (v *vocabulary) reweigh() {
	v.unseen = math.Log(1 + float64(max(v.n, 1)))
	for id, d := range v.df {
		if d > 0 {
			v.weights[id] = math.Log(1 + float64(v.n)/float64(d))
		} else {
			v.weights[id] = v.unseen // answer-only or forgotten: as rare as can be
		}
	}
}

// weight is the weight of a gram id with its bigram factor.
func (v *vocabulary) weight(id int32) float64 {
	if v.bigram[id] {
		return v.weights[id] * v.bigramFactor
	}
	return v.weights[id]
}

// termDF estimates how many entries have term (a character unit or a
// word) in their texts, or in their answer: exact for one or two character
// units, the least of its bigrams' for a longer word (an upper bound), 0
// for a term no entry has.
func (v *vocabulary) termDF(term string, answer bool) int {
	df := v.df
	if answer {
		df = v.adf
	}
	lookup := func(key string) int {
		if id, ok := v.ids[key]; ok {
			return int(df[id])
		}
		return 0
	}
	us := charUnits([]byte(term))
	switch len(us) {
	case 0:
		return 0
	case 1:
		return lookup(us[0].term)
	}
	least := -1
	for i := 1; i < len(us); i++ {
		d := lookup(us[i-1].term + "\x1f" + us[i].term)
		if least < 0 || d < least {
			least = d
		}
	}
	return least
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
		var w float64
		if ok {
			w = v.weight(id)
		} else {
			id, w = unknownGram, v.unseen
			if g.bigram {
				w *= v.bigramFactor
			}
		}
		q.ids = append(q.ids, id)
		q.weights = append(q.weights, w)
		q.total += w
	}
	return q
}

// entryGrams is what confidence needs of one entry: its distinct gram ids,
// sorted, and per id a bit set of the phrasings (bits 0..61, question
// first) that have it, bitInTexts when question, similar, keywords or tags
// have it, bitInAnswer when the answer does. Slices rather than a map: a
// 100,000-entry base holds tens of millions of them.
type entryGrams struct {
	ids       []int32
	bits      []uint64
	phrasings int
}

// find returns the bits of gram id, 0 when the entry lacks it.
func (eg *entryGrams) find(id int32) uint64 {
	lo, hi := 0, len(eg.ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if eg.ids[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(eg.ids) && eg.ids[lo] == id {
		return eg.bits[lo]
	}
	return 0
}

// prepared is an entry analyzed for confidence, before its grams are
// numbered: the slow part of adding an entry, done without holding Base.mu.
type prepared struct {
	entry     Entry
	valid     validity
	phrasings [][]gram
	other     []gram // keywords and tags
	answer    []gram
	terms     []string
}

// prepare analyzes one entry; seg and syn as configured.
func prepare(seg *nlu.Segmenter, syn *Synonyms, e Entry) (prepared, error) {
	p := prepared{entry: e}
	var err error
	if p.valid.from, err = parseDay(e.EffectiveFrom); err != nil {
		return p, &Problem{File: e.File, Line: e.Line, ID: e.ID, Field: "effective_from", Msg: fmt.Sprintf("%s: effective_from: %v", e.ID, err)}
	}
	if p.valid.until, err = parseDay(e.Expires); err != nil {
		return p, &Problem{File: e.File, Line: e.Line, ID: e.ID, Field: "expires", Msg: fmt.Sprintf("%s: expires: %v", e.ID, err)}
	}
	text := func(s string) []gram { return grams(contentRuns(seg, syn.Rewrite(s))) }
	for k, ph := range append([]string{e.Question}, e.Similar...) {
		if k < maxPhrasings && ph != "" {
			p.phrasings = append(p.phrasings, text(ph))
		}
	}
	for _, list := range [][]string{e.Keywords, e.Tags} {
		for _, k := range list {
			p.other = append(p.other, text(k)...)
			if t := syn.Rewrite(k); t != "" && !slices.Contains(p.terms, t) {
				p.terms = append(p.terms, t)
			}
		}
	}
	p.answer = text(e.Answer)
	return p, nil
}

// prepareAll prepares entries on all CPUs, in order.
func (b *Base) prepareAll(entries []Entry) ([]prepared, error) {
	out := make([]prepared, len(entries))
	errs := make([]error, len(entries))
	workers := min(runtime.GOMAXPROCS(0), max(len(entries)/64, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(entries); i += workers {
				out[i], errs[i] = prepare(b.cfg.Segmenter, b.synonyms(), entries[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// synonyms are the synonyms the layout applies.
func (b *Base) synonyms() *Synonyms {
	if b.layout.synonyms {
		return b.cfg.Synonyms
	}
	return nil
}

// install adds a prepared entry (whose id the base does not have) to the
// slots, the vocabulary and the term lists; the caller holds mu
// exclusively and calls vocab.reweigh when done.
func (b *Base) install(p prepared) {
	bits := map[int32]uint64{}
	for k, gs := range p.phrasings {
		for _, g := range gs {
			bits[b.vocab.intern(g)] |= 1<<k | 1<<bitInTexts
		}
	}
	for _, g := range p.other {
		bits[b.vocab.intern(g)] |= 1 << bitInTexts
	}
	for _, g := range p.answer {
		bits[b.vocab.intern(g)] |= 1 << bitInAnswer
	}
	eg := entryGrams{ids: make([]int32, 0, len(bits)), bits: make([]uint64, 0, len(bits)), phrasings: len(p.phrasings)}
	for id := range bits {
		eg.ids = append(eg.ids, id)
	}
	slices.Sort(eg.ids)
	for _, id := range eg.ids {
		eg.bits = append(eg.bits, bits[id])
		if bits[id]&(1<<bitInTexts) != 0 {
			b.vocab.df[id]++
		}
		if bits[id]&(1<<bitInAnswer) != 0 {
			b.vocab.adf[id]++
		}
	}
	b.vocab.n++

	var i int32
	if n := len(b.free); n > 0 {
		i, b.free = b.free[n-1], b.free[:n-1]
	} else {
		i = int32(len(b.slots))
		b.slots = append(b.slots, slot{})
	}
	b.slots[i] = slot{live: true, entry: p.entry, valid: p.valid, grams: eg, terms: p.terms}
	b.byID[p.entry.ID] = i
	for _, t := range p.terms {
		b.byTerm[t] = append(b.byTerm[t], i)
	}
}

// uninstall removes the entry in slot i; the caller holds mu exclusively
// and calls vocab.reweigh when done.
func (b *Base) uninstall(i int32) {
	s := &b.slots[i]
	for k, id := range s.grams.ids {
		if s.grams.bits[k]&(1<<bitInTexts) != 0 {
			b.vocab.df[id]--
		}
		if s.grams.bits[k]&(1<<bitInAnswer) != 0 {
			b.vocab.adf[id]--
		}
	}
	b.vocab.n--
	for _, t := range s.terms {
		list := b.byTerm[t]
		if j := slices.Index(list, i); j >= 0 {
			list = slices.Delete(list, j, j+1)
		}
		if len(list) == 0 {
			delete(b.byTerm, t)
		} else {
			b.byTerm[t] = list
		}
	}
	delete(b.byID, s.entry.ID)
	*s = slot{}
	b.free = append(b.free, i)
}

// coverage is how much of the query slot i's texts contain (see the
// comment at the top of this file). The caller holds mu.
func (b *Base) coverage(q queryGrams, i int32) float64 {
	if q.total == 0 {
		return 0
	}
	eg := &b.slots[i].grams
	var shared, totals [maxPhrasings]float64
	bag := 0.0
	for k, id := range q.ids {
		if id == unknownGram {
			continue
		}
		bits := eg.find(id)
		if bits == 0 {
			continue
		}
		w := q.weights[k]
		switch {
		case bits&(1<<bitInTexts) != 0:
			bag += w
		case bits&(1<<bitInAnswer) != 0:
			bag += b.w.answerWeight * w
		}
		for p := range eg.phrasings {
			if bits&(1<<p) != 0 {
				shared[p] += w
			}
		}
	}
	for k, id := range eg.ids {
		bits := eg.bits[k] & (1<<maxPhrasings - 1)
		if bits == 0 {
			continue
		}
		w := b.vocab.weight(id)
		for p := range eg.phrasings {
			if bits&(1<<p) != 0 {
				totals[p] += w
			}
		}
	}
	best, prec := 0.0, 0.0
	for p := range eg.phrasings {
		if totals[p] > 0 {
			best = max(best, (1-b.w.phrasingShare)*shared[p]/q.total+b.w.phrasingShare*shared[p]/totals[p])
			prec = max(prec, shared[p]/totals[p])
		}
	}
	cov := (1-b.w.bagShare)*best + b.w.bagShare*bag/q.total
	return cov * (1 - b.w.precShare + b.w.precShare*prec)
}

// confidence is coverage scaled a little by the hit's index score relative
// to the best one, clamped to 0..1.
func (w *weights) confidence(coverage, relScore float64) float64 {
	c := coverage * ((1 - w.relShare) + w.relShare*relScore)
	return min(max(c, 0), 1)
}

// parseDay parses YYYY-MM-DD as a UTC date; "" is the zero time.
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(dateLayout, s)
}
