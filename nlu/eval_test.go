package nlu

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestNewReport(t *testing.T) {
	t.Parallel()
	p := func(label, pred string) Prediction {
		return Prediction{Text: label + "→" + pred, Label: label, Predicted: pred}
	}
	r := NewReport([]Prediction{p("a", "a"), p("a", "a"), p("a", "b"), p("b", "b"), p("c", "b")})
	if r.Examples != 5 || r.Accuracy != 0.6 {
		t.Fatalf("examples %d accuracy %v", r.Examples, r.Accuracy)
	}
	// a: P=1 R=2/3 F1=0.8; b: P=1/3 R=1 F1=0.5; c: F1=0.
	want := map[string][4]float64{"a": {1, 2.0 / 3, 0.8, 3}, "b": {1.0 / 3, 1, 0.5, 1}, "c": {0, 0, 0, 1}}
	if len(r.PerClass) != 3 {
		t.Fatalf("per class %+v", r.PerClass)
	}
	for _, c := range r.PerClass {
		w := want[c.Label]
		if math.Abs(c.Precision-w[0]) > 1e-9 || math.Abs(c.Recall-w[1]) > 1e-9 || math.Abs(c.F1-w[2]) > 1e-9 || c.Support != int(w[3]) {
			t.Errorf("%s: %+v, want %v", c.Label, c, w)
		}
	}
	if math.Abs(r.MacroF1-1.3/3) > 1e-9 {
		t.Errorf("macro-F1 %v, want %v", r.MacroF1, 1.3/3)
	}
	if len(r.Confusions) != 2 || r.Confusions[0].Count != 1 || r.Confusions[0].Label != "a" || r.Confusions[0].Examples[0] != "a→b" {
		t.Errorf("confusions %+v", r.Confusions)
	}
	if empty := NewReport(nil); empty.Accuracy != 0 || empty.PerClass == nil || empty.Confusions == nil {
		t.Errorf("empty report %+v", empty)
	}
}

func TestThresholdFor(t *testing.T) {
	t.Parallel()
	pr := func(conf float64, right bool) Prediction {
		if right {
			return Prediction{Label: "a", Predicted: "a", Confidence: conf}
		}
		return Prediction{Label: "a", Predicted: "b", Confidence: conf}
	}
	never := math.Nextafter(1, 2)
	tests := []struct {
		name          string
		preds         []Prediction
		precision     float64
		wantThreshold float64
		wantCoverage  float64
	}{
		{"all right: everything", []Prediction{pr(0.9, true), pr(0.5, true), pr(0.2, true)}, 0.95, 0.2, 1},
		{"wrong at the bottom", []Prediction{pr(0.9, true), pr(0.8, true), pr(0.3, false)}, 0.95, 0.8, 2.0 / 3},
		// 19 right then one wrong: 19/20 = 0.95 still holds at the lowest.
		{"exactly at precision", append(repeat(pr(0.9, true), 19), pr(0.1, false)), 0.95, 0.1, 1},
		{"lowest threshold, not the first", []Prediction{pr(0.99, false), pr(0.9, true), pr(0.8, true), pr(0.7, true)}, 0.75, 0.7, 1},
		{"ties go together", []Prediction{pr(0.9, true), pr(0.6, true), pr(0.6, false)}, 0.95, 0.9, 1.0 / 3},
		{"never reached", []Prediction{pr(0.9, false), pr(0.5, true)}, 0.95, never, 0},
		{"no predictions", nil, 0.95, never, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			th, cov := ThresholdFor(tt.preds, tt.precision)
			if th != tt.wantThreshold || math.Abs(cov-tt.wantCoverage) > 1e-12 {
				t.Fatalf("ThresholdFor = (%v, %v), want (%v, %v)", th, cov, tt.wantThreshold, tt.wantCoverage)
			}
		})
	}
}

func repeat(p Prediction, n int) []Prediction {
	out := make([]Prediction, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func TestStratifiedFolds(t *testing.T) {
	t.Parallel()
	var labels []string
	for i, n := range []int{23, 7, 2, 11} {
		for range n {
			labels = append(labels, string(rune('a'+i)))
		}
	}
	const k = 5
	fold := stratifiedFolds(labels, k, 42)
	size := make([]int, k)
	per := map[string][]int{}
	for i, f := range fold {
		if f < 0 || f >= k {
			t.Fatalf("fold %d out of range", f)
		}
		size[f]++
		if per[labels[i]] == nil {
			per[labels[i]] = make([]int, k)
		}
		per[labels[i]][f]++
	}
	for f := range k {
		if size[f] < len(labels)/k || size[f] > len(labels)/k+1 {
			t.Errorf("fold sizes %v not balanced", size)
		}
	}
	for l, counts := range per {
		lo, hi := counts[0], counts[0]
		for _, c := range counts {
			lo, hi = min(lo, c), max(hi, c)
		}
		if hi-lo > 1 {
			t.Errorf("label %s spread %v, want within one", l, counts)
		}
	}
	if again := stratifiedFolds(labels, k, 42); !equalInts(again, fold) {
		t.Error("same seed gave other folds")
	}
	if other := stratifiedFolds(labels, k, 43); equalInts(other, fold) {
		t.Error("another seed gave the same folds")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCrossValidate(t *testing.T) {
	t.Parallel()
	var ex []Example
	for i := range 30 {
		label := []string{"greeting", "thanks", "goodbye"}[i%3]
		text := map[string]string{"greeting": "你好", "thanks": "谢谢", "goodbye": "再见"}[label]
		ex = append(ex, Example{Text: strings.Repeat(text, 1+i%4), Label: label})
	}
	var trained [5]int
	r, preds, err := CrossValidate(ex, 5, 1, func(train []Example) (*Classifier, error) {
		return Train(train, nil, TrainConfig{Seed: 1, C: 10})
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Accuracy != 1 || r.MacroF1 != 1 || len(preds) != len(ex) {
		t.Fatalf("accuracy %v macro-F1 %v, %d predictions", r.Accuracy, r.MacroF1, len(preds))
	}
	for i, p := range preds {
		if p.Text != ex[i].Text || p.Label != ex[i].Label {
			t.Fatalf("prediction %d is for %q, want %q (order of examples)", i, p.Text, ex[i].Text)
		}
		trained[p.Fold]++
	}
	for f, n := range trained {
		if n != 6 {
			t.Errorf("fold %d tested %d texts, want 6 (disjoint, covering)", f, n)
		}
	}

	boom := errors.New("boom")
	if _, _, err := CrossValidate(ex, 5, 1, func([]Example) (*Classifier, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("train error not returned: %v", err)
	}
	if _, _, err := CrossValidate(ex, 1, 1, nil); err == nil {
		t.Error("1 fold accepted")
	}
	if _, _, err := CrossValidate(ex[:3], 5, 1, nil); err == nil {
		t.Error("3 examples for 5 folds accepted")
	}
}
