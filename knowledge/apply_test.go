package knowledge

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// newEntry is a valid entry for Apply tests.
func newEntry(id, question string, similar ...string) Entry {
	if len(similar) == 0 {
		similar = []string{question + "呢", "请问" + question}
	}
	return Entry{ID: id, Question: question, Similar: similar, Answer: "答案：" + question,
		Department: "housing_fund", Tags: []string{"公积金"}, Source: Source{Title: "示例办法"}}
}

func entryIDs(es []Entry) []string {
	var ids []string
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openTest(t, fixtureEntries(), Config{})
	n := b.Len()

	// Add a new entry.
	add := newEntry("housing_fund-loan", "公积金贷款怎么申请？", "公积金贷款额度是多少", "用公积金贷款买房")
	if err := b.Apply([]Entry{add}, nil); err != nil {
		t.Fatal(err)
	}
	if b.Len() != n+1 {
		t.Errorf("Len = %d, want %d", b.Len(), n+1)
	}
	res, err := b.Search(ctx, "公积金贷款额度是多少", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision != DecisionAnswer || res.Hits[0].Entry.ID != "housing_fund-loan" {
		t.Errorf("after add: %s %v", res.Decision, hitIDs(res))
	}

	// Replace an entry: its old phrasings go, the new ones come.
	repl := fixtureEntries()[6] // traffic-license-reissue
	repl.Question, repl.Similar = "驾驶证到期怎么换证？", []string{"驾照过期了怎么换", "驾驶证有效期满换证"}
	if err := b.Apply([]Entry{repl}, nil); err != nil {
		t.Fatal(err)
	}
	if b.Len() != n+1 {
		t.Errorf("Len after replace = %d, want %d", b.Len(), n+1)
	}
	if e, _ := b.Entry("traffic-license-reissue"); e.Question != "驾驶证到期怎么换证？" {
		t.Errorf("Entry after replace = %q", e.Question)
	}
	res, _ = b.Search(ctx, "驾照过期了怎么换", SearchOptions{})
	if len(res.Hits) == 0 || res.Hits[0].Entry.ID != "traffic-license-reissue" || res.Hits[0].Entry.Question != repl.Question {
		t.Errorf("after replace: %v", hitIDs(res))
	}

	// Retire one: it is never found again.
	if err := b.Apply(nil, []string{"housing_fund-balance"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Entry("housing_fund-balance"); ok {
		t.Error("retired entry still served by Entry")
	}
	for _, q := range []string{"公积金余额在哪看", "公积金余额怎么查", "公积金"} {
		res, _ := b.Search(ctx, q, SearchOptions{Limit: 20})
		if slices.Contains(hitIDs(res), "housing_fund-balance") {
			t.Errorf("%q: retired entry found: %v", q, hitIDs(res))
		}
	}
	ids := entryIDs(b.Entries())
	if slices.Contains(ids, "housing_fund-balance") || !slices.Contains(ids, "housing_fund-loan") || !slices.IsSorted(ids) {
		t.Errorf("Entries = %v", ids)
	}
	// Entries includes entries not in force, and hands out copies.
	all := b.Entries()
	if !slices.Contains(entryIDs(all), "social_security-card-fee-old") {
		t.Errorf("Entries lacks the expired entry: %v", entryIDs(all))
	}
	all[0].Similar[0] = "changed"
	if b.Entries()[0].Similar[0] == "changed" {
		t.Error("Entries shares slices with the base")
	}
}

// TestApplyMatchesOpen: a base changed by Apply ranks and scores exactly
// like one opened on the resulting entries (the vocabulary's document
// frequencies are maintained, not approximated).
func TestApplyMatchesOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	edited := openTest(t, fixtureEntries(), Config{})
	add := newEntry("housing_fund-loan", "公积金贷款怎么申请？", "公积金贷款额度是多少", "用公积金贷款买房")
	repl := fixtureEntries()[0]
	repl.Similar = append(repl.Similar, "社保卡被偷了")
	if err := edited.Apply([]Entry{add, repl}, []string{"housing_fund-balance", "traffic-license-reissue"}); err != nil {
		t.Fatal(err)
	}
	fresh := openTest(t, edited.Entries(), Config{})
	for _, q := range []string{"社保卡被偷了", "公积金贷款", "居住证明去哪开", "驾照丢了怎么办", "社保卡激活", "明天会下雨吗"} {
		a, _ := edited.Search(ctx, q, SearchOptions{Limit: 10})
		f, _ := fresh.Search(ctx, q, SearchOptions{Limit: 10})
		if a.Decision != f.Decision || !slices.Equal(hitIDs(a), hitIDs(f)) {
			t.Errorf("%q: edited %s %v, fresh %s %v", q, a.Decision, hitIDs(a), f.Decision, hitIDs(f))
			continue
		}
		// Coverage is exact; the index's BM25 statistics count replaced
		// documents until its segments merge, which moves the score part
		// of confidence a little.
		qa := edited.vocab.query(grams(contentRuns(edited.cfg.Segmenter, q)))
		qf := fresh.vocab.query(grams(contentRuns(fresh.cfg.Segmenter, q)))
		for i := range a.Hits {
			ca := edited.coverage(qa, edited.byID[a.Hits[i].Entry.ID])
			cf := fresh.coverage(qf, fresh.byID[f.Hits[i].Entry.ID])
			if math.Abs(ca-cf) > 1e-9 {
				t.Errorf("%q: %s coverage edited %v, fresh %v", q, a.Hits[i].Entry.ID, ca, cf)
			}
			if math.Abs(a.Hits[i].Confidence-f.Hits[i].Confidence) > 0.01 {
				t.Errorf("%q: %s confidence edited %v, fresh %v", q, a.Hits[i].Entry.ID, a.Hits[i].Confidence, f.Hits[i].Confidence)
			}
		}
	}
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	b := openTest(t, fixtureEntries(), Config{})
	before := entryIDs(b.Entries())
	bad := newEntry("housing_fund-x", "新问题？")
	bad.Similar = nil
	dupQuestion := newEntry("housing_fund-y", "公积金余额怎么查？")
	tests := []struct {
		name    string
		upserts []Entry
		retire  []string
		is      error
		want    string
	}{
		{"invalid entry", []Entry{bad}, nil, ErrInvalid, "similar: want at least 2"},
		{"bad department", []Entry{func() Entry { e := newEntry("a-b", "问？"); e.Department = "社保"; return e }()}, nil, ErrInvalid, "department"},
		{"question taken", []Entry{dupQuestion}, nil, ErrInvalid, "duplicate question \"公积金余额怎么查？\" (also housing_fund-balance)"},
		{"id twice", []Entry{newEntry("a-1", "问一？"), newEntry("a-1", "问二？")}, nil, ErrInvalid, "upserted twice"},
		{"upsert and retire", []Entry{newEntry("a-1", "问一？")}, []string{"a-1"}, ErrInvalid, "both upserted and retired"},
		{"retire unknown", nil, []string{"no-such-id"}, ErrNotFound, "no-such-id"},
		// A valid upsert does not go in when the same call has a problem.
		{"all or nothing", []Entry{newEntry("a-2", "问二？"), bad}, nil, ErrInvalid, "similar"},
	}
	for _, tt := range tests {
		err := b.Apply(tt.upserts, tt.retire)
		if !errors.Is(err, tt.is) || !strings.Contains(fmtErr(err), tt.want) {
			t.Errorf("%s: err = %v, want %v containing %q", tt.name, err, tt.is, tt.want)
		}
	}
	if after := entryIDs(b.Entries()); !slices.Equal(before, after) {
		t.Errorf("failed Applies changed the base: %v → %v", before, after)
	}
	var p *Problem
	if err := b.Apply([]Entry{bad}, nil); !errors.As(err, &p) || p.ID != "housing_fund-x" || p.Field != "similar" {
		t.Errorf("problem = %+v", p)
	}
	// Moving a question from one entry to another in one call is fine.
	moved := fixtureEntries()[5] // housing_fund-balance
	other := newEntry("housing_fund-z", moved.Question)
	moved.Question = "公积金账户余额查询"
	if err := b.Apply([]Entry{moved, other}, nil); err != nil {
		t.Errorf("question moved between entries: %v", err)
	}
	b.Close()
	if err := b.Apply([]Entry{newEntry("a-3", "问三？")}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestApplyAtomic: while Apply swaps an entry for another with the same
// question back and forth, every search finds exactly one of the two.
func TestApplyAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	oldE := newEntry("housing_fund-old", "公积金贷款怎么申请？", "公积金贷款额度是多少", "用公积金贷款买房")
	newE := oldE
	newE.ID = "housing_fund-new"
	b := openTest(t, append(fixtureEntries(), oldE), Config{})

	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				res, err := b.Search(ctx, "公积金贷款额度是多少", SearchOptions{Limit: 20})
				if err != nil {
					t.Error(err)
					return
				}
				ids := hitIDs(res)
				if slices.Contains(ids, oldE.ID) == slices.Contains(ids, newE.ID) {
					t.Errorf("search saw both or neither: %v", ids)
					return
				}
			}
		})
	}
	cur, next := oldE, newE
	for range 30 {
		if err := b.Apply([]Entry{next}, []string{cur.ID}); err != nil {
			t.Error(err)
			break
		}
		cur, next = next, cur
	}
	stop.Store(true)
	wg.Wait()
}

