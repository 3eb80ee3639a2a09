package nlu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// Model names for [TrainConfig].Model.
const (
	// ModelOurs is the default model: the averaged probabilities of five
	// multinomial logistic regressions with class-balanced example weights,
	// over character 1+2-grams, sublinear character 1–3-grams, sublinear gse
	// search-mode words, character 1+2-grams with Naive Bayes
	// log-count-ratio scaling (Wang & Manning 2012), and sublinear toneless
	// pinyin syllable 1+2-grams, each with C = 30.
	ModelOurs = "ours"
	// ModelBaseline is the reference the default model is measured against:
	// TF-IDF over character 1+2-grams and one multinomial logistic
	// regression, with C chosen by 3-fold cross-validation (macro-F1) from
	// 0.1 to 1000.
	ModelBaseline = "baseline"
)

// TrainConfig sets how [Train] builds a classifier. The zero value trains
// the default model.
type TrainConfig struct {
	// Seed drives every random choice: the order the optimiser visits the
	// examples in and the folds of the baseline's choice of C. The same
	// examples, segmenter and seed give the same model, byte for byte.
	Seed int64
	// Model is ModelOurs (default, "") or ModelBaseline.
	Model string
	// C, when set, replaces the inverse regularisation strength of every
	// regression of the model (and the baseline's cross-validated choice).
	// Larger fits the training texts more closely.
	C float64
	// MaxEpochs bounds the passes over the examples of one fit; default
	// 20. Fits stop earlier when the weights move by less than 0.1% in an
	// epoch.
	MaxEpochs int
}

// blockRecipe describes one block of a member before training.
type blockRecipe struct {
	kind       blockKind
	minN, maxN int
	weight     float64
}

// memberRecipe describes one logistic regression of a model.
type memberRecipe struct {
	blocks    []blockRecipe
	sublinear bool
	minDF     int
	// nb, when > 0, scales each weight by the Naive Bayes log-count ratio
	// of its feature and class (Wang & Manning 2012), raised to the power
	// nb, with a floor of nbFloor: features that tell classes apart are
	// penalised less than features that do not.
	nb, nbFloor float64
	// balanced weighs each example by n/(k·n_class), so rare classes count
	// as much as frequent ones (macro-F1 rewards that).
	balanced bool
	// c is the inverse regularisation strength; 0 means choose by 3-fold
	// cross-validation over cGrid.
	c float64
	// weight is the member's share in the averaged probabilities.
	weight float64
}

// recipe is a whole model: the members whose probabilities are averaged.
type recipe struct {
	name    string
	members []memberRecipe
}

// cGrid is the regularisation grid of the cross-validated choice of C.
var cGrid = []float64{0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000}

func baselineRecipe() recipe {
	return recipe{name: ModelBaseline, members: []memberRecipe{{
		blocks: []blockRecipe{{kind: blockChars, minN: 1, maxN: 2, weight: 1}},
		minDF:  1,
		weight: 1,
	}}}
}

// oursRecipe is the default model. It was chosen by 5-fold
// cross-validation on public Chinese intent data and on the hotline corpus
// (docs/NLU.md has the figures, and the variants measured and dropped);
// each member alone was within a point of the baseline, balancing and
// averaging gave the gain.
func oursRecipe() recipe {
	chars := func(lo, hi int) blockRecipe { return blockRecipe{kind: blockChars, minN: lo, maxN: hi, weight: 1} }
	pinyin := blockRecipe{kind: blockPinyin, minN: 1, maxN: 2, weight: 1}
	return recipe{name: ModelOurs, members: []memberRecipe{
		{blocks: []blockRecipe{chars(1, 2)}, minDF: 1, balanced: true, c: 30, weight: 1},
		{blocks: []blockRecipe{chars(1, 3)}, sublinear: true, minDF: 1, balanced: true, c: 30, weight: 1},
		{blocks: []blockRecipe{{kind: blockWords, weight: 1}}, sublinear: true, minDF: 1, balanced: true, c: 30, weight: 1},
		{blocks: []blockRecipe{chars(1, 2)}, minDF: 1, nb: 1, nbFloor: 0.1, balanced: true, c: 30, weight: 1},
		{blocks: []blockRecipe{pinyin}, sublinear: true, minDF: 1, balanced: true, c: 30, weight: 1},
	}}
}

