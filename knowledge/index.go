package knowledge

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/hotline12345/hotline/nlu"
)

// indexVersion names the index layout: fields, analyzers, fillers,
// synonym handling. Bump it whenever any of them changes, so that indexes
// on disk are rebuilt.
const indexVersion = "hotline-kb-2"

// fingerprintKey is where the index keeps the fingerprint of its content.
var fingerprintKey = []byte("hotline:fingerprint")

// buildBatch is how many documents Open indexes per Bleve batch: large
// enough to amortize a batch, small enough to bound the memory of one.
const buildBatch = 5000

// Config configures Open. Zero values mean the documented defaults.
type Config struct {
	// IndexDir is where the Bleve index lives (e.g. ./data/index). It is
	// reused when it was built from the same entries, synonyms and
	// analyzers, and rebuilt otherwise; Open deletes and recreates it then,
	// and refuses to delete a non-empty directory that is not a Bleve index.
	// One process at a time: a second one blocks on the index's file lock.
	// "" keeps the index in memory (a few hundred entries build in well
	// under a second), which needs no directory and costs a rebuild on
	// every start.
	IndexDir string

	// Segmenter is required: the one gse segmenter of the process.
	Segmenter *nlu.Segmenter

	// Synonyms rewrites synonyms to one term in entries and queries (see
	// Synonyms); nil uses none. Load kb-data/synonyms.yaml with
	// LoadSynonyms. Changing them rebuilds the index.
	Synonyms *Synonyms

	// Analyzer selects the index layout (default AnalyzerShipped). The
	// others exist to measure the shipped one against Bleve's stock
	// analyzers (hotline kb eval --analyzer); they are not for serving.
	Analyzer Analyzer

	// AnswerConfidence is the confidence the best hit needs for Decision
	// "answer" when it is at least AnswerMargin ahead of the second
	// (default DefaultAnswerConfidence). Higher gives fewer wrong answers
	// and more clarifying questions.
	AnswerConfidence float64
	// AnswerMargin is how far the best hit must be ahead of the second to
	// be answered at AnswerConfidence (default DefaultAnswerMargin);
	// closer candidates make it a "clarify".
	AnswerMargin float64
	// SureConfidence is the "clearly confident" rule: a best hit at or
	// above it is answered when the second is below it, however close
	// (default DefaultSureConfidence, which is above 1: off). It answers a
	// near-perfect match with a good runner-up that the margin rule would
	// clarify. The threshold protocol's choice on the whole of
	// kb-data/eval leaves it off; values above 1 turn it off.
	SureConfidence float64
	// ClarifyConfidence is the confidence at least two hits need for
	// Decision "clarify" (default DefaultClarifyConfidence); below it the
	// decision is "none".
	ClarifyConfidence float64
	// Candidates is how many index hits are re-ranked by confidence
	// (default 20). More costs time and rarely changes the top.
	Candidates int

	// Now gives the time for the effective_from/expires checks; nil means
	// time.Now. Dates are whole days in Now's location.
	Now func() time.Time
}

// The defaults of Config: the threshold protocol's choice on the whole of
// kb-data/eval (Tune; docs/KNOWLEDGE.md has the protocol and the held-out
// figures).
const (
	DefaultAnswerConfidence  = 0.30
	DefaultAnswerMargin      = 0.16
	DefaultSureConfidence    = 2 // above 1: off (the protocol chose no "clearly confident" rule)
	DefaultClarifyConfidence = 0.10
	DefaultCandidates        = 20
)

