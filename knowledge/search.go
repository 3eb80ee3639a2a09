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
	// may want next: other confident-enough hits, then entries sharing tags
	// or the department. Never the answered entry.
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

// Query field boosts: the question and its paraphrases say what an entry is
// about, the answer only mentions things.
var fieldBoosts = []struct {
	field, analyzer string
	boost           float64
}{
	{fieldQuestionWords, analyzerWords, 3},
	{fieldSimilarWords, analyzerWords, 3},
	{fieldQuestionChars, analyzerChars, 2},
	{fieldSimilarChars, analyzerChars, 2},
	{fieldKeywordWords, analyzerWords, 2},
	{fieldTagWords, analyzerWords, 1.5},
	{fieldAnswerWords, analyzerWords, 0.5},
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
// safe for concurrent use.
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
	runs := contentRuns(b.cfg.Segmenter, q)
	qg := b.vocab.query(grams(runs))
	if len(qg.ids) == 0 {
		return res, nil
	}
	now := b.cfg.Now()

	req := bleve.NewSearchRequestOptions(b.query(q, charQuery(runs), opt.Department, now), b.cfg.Candidates, 0, false)
	sr, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("knowledge: search: %w", err)
	}
	if len(sr.Hits) == 0 {
		return res, nil
	}

	top := sr.Hits[0].Score
	hits := make([]Hit, 0, len(sr.Hits))
	for _, h := range sr.Hits {
		i, ok := b.byID[h.ID]
		if !ok || !b.inForce(i, now) {
			continue
		}
		cov := b.coverage(qg, i)
		if cov == 0 {
			continue // only fillers or answer-field noise in common
		}
		rel := 0.0
		if top > 0 {
			rel = h.Score / top
		}
		hits = append(hits, Hit{Entry: b.entries[i], Score: h.Score, Confidence: confidence(cov, rel)})
	}
	slices.SortStableFunc(hits, func(x, y Hit) int {
		if c := cmp.Compare(y.Confidence, x.Confidence); c != 0 {
			return c
		}
		return cmp.Compare(y.Score, x.Score)
	})

	res.Decision = b.decide(hits)
	if res.Decision == DecisionAnswer {
		res.Related = b.related(hits, now)
	}
	if len(hits) > opt.Limit {
		hits = hits[:opt.Limit]
	}
	res.Hits = hits
	return res, nil
}

// charQuery is the text matched against the character fields: the query's
// distinct content units, space-separated. Fillers are left out and each
// character is looked up once, however often it occurs.
func charQuery(runs [][]string) string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, run := range runs {
		for _, u := range run {
			if !seen[u] {
				seen[u] = true
				b.WriteString(u)
				b.WriteByte(' ')
			}
		}
	}
	return b.String()
}

// query is the disjunction of match queries over the weighted fields (the
// word fields get the citizen's text, analyzed in precise mode; the character
// fields get chars), plus the department hint as an optional clause, minus
// entries not in force.
func (b *Base) query(q, chars, department string, now time.Time) query.Query {
	fields := make([]query.Query, 0, len(fieldBoosts))
	for _, f := range fieldBoosts {
		text := q
		if f.analyzer == analyzerChars {
			text = chars
		}
		m := bleve.NewMatchQuery(text)
		m.SetField(f.field)
		m.Analyzer = f.analyzer
		m.SetBoost(f.boost)
		fields = append(fields, m)
	}
	bq := bleve.NewBooleanQuery()
	bq.AddMust(bleve.NewDisjunctionQuery(fields...))
	if department != "" {
		t := bleve.NewTermQuery(department)
		t.SetField(fieldDepartment)
		t.SetBoost(departmentBoost)
		bq.AddShould(t)
	}
	var gone []string
	for i, e := range b.entries {
		if !b.inForce(i, now) {
			gone = append(gone, e.ID)
		}
	}
	if len(gone) > 0 {
		bq.AddMustNot(bleve.NewDocIDQuery(gone))
	}
	return bq
}

// decide: answer when the best hit is confident and clearly ahead of the
// second; clarify when at least two hits are above ClarifyConfidence and
// the best is not clearly ahead; none otherwise.
func (b *Base) decide(hits []Hit) Decision {
	if len(hits) == 0 {
		return DecisionNone
	}
	first := hits[0].Confidence
	second := 0.0
	if len(hits) > 1 {
		second = hits[1].Confidence
	}
	ahead := first-second >= b.cfg.AnswerMargin
	switch {
	case first >= b.cfg.AnswerConfidence && ahead:
		return DecisionAnswer
	case first >= b.cfg.ClarifyConfidence && second >= b.cfg.ClarifyConfidence && !ahead:
		return DecisionClarify
	default:
		return DecisionNone
	}
}

// related picks up to maxRelated entries after the answered hits[0]: other
// hits above ClarifyConfidence, then its neighbours in force.
func (b *Base) related(hits []Hit, now time.Time) []Entry {
	answered := b.byID[hits[0].Entry.ID]
	var out []Entry
	taken := map[int]bool{answered: true}
	add := func(i int) {
		if len(out) < maxRelated && !taken[i] && b.inForce(i, now) {
			taken[i] = true
			out = append(out, b.entries[i])
		}
	}
	for _, h := range hits[1:] {
		if h.Confidence >= b.cfg.ClarifyConfidence {
			add(b.byID[h.Entry.ID])
		}
	}
	for _, j := range b.neighbours[answered] {
		add(j)
	}
	return out
}
