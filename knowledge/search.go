package knowledge

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Decision is what the caller should do with a Result.
type Decision string

// The decisions of Search.
const (
	// DecisionAnswer: the first hit answers the question.
	DecisionAnswer Decision = "answer"
	// DecisionClarify: several entries fit about equally; ask which one.
	DecisionClarify Decision = "clarify"
	// DecisionNone: the knowledge base has no answer.
	DecisionNone Decision = "none"
)

// Hit is one entry found for a query.
type Hit struct {
	// Entry is shared with the Base: treat it (and its slices) as read-only.
	Entry Entry
	// Score is the index's (BM25) score; comparable within one Result only.
	Score float64
	// Confidence in 0..1 that the entry answers the query; see the package
	// doc for what it is made of and how it was calibrated.
	Confidence float64
}

// Result is the outcome of a Search.
type Result struct {
	Query    string
	Decision Decision
	// Hits are ranked by confidence, best first, at most Limit.
	Hits []Hit
	// Related holds, for DecisionAnswer, up to 3 other entries the citizen
	// may want next: entries of the same department sharing tags or
	// keywords with the answer, then other hits with at least
	// AnswerConfidence. Never the answered entry, never an entry not in
	// force.
	Related []Entry
}

// SearchOptions tune one Search.
type SearchOptions struct {
	// Department is a ranking hint (e.g. from nlu): entries of this
	// department score a little higher. It never filters.
	Department string
	// Limit is the most hits returned (default 5).
	Limit int
}

// departmentBoost is the weight of the department hint's clause. Bleve
// normalizes the whole query, so this moves a hit's relative score by a few
// percent and its confidence by a few hundredths: enough to reorder near
// ties, not to lift a poor match over a good one. On kb-data/eval a correct
// hint raises Recall@1 by 2 queries of 120, a wrong one changes nothing.
const departmentBoost = 2

// maxRelated is how many related entries an answer carries.
const maxRelated = 3

// maxQueryBytes is how much of a query Search looks at (about 200 Chinese
// characters).
const maxQueryBytes = 600

// Search finds the entries answering query and decides what to do. It is
// safe for concurrent use, also with Apply.
func (b *Base) Search(ctx context.Context, q string, opt SearchOptions) (Result, error) {
	if b.closed.Load() {
		return Result{}, ErrClosed
	}
	if opt.Limit <= 0 {
		opt.Limit = 5
	}
	res := Result{Query: q, Decision: DecisionNone}
	q = strings.TrimSpace(q)
	if len(q) > maxQueryBytes {
		// A pasted document is not a question; its start says enough, and
		// every extra word costs term lookups in every field.
		cut := maxQueryBytes
		for cut > 0 && !utf8.RuneStart(q[cut]) {
			cut--
		}
		q = q[:cut]
	}
	// Synonyms apply to the index query and to confidence alike (nil for
	// layouts without them).
	q = b.synonyms().Rewrite(q)
	runs := contentRuns(b.cfg.Segmenter, q)
	now := b.cfg.Now()

	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed.Load() {
		return Result{}, ErrClosed
	}
	qg := b.vocab.query(grams(runs))
	if len(qg.ids) == 0 {
		return res, nil
	}
	qq, err := b.query(q, runs, opt.Department)
	if err != nil {
		return Result{}, err
	}
	// Entries not in force are left out after the search rather than in
	// it (a list of ids to exclude costs a lookup per id per search): ask
	// for as many more hits as there are such entries, up to Candidates.
	size := b.cfg.Candidates + min(b.goneCount(now), b.cfg.Candidates)
	req := bleve.NewSearchRequestOptions(qq, size, 0, false)
	sr, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("knowledge: search: %w", err)
	}
	if len(sr.Hits) == 0 {
		return res, nil
	}

	top := sr.Hits[0].Score
	hits := make([]Hit, 0, len(sr.Hits))
	slots := make([]int32, 0, len(sr.Hits))
	for _, h := range sr.Hits {
		i, ok := b.byID[h.ID]
		if !ok || !b.slots[i].inForce(now) {
			continue
		}
		cov := b.coverage(qg, i)
		if cov == 0 && b.layout.rerank {
			continue // only fillers or answer-field noise in common
		}
		rel := 0.0
		if top > 0 {
			rel = h.Score / top
		}
		hits = append(hits, Hit{Entry: b.slots[i].entry, Score: h.Score, Confidence: b.w.confidence(cov, rel)})
		slots = append(slots, i)
	}
	if b.layout.rerank {
		order := make([]int, len(hits))
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(x, y int) int {
			if c := cmp.Compare(hits[y].Confidence, hits[x].Confidence); c != 0 {
				return c
			}
			return cmp.Compare(hits[y].Score, hits[x].Score)
		})
		sortedHits, sortedSlots := make([]Hit, len(hits)), make([]int32, len(hits))
		for k, o := range order {
			sortedHits[k], sortedSlots[k] = hits[o], slots[o]
		}
		hits, slots = sortedHits, sortedSlots
	}

	res.Decision = b.cfg.thresholds().Decide(hits)
	if res.Decision == DecisionAnswer {
		res.Related = b.related(slots, hits, now)
	}
	if len(hits) > opt.Limit {
		hits = hits[:opt.Limit]
	}
	res.Hits = hits
	return res, nil
}

