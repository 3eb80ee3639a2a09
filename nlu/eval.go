package nlu

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Prediction is a classifier's answer for one labelled text.
type Prediction struct {
	Text       string  `json:"text"`
	Label      string  `json:"label"` // the true label
	Predicted  string  `json:"predicted"`
	Confidence float64 `json:"confidence"`
	// Fold is the cross-validation fold the text was tested in (0 outside
	// cross-validation).
	Fold int `json:"fold"`
}

// Report measures a classifier on labelled texts.
type Report struct {
	Examples int     `json:"examples"`
	Accuracy float64 `json:"accuracy"`
	// MacroF1 is the unweighted mean F1 of the classes that occur as a true
	// or a predicted label (scikit-learn's macro average).
	MacroF1  float64       `json:"macro_f1"`
	PerClass []ClassReport `json:"per_class"`
	// Confusions are the (true, predicted) pairs of the errors, most
	// frequent first.
	Confusions []Confusion `json:"confusions"`
}

// ClassReport is the precision, recall and F1 of one label. Support is the
// number of texts whose true label it is.
type ClassReport struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Confusion counts texts of one true label predicted as another, with up to
// three of them as examples.
type Confusion struct {
	Label     string   `json:"label"`
	Predicted string   `json:"predicted"`
	Count     int      `json:"count"`
	Examples  []string `json:"examples,omitempty"`
}

// NewReport computes accuracy, macro-F1, per-class figures and confusions
// from predictions.
func NewReport(preds []Prediction) Report {
	type counts struct{ tp, fp, fn, support int }
	per := map[string]*counts{}
	get := func(l string) *counts {
		c := per[l]
		if c == nil {
			c = &counts{}
			per[l] = c
		}
		return c
	}
	type pair struct{ gold, pred string }
	conf := map[pair]*Confusion{}
	r := Report{Examples: len(preds), PerClass: []ClassReport{}, Confusions: []Confusion{}}
	correct := 0
	for _, p := range preds {
		get(p.Label).support++
		if p.Predicted == p.Label {
			correct++
			get(p.Label).tp++
			continue
		}
		get(p.Label).fn++
		get(p.Predicted).fp++
		cf := conf[pair{p.Label, p.Predicted}]
		if cf == nil {
			cf = &Confusion{Label: p.Label, Predicted: p.Predicted}
			conf[pair{p.Label, p.Predicted}] = cf
		}
		cf.Count++
		if len(cf.Examples) < 3 {
			cf.Examples = append(cf.Examples, p.Text)
		}
	}
	if len(preds) > 0 {
		r.Accuracy = float64(correct) / float64(len(preds))
	}
	for label, c := range per {
		cr := ClassReport{Label: label, Support: c.support}
		if c.tp+c.fp > 0 {
			cr.Precision = float64(c.tp) / float64(c.tp+c.fp)
		}
		if c.tp+c.fn > 0 {
			cr.Recall = float64(c.tp) / float64(c.tp+c.fn)
		}
		if c.tp > 0 {
			cr.F1 = 2 * float64(c.tp) / float64(2*c.tp+c.fp+c.fn)
		}
		r.PerClass = append(r.PerClass, cr)
		r.MacroF1 += cr.F1
	}
	if len(r.PerClass) > 0 {
		r.MacroF1 /= float64(len(r.PerClass))
	}
	slices.SortFunc(r.PerClass, func(a, b ClassReport) int { return cmp.Compare(a.Label, b.Label) })
	for _, cf := range conf {
		r.Confusions = append(r.Confusions, *cf)
	}
	slices.SortFunc(r.Confusions, func(a, b Confusion) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Label, b.Label); c != 0 {
			return c
		}
		return cmp.Compare(a.Predicted, b.Predicted)
	})
	return r
}

