package nlu

import (
	"math"
	"slices"
	"sync"
)

// Classifier is a trained text classifier: one or more multinomial logistic
// regressions over sparse text features whose probabilities are averaged.
// It is immutable after [Train] or [ReadClassifier] and safe for concurrent
// use.
//
// The default model ([ModelOurs]) averages five class-balanced regressions
// (character 1+2-grams; sublinear character 1–3-grams; sublinear gse
// search-mode words; character 1+2-grams with Naive Bayes log-count-ratio
// scaling; sublinear toneless pinyin 1+2-grams), trained with the
// stochastic average gradient method. In 5-fold cross-validation (same
// folds) it beat the baseline ([ModelBaseline], TF-IDF character 1+2-grams
// with cross-validated C) by 1.2–3.4 points of macro-F1 on public Chinese
// intent data (SMP2017-ECDT, 31 classes) and on the intent, department and
// urgency heads of the hotline corpus; no single member did. docs/NLU.md has
// the figures; reproduce with "hotline nlu eval --model ours|baseline".
//
// Confidence is the averaged probability of the best label. It is
// meaningful only against held-out answers: [ThresholdFor] on the answers
// of [CrossValidate] gives the confidence above which a head is right 95%
// of the time.
type Classifier struct {
	model      string
	labels     []string
	members    []*member
	usesWords  bool
	seg        *Segmenter
	segVersion string
	scratch    sync.Pool // *predictScratch
	// sameFeatures[i] is the first member whose feature set member i
	// shares (i itself when none before it).
	sameFeatures []int
}

// member is one logistic regression of a classifier.
type member struct {
	features *featureSet
	weight   float64   // share of the averaged probabilities
	c        float64   // the C it was trained with (for reports)
	w        []float32 // features×labels, row-major
	b        []float32 // labels
}

// LabelScore is one label with its probability.
type LabelScore struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// predictScratch is the per-call memory of a prediction: a term scratch
// per member (members that share a feature set share a vector), the
// vectors, scores and probabilities.
type predictScratch struct {
	terms  []termScratch
	idx    [][]int32
	val    [][]float64
	scores []float64
	probs  []float64
}

// init shares one feature set between members whose feature sets are the
// same (members that differ only in weighting see the same vector, which is
// then computed once per prediction) and prepares the scratch pool.
func (c *Classifier) init() {
	c.sameFeatures = make([]int, len(c.members))
	for i, m := range c.members {
		c.sameFeatures[i] = i
		for j := range i {
			if c.members[j].features.sameAs(m.features) {
				m.features = c.members[j].features
				c.sameFeatures[i] = j
				break
			}
		}
	}
	k, n := len(c.labels), len(c.members)
	c.scratch.New = func() any {
		return &predictScratch{
			terms: make([]termScratch, n), idx: make([][]int32, n), val: make([][]float64, n),
			scores: make([]float64, k), probs: make([]float64, k),
		}
	}
}

// Model is the name of the recipe the classifier was trained with
// (ModelOurs or ModelBaseline).
func (c *Classifier) Model() string { return c.model }

// Labels returns the labels the classifier knows, sorted.
func (c *Classifier) Labels() []string { return slices.Clone(c.labels) }

// Predict returns the most probable label of text and its probability.
// Texts with no known feature get the label with the highest prior.
func (c *Classifier) Predict(text string) (label string, confidence float64) {
	return c.predictPrepared(normalizeText(text), nil)
}

// predictPrepared is Predict of a text normalised by normalizeText, with
// its search-mode words when the caller has them (nil: cut them here).
func (c *Classifier) predictPrepared(norm string, words []string) (label string, confidence float64) {
	sc := c.scratch.Get().(*predictScratch)
	probs := c.probabilities(norm, words, sc)
	best := 0
	for j, p := range probs {
		if p > probs[best] {
			best = j
		}
	}
	label, confidence = c.labels[best], probs[best]
	c.scratch.Put(sc)
	return label, confidence
}

// Scores returns every label with its probability, most probable first
// (ties in label order). The probabilities sum to 1.
func (c *Classifier) Scores(text string) []LabelScore {
	return c.scoresPrepared(normalizeText(text), nil)
}

// scoresPrepared is Scores of a prepared text (see predictPrepared).
func (c *Classifier) scoresPrepared(norm string, words []string) []LabelScore {
	sc := c.scratch.Get().(*predictScratch)
	probs := c.probabilities(norm, words, sc)
	out := make([]LabelScore, len(c.labels))
	for j, p := range probs {
		out[j] = LabelScore{Label: c.labels[j], Score: p}
	}
	c.scratch.Put(sc)
	slices.SortStableFunc(out, func(a, b LabelScore) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return out
}

// probabilities fills sc.probs with the averaged member probabilities of
// the normalised text norm (words: see predictPrepared).
func (c *Classifier) probabilities(norm string, words []string, sc *predictScratch) []float64 {
	k := len(c.labels)
	probs := sc.probs
	clear(probs)
	var total float64
	for i, m := range c.members {
		if j := c.sameFeatures[i]; j == i {
			sc.terms[i].words = words
			sc.idx[i], sc.val[i] = m.features.vectorizeNorm(norm, c.seg, &sc.terms[i])
			sc.terms[i].words = nil
		} else {
			sc.idx[i], sc.val[i] = sc.idx[j], sc.val[j]
		}
		idx, val := sc.idx[i], sc.val[i]
		s := sc.scores
		for j := range s {
			s[j] = float64(m.b[j])
		}
		for p, f := range idx {
			v := val[p]
			row := m.w[int(f)*k:][:k]
			for j := range s {
				s[j] += v * float64(row[j])
			}
		}
		softmax(s)
		for j := range probs {
			probs[j] += m.weight * s[j]
		}
		total += m.weight
	}
	for j := range probs {
		probs[j] /= total
	}
	return probs
}

// softmax turns scores into probabilities in place.
func softmax(s []float64) {
	m := s[0]
	for _, v := range s[1:] {
		m = max(m, v)
	}
	var sum float64
	for j := range s {
		s[j] = math.Exp(s[j] - m)
		sum += s[j]
	}
	for j := range s {
		s[j] /= sum
	}
}
