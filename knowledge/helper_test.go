package knowledge

import (
	"cmp"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hotline12345/hotline/nlu"
)

// kbData is the real knowledge base next to this package;
// HOTLINE_KB_DATA measures another one.
var kbData = cmp.Or(os.Getenv("HOTLINE_KB_DATA"), "../kb-data")

var (
	testSegOnce sync.Once
	testSeg     *nlu.Segmenter
	testSegErr  error
)

// testSegmenter returns the one Segmenter of this test binary (gse loads in
// seconds, far longer under -race). It uses kb-data's user dictionary when
// there is one.
func testSegmenter(tb testing.TB) *nlu.Segmenter {
	tb.Helper()
	testSegOnce.Do(func() {
		testSeg, testSegErr = nlu.NewSegmenter(userDictPath())
	})
	if testSegErr != nil {
		tb.Fatalf("NewSegmenter: %v", testSegErr)
	}
	return testSeg
}

// userDictPath finds kb-data's user dictionary, "" if it has none.
func userDictPath() string {
	for _, pattern := range []string{"dict/*.txt", "*dict*.txt", "nlu/*dict*.txt"} {
		if m, _ := filepath.Glob(filepath.Join(kbData, pattern)); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// fixedNow is the clock of the tests: 2026-11-01 noon, Beijing time.
func fixedNow() time.Time {
	return time.Date(2026, 11, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
}

// realEntries loads ../kb-data/kb, skipping the test when it is missing.
func realEntries(tb testing.TB) []Entry {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(kbData, "kb")); err != nil {
		tb.Skipf("no %s/kb: %v", kbData, err)
	}
	entries, err := LoadDir(kbData)
	if err != nil {
		tb.Fatalf("LoadDir(%s): %v", kbData, err)
	}
	return entries
}

// openTest opens an in-memory base over entries, closed with the test.
func openTest(tb testing.TB, entries []Entry, cfg Config) *Base {
	tb.Helper()
	cfg.Segmenter = testSegmenter(tb)
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	b, err := Open(cfg, entries)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

// realSynonyms loads ../kb-data/synonyms.yaml, nil when there is none.
func realSynonyms(tb testing.TB) *Synonyms {
	tb.Helper()
	path := filepath.Join(kbData, "synonyms.yaml")
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	s, err := LoadSynonyms(path)
	if err != nil {
		tb.Fatalf("LoadSynonyms: %v", err)
	}
	return s
}
