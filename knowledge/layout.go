package knowledge

import (
	"slices"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
)

// Analyzer names an index layout: which analyzers make which fields, and
// whether synonyms and confidence re-ranking apply.
type Analyzer string

// The layouts. Only AnalyzerShipped is for serving; the others are Bleve
// alone with one analyzer on the same fields and boosts, ranked by Bleve's
// score, without synonyms: the baselines the shipped layout is measured
// against (docs/KNOWLEDGE.md).
const (
	// AnalyzerShipped indexes question and similar as gse words and as
	// single characters, keywords, tags and answer as gse words, applies
	// synonyms and re-ranks by confidence.
	AnalyzerShipped Analyzer = "shipped"
	// AnalyzerGSE is gse words alone (search mode indexed, precise mode
	// queried, fillers dropped).
	AnalyzerGSE Analyzer = "gse"
	// AnalyzerStandard is Bleve's "standard" analyzer: Unicode word
	// segmentation, which makes every Han character a term.
	AnalyzerStandard Analyzer = "standard"
	// AnalyzerCJK is Bleve's "cjk" analyzer: overlapping Han bigrams.
	AnalyzerCJK Analyzer = "cjk"
)

// Analyzers lists the layouts hotline kb eval --analyzer accepts, the
// shipped one first.
func Analyzers() []Analyzer {
	return []Analyzer{AnalyzerShipped, AnalyzerGSE, AnalyzerStandard, AnalyzerCJK}
}

// source is the entry text a field is made of.
type source int

const (
	sourceQuestion source = iota
	sourceSimilar
	sourceKeywords
	sourceTags
	sourceAnswer
)

// fieldSpec is one index field: what it holds, how it is analyzed when
// indexed and when queried, and its query boost.
type fieldSpec struct {
	name         string
	source       source
	index, query string // analyzer names
	boost        float64
	// chars: query the field with the query's distinct content
	// characters (fillers dropped) instead of its text.
	chars bool
}

// layout is one index configuration.
type layout struct {
	name   Analyzer
	fields []fieldSpec
	// synonyms: rewrite entries and queries with Config.Synonyms.
	synonyms bool
	// rerank: order hits by confidence rather than by index score.
	rerank bool
	// prune: query each field with its rarest terms only (Base.query).
	prune bool
}

// fieldDepartment holds the department code (keyword analyzer) for the
// department hint.
const fieldDepartment = "department"

// wordFields are the five entry texts with one analyzer; the boosts say
// that the question and its paraphrases are what an entry is about and
// the answer only mentions things.
func wordFields(suffix, indexAnalyzer, queryAnalyzer string) []fieldSpec {
	return []fieldSpec{
		{"question" + suffix, sourceQuestion, indexAnalyzer, queryAnalyzer, 3, false},
		{"similar" + suffix, sourceSimilar, indexAnalyzer, queryAnalyzer, 3, false},
		{"keywords" + suffix, sourceKeywords, indexAnalyzer, queryAnalyzer, 2, false},
		{"tags" + suffix, sourceTags, indexAnalyzer, queryAnalyzer, 1.5, false},
		{"answer" + suffix, sourceAnswer, indexAnalyzer, queryAnalyzer, 0.5, false},
	}
}

// layouts are the known configurations by name. The ones not in
// Analyzers are ablations of the shipped layout for measurements.
var layouts = func() map[Analyzer]*layout {
	chars := []fieldSpec{
		{"question_c", sourceQuestion, analyzerChars, analyzerChars, 2, true},
		{"similar_c", sourceSimilar, analyzerChars, analyzerChars, 2, true},
	}
	words := wordFields("_w", analyzerSearchWords, analyzerWords)
	shipped := &layout{name: AnalyzerShipped, fields: slices.Concat(words, chars), synonyms: true, rerank: true, prune: true}
	m := map[Analyzer]*layout{
		AnalyzerShipped:  shipped,
		AnalyzerGSE:      {name: AnalyzerGSE, fields: words},
		AnalyzerStandard: {name: AnalyzerStandard, fields: wordFields("_s", standard.Name, standard.Name)},
		AnalyzerCJK:      {name: AnalyzerCJK, fields: wordFields("_b", cjk.AnalyzerName, cjk.AnalyzerName)},
		// Ablations: what each part of the shipped layout adds.
		"shipped-nosyn":    {name: "shipped-nosyn", fields: shipped.fields, rerank: true, prune: true},
		"shipped-norerank": {name: "shipped-norerank", fields: shipped.fields, synonyms: true, prune: true},
		"words+chars":      {name: "words+chars", fields: shipped.fields},
		"chars+rerank":     {name: "chars+rerank", fields: slices.Concat(wordFields("_s", standard.Name, standard.Name)[2:], chars), synonyms: true, rerank: true},
	}
	return m
}()

// analyzers lists the distinct analyzer names of the layout.
func (lay *layout) analyzers() []string {
	var out []string
	for _, f := range lay.fields {
		for _, a := range []string{f.index, f.query} {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}
