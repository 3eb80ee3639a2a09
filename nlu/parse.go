package nlu

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Result is what the NLU layer understands of one message.
type Result struct {
	Intent               Intent   `json:"intent"`
	IntentConfidence     float64  `json:"intent_confidence"`
	Department           string   `json:"department"`
	DepartmentConfidence float64  `json:"department_confidence"`
	Entities             []Entity `json:"entities"`
	Urgency              Urgency  `json:"urgency"`
	UrgencyTriggers      []string `json:"urgency_triggers"`
	Tokens               []string `json:"tokens"`
	// EmergencyNumbers are the numbers to call for an emergency, most
	// relevant first (119, 120, 110, 122); empty otherwise.
	EmergencyNumbers []string `json:"emergency_numbers,omitempty"`
}

// The confidence thresholds dialog acts on, chosen by 5-fold
// cross-validation on kb-data/nlu/corpus.tsv as the lowest confidence at
// which the model's answers are right at least 95% of the time (see
// docs/NLU.md for the figures and the command).
const (
	DefaultIntentThreshold     = 0.587 // 78% of messages covered
	DefaultDepartmentThreshold = 0.534 // 64% covered
	// modelEmergency is the probability of "emergency" from the urgency
	// head that raises a message the rules did not flag. Low on purpose:
	// a missed emergency is far worse than a false alarm.
	modelEmergency = 0.5
)

// ErrNoModels is returned by NewParser with Config.LoadOnly when a model
// is not in the cache.
var ErrNoModels = errors.New("nlu: no trained model for this corpus in the cache")

// Config configures a Parser.
type Config struct {
	// KBDir is the kb-data directory: nlu/corpus.tsv (training data),
	// nlu/districts.yaml (address gazetteer, optional), nlu/urgency.yaml
	// (the city's urgency rules, optional). Required.
	KBDir string
	// Segmenter is the process's one segmenter. Required.
	Segmenter *Segmenter
	// CacheDir, when set, keeps the trained models between runs (a few
	// seconds of training saved at each start); they are retrained when
	// the corpus, the segmenter's dictionary or the model change.
	CacheDir string
	// Seed makes training deterministic. Default 1.
	Seed int64
	// LoadOnly makes NewParser fail with ErrNoModels instead of training
	// when CacheDir lacks a model (tests load models trained by a separate,
	// uninstrumented process: training under the race detector is slow).
	LoadOnly bool
	// IntentThreshold and DepartmentThreshold: below them dialog treats the
	// prediction as unknown. Defaults DefaultIntentThreshold and
	// DefaultDepartmentThreshold.
	IntentThreshold, DepartmentThreshold float64
}

// Parser understands messages: intent, department, entities, urgency. It
// is immutable after NewParser and safe for concurrent use.
type Parser struct {
	seg       *Segmenter
	intent    *Classifier
	dept      *Classifier
	urgency   *Classifier
	extractor *Extractor
	rules     *UrgencyDetector

	intentThreshold, deptThreshold float64
}