func (c *Config) setDefaults() {
	if c.AnswerConfidence == 0 {
		c.AnswerConfidence = DefaultAnswerConfidence
	}
	if c.AnswerMargin == 0 {
		c.AnswerMargin = DefaultAnswerMargin
	}
	if c.SureConfidence == 0 {
		c.SureConfidence = DefaultSureConfidence
	}
	if c.ClarifyConfidence == 0 {
		c.ClarifyConfidence = DefaultClarifyConfidence
	}
	if c.Candidates == 0 {
		c.Candidates = DefaultCandidates
	}
	if c.Analyzer == "" {
		c.Analyzer = AnalyzerShipped
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Thresholds are the decision rule's parameters (see Config).
func (c *Config) thresholds() Thresholds {
	return Thresholds{
		Answer: c.AnswerConfidence, Margin: c.AnswerMargin,
		Sure: c.SureConfidence, Clarify: c.ClarifyConfidence,
	}
}

// Base is the searchable knowledge base: a Bleve index over the entries plus
// what confidence and related entries need. It is safe for concurrent use;
// Apply changes it while Search runs.
//
// Locking: mu guards the index's content and every field below it. Search
// holds it shared from before it reads the index until its result is
// built; Apply holds it exclusively while it writes the index batch and
// installs the entries, so a search sees all of one Apply or none of it.
// applyMu serializes Apply calls (taken before mu, never inside it).
type Base struct {
	cfg     Config
	layout  *layout
	w       weights
	idx     bleve.Index
	rebuilt bool
	closed  atomic.Bool
	applyMu sync.Mutex

	mu    sync.RWMutex
	slots []slot
	free  []int32
	byID  map[string]int32
	vocab vocabulary
	// byTerm lists, per tag and keyword, the slots of the entries that
	// have it: related entries come from it.
	byTerm map[string][]int32
	// gone caches, per day, how many entries are not in force that day.
	gone atomic.Pointer[goneList]
}

// slot holds one entry and what search needs of it.
type slot struct {
	live  bool
	entry Entry
	valid validity
	grams entryGrams
	terms []string // distinct tags and keywords
}

type validity struct{ from, until time.Time }

type goneList struct {
	day time.Time
	n   int
}

// Open builds the index from entries, or reuses the one in cfg.IndexDir when
// its stored fingerprint (sha256 of indexVersion, the layout, the
// segmenter's dictionary, the synonyms and the canonical JSON of the
// entries) matches; a stale, corrupt or unreadable index is deleted and
// rebuilt. Entries should come from LoadDir (Open checks only that ids are
// unique and dates parse).
func Open(cfg Config, entries []Entry) (*Base, error) {
	if cfg.Segmenter == nil {
		return nil, ErrNoSegmenter
	}
	cfg.setDefaults()
	lay, ok := layouts[cfg.Analyzer]
	if !ok {
		return nil, fmt.Errorf("knowledge: unknown analyzer %q (want one of %v)", cfg.Analyzer, Analyzers())
	}
	b := &Base{cfg: cfg, layout: lay, w: defaultWeights, byID: make(map[string]int32, len(entries)), byTerm: map[string][]int32{}}
	b.vocab.init()
	b.vocab.bigramFactor = b.w.bigram

	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if seen[e.ID] {
			return nil, fmt.Errorf("%w: duplicate id %q", ErrInvalid, e.ID)
		}
		seen[e.ID] = true
	}
	prepared, err := b.prepareAll(entries)
	if err != nil {
		return nil, err
	}
	for _, p := range prepared {
		b.install(p)
	}
	b.vocab.reweigh()
	fp, err := b.fingerprint(entries)
	if err != nil {
		return nil, err
	}

	// Bleve builds our gse tokenizers through the global registry; hand it
	// the segmenter for the duration (see gseHandle).
	gseHandle.open.Lock()
	defer gseHandle.open.Unlock()
	gseHandle.seg.Store(cfg.Segmenter)
	defer gseHandle.seg.Store(nil)

	b.idx, b.rebuilt, err = openIndex(cfg.IndexDir, fp, lay, b.cfg.Synonyms, entries)
	if err != nil {
		return nil, err
	}
	// Build every analyzer now, while the handle is set; the mapping caches
	// them for the life of the index (Apply and Search need them).
	m := b.idx.Mapping()
	for _, name := range lay.analyzers() {
		if m.AnalyzerNamed(name) == nil {
			b.idx.Close()
			return nil, fmt.Errorf("knowledge: analyzer %s unavailable", name)
		}
	}
	return b, nil
}

// openIndex reuses the index at dir when its fingerprint is fp, else builds
// one (in memory when dir is "").
func openIndex(dir, fp string, lay *layout, syn *Synonyms, entries []Entry) (bleve.Index, bool, error) {
	if dir == "" {
		idx, err := bleve.NewUsing("", lay.mapping(), scorch.Name, scorch.Name, nil)
		if err != nil {
			return nil, false, fmt.Errorf("knowledge: create index: %w", err)
		}
		if err := fill(idx, fp, lay, syn, entries); err != nil {
			idx.Close()
			return nil, false, err
		}
		return idx, true, nil
	}

	if idx, err := bleve.Open(dir); err == nil {
		got, err := idx.GetInternal(fingerprintKey)
		if err == nil && string(got) == fp {
			return idx, false, nil
		}
		idx.Close()
	}
	if err := removeIndexDir(dir); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, false, fmt.Errorf("knowledge: create index: %w", err)
	}
	idx, err := bleve.NewUsing(dir, lay.mapping(), scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, false, fmt.Errorf("knowledge: create index %s: %w", dir, err)
	}
	if err := fill(idx, fp, lay, syn, entries); err != nil {
		idx.Close()
		return nil, false, err
	}
	return idx, true, nil
}

// removeIndexDir deletes dir if it is missing, empty or a Bleve index, so
// that a mistyped IndexDir never wipes unrelated files.
func removeIndexDir(dir string) error {
	list, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("knowledge: index dir: %w", err)
	}
	if len(list) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
			return fmt.Errorf("knowledge: index dir %s is not empty and holds no Bleve index; refusing to delete it", dir)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("knowledge: remove stale index: %w", err)
	}
	return nil
}