func recipeFor(model string) (recipe, error) {
	switch model {
	case "", ModelOurs:
		return oursRecipe(), nil
	case ModelBaseline:
		return baselineRecipe(), nil
	}
	return recipe{}, fmt.Errorf("nlu: unknown model %q (want %q or %q)", model, ModelOurs, ModelBaseline)
}

// Train builds a classifier from labelled examples. seg gives the word
// features; with a nil seg the model uses character features only. At least
// two distinct labels are needed. Train has no side effects and is safe to
// call from several goroutines at once.
func Train(examples []Example, seg *Segmenter, cfg TrainConfig) (*Classifier, error) {
	rc, err := recipeFor(cfg.Model)
	if err != nil {
		return nil, err
	}
	if cfg.C < 0 || math.IsNaN(cfg.C) || math.IsInf(cfg.C, 0) {
		return nil, fmt.Errorf("nlu: C must be a positive number, got %v", cfg.C)
	}
	if cfg.C > 0 {
		for i := range rc.members {
			rc.members[i].c = cfg.C
		}
	}
	return trainRecipe(examples, seg, cfg, rc)
}

// errFewLabels is returned when the training data has fewer than 2 labels.
var errFewLabels = errors.New("nlu: need examples of at least 2 labels")

func trainRecipe(examples []Example, seg *Segmenter, cfg TrainConfig, rc recipe) (*Classifier, error) {
	labels, y := labelIndex(examples)
	if len(labels) < 2 {
		return nil, errFewLabels
	}
	epochs := cfg.MaxEpochs
	if epochs <= 0 {
		epochs = 20
	}
	texts := make([]string, len(examples))
	for i, ex := range examples {
		texts[i] = ex.Text
	}
	c := &Classifier{model: rc.name, labels: labels}
	// The members are independent (each has its own seed): fit them in
	// parallel, one per available CPU, and keep them in recipe order.
	fitted := make([]*member, len(rc.members))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for mi, mr := range rc.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fs, docIDs := fitFeatures(mr.blocks, mr.sublinear, mr.minDF, texts, seg)
			if len(fs.blocks) == 0 {
				return // a word-only member without a segmenter
			}
			data := buildData(fs, docIDs, y, len(labels), mr.balanced)
			cval := mr.c
			if cval == 0 {
				cval = tuneC(data, mr, cfg.Seed, epochs)
			}
			w, b := fitMember(data, mr, cval, epochs, cfg.Seed+int64(mi))
			fitted[mi] = &member{features: fs, weight: mr.weight, c: cval, w: toFloat32(w), b: toFloat32(b)}
		}()
	}
	wg.Wait()
	for _, m := range fitted {
		if m != nil {
			c.members = append(c.members, m)
			c.usesWords = c.usesWords || m.features.usesWords()
		}
	}
	if c.usesWords {
		c.seg, c.segVersion = seg, seg.Version()
	}
	c.init()
	return c, nil
}

