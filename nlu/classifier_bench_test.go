package nlu

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Benchmarks of the classifier on the hotline corpus. Figures and the
// command to reproduce them are in docs/PERFORMANCE.md.
//
//	go test -run XXX -bench 'Predict|Train|CrossValidate' -benchtime 1x ./nlu/

func benchCorpus(b *testing.B, head string) []Example {
	b.Helper()
	c, err := LoadCorpus("../kb-data/nlu/corpus.tsv")
	if err != nil {
		b.Fatal(err)
	}
	return c.Head(head)
}

// BenchmarkPredict classifies a 30-character message with the default
// model trained on the intent head (one core: run with -cpu 1).
func BenchmarkPredict(b *testing.B) {
	seg := testSegmenter(b)
	c, err := Train(benchCorpus(b, HeadIntent), seg, TrainConfig{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	msg := "我家楼下的路灯坏了一个多星期了，晚上很黑，请尽快派人来修"
	if n := len([]rune(msg)); n != 28 && n != 30 {
		b.Logf("message of %d characters", n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c.Predict(msg)
	}
}

// BenchmarkTrain5000 trains the default model on 5,000 examples
// synthesised from the corpus: each is two corpus texts of the same label
// joined, so the vocabulary grows as it would with real data.
func BenchmarkTrain5000(b *testing.B) {
	seg := testSegmenter(b)
	for _, head := range []string{HeadIntent, HeadDepartment} {
		ex := benchCorpus(b, head)
		byLabel := map[string][]string{}
		for _, e := range ex {
			byLabel[e.Label] = append(byLabel[e.Label], e.Text)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		syn := make([]Example, 5000)
		for i := range syn {
			e := ex[rng.IntN(len(ex))]
			other := byLabel[e.Label][rng.IntN(len(byLabel[e.Label]))]
			syn[i] = Example{Text: e.Text + "，" + other, Label: e.Label}
		}
		for _, model := range []string{ModelOurs, ModelBaseline} {
			b.Run(fmt.Sprintf("%s/%s", head, model), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Train(syn, seg, TrainConfig{Seed: 1, Model: model}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCrossValidate reports the 5-fold cross-validated macro-F1 and
// accuracy of every head of the corpus, for both models, and the
// confidence at which answers are right 95% of the time.
func BenchmarkCrossValidate(b *testing.B) {
	seg := testSegmenter(b)
	for _, head := range []string{HeadIntent, HeadDepartment, HeadUrgency} {
		ex := benchCorpus(b, head)
		for _, model := range []string{ModelOurs, ModelBaseline} {
			b.Run(head+"/"+model, func(b *testing.B) {
				for b.Loop() {
					r, preds, err := CrossValidate(ex, 5, 1, func(tr []Example) (*Classifier, error) {
						return Train(tr, seg, TrainConfig{Seed: 1, Model: model})
					})
					if err != nil {
						b.Fatal(err)
					}
					th, cov := ThresholdFor(preds, 0.95)
					b.ReportMetric(r.MacroF1, "macroF1")
					b.ReportMetric(r.Accuracy, "accuracy")
					b.ReportMetric(th, "conf@95")
					b.ReportMetric(cov, "coverage@95")
					if testing.Verbose() {
						var top []string
						for i, c := range r.Confusions {
							if i == 5 {
								break
							}
							top = append(top, fmt.Sprintf("%s→%s %d", c.Label, c.Predicted, c.Count))
						}
						b.Logf("%s %s: top confusions %s", head, model, strings.Join(top, ", "))
					}
				}
			})
		}
	}
}

// BenchmarkParse understands a 30-character message with the parser trained
// on the repository's corpus: segmentation, the intent, department and
// urgency heads, entities and the urgency rules (one core: run with -cpu 1).
func BenchmarkParse(b *testing.B) {
	p, err := NewParser(Config{KBDir: "../kb-data", Segmenter: testSegmenter(b), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	msg := "我家楼下的路灯坏了一个多星期了，晚上很黑，请尽快派人来修"
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.Parse(msg, now)
	}
}