// NewParser trains (or loads from CacheDir) the intent, department and
// urgency models from the corpus and loads the gazetteer and urgency rules.
func NewParser(cfg Config) (*Parser, error) {
	if cfg.KBDir == "" || cfg.Segmenter == nil {
		return nil, errors.New("nlu: KBDir and Segmenter are required")
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.IntentThreshold == 0 {
		cfg.IntentThreshold = DefaultIntentThreshold
	}
	if cfg.DepartmentThreshold == 0 {
		cfg.DepartmentThreshold = DefaultDepartmentThreshold
	}
	dir := filepath.Join(cfg.KBDir, "nlu")
	corpusPath := filepath.Join(dir, "corpus.tsv")
	raw, err := os.ReadFile(corpusPath)
	if err != nil {
		return nil, fmt.Errorf("nlu: training corpus: %w", err)
	}
	corpus, err := ReadCorpus(bytes.NewReader(raw), corpusPath)
	if err != nil {
		return nil, err
	}
	var districts []District
	if path := filepath.Join(dir, "districts.yaml"); exists(path) {
		if districts, err = LoadDistricts(path); err != nil {
			return nil, err
		}
	}
	rulesPath := filepath.Join(dir, "urgency.yaml")
	if !exists(rulesPath) {
		rulesPath = ""
	}
	rules, err := LoadUrgencyDetector(rulesPath)
	if err != nil {
		return nil, err
	}
	p := &Parser{
		seg:             cfg.Segmenter,
		extractor:       NewExtractor(districts),
		rules:           rules,
		intentThreshold: cfg.IntentThreshold,
		deptThreshold:   cfg.DepartmentThreshold,
	}

	// The three heads train independently: in parallel.
	heads := []struct {
		name string
		dst  **Classifier
	}{{HeadIntent, &p.intent}, {HeadDepartment, &p.dept}, {HeadUrgency, &p.urgency}}
	errs := make([]error, len(heads))
	var wg sync.WaitGroup
	for i, h := range heads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			*h.dst, errs[i] = trainOrLoad(cfg, h.name, raw, corpus.Head(h.name))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// trainOrLoad returns the model of one head, from the cache when it was
// trained on the same corpus with the same segmenter and seed.
func trainOrLoad(cfg Config, head string, corpus []byte, examples []Example) (*Classifier, error) {
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\x00%s\x00%d\x00%d\x00", head, cfg.Segmenter.Version(), cfg.Seed, modelVersion)
	sum.Write(corpus)
	path := ""
	if cfg.CacheDir != "" {
		path = filepath.Join(cfg.CacheDir, head+"-"+hex.EncodeToString(sum.Sum(nil))[:16]+".model")
		if f, err := os.Open(path); err == nil {
			c, err := ReadClassifier(f, cfg.Segmenter)
			f.Close()
			if err == nil {
				return c, nil
			}
			// A damaged or stale cache is rebuilt.
		}
	}
	if cfg.LoadOnly {
		return nil, fmt.Errorf("%w: %s model in %s", ErrNoModels, head, cfg.CacheDir)
	}
	c, err := Train(examples, cfg.Segmenter, TrainConfig{Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("nlu: train %s model: %w", head, err)
	}
	if path != "" {
		if err := saveModel(path, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// saveModel writes the model atomically (temporary file, then rename).
func saveModel(path string, c *Classifier) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("nlu: model cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return fmt.Errorf("nlu: model cache: %w", err)
	}
	if _, err := c.WriteTo(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("nlu: save model: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Parse understands one message; now anchors relative dates (明天, 上周三).
func (p *Parser) Parse(text string, now time.Time) Result {
	r := Result{
		Entities: p.extractor.Extract(text, now),
		Tokens:   p.seg.Cut(text),
	}
	if r.Entities == nil {
		r.Entities = []Entity{}
	}
	if r.Tokens == nil {
		r.Tokens = []string{}
	}
	// The three heads share one normalisation and one search-mode cut.
	norm := normalizeText(text)
	var words []string
	if p.intent.usesWords || p.dept.usesWords || p.urgency.usesWords {
		words = searchWords(norm, p.seg)
	}
	label, conf := p.intent.predictPrepared(norm, words)
	r.Intent, r.IntentConfidence = Intent(label), conf
	r.Department, r.DepartmentConfidence = p.dept.predictPrepared(norm, words)

	r.Urgency, r.UrgencyTriggers = p.rules.Detect(text)
	if r.Urgency != UrgencyEmergency {
		for _, s := range p.urgency.scoresPrepared(norm, words) {
			if s.Label == string(UrgencyEmergency) && s.Score >= modelEmergency {
				r.Urgency = UrgencyEmergency
				r.UrgencyTriggers = append(r.UrgencyTriggers, "(model)")
			}
		}
	}
	if r.UrgencyTriggers == nil {
		r.UrgencyTriggers = []string{}
	}
	if r.Urgency == UrgencyEmergency {
		r.EmergencyNumbers = p.rules.EmergencyNumbers(text)
	}
	return r
}

// Confident reports whether the intent and the department of r are above
// the thresholds that make them right at least 95% of the time.
func (p *Parser) Confident(r Result) (intent, department bool) {
	return r.IntentConfidence >= p.intentThreshold, r.DepartmentConfidence >= p.deptThreshold
}