// labelIndex returns the sorted distinct labels and each example's index.
func labelIndex(examples []Example) ([]string, []int32) {
	set := map[string]bool{}
	for _, ex := range examples {
		set[ex.Label] = true
	}
	labels := make([]string, 0, len(set))
	for l := range set {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	y := make([]int32, len(examples))
	for i, ex := range examples {
		j, _ := slices.BinarySearch(labels, ex.Label)
		y[i] = int32(j)
	}
	return labels, y
}

// lrData is a training set in compressed sparse rows.
type lrData struct {
	n, d, k int
	ptr     []int32 // n+1 row starts into idx/val
	idx     []int32
	val     []float64
	y       []int32
	sw      []float64 // example weights, summing to n
}

// buildData weighs the term indices of each training text (from
// fitFeatures) into the rows of a training set.
func buildData(fs *featureSet, docIDs [][]int32, y []int32, k int, balanced bool) *lrData {
	data := &lrData{n: len(docIDs), d: fs.numFeatures(), k: k, y: y, ptr: make([]int32, 1, len(docIDs)+1)}
	var sc termScratch
	for _, ids := range docIDs {
		idx, val := fs.weigh(ids, &sc)
		data.idx = append(data.idx, idx...)
		data.val = append(data.val, val...)
		data.ptr = append(data.ptr, int32(len(data.idx)))
	}
	data.sw = make([]float64, data.n)
	counts := make([]int, k)
	for _, c := range y {
		counts[c]++
	}
	present := 0
	for _, n := range counts {
		if n > 0 {
			present++
		}
	}
	for i, c := range y {
		data.sw[i] = 1
		if balanced {
			data.sw[i] = float64(data.n) / (float64(present) * float64(counts[c]))
		}
	}
	return data
}

// subset returns the rows in rows (shared feature space).
func (d *lrData) subset(rows []int) *lrData {
	s := &lrData{n: len(rows), d: d.d, k: d.k, ptr: make([]int32, 1, len(rows)+1)}
	for _, r := range rows {
		s.idx = append(s.idx, d.idx[d.ptr[r]:d.ptr[r+1]]...)
		s.val = append(s.val, d.val[d.ptr[r]:d.ptr[r+1]]...)
		s.ptr = append(s.ptr, int32(len(s.idx)))
		s.y = append(s.y, d.y[r])
		s.sw = append(s.sw, d.sw[r])
	}
	return s
}

// nbScale returns, per feature and class (row-major d×k), the magnitude of
// the Naive Bayes log-count ratio of the feature for the class against all
// others, from binarised counts with add-one smoothing, as
// max(|r|^power, floor).
func nbScale(data *lrData, power, floor float64) []float64 {
	d, k := data.d, data.k
	per := make([]float64, d*k) // documents of class c with feature f
	tot := make([]float64, d)
	for i := 0; i < data.n; i++ {
		c := int(data.y[i])
		for p := data.ptr[i]; p < data.ptr[i+1]; p++ {
			if data.val[p] > 0 {
				f := int(data.idx[p])
				per[f*k+c]++
				tot[f]++
			}
		}
	}
	const alpha = 1.0
	pSum := make([]float64, k)
	for f := 0; f < d; f++ {
		for c := 0; c < k; c++ {
			pSum[c] += per[f*k+c] + alpha
		}
	}
	scale := make([]float64, d*k)
	for c := 0; c < k; c++ {
		// q: the complement's smoothed counts, summed over features.
		var qSum float64
		for f := 0; f < d; f++ {
			qSum += tot[f] - per[f*k+c] + alpha
		}
		for f := 0; f < d; f++ {
			p := (per[f*k+c] + alpha) / pSum[c]
			q := (tot[f] - per[f*k+c] + alpha) / qSum
			r := math.Abs(math.Log(p / q))
			if power != 1 {
				r = math.Pow(r, power)
			}
			scale[f*k+c] = max(r, floor)
		}
	}
	return scale
}

// fitMember trains one member's logistic regression on data with inverse
// regularisation c. It returns the effective weights (d×k, row-major) and
// the intercepts (k).
func fitMember(data *lrData, mr memberRecipe, c float64, epochs int, seed int64) ([]float64, []float64) {
	var scale []float64
	if mr.nb > 0 {
		scale = nbScale(data, mr.nb, mr.nbFloor)
	}
	x, _ := fitSAG(data, scale, c, epochs, nil, seed)
	d, k := data.d, data.k
	w := x[:d*k]
	if scale != nil {
		w = slices.Clone(w)
		for i := range w {
			w[i] *= scale[i]
		}
	}
	return w, x[d*k:]
}

// tuneC picks the C of cGrid with the best macro-F1 in a 3-fold stratified
// cross-validation of one member on data. Each fold walks the grid from the
// strongest regularisation up, warm-starting from the previous solution.
func tuneC(data *lrData, mr memberRecipe, seed int64, epochs int) float64 {
	const folds = 3
	labels := make([]string, data.n)
	for i, y := range data.y {
		labels[i] = fmt.Sprint(y)
	}
	fold := stratifiedFolds(labels, folds, seed)
	pred := make([][]int32, len(cGrid)) // per C, predicted class per row
	for i := range pred {
		pred[i] = make([]int32, data.n)
	}
	for f := 0; f < folds; f++ {
		var trainRows, testRows []int
		for i, fi := range fold {
			if fi == f {
				testRows = append(testRows, i)
			} else {
				trainRows = append(trainRows, i)
			}
		}
		train := data.subset(trainRows)
		var scale []float64
		if mr.nb > 0 {
			scale = nbScale(train, mr.nb, mr.nbFloor)
		}
		var init []float64
		for ci, c := range cGrid {
			x, _ := fitSAG(train, scale, c, epochs, init, seed+int64(f))
			init = x
			w := x[:data.d*data.k]
			if scale != nil {
				w = slices.Clone(w)
				for i := range w {
					w[i] *= scale[i]
				}
			}
			b := x[data.d*data.k:]
			for _, r := range testRows {
				pred[ci][r] = argmaxRow(data, r, w, b)
			}
		}
	}
	best, bestF1 := cGrid[0], -1.0
	for ci, c := range cGrid {
		if f1 := macroF1(data.y, pred[ci], data.k); f1 > bestF1+1e-12 {
			best, bestF1 = c, f1
		}
	}
	return best
}

// argmaxRow is the best class of row r of data under weights w, b.
func argmaxRow(data *lrData, r int, w, b []float64) int32 {
	k := data.k
	best, bestScore := int32(0), math.Inf(-1)
	for c := 0; c < k; c++ {
		s := b[c]
		for p := data.ptr[r]; p < data.ptr[r+1]; p++ {
			s += data.val[p] * w[int(data.idx[p])*k+c]
		}
		if s > bestScore {
			best, bestScore = int32(c), s
		}
	}
	return best
}

// macroF1 is the mean F1 over the classes that occur in gold or pred.
func macroF1(gold, pred []int32, k int) float64 {
	tp := make([]float64, k)
	fp := make([]float64, k)
	fn := make([]float64, k)
	for i := range gold {
		if gold[i] == pred[i] {
			tp[gold[i]]++
		} else {
			fp[pred[i]]++
			fn[gold[i]]++
		}
	}
	var sum float64
	var classes int
	for c := 0; c < k; c++ {
		if tp[c]+fp[c]+fn[c] == 0 {
			continue
		}
		classes++
		sum += 2 * tp[c] / (2*tp[c] + fp[c] + fn[c])
	}
	if classes == 0 {
		return 0
	}
	return sum / float64(classes)
}

// fitSAG minimises the weighted mean cross-entropy of a multinomial
// logistic regression plus ||W||²/(2·c·n) (scikit-learn's scaling of C);
// with scale, the effective weights are W⊙scale. The intercepts are not
// penalised. It returns W (d×k, row-major) and the intercepts in one
// vector, and the epochs run. It uses the stochastic average gradient
// method (Schmidt, Le Roux & Bach; scikit-learn's "sag" solver): each step
// draws one example (with probability its weight, from seed), refreshes its
// stored gradient and moves along the weighted average of all stored
// gradients. Drawing by weight keeps the step at 1/L whatever the class
// weights; an L-BFGS solver was 4–10× slower here (its dense vector passes
// over features×labels dominate on sparse text).
// Sparse data makes the dense average step lazy: a feature's weights
// catch up with the steps they missed when an example touches them, so an
// epoch costs O(nnz·k). It stops when an epoch changes no weight by more
// than tol of the largest weight, or after maxEpochs. Deterministic for a
// given seed.
func fitSAG(data *lrData, scale []float64, c float64, maxEpochs int, init []float64, seed int64) ([]float64, int) {
	const tol = 1e-3
	n, d, k := data.n, data.d, data.k
	lambda := 1 / (c * float64(n))
	// Example i carries weight pi[i] of the objective and is drawn with
	// that probability (class-balanced sampling when the weights are), so
	// the step does not shrink with the largest weight.
	pi := make([]float64, n)
	cumPi := make([]float64, n)
	var total float64
	for _, w := range data.sw {
		total += w
	}
	var acc float64
	for i, w := range data.sw {
		pi[i] = w / total
		acc += pi[i]
		cumPi[i] = acc
	}
	// Lipschitz constant of one example's loss: the softmax Hessian is at
	// most 1/2 in the scores; the intercept is a feature of value 1.
	var maxSq float64
	for i := 0; i < n; i++ {
		var sq float64
		for p := data.ptr[i]; p < data.ptr[i+1]; p++ {
			v := data.val[p]
			s := 1.0
			if scale != nil {
				f := int(data.idx[p])
				for j := 0; j < k; j++ {
					s = max(s, scale[f*k+j]*scale[f*k+j])
				}
			}
			sq += v * v * s
		}
		maxSq = max(maxSq, sq)
	}
	step := 1 / (0.5*(maxSq+1) + lambda)

	v := make([]float64, d*k) // weights: W = wscale·v
	b := make([]float64, k)
	if init != nil {
		copy(v, init[:d*k])
		copy(b, init[d*k:])
	}
	wscale := 1.0
	sumGrad := make([]float64, d*k) // Σ pi[i]·x_i⊗g_i over the examples seen
	sumGradB := make([]float64, k)
	mem := make([]float64, n*k) // stored gradient of each example in the scores
	seen := make([]bool, n)
	var seenMass float64
	// cum is the total of the lazy step factors so far; a feature's weights
	// are up to date as of cumAt[f].
	var cum float64
	cumAt := make([]float64, d)
	catchUp := func(f int) {
		if delta := cum - cumAt[f]; delta != 0 {
			row, g := v[f*k:][:k], sumGrad[f*k:][:k]
			for j := range row {
				row[j] -= delta * g[j]
			}
			cumAt[f] = cum
		}
	}
	flush := func() {
		for f := 0; f < d; f++ {
			catchUp(f)
		}
		for i := range v {
			v[i] *= wscale
		}
		wscale, cum = 1, 0
		clear(cumAt)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7361672d6f726465)) // "sag-orde"
	s := make([]float64, k)
	prev := make([]float64, d*k)
	epoch := 0
	for epoch < maxEpochs {
		epoch++
		// Sampling with replacement, as SAG's analysis assumes: a fresh
		// permutation per epoch was measured to diverge here.
		for range n {
			i := min(sort.SearchFloat64s(cumPi, rng.Float64()), n-1)
			lo, hi := data.ptr[i], data.ptr[i+1]
			copy(s, b)
			for p := lo; p < hi; p++ {
				f := int(data.idx[p])
				catchUp(f)
				x := data.val[p] * wscale
				row := v[f*k:][:k]
				if scale != nil {
					sc := scale[f*k:][:k]
					for j := range s {
						s[j] += x * row[j] * sc[j]
					}
				} else {
					for j := range s {
						s[j] += x * row[j]
					}
				}
			}
			softmax(s)
			s[data.y[i]]--
			// s is the new gradient in the scores; pi·(s - old) goes into
			// the sums.
			old := mem[i*k:][:k]
			for j := range s {
				s[j], old[j] = pi[i]*(s[j]-old[j]), s[j]
			}
			for p := lo; p < hi; p++ {
				f := int(data.idx[p])
				x := data.val[p]
				g := sumGrad[f*k:][:k]
				if scale != nil {
					sc := scale[f*k:][:k]
					for j := range g {
						g[j] += x * sc[j] * s[j]
					}
				} else {
					for j := range g {
						g[j] += x * s[j]
					}
				}
			}
			for j := range sumGradB {
				sumGradB[j] += s[j]
			}
			if !seen[i] {
				seen[i] = true
				seenMass += pi[i]
			}
			wscale *= 1 - step*lambda
			cum += step / (seenMass * wscale)
			for j := range b {
				b[j] -= step / seenMass * sumGradB[j]
			}
			if wscale < 1e-9 {
				flush()
			}
		}
		flush()
		var maxDiff, maxAbs float64
		for i := range v {
			maxDiff = max(maxDiff, math.Abs(v[i]-prev[i]))
			maxAbs = max(maxAbs, math.Abs(v[i]))
		}
		copy(prev, v)
		if maxDiff <= tol*maxAbs {
			break
		}
	}
	return append(v, b...), epoch
}

func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}
