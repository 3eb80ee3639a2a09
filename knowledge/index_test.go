package knowledge

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenReuseAndRebuild(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "index")
	entries := fixtureEntries()
	changed := fixtureEntries()
	changed[0].Similar = append(changed[0].Similar, "社保卡被偷了")

	steps := []struct {
		name        string
		entries     []Entry
		before      func(t *testing.T)
		wantRebuilt bool
	}{
		{name: "first open builds", entries: entries, wantRebuilt: true},
		{name: "same entries reuse", entries: entries, wantRebuilt: false},
		{name: "file and line do not matter", entries: movedEntries(entries), wantRebuilt: false},
		{name: "changed entries rebuild", entries: changed, wantRebuilt: true},
		{name: "and are then reused", entries: changed, wantRebuilt: false},
		{
			name:    "corrupt index rebuilds",
			entries: changed,
			before: func(t *testing.T) {
				if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{not json"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			wantRebuilt: true,
		},
		{
			name:    "missing store rebuilds",
			entries: changed,
			before: func(t *testing.T) {
				if err := os.RemoveAll(filepath.Join(dir, "store")); err != nil {
					t.Fatal(err)
				}
			},
			wantRebuilt: true,
		},
	}
	// Steps run in order on one directory.
	for _, st := range steps {
		if st.before != nil {
			st.before(t)
		}
		b, err := Open(Config{IndexDir: dir, Segmenter: testSegmenter(t), Now: fixedNow}, st.entries)
		if err != nil {
			t.Fatalf("%s: Open: %v", st.name, err)
		}
		if b.Rebuilt() != st.wantRebuilt {
			t.Errorf("%s: Rebuilt() = %v, want %v", st.name, b.Rebuilt(), st.wantRebuilt)
		}
		// A reused index must search like a fresh one: its analyzers were
		// rebuilt from the stored mapping.
		res, err := b.Search(context.Background(), "社保卡丢了怎么办", SearchOptions{})
		if err != nil {
			t.Fatalf("%s: Search: %v", st.name, err)
		}
		if res.Decision != DecisionAnswer || res.Hits[0].Entry.ID != "social_security-card-lost" {
			t.Errorf("%s: Search = %s %v", st.name, res.Decision, hitIDs(res))
		}
		if b.Len() != len(st.entries) {
			t.Errorf("%s: Len() = %d, want %d", st.name, b.Len(), len(st.entries))
		}
		if err := b.Close(); err != nil {
			t.Fatalf("%s: Close: %v", st.name, err)
		}
	}
}

func movedEntries(entries []Entry) []Entry {
	out := make([]Entry, len(entries))
	for i, e := range entries {
		e.File, e.Line = "elsewhere.yaml", 1000+i
		out[len(out)-1-i] = e // and in another order
	}
	return out
}

func TestOpenRefusesForeignDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(precious, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Config{IndexDir: dir, Segmenter: testSegmenter(t)}, fixtureEntries())
	if err == nil {
		t.Fatal("Open over a foreign directory: no error")
	}
	if _, err := os.Stat(precious); err != nil {
		t.Fatalf("foreign file gone: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	if _, err := Open(Config{}, fixtureEntries()); !errors.Is(err, ErrNoSegmenter) {
		t.Errorf("no segmenter: err = %v", err)
	}
	dup := append(fixtureEntries(), fixtureEntries()[0])
	if _, err := Open(Config{Segmenter: testSegmenter(t)}, dup); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate id: err = %v", err)
	}
	b := openTest(t, fixtureEntries(), Config{})
	b.Close()
	if _, err := b.Search(context.Background(), "社保卡", SearchOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: err = %v", err)
	}
}