// query is the disjunction, over the layout's fields, of the query's terms
// in that field (word fields get the citizen's text as the field's query
// analyzer makes it; character fields get the distinct content
// characters), plus the department hint as an optional clause. The caller
// holds mu.
//
// Layouts of our own analyzers (prune) query the (field, term) pairs
// rarest first, while the entries having them add up to at most
// postingBudget (and at least minQueryTerms pairs): Bleve scores every
// posting of every term, and on a large base common characters and words
// (办, 办理) would cost milliseconds while telling little. On a base of a
// few hundred entries nothing is left out; confidence always counts every
// term.
func (b *Base) query(q string, runs [][]string, department string) (query.Query, error) {
	var chars []string
	seen := map[string]bool{}
	for _, run := range runs {
		for _, u := range run {
			if !seen[u] {
				seen[u] = true
				chars = append(chars, u)
			}
		}
	}
	type pair struct {
		field, term string
		boost       float64
		df          int
	}
	var pairs []pair
	analyzed := map[string][]string{}
	fields := make([]query.Query, 0, len(b.layout.fields))
	for _, f := range b.layout.fields {
		boost := f.boost
		if o, ok := b.w.boost[f.name]; ok {
			boost = o
		}
		if !b.layout.prune {
			text := q
			if f.chars {
				text = strings.Join(chars, " ")
			}
			m := bleve.NewMatchQuery(text)
			m.SetField(f.name)
			m.Analyzer = f.query
			m.SetBoost(boost)
			fields = append(fields, m)
			continue
		}
		terms := chars
		if !f.chars {
			words, ok := analyzed[f.query]
			if !ok {
				a := b.idx.Mapping().AnalyzerNamed(f.query)
				if a == nil {
					return nil, fmt.Errorf("knowledge: analyzer %s unavailable", f.query)
				}
				for _, t := range a.Analyze([]byte(q)) {
					if w := string(t.Term); !slices.Contains(words, w) {
						words = append(words, w)
					}
				}
				analyzed[f.query] = words
			}
			terms = words
		}
		for _, t := range terms {
			pairs = append(pairs, pair{f.name, t, boost, b.vocab.termDF(t, f.source == sourceAnswer)})
		}
	}
	if b.layout.prune {
		slices.SortStableFunc(pairs, func(x, y pair) int {
			if c := cmp.Compare(x.df, y.df); c != 0 {
				return c
			}
			return cmp.Compare(y.boost, x.boost)
		})
		byField := map[string]*query.DisjunctionQuery{}
		sum := 0
		for i, p := range pairs {
			if sum+p.df > postingBudget && i >= minQueryTerms {
				break
			}
			sum += p.df
			tq := bleve.NewTermQuery(p.term)
			tq.SetField(p.field)
			dq, ok := byField[p.field]
			if !ok {
				dq = bleve.NewDisjunctionQuery()
				dq.SetBoost(p.boost)
				byField[p.field] = dq
				fields = append(fields, dq)
			}
			dq.AddQuery(tq)
		}
	}
	bq := bleve.NewBooleanQuery()
	bq.AddMust(bleve.NewDisjunctionQuery(fields...))
	if department != "" {
		t := bleve.NewTermQuery(department)
		t.SetField(fieldDepartment)
		t.SetBoost(departmentBoost)
		bq.AddShould(t)
	}
	return bq, nil
}

