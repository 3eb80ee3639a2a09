package nlu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Model names for [TrainConfig].Model.
const (
	// ModelOurs is the default model; see the package documentation.
	ModelOurs = "ours"
	// ModelBaseline is the reference the default model is measured against:
	// TF-IDF over character 1+2-grams and multinomial logistic regression
	// with C chosen by 3-fold cross-validation.
	ModelBaseline = "baseline"
)

// TrainConfig sets how [Train] builds a classifier. The zero value trains
// the default model.
type TrainConfig struct {
	// Seed drives every random choice (the folds of the inner
	// cross-validation that picks C). The same examples, segmenter and seed
	// give the same model, byte for byte.
	Seed int64
	// Model is ModelOurs (default, "") or ModelBaseline.
	Model string
	// C is the inverse regularisation strength of every logistic
	// regression. Zero means the model's own choice: fixed defaults for
	// ModelOurs (measured on several data sets; fast), 3-fold
	// cross-validation over a grid for ModelBaseline (about 20 fits).
	C float64
	// MaxIter bounds the L-BFGS iterations of one fit; default 300. The
	// fits here converge in 50–200.
	MaxIter int
}

// blockRecipe describes one block of a member before training.
type blockRecipe struct {
	kind       blockKind
	minN, maxN int
	weight     float64
}

