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
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/hotline12345/hotline/nlu"
)

// indexVersion names the index layout: fields, analyzers, fillers. Bump it
// whenever any of them changes, so that indexes on disk are rebuilt.
const indexVersion = "hotline-kb-1"

// fingerprintKey is where the index keeps the fingerprint of its content.
var fingerprintKey = []byte("hotline:fingerprint")

// Index fields. The word fields are indexed with the search-mode gse
// analyzer and queried with the precise one; the character fields hold one
// term per CJK character.
const (
	fieldQuestionWords = "question_w"
	fieldQuestionChars = "question_c"
	fieldSimilarWords  = "similar_w"
	fieldSimilarChars  = "similar_c"
	fieldKeywordWords  = "keywords_w"
	fieldTagWords      = "tags_w"
	fieldAnswerWords   = "answer_w"
	fieldDepartment    = "department"
)

// Config configures Open. Zero values mean the documented defaults.
type Config struct {
	// IndexDir is where the Bleve index lives (e.g. ./data/index). It is
	// reused when it was built from the same entries by the same analyzers
	// and rebuilt otherwise; Open deletes and recreates it then, and refuses
	// to delete a non-empty directory that is not a Bleve index. One process
	// at a time: a second one blocks on the index's file lock. "" keeps the
	// index in memory (~100 entries build in well under a second), which
	// needs no directory and costs a rebuild on every start.
	IndexDir string

	// Segmenter is required: the one gse segmenter of the process.
	Segmenter *nlu.Segmenter

	// AnswerConfidence is the confidence the best hit needs for Decision
	// "answer" (default DefaultAnswerConfidence). Higher gives fewer wrong
	// answers and more clarifying questions.
	AnswerConfidence float64
	// AnswerMargin is how far the best hit must be ahead of the second to be
	// answered outright (default DefaultAnswerMargin); closer candidates
	// make it a "clarify".
	AnswerMargin float64
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

// The defaults of Config, chosen on kb-data/eval (see the package doc).
const (
	DefaultAnswerConfidence  = 0.45
	DefaultAnswerMargin      = 0.24
	DefaultClarifyConfidence = 0.25
	DefaultCandidates        = 20
)

func (c *Config) setDefaults() {
	if c.AnswerConfidence == 0 {
		c.AnswerConfidence = DefaultAnswerConfidence
	}
	if c.AnswerMargin == 0 {
		c.AnswerMargin = DefaultAnswerMargin
	}
	if c.ClarifyConfidence == 0 {
		c.ClarifyConfidence = DefaultClarifyConfidence
	}
	if c.Candidates == 0 {
		c.Candidates = DefaultCandidates
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Base is the searchable knowledge base: a Bleve index over the entries plus
// what confidence and related entries need. It is read-only after Open and
// safe for concurrent use.
type Base struct {
	cfg     Config
	idx     bleve.Index
	rebuilt bool
	closed  atomic.Bool

	entries []Entry
	byID    map[string]int
	// validity holds each entry's first and last day (zero = open end).
	validity []validity
	// vocab and grams are what coverage needs (confidence.go).
	vocab *vocabulary
	grams []entryGrams
	// neighbours lists per entry the other entries of the same department
	// or sharing tags, most shared tags first.
	neighbours [][]int
}

type validity struct{ from, until time.Time }

// Open builds the index from entries, or reuses the one in cfg.IndexDir when
// its stored fingerprint (sha256 of indexVersion, the segmenter's dictionary
// and the canonical JSON of the entries) matches; a stale, corrupt or
// unreadable index is deleted and rebuilt. Entries should come from LoadDir.
func Open(cfg Config, entries []Entry) (*Base, error) {
	if cfg.Segmenter == nil {
		return nil, ErrNoSegmenter
	}
	cfg.setDefaults()
	fp, err := fingerprint(cfg.Segmenter, entries)
	if err != nil {
		return nil, err
	}

	entries = slices.Clone(entries)
	b := &Base{cfg: cfg, entries: entries, byID: make(map[string]int, len(entries))}
	for i, e := range entries {
		if _, dup := b.byID[e.ID]; dup {
			return nil, fmt.Errorf("%w: duplicate id %q", ErrInvalid, e.ID)
		}
		b.byID[e.ID] = i
	}
	if err := b.prepare(); err != nil {
		return nil, err
	}

	// Bleve builds our gse tokenizers through the global registry; hand it
	// the segmenter for the duration (see gseHandle).
	gseHandle.open.Lock()
	defer gseHandle.open.Unlock()
	gseHandle.seg.Store(cfg.Segmenter)
	defer gseHandle.seg.Store(nil)

	b.idx, b.rebuilt, err = openIndex(cfg.IndexDir, fp, entries)
	if err != nil {
		return nil, err
	}
	// Build every analyzer now, while the handle is set; the mapping caches
	// them for the life of the index.
	m := b.idx.Mapping()
	for _, name := range []string{analyzerWords, analyzerSearchWords, analyzerChars} {
		if m.AnalyzerNamed(name) == nil {
			b.idx.Close()
			return nil, fmt.Errorf("knowledge: analyzer %s unavailable", name)
		}
	}
	return b, nil
}

// openIndex reuses the index at dir when its fingerprint is fp, else builds
// one (in memory when dir is "").
func openIndex(dir, fp string, entries []Entry) (bleve.Index, bool, error) {
	if dir == "" {
		idx, err := bleve.NewUsing("", newMapping(), scorch.Name, scorch.Name, nil)
		if err != nil {
			return nil, false, fmt.Errorf("knowledge: create index: %w", err)
		}
		if err := fill(idx, fp, entries); err != nil {
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
	idx, err := bleve.NewUsing(dir, newMapping(), scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, false, fmt.Errorf("knowledge: create index %s: %w", dir, err)
	}
	if err := fill(idx, fp, entries); err != nil {
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

// newMapping is the index layout; see the field constants.
func newMapping() mapping.IndexMapping {
	text := func(analyzer string) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	for _, name := range []string{fieldQuestionWords, fieldSimilarWords, fieldKeywordWords, fieldTagWords, fieldAnswerWords} {
		doc.AddFieldMappingsAt(name, text(analyzerSearchWords))
	}
	for _, name := range []string{fieldQuestionChars, fieldSimilarChars} {
		doc.AddFieldMappingsAt(name, text(analyzerChars))
	}
	doc.AddFieldMappingsAt(fieldDepartment, text(keyword.Name))

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = analyzerChars
	m.ScoringModel = index.BM25Scoring
	return m
}

// fill indexes entries in one batch and then stores the fingerprint, so an
// interrupted build is never mistaken for a complete one.
func fill(idx bleve.Index, fp string, entries []Entry) error {
	batch := idx.NewBatch()
	for _, e := range entries {
		doc := map[string]any{
			fieldQuestionWords: e.Question,
			fieldQuestionChars: e.Question,
			fieldSimilarWords:  e.Similar,
			fieldSimilarChars:  e.Similar,
			fieldKeywordWords:  e.Keywords,
			fieldTagWords:      e.Tags,
			fieldAnswerWords:   e.Answer,
			fieldDepartment:    e.Department,
		}
		if err := batch.Index(e.ID, doc); err != nil {
			return fmt.Errorf("knowledge: index %s: %w", e.ID, err)
		}
	}
	if err := idx.Batch(batch); err != nil {
		return fmt.Errorf("knowledge: index: %w", err)
	}
	if err := idx.SetInternal(fingerprintKey, []byte(fp)); err != nil {
		return fmt.Errorf("knowledge: store fingerprint: %w", err)
	}
	return nil
}

// fingerprint is sha256 over indexVersion, the segmenter's dictionary
// version and the canonical JSON of the entries sorted by id (File and Line
// left out: moving an entry between files changes nothing indexed).
func fingerprint(seg *nlu.Segmenter, entries []Entry) (string, error) {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	var buf bytes.Buffer
	buf.WriteString(indexVersion + "\n" + seg.Version() + "\n")
	if err := json.NewEncoder(&buf).Encode(sorted); err != nil {
		return "", fmt.Errorf("knowledge: fingerprint: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// Rebuilt reports whether Open built the index rather than reusing the one
// in IndexDir (always true in memory).
func (b *Base) Rebuilt() bool { return b.rebuilt }

// Close releases the index. Search fails with ErrClosed afterwards.
func (b *Base) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	return b.idx.Close()
}

// Len is the number of entries, including those not in force today.
func (b *Base) Len() int { return len(b.entries) }

// Entry returns the entry with the given id if it is in force now: expired
// and not yet effective entries are never served.
func (b *Base) Entry(id string) (Entry, bool) {
	i, ok := b.byID[id]
	if !ok || !b.inForce(i, b.cfg.Now()) {
		return Entry{}, false
	}
	return b.entries[i], true
}

// inForce reports whether entry i applies on now's day.
func (b *Base) inForce(i int, now time.Time) bool {
	v := b.validity[i]
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if !v.from.IsZero() && day.Before(v.from) {
		return false
	}
	if !v.until.IsZero() && day.After(v.until) {
		return false
	}
	return true
}