// postingBudget and minQueryTerms bound the (field, term) pairs of a query
// (see query).
const (
	postingBudget = 6_000
	minQueryTerms = 4
)

// Thresholds are the parameters of the decision rule (Config has their
// meaning and defaults).
type Thresholds struct {
	Answer  float64 `json:"answer"`
	Margin  float64 `json:"margin"`
	Sure    float64 `json:"sure"`
	Clarify float64 `json:"clarify"`
}

// Decide is the decision rule over hits ranked best first:
//
//   - answer when the best hit has at least Answer confidence and is at
//     least Margin ahead of the second, or when it has at least Sure
//     confidence and the second has less;
//   - clarify when it is not an answer and the best two both have at least
//     Clarify confidence;
//   - none otherwise.
func (t Thresholds) Decide(hits []Hit) Decision {
	if len(hits) == 0 {
		return DecisionNone
	}
	first := hits[0].Confidence
	second := 0.0
	if len(hits) > 1 {
		second = hits[1].Confidence
	}
	switch {
	case first >= t.Answer && first-second >= t.Margin:
		return DecisionAnswer
	case first >= t.Sure && second < t.Sure:
		return DecisionAnswer
	case first >= t.Clarify && second >= t.Clarify:
		return DecisionClarify
	default:
		return DecisionNone
	}
}

// related picks up to maxRelated entries for the answered hits[0] (slots
// are the hits' slots): first entries of the same department sharing tags
// or keywords with it, most shared first; then other hits confident enough
// to be answers themselves (AnswerConfidence). Never an entry not in force,
// never one merely of the same department or sharing a word with the
// question: a related question must be one the citizen may plausibly ask
// next. The caller holds mu.
func (b *Base) related(slots []int32, hits []Hit, now time.Time) []Entry {
	answered := slots[0]
	e := &b.slots[answered].entry
	shared := map[int32]int{}
	for _, t := range b.slots[answered].terms {
		list := b.byTerm[t]
		if len(list) > maxTermFanout {
			continue // a term on thousands of entries relates nothing
		}
		for _, j := range list {
			if j != answered && b.slots[j].entry.Department == e.Department {
				shared[j]++
			}
		}
	}
	type cand struct {
		slot   int32
		shared int
	}
	cands := make([]cand, 0, len(shared))
	for j, n := range shared {
		cands = append(cands, cand{j, n})
	}
	slices.SortFunc(cands, func(x, y cand) int {
		if c := cmp.Compare(y.shared, x.shared); c != 0 {
			return c
		}
		return cmp.Compare(b.slots[x.slot].entry.ID, b.slots[y.slot].entry.ID)
	})

	var out []Entry
	taken := map[int32]bool{answered: true}
	add := func(i int32) {
		if len(out) < maxRelated && !taken[i] && b.slots[i].inForce(now) {
			taken[i] = true
			out = append(out, cloneEntry(b.slots[i].entry))
		}
	}
	for _, c := range cands {
		add(c.slot)
	}
	for k, h := range hits[1:] {
		if h.Confidence >= b.cfg.AnswerConfidence {
			add(slots[k+1])
		}
	}
	return out
}

// maxTermFanout bounds the entries one tag or keyword can relate: a term
// that many entries share says nothing about any two of them, and walking
// its list would cost time on a large base.
const maxTermFanout = 1000
