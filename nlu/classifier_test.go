package nlu

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// tinyExamples is a small separable data set: each label has its own words.
func tinyExamples() []Example {
	var ex []Example
	add := func(label string, texts ...string) {
		for _, t := range texts {
			ex = append(ex, Example{Text: t, Label: label})
		}
	}
	add("social_security", "社保卡丢了怎么办", "社保卡怎么补办", "养老金什么时候发", "社保断交了有影响吗", "退休工资几号到账", "社保卡密码忘了")
	add("housing_fund", "公积金怎么提取", "公积金贷款额度多少", "公积金余额在哪查", "租房能提取公积金吗", "公积金断缴怎么办", "公积金账户转移")
	add("traffic", "驾驶证到期换证", "违章罚款在哪交", "车辆年检要带什么", "驾照扣分怎么查", "电动车怎么上牌", "交通违法怎么处理")
	add("greeting", "你好", "您好", "在吗", "早上好", "有人吗", "你好在吗")
	return ex
}

func TestTrainLearnsSeparableData(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	for _, tc := range []struct {
		name  string
		seg   *Segmenter
		model string
	}{
		{"ours", seg, ModelOurs},
		{"ours, characters only", nil, ModelOurs},
		{"baseline", nil, ModelBaseline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex := tinyExamples()
			c, err := Train(ex, tc.seg, TrainConfig{Seed: 1, Model: tc.model})
			if err != nil {
				t.Fatal(err)
			}
			if c.Model() != tc.model {
				t.Errorf("Model() = %q", c.Model())
			}
			r, _ := Evaluate(c, ex)
			if r.Accuracy != 1 {
				t.Fatalf("training accuracy %v, confusions %+v", r.Accuracy, r.Confusions)
			}
			// Unseen wordings of the same topics.
			for text, want := range map[string]string{"我的社保卡不见了": "social_security", "想提取公积金": "housing_fund", "驾驶证过期了": "traffic"} {
				if got, conf := c.Predict(text); got != want {
					t.Errorf("Predict(%q) = %s (%.2f), want %s", text, got, conf, want)
				}
			}
			scores := c.Scores("公积金")
			var sum float64
			for i, s := range scores {
				sum += s.Score
				if i > 0 && s.Score > scores[i-1].Score {
					t.Errorf("scores not sorted: %+v", scores)
				}
			}
			if math.Abs(sum-1) > 1e-9 || len(scores) != 4 || scores[0].Label != "housing_fund" {
				t.Errorf("scores %+v (sum %v)", scores, sum)
			}
			if label, conf := c.Predict(""); label == "" || conf <= 0 || conf > 1 {
				t.Errorf("empty text: %q %v", label, conf)
			}
		})
	}
}

func TestTrainDeterministic(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	ex := tinyExamples()
	model := func(seed int64, model string) []byte {
		c, err := Train(ex, seg, TrainConfig{Seed: seed, Model: model})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := c.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, m := range []string{ModelOurs, ModelBaseline} {
		a, b := model(7, m), model(7, m)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: same seed, different model bytes", m)
		}
	}
	if bytes.Equal(model(7, ModelOurs), model(8, ModelOurs)) {
		t.Error("another seed gave the same bytes (the seed is not used)")
	}
}

func TestClassifierRoundTrip(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	c, err := Train(tinyExamples(), seg, TrainConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	n, err := c.WriteTo(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteTo = %d, %v (wrote %d)", n, err, b.Len())
	}
	data := b.Bytes()
	back, err := ReadClassifier(bytes.NewReader(data), seg)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"社保卡丢了", "公积金提取", "你好", "完全无关的一句话", ""} {
		a, b := c.Scores(text), back.Scores(text)
		if len(a) != len(b) {
			t.Fatalf("%q: %d vs %d labels", text, len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%q: scores differ after round trip: %+v vs %+v", text, a, b)
			}
		}
	}
	var again bytes.Buffer
	back.WriteTo(&again)
	if !bytes.Equal(again.Bytes(), data) {
		t.Error("a model read back writes other bytes")
	}

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		if _, err := ReadClassifier(bytes.NewReader(data), nil); !errors.Is(err, ErrSegmenterMismatch) {
			t.Errorf("no segmenter: %v", err)
		}
		for name, in := range map[string][]byte{
			"empty":     nil,
			"not ours":  []byte("hello world, not a model"),
			"truncated": data[:len(data)/2],
			"flipped":   flip(data, len(data)/3),
		} {
			if _, err := ReadClassifier(bytes.NewReader(in), seg); err == nil || !strings.HasPrefix(err.Error(), "nlu: read classifier") {
				t.Errorf("%s: err = %v", name, err)
			}
		}
		// A character-only model needs no segmenter.
		chars, err := Train(tinyExamples(), nil, TrainConfig{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		var cb bytes.Buffer
		chars.WriteTo(&cb)
		if _, err := ReadClassifier(&cb, nil); err != nil {
			t.Errorf("character model without segmenter: %v", err)
		}
	})
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x40
	return out
}