// mapping is the index layout of lay.
func (lay *layout) mapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	for _, f := range lay.fields {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = f.index
		fm.Store = false
		fm.IncludeTermVectors = false
		fm.IncludeInAll = false
		fm.DocValues = false
		doc.AddFieldMappingsAt(f.name, fm)
	}
	dept := bleve.NewTextFieldMapping()
	dept.Analyzer = keyword.Name
	dept.Store, dept.IncludeTermVectors, dept.IncludeInAll, dept.DocValues = false, false, false, false
	doc.AddFieldMappingsAt(fieldDepartment, dept)

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = lay.fields[0].query
	m.ScoringModel = index.BM25Scoring
	return m
}

// document is what the index stores of e.
func (lay *layout) document(e Entry, syn *Synonyms) map[string]any {
	if !lay.synonyms {
		syn = nil
	}
	one := func(s string) string { return syn.Rewrite(s) }
	many := func(list []string) []string {
		out := make([]string, len(list))
		for i, s := range list {
			out[i] = syn.Rewrite(s)
		}
		return out
	}
	doc := map[string]any{fieldDepartment: e.Department}
	for _, f := range lay.fields {
		switch f.source {
		case sourceQuestion:
			doc[f.name] = one(e.Question)
		case sourceSimilar:
			doc[f.name] = many(e.Similar)
		case sourceKeywords:
			doc[f.name] = many(e.Keywords)
		case sourceTags:
			doc[f.name] = many(e.Tags)
		case sourceAnswer:
			doc[f.name] = one(e.Answer)
		}
	}
	return doc
}

// fill indexes entries and then stores the fingerprint in the last batch,
// so an interrupted build is never mistaken for a complete one.
func fill(idx bleve.Index, fp string, lay *layout, syn *Synonyms, entries []Entry) error {
	batch := idx.NewBatch()
	for i, e := range entries {
		if err := batch.Index(e.ID, lay.document(e, syn)); err != nil {
			return fmt.Errorf("knowledge: index %s: %w", e.ID, err)
		}
		if batch.Size() >= buildBatch && i < len(entries)-1 {
			if err := idx.Batch(batch); err != nil {
				return fmt.Errorf("knowledge: index: %w", err)
			}
			batch.Reset()
		}
	}
	batch.SetInternal(fingerprintKey, []byte(fp))
	if err := idx.Batch(batch); err != nil {
		return fmt.Errorf("knowledge: index: %w", err)
	}
	return nil
}

// fingerprint is sha256 over indexVersion, the layout, the segmenter's
// dictionary version, the synonyms and the canonical JSON of the entries
// sorted by id (File and Line left out: moving an entry between files
// changes nothing indexed).
func (b *Base) fingerprint(entries []Entry) (string, error) {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s\n%s\n%s\nsynonyms %s\n", indexVersion, b.layout.name, b.cfg.Segmenter.Version(), b.cfg.Synonyms.Version())
	if err := json.NewEncoder(&buf).Encode(sorted); err != nil {
		return "", fmt.Errorf("knowledge: fingerprint: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// Rebuilt reports whether Open built the index rather than reusing the one
// in IndexDir (always true in memory).
func (b *Base) Rebuilt() bool { return b.rebuilt }

// Close releases the index. Search and Apply fail with ErrClosed
// afterwards; Close waits for those in flight.
func (b *Base) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.idx.Close()
}

// Len is the number of entries, including those not in force today.
func (b *Base) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.byID)
}

// Entry returns the entry with the given id if it is in force now: expired
// and not yet effective entries are never served.
func (b *Base) Entry(id string) (Entry, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	i, ok := b.byID[id]
	if !ok || !b.slots[i].inForce(b.cfg.Now()) {
		return Entry{}, false
	}
	return cloneEntry(b.slots[i].entry), true
}

// Entries returns every entry, including those not in force, sorted by id.
// The entries are copies: changing them changes nothing in the base.
func (b *Base) Entries() []Entry {
	b.mu.RLock()
	out := make([]Entry, 0, len(b.byID))
	for _, s := range b.slots {
		if s.live {
			out = append(out, cloneEntry(s.entry))
		}
	}
	b.mu.RUnlock()
	slices.SortFunc(out, func(x, y Entry) int { return cmp.Compare(x.ID, y.ID) })
	return out
}

// inForce reports whether the slot's entry applies on now's day.
func (s *slot) inForce(now time.Time) bool {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if !s.valid.from.IsZero() && day.Before(s.valid.from) {
		return false
	}
	if !s.valid.until.IsZero() && day.After(s.valid.until) {
		return false
	}
	return true
}

// goneCount returns how many entries are not in force on now's day,
// counted once a day (and again after an Apply). Callers hold mu, shared
// or exclusive.
func (b *Base) goneCount(now time.Time) int {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if g := b.gone.Load(); g != nil && g.day.Equal(day) {
		return g.n
	}
	g := &goneList{day: day}
	for i := range b.slots {
		if s := &b.slots[i]; s.live && !s.inForce(now) {
			g.n++
		}
	}
	b.gone.Store(g)
	return g.n
}