// Evaluate classifies every test text and reports how the answers compare
// with the labels; it also returns the answers (for [ThresholdFor]).
func Evaluate(c *Classifier, test []Example) (Report, []Prediction) {
	preds := make([]Prediction, len(test))
	for i, ex := range test {
		label, conf := c.Predict(ex.Text)
		preds[i] = Prediction{Text: ex.Text, Label: ex.Label, Predicted: label, Confidence: conf}
	}
	return NewReport(preds), preds
}

// CrossValidate trains on all folds but one and tests on the one left out,
// for each of the stratified folds (every label spread evenly over them,
// assigned at random from seed), and reports on the pooled answers, which it
// also returns in the order of examples. train is called from several
// goroutines at once ([Train] is safe for that); a train error stops the
// run.
func CrossValidate(examples []Example, folds int, seed int64, train func([]Example) (*Classifier, error)) (Report, []Prediction, error) {
	if folds < 2 {
		return Report{}, nil, fmt.Errorf("nlu: cross-validation needs at least 2 folds, got %d", folds)
	}
	if len(examples) < folds {
		return Report{}, nil, fmt.Errorf("nlu: cross-validation: %d examples for %d folds", len(examples), folds)
	}
	labels := make([]string, len(examples))
	for i, ex := range examples {
		labels[i] = ex.Label
	}
	fold := stratifiedFolds(labels, folds, seed)
	preds := make([]Prediction, len(examples))
	errs := make([]error, folds)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for f := range folds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var trainSet []Example
			for i, ex := range examples {
				if fold[i] != f {
					trainSet = append(trainSet, ex)
				}
			}
			c, err := train(trainSet)
			if err != nil {
				errs[f] = fmt.Errorf("fold %d: %w", f+1, err)
				return
			}
			for i, ex := range examples {
				if fold[i] == f {
					label, conf := c.Predict(ex.Text)
					preds[i] = Prediction{Text: ex.Text, Label: ex.Label, Predicted: label, Confidence: conf, Fold: f}
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Report{}, nil, err
	}
	return NewReport(preds), preds, nil
}

// stratifiedFolds assigns each item to one of k folds: the items of each
// label are shuffled (seeded) and dealt round-robin, each label starting
// where the previous one stopped, so folds differ in size by at most one and
// every label is spread as evenly as its count allows.
func stratifiedFolds(labels []string, k int, seed int64) []int {
	byLabel := map[string][]int{}
	for i, l := range labels {
		byLabel[l] = append(byLabel[l], i)
	}
	names := make([]string, 0, len(byLabel))
	for l := range byLabel {
		names = append(names, l)
	}
	slices.Sort(names)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6e6c752d666f6c64)) // "nlu-fold"
	fold := make([]int, len(labels))
	next := 0
	for _, l := range names {
		items := byLabel[l]
		rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		for _, i := range items {
			fold[i] = next
			next = (next + 1) % k
		}
	}
	return fold
}

// ThresholdFor picks, from held-out predictions (those of
// [CrossValidate]), the lowest confidence threshold t such that the
// answers with confidence ≥ t are right at least the given fraction of the
// time, and the coverage: the fraction of all predictions at or above t.
// When no threshold reaches the precision it returns a threshold just above
// 1 and coverage 0: never answer on confidence alone.
func ThresholdFor(preds []Prediction, precision float64) (threshold, coverage float64) {
	never := math.Nextafter(1, 2)
	if len(preds) == 0 {
		return never, 0
	}
	sorted := slices.Clone(preds)
	slices.SortStableFunc(sorted, func(a, b Prediction) int { return cmp.Compare(b.Confidence, a.Confidence) })
	threshold = never
	correct := 0
	for i := 0; i < len(sorted); {
		// Take every prediction of this confidence at once: a threshold
		// cannot separate them.
		j := i
		for j < len(sorted) && sorted[j].Confidence == sorted[i].Confidence {
			if sorted[j].Predicted == sorted[j].Label {
				correct++
			}
			j++
		}
		if float64(correct) >= precision*float64(j)-1e-9 {
			threshold, coverage = sorted[i].Confidence, float64(j)/float64(len(sorted))
		}
		i = j
	}
	return threshold, coverage
}