// memberRecipe describes one logistic regression of a model.
type memberRecipe struct {
	blocks     []blockRecipe
	sublinear  bool
	foldDigits bool
	unseenNorm bool
	minDF      int
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

func oursRecipe() recipe {
	return recipe{name: ModelOurs, members: []memberRecipe{
		{
			blocks:    []blockRecipe{{kind: blockChars, minN: 1, maxN: 3, weight: 1}},
			sublinear: true, minDF: 1, nb: 1, nbFloor: 0.1, c: 10, weight: 1,
		},
		{
			blocks:    []blockRecipe{{kind: blockWords, weight: 1}},
			sublinear: true, minDF: 1, nb: 1, nbFloor: 0.1, c: 10, weight: 1,
		},
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
	maxIter := cfg.MaxIter
	if maxIter <= 0 {
		maxIter = 100
	}
	texts := make([]string, len(examples))
	for i, ex := range examples {
		texts[i] = ex.Text
	}
	c := &Classifier{model: rc.name, labels: labels}
	if seg != nil {
		c.seg, c.segVersion = seg, seg.Version()
	}
	for mi, mr := range rc.members {
		fs := fitFeatures(mr.blocks, mr.sublinear, mr.foldDigits, mr.unseenNorm, mr.minDF, texts, seg)
		if len(fs.blocks) == 0 {
			continue // a word-only member without a segmenter
		}
		data := buildData(fs, texts, y, len(labels), seg, mr.balanced)
		cval := mr.c
		if cval == 0 {
			cval = tuneC(data, mr, cfg.Seed, maxIter)
		}
		w, b := fitMember(data, mr, cval, maxIter, cfg.Seed+int64(mi))
		c.members = append(c.members, &member{features: fs, weight: mr.weight, c: cval, w: toFloat32(w), b: toFloat32(b)})
		c.usesWords = c.usesWords || fs.usesWords()
	}
	if len(c.members) == 0 {
		return nil, errors.New("nlu: model has no features without a segmenter")
	}
	if !c.usesWords {
		c.seg, c.segVersion = nil, ""
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

func buildData(fs *featureSet, texts []string, y []int32, k int, seg *Segmenter, balanced bool) *lrData {
	data := &lrData{n: len(texts), d: fs.numFeatures(), k: k, y: y, ptr: make([]int32, 1, len(texts)+1)}
	var sc termScratch
	for _, t := range texts {
		idx, val := fs.vectorize(t, seg, &sc)
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
	var all float64
	for f := 0; f < d; f++ {
		for c := 0; c < k; c++ {
			pSum[c] += per[f*k+c] + alpha
		}
		all += tot[f]
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
	_ = all
	return scale
}

// fitMember trains one member's logistic regression on data with inverse
// regularisation c, starting from init (nil: zeros). It returns the
// effective weights (d×k, row-major) and intercepts (k).
func fitMember(data *lrData, mr memberRecipe, c float64, maxIter int, seed int64) ([]float64, []float64) {
	var scale []float64
	if mr.nb > 0 {
		scale = nbScale(data, mr.nb, mr.nbFloor)
	}
	x, _ := fitSAG(data, scale, c, maxIter, nil, seed)
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

// fitLR minimises the weighted mean cross-entropy of a multinomial logistic
// regression plus ||W||²/(2·c·n), the scaling of scikit-learn's C. With
// scale, the effective weights are W⊙scale. It returns W and the
// intercepts, which are not penalised, in one vector.
func fitLR(data *lrData, scale []float64, c float64, maxIter int, init []float64) []float64 {
	d, k := data.d, data.k
	o := &lrObjective{data: data, scale: scale, lambda: 1 / (c * float64(data.n)), scores: make([]float64, k), gEff: make([]float64, d*k)}
	if scale != nil {
		o.eff = make([]float64, d*k)
	}
	x := make([]float64, d*k+k)
	if init != nil {
		copy(x, init)
	}
	it := minimizeLBFGS(x, o.eval, maxIter)
	if debugFit != nil {
		debugFit(data.n, data.d, data.k, c, it)
	}
	return x
}

var debugTune func(c, f1 float64)

var debugFit func(n, d, k int, c float64, iters int)

// lrObjective is the loss and gradient of fitLR.
type lrObjective struct {
	data      *lrData
	scale     []float64
	lambda    float64
	eff, gEff []float64
	scores    []float64
}

func (o *lrObjective) eval(x, g []float64) float64 {
	data := o.data
	d, k := data.d, data.k
	w, b := x[:d*k], x[d*k:]
	eff := w
	if o.scale != nil {
		for i := range o.eff {
			o.eff[i] = w[i] * o.scale[i]
		}
		eff = o.eff
	}
	gEff, gb := o.gEff, g[d*k:]
	clear(gEff)
	clear(gb)
	s := o.scores
	var loss, wsum float64
	for i := 0; i < data.n; i++ {
		copy(s, b)
		lo, hi := data.ptr[i], data.ptr[i+1]
		for p := lo; p < hi; p++ {
			v := data.val[p]
			row := eff[int(data.idx[p])*k:][:k]
			for j := range s {
				s[j] += v * row[j]
			}
		}
		yi := int(data.y[i])
		m := s[0]
		for _, v := range s[1:] {
			m = max(m, v)
		}
		var sum float64
		sy := s[yi]
		for j := range s {
			s[j] = math.Exp(s[j] - m)
			sum += s[j]
		}
		sw := data.sw[i]
		wsum += sw
		loss += sw * (m + math.Log(sum) - sy)
		for j := range s {
			s[j] *= sw / sum
		}
		s[yi] -= sw
		for p := lo; p < hi; p++ {
			v := data.val[p]
			row := gEff[int(data.idx[p])*k:][:k]
			for j := range s {
				row[j] += v * s[j]
			}
		}
		for j := range s {
			gb[j] += s[j]
		}
	}
	inv := 1 / wsum
	loss *= inv
	for j := range gb {
		gb[j] *= inv
	}
	gw := g[:d*k]
	var reg float64
	for i := range gw {
		gi := gEff[i] * inv
		if o.scale != nil {
			gi *= o.scale[i]
		}
		gw[i] = gi + o.lambda*w[i]
		reg += w[i] * w[i]
	}
	return loss + o.lambda/2*reg
}

// minimizeLBFGS minimises f from x (updated in place) with limited-memory
// BFGS and a backtracking Armijo line search. It stops when the gradient is
// tiny, the objective no longer moves, or after maxIter iterations. The
// history is kept in float32: the dense vector passes over it are the cost
// of an iteration, and they are memory-bound. It is sequential and so
// deterministic.
func minimizeLBFGS(x []float64, f func(x, g []float64) float64, maxIter int) int {
	const (
		mem  = 5
		gtol = 1e-6
		ftol = 1e-9
		c1   = 1e-4
	)
	n := len(x)
	orig := x
	g := make([]float64, n)
	fx := f(x, g)
	xn := make([]float64, n)
	gn := make([]float64, n)
	dir := make([]float64, n)
	var sHist, yHist [][]float32
	var rho []float64
	alpha := make([]float64, mem)
	iter := 0
	for ; iter < maxIter; iter++ {
		if normInf(g) < gtol {
			break
		}
		// Two-loop recursion: dir = -H·g.
		copy(dir, g)
		for i := len(sHist) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot32(sHist[i], dir)
			axpy32(-alpha[i], yHist[i], dir)
		}
		if h := len(sHist); h > 0 {
			gamma := 1 / (rho[h-1] * dot3232(yHist[h-1], yHist[h-1]))
			scal(gamma, dir)
		}
		for i := range sHist {
			beta := rho[i] * dot32(yHist[i], dir)
			axpy32(alpha[i]-beta, sHist[i], dir)
		}
		scal(-1, dir)
		dg := dot(dir, g)
		if dg >= 0 { // not a descent direction: restart from steepest descent
			sHist, yHist, rho = sHist[:0], yHist[:0], rho[:0]
			copy(dir, g)
			scal(-1, dir)
			dg = dot(dir, g)
		}
		step := 1.0
		if len(sHist) == 0 {
			step = 1 / math.Sqrt(dot(g, g))
		}
		var fn float64
		for try := 0; ; try++ {
			copy(xn, x)
			axpy(step, dir, xn)
			fn = f(xn, gn)
			if fn <= fx+c1*step*dg || try == 40 {
				break
			}
			step *= 0.5
		}
		if fn > fx { // no progress possible: converged to precision
			break
		}
		// Update the history with s = xn-x, y = gn-g, reusing the oldest.
		var s, yv []float32
		if len(sHist) == mem {
			s, yv = sHist[0], yHist[0]
			sHist, yHist, rho = sHist[1:], yHist[1:], rho[1:]
		} else {
			s, yv = make([]float32, n), make([]float32, n)
		}
		var sy float64
		for i := range s {
			s[i] = float32(xn[i] - x[i])
			yv[i] = float32(gn[i] - g[i])
			sy += float64(s[i]) * float64(yv[i])
		}
		if sy > 1e-12 {
			sHist, yHist, rho = append(sHist, s), append(yHist, yv), append(rho, 1/sy)
		}
		done := fx-fn <= ftol*max(math.Abs(fx), math.Abs(fn), 1)
		x, xn = xn, x
		g, gn = gn, g
		fx = fn
		if done {
			iter++
			break
		}
	}
	// x may now be the other buffer: the caller's slice must hold the result.
	if &x[0] != &orig[0] {
		copy(orig, x)
	}
	return iter
}

func dot32(a []float32, b []float64) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * b[i]
	}
	return s
}

func dot3232(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func axpy32(a float64, x []float32, y []float64) {
	for i := range x {
		y[i] += a * float64(x[i])
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func scal(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}

func normInf(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// tuneC picks the C of cGrid with the best macro-F1 in a 3-fold stratified
// cross-validation of one member on data. Each fold walks the grid from the
// strongest regularisation up, warm-starting from the previous solution.
func tuneC(data *lrData, mr memberRecipe, seed int64, maxIter int) float64 {
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
			x, _ := fitSAG(train, scale, c, maxIter, init, seed+int64(f))
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
		f1 := macroF1(data.y, pred[ci], data.k)
		if debugTune != nil {
			debugTune(c, f1)
		}
		if f1 > bestF1+1e-12 {
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

// fitSAG minimises the same objective as fitLR with the stochastic average
// gradient method (Schmidt, Le Roux & Bach; scikit-learn's "sag" solver):
// each step takes one example (drawn at random from seed), refreshes
// its stored gradient and moves along the average of all stored gradients.
// Sparse data makes the dense average step lazy: a feature's weights
// catch up with the steps they missed when an example touches them, so an
// epoch costs O(nnz·k). It stops when an epoch changes no weight by more
// than tol of the largest weight, or after maxEpochs. Deterministic for a
// given seed.
func fitSAG(data *lrData, scale []float64, c float64, maxEpochs int, init []float64, seed int64) ([]float64, int) {
	const tol = 1e-4
	n, d, k := data.n, data.d, data.k
	lambda := 1 / (c * float64(n))
	// Lipschitz constant of one example's loss: the softmax Hessian is at
	// most 1/2 in the scores; the intercept is a feature of value 1.
	var maxSq, maxW float64
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
		maxW = max(maxW, data.sw[i])
	}
	step := sagStepFactor / (0.5*maxW*(maxSq+1) + lambda)

	v := make([]float64, d*k) // weights: W = wscale·v
	b := make([]float64, k)
	if init != nil {
		copy(v, init[:d*k])
		copy(b, init[d*k:])
	}
	wscale := 1.0
	sumGrad := make([]float64, d*k)
	sumGradB := make([]float64, k)
	mem := make([]float64, n*k) // stored gradient of each example in the scores
	seen := make([]bool, n)
	nSeen := 0
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
		// Uniform sampling with replacement, as SAG's analysis assumes: a
		// fresh permutation per epoch was measured to diverge here.
		for range n {
			i := rng.IntN(n)
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
			sw := data.sw[i]
			for j := range s {
				s[j] *= sw
			}
			s[data.y[i]] -= sw
			// s is the new gradient in the scores; s - old goes into the sums.
			old := mem[i*k:][:k]
			for j := range s {
				s[j], old[j] = s[j]-old[j], s[j]
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
				nSeen++
			}
			m := float64(nSeen)
			wscale *= 1 - step*lambda
			cum += step / (m * wscale)
			for j := range b {
				b[j] -= step / m * sumGradB[j]
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

var sagStepFactor = 1.0
