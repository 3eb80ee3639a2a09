package knowledge

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalRow is one line of kb-data/eval/*.tsv: a query and the id expected to
// answer it ("none": out of scope).
type evalRow struct {
	query, want string
}

// readEval reads a TSV eval file with a header line; ok is false when the
// file does not exist.
func readEval(tb testing.TB, name string) (rows []evalRow, ok bool) {
	tb.Helper()
	f, err := os.Open(filepath.Join(kbData, "eval", name))
	if os.IsNotExist(err) {
		return nil, false
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 || strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		query, want, found := strings.Cut(text, "\t")
		if !found {
			tb.Fatalf("%s:%d: want query<TAB>expected_id", name, line)
		}
		rows = append(rows, evalRow{strings.TrimSpace(query), strings.TrimSpace(want)})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows, true
}

// evalStats are the figures the package doc reports.
type evalStats struct {
	inScope, outScope int
	top1, top3        int // in scope: expected id first / in the first three hits
	answered          int // in scope: decision answer
	answeredRight     int // in scope: decision answer with the expected id
	clarified         int // in scope: decision clarify with the expected id among the hits
	falseAnswers      int // out of scope: decision answer
	oosClarified      int // out of scope: decision clarify
	misses            []string
}

func (s evalStats) String() string {
	in, out := float64(max(s.inScope, 1)), float64(max(s.outScope, 1))
	return fmt.Sprintf("in-scope %d: Recall@1 %.3f, Recall@3 %.3f, answered %.3f (right %.3f, wrong %.3f), clarify-with-right %.3f; "+
		"out-of-scope %d: false answers %.3f, clarify %.3f",
		s.inScope, float64(s.top1)/in, float64(s.top3)/in, float64(s.answered)/in, float64(s.answeredRight)/in,
		float64(s.answered-s.answeredRight)/in, float64(s.clarified)/in,
		s.outScope, float64(s.falseAnswers)/out, float64(s.oosClarified)/out)
}

func evaluate(tb testing.TB, b *Base, rows []evalRow) evalStats {
	tb.Helper()
	var s evalStats
	for _, r := range rows {
		res, err := b.Search(context.Background(), r.query, SearchOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		if r.want == "none" {
			s.outScope++
			switch res.Decision {
			case DecisionAnswer:
				s.falseAnswers++
				s.misses = append(s.misses, fmt.Sprintf("OOS answered %q -> %s (%.2f)", r.query, res.Hits[0].Entry.ID, res.Hits[0].Confidence))
			case DecisionClarify:
				s.oosClarified++
			}
			continue
		}
		s.inScope++
		rank := -1
		for i, h := range res.Hits {
			if h.Entry.ID == r.want {
				rank = i
				break
			}
		}
		if rank == 0 {
			s.top1++
		}
		if rank >= 0 && rank < 3 {
			s.top3++
		}
		switch res.Decision {
		case DecisionAnswer:
			s.answered++
			if rank == 0 {
				s.answeredRight++
			}
		case DecisionClarify:
			if rank >= 0 {
				s.clarified++
			}
		}
		if rank != 0 || res.Decision != DecisionAnswer {
			got := "-"
			if len(res.Hits) > 0 {
				got = fmt.Sprintf("%s (%.2f)", res.Hits[0].Entry.ID, res.Hits[0].Confidence)
			}
			s.misses = append(s.misses, fmt.Sprintf("%s rank %d %q want %s got %s", res.Decision, rank, r.query, r.want, got))
		}
	}
	return s
}

// TestEvalRealKB measures the real knowledge base on kb-data/eval and
// guards the figures in the package doc. Run with -v to see them.
func TestEvalRealKB(t *testing.T) {
	entries := realEntries(t)
	para, ok1 := readEval(t, "paraphrase.tsv")
	oos, ok2 := readEval(t, "out_of_scope.tsv")
	if !ok1 || !ok2 {
		t.Skip("kb-data/eval/paraphrase.tsv or out_of_scope.tsv missing")
	}
	b := openTest(t, entries, Config{})
	s := evaluate(t, b, append(para, oos...))
	t.Logf("%d entries; %v", b.Len(), s)
	if testing.Verbose() {
		for _, m := range s.misses {
			t.Log(m)
		}
	}
	in, out := float64(max(s.inScope, 1)), float64(max(s.outScope, 1))
	if r1 := float64(s.top1) / in; r1 < 0.80 {
		t.Errorf("Recall@1 = %.3f, want >= 0.80", r1)
	}
	if wa := float64(s.answered-s.answeredRight) / in; wa > 0.03 {
		t.Errorf("wrong-answer rate = %.3f, want <= 0.03", wa)
	}
	if fa := float64(s.falseAnswers) / out; fa > 0.06 {
		t.Errorf("false-answer rate = %.3f, want <= 0.06", fa)
	}
}

// TestEvalThresholdSweep prints, for a grid of AnswerConfidence and
// AnswerMargin (ClarifyConfidence at its default), what the decisions would
// be on kb-data/eval: the figures the defaults were chosen from. Rerun it
// after replacing the sample content:
//
//	HOTLINE_KB_SWEEP=1 go test ./knowledge -run ThresholdSweep -v
func TestEvalThresholdSweep(t *testing.T) {
	if os.Getenv("HOTLINE_KB_SWEEP") == "" {
		t.Skip("set HOTLINE_KB_SWEEP=1")
	}
	entries := realEntries(t)
	para, ok1 := readEval(t, "paraphrase.tsv")
	oos, ok2 := readEval(t, "out_of_scope.tsv")
	if !ok1 || !ok2 {
		t.Skip("kb-data/eval files missing")
	}
	rows := append(para, oos...)
	b := openTest(t, entries, Config{})
	results := make([]Result, len(rows))
	for i, r := range rows {
		var err error
		if results[i], err = b.Search(context.Background(), r.query, SearchOptions{Limit: 3}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("answer  margin | right wrong (of %d in scope) | false answers (of %d out of scope)", len(para), len(oos))
	for answer := 0.35; answer < 0.71; answer += 0.05 {
		for margin := 0.10; margin < 0.31; margin += 0.02 {
			cfg := b.cfg
			cfg.AnswerConfidence, cfg.AnswerMargin = answer, margin
			sweep := &Base{cfg: cfg}
			right, wrong, falseAnswers := 0, 0, 0
			for i, r := range rows {
				if sweep.decide(results[i].Hits) != DecisionAnswer {
					continue
				}
				switch {
				case r.want == "none":
					falseAnswers++
				case results[i].Hits[0].Entry.ID == r.want:
					right++
				default:
					wrong++
				}
			}
			t.Logf("%.2f    %.2f   | %3d  %3d                  | %2d", answer, margin, right, wrong, falseAnswers)
		}
	}
}