func TestTrainErrors(t *testing.T) {
	t.Parallel()
	one := []Example{{"你好", "greeting"}, {"您好", "greeting"}}
	if _, err := Train(one, nil, TrainConfig{}); !errors.Is(err, errFewLabels) {
		t.Errorf("one label: %v", err)
	}
	if _, err := Train(tinyExamples(), nil, TrainConfig{Model: "svm"}); err == nil {
		t.Error("unknown model accepted")
	}
	if _, err := Train(tinyExamples(), nil, TrainConfig{C: -1}); err == nil {
		t.Error("negative C accepted")
	}
}

func TestPredictConcurrent(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	c, err := Train(tinyExamples(), seg, TrainConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"社保卡丢了怎么办", "公积金", "驾照", "你好"}
	want := make([]string, len(texts))
	for i, text := range texts {
		want[i], _ = c.Predict(text)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				j := (g + i) % len(texts)
				if got, _ := c.Predict(texts[j]); got != want[j] {
					t.Errorf("concurrent Predict(%q) = %s, want %s", texts[j], got, want[j])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestPreparedPredictionsMatch checks the path Parser.Parse takes (one
// normalisation and one word cut shared by the heads, shared vectors for
// members with the same features) against Predict and Scores, including
// after a round trip through the model file.
func TestPreparedPredictionsMatch(t *testing.T) {
	t.Parallel()
	seg := testSegmenter(t)
	c, err := Train(tinyExamples(), seg, TrainConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ReadClassifier(&b, seg)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Classifier{c, back} {
		// Members 1 and 4 (plain and NB-scaled character 1+2-grams) see
		// the same vector.
		if m.members[3].features != m.members[0].features {
			t.Error("members with the same features do not share them")
		}
		for _, text := range []string{"社保卡丢了怎么办？", "ＡＢＣ公积金", "", "驾照   到期"} {
			norm := normalizeText(text)
			label, conf := m.Predict(text)
			pl, pc := m.predictPrepared(norm, searchWords(norm, seg))
			if pl != label || pc != conf {
				t.Errorf("%q: prepared %s %v, Predict %s %v", text, pl, pc, label, conf)
			}
			if a, b := m.Scores(text), m.scoresPrepared(norm, searchWords(norm, seg)); !slices.Equal(a, b) {
				t.Errorf("%q: prepared scores %v, Scores %v", text, b, a)
			}
		}
	}
}

// TestSAGOptimum checks that the solver reaches the optimum: the gradient
// of the objective it minimises (nearly) vanishes at its answer, with and
// without Naive Bayes scaling and class weights.
func TestSAGOptimum(t *testing.T) {
	t.Parallel()
	ex := tinyExamples()
	labels, y := labelIndex(ex)
	texts := make([]string, len(ex))
	for i, e := range ex {
		texts[i] = e.Text
	}
	fs, docIDs := fitFeatures([]blockRecipe{{kind: blockChars, minN: 1, maxN: 2, weight: 1}}, false, 1, texts, nil)
	for _, tc := range []struct {
		name     string
		balanced bool
		nb       bool
	}{{"plain", false, false}, {"balanced", true, false}, {"naive bayes", true, true}} {
		data := buildData(fs, docIDs, y, len(labels), tc.balanced)
		var scale []float64
		if tc.nb {
			scale = nbScale(data, 1, 0.1)
		}
		const c = 3.0
		x, epochs := fitSAG(data, scale, c, 1000, nil, 1)
		gmax := normInf(objectiveGradient(data, scale, c, x))
		g0 := normInf(objectiveGradient(data, scale, c, make([]float64, len(x))))
		// fitSAG stops when the weights move by less than 0.1% an epoch.
		if gmax > 2e-3 || gmax > g0/20 {
			t.Errorf("%s: gradient %.2g at the answer after %d epochs (%.2g at zero)", tc.name, gmax, epochs, g0)
		}
	}
}

func normInf(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// objectiveGradient is the gradient of fitSAG's objective, computed
// directly, for the test.
func objectiveGradient(data *lrData, scale []float64, c float64, x []float64) []float64 {
	d, k := data.d, data.k
	w, b := x[:d*k], x[d*k:]
	eff := func(i int) float64 {
		if scale == nil {
			return w[i]
		}
		return w[i] * scale[i]
	}
	g := make([]float64, len(x))
	s := make([]float64, k)
	for i := 0; i < data.n; i++ {
		copy(s, b)
		for p := data.ptr[i]; p < data.ptr[i+1]; p++ {
			f := int(data.idx[p])
			for j := range s {
				s[j] += data.val[p] * eff(f*k+j)
			}
		}
		softmax(s)
		s[data.y[i]]--
		for j := range s {
			s[j] *= data.sw[i] / float64(data.n)
		}
		for p := data.ptr[i]; p < data.ptr[i+1]; p++ {
			f := int(data.idx[p])
			for j := range s {
				sc := 1.0
				if scale != nil {
					sc = scale[f*k+j]
				}
				g[f*k+j] += data.val[p] * s[j] * sc
			}
		}
		for j := range s {
			g[d*k+j] += s[j]
		}
	}
	lambda := 1 / (c * float64(data.n))
	for i := range w {
		g[i] += lambda * w[i]
	}
	return g
}