// TestApplyPersists: an edited on-disk index is reused by Open given the
// edited entries (the seed merged with the edits) and rebuilt given the
// seed alone.
func TestApplyPersists(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "index")
	cfg := Config{IndexDir: dir, Segmenter: testSegmenter(t), Now: fixedNow}
	seed := fixtureEntries()
	b, err := Open(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	add := newEntry("housing_fund-loan", "公积金贷款怎么申请？", "公积金贷款额度是多少", "用公积金贷款买房")
	if err := b.Apply([]Entry{add}, []string{"housing_fund-balance"}); err != nil {
		t.Fatal(err)
	}
	edited := b.Entries()
	b.Close()

	for _, st := range []struct {
		name        string
		entries     []Entry
		wantRebuilt bool
	}{
		{"edited entries reuse the index", movedEntries(edited), false},
		{"the seed alone rebuilds", seed, true},
	} {
		b, err := Open(cfg, st.entries)
		if err != nil {
			t.Fatal(err)
		}
		if b.Rebuilt() != st.wantRebuilt {
			t.Errorf("%s: Rebuilt = %v", st.name, b.Rebuilt())
		}
		res, _ := b.Search(context.Background(), "公积金贷款额度是多少", SearchOptions{})
		has := slices.Contains(hitIDs(res), "housing_fund-loan")
		if has != !st.wantRebuilt {
			t.Errorf("%s: hits %v", st.name, hitIDs(res))
		}
		b.Close()
	}
}

func TestValidateEntry(t *testing.T) {
	t.Parallel()
	good := newEntry("housing_fund-loan", "  公积金贷款怎么申请？ ")
	if err := ValidateEntry(good); err != nil {
		t.Errorf("valid entry: %v", err)
	}
	if good.Question != "  公积金贷款怎么申请？ " {
		t.Error("ValidateEntry changed its argument")
	}
	bad := good
	bad.ID, bad.Source.URL, bad.Expires, bad.EffectiveFrom = "Bad ID", "ftp://x", "2024-01-01", "2025-01-01"
	err := ValidateEntry(bad)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	fields := map[string]bool{}
	for _, e := range unjoin(err) {
		var p *Problem
		if errors.As(e, &p) {
			fields[p.Field] = true
			if strings.HasPrefix(p.Error(), ":") {
				t.Errorf("problem without a file prints a location: %q", p.Error())
			}
		}
	}
	for _, f := range []string{"id", "source.url", "expires"} {
		if !fields[f] {
			t.Errorf("no problem about %s in %v", f, err)
		}
	}
}
