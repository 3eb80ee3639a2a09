package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/nlu"
)

// errUnknownKBCommand is returned for a kb subcommand this file does not
// handle.
var errUnknownKBCommand = errors.New("unknown kb command")

const kbUsage = `Usage:
  hotline kb lint [--kb DIR] [--allow-expired]
  hotline kb search [--kb DIR] [--json] [-k N] [--department CODE] [QUESTION…]
  hotline kb eval [--kb DIR] [--queries FILE|DIR|GLOB]… [--entries FILE.jsonl]
                  [--analyzer shipped|gse|standard|cjk|all] [--json] [--tune] [-v]
  hotline kb misses [--data DIR] [--limit N] [--json]
  hotline kb export [--kb DIR] [--data DIR] --out DIR
`

// kbCommand runs hotline kb lint, search and eval.
func kbCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return kbRun(ctx, args, stdin, stdout, stderr, nlu.NewSegmenter)
}

// newSegmenter loads the gse segmenter with a user dictionary (tests share
// one: loading takes seconds).
type newSegmenter func(userDict string) (*nlu.Segmenter, error)

func kbRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, seg newSegmenter) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, kbUsage)
		return fmt.Errorf("%w: want lint, search, eval, misses or export", errUnknownKBCommand)
	}
	switch args[0] {
	case "lint":
		return kbLint(args[1:], stdout, stderr)
	case "search":
		return kbSearch(ctx, args[1:], stdin, stdout, stderr, seg)
	case "eval":
		return kbEval(ctx, args[1:], stdout, stderr, seg)
	default:
		return fmt.Errorf("%w %q (want lint, search, eval, misses or export)", errUnknownKBCommand, args[0])
	}
}

// parseFlags parses args into fs; -h prints the usage and ends the command
// without an error.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (help bool, err error) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	return false, nil
}

// kbLint validates a kb-data directory (see knowledge.Lint) and prints the
// problems as file:line lines on stderr.
func kbLint(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hotline kb lint", flag.ContinueOnError)
	kb := fs.String("kb", "./kb-data", "knowledge base directory (kb-data)")
	allowExpired := fs.Bool("allow-expired", false, "report expired entries as warnings, not errors")
	if help, err := parseFlags(fs, args, stderr); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("lint: unexpected argument %q", fs.Arg(0))
	}
	r, err := knowledge.Lint(*kb, knowledge.LintOptions{AllowExpired: *allowExpired})
	if err != nil {
		return err
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "%v (warning)\n", w)
	}
	// The hand-off's data lives in kb-data too: the holiday calendar and
	// the agents' standard phrases.
	if _, err := handoff.LoadCalendar(filepath.Join(*kb, "handoff", "calendar.yaml")); err != nil {
		r.Problems = append(r.Problems, err)
	}
	if _, err := handoff.LoadPhrases(filepath.Join(*kb, "handoff", "phrases.yaml")); err != nil {
		r.Problems = append(r.Problems, err)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stderr, p)
	}
	if n := len(r.Problems); n > 0 {
		return fmt.Errorf("lint %s: %d problem(s)", *kb, n)
	}
	fmt.Fprintf(stdout, "%s: ok: %d entries, %d departments, %d files, %d warning(s)\n",
		*kb, r.Entries, r.Departments, r.Files, len(r.Warnings))
	return nil
}

// openKB loads the segmenter (with kb/dict.txt when it exists), the
// synonyms (kb/synonyms.yaml when it exists) and the entries (from kb, or
// from a JSONL file) and opens an in-memory base.
func openKB(kb, entriesFile string, analyzer knowledge.Analyzer, th knowledge.Thresholds, seg newSegmenter) (*knowledge.Base, error) {
	var (
		entries []knowledge.Entry
		err     error
	)
	if entriesFile != "" {
		entries, err = knowledge.ReadEntriesJSONL(entriesFile)
	} else {
		entries, err = knowledge.LoadDir(kb)
	}
	if err != nil {
		return nil, err
	}
	var syn *knowledge.Synonyms
	if path := filepath.Join(kb, "synonyms.yaml"); fileExists(path) {
		if syn, err = knowledge.LoadSynonyms(path); err != nil {
			return nil, err
		}
	}
	s, err := seg(dictPath(kb))
	if err != nil {
		return nil, err
	}
	return knowledge.Open(knowledge.Config{
		Segmenter: s, Synonyms: syn, Analyzer: analyzer,
		AnswerConfidence: th.Answer, AnswerMargin: th.Margin, SureConfidence: th.Sure, ClarifyConfidence: th.Clarify,
	}, entries)
}

// dictPath is the user dictionary of kb, "" when it has none.
func dictPath(kb string) string {
	dict := filepath.Join(kb, "dict.txt")
	if !fileExists(dict) {
		return ""
	}
	return dict
}

// loadOnce makes seg load the segmenter on the first call only: --analyzer
// all opens four bases with one dictionary.
func loadOnce(seg newSegmenter) newSegmenter {
	var (
		s    *nlu.Segmenter
		err  error
		done bool
	)
	return func(dict string) (*nlu.Segmenter, error) {
		if !done {
			s, err = seg(dict)
			done = true
		}
		return s, err
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// searchJSON is one line of hotline kb search --json.
type searchJSON struct {
	Query    string       `json:"query"`
	Decision string       `json:"decision"`
	Results  []resultJSON `json:"results"`
	Related  []string     `json:"related,omitempty"`
}

type resultJSON struct {
	ID         string  `json:"id"`
	Question   string  `json:"question"`
	Answer     string  `json:"answer"`
	Department string  `json:"department"`
	Score      float64 `json:"score"`
	Confidence float64 `json:"confidence"`
}

// kbSearch prints the decision and ranked hits for each question: the
// arguments (each one question), else the lines of stdin.
func kbSearch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, seg newSegmenter) error {
	fs := flag.NewFlagSet("hotline kb search", flag.ContinueOnError)
	kb := fs.String("kb", "./kb-data", "knowledge base directory (kb-data)")
	asJSON := fs.Bool("json", false, "print one JSON object per question")
	k := fs.Int("k", 3, "hits to show per question")
	dept := fs.String("department", "", "department hint (ranks, never filters)")
	if help, err := parseFlags(fs, args, stderr); help || err != nil {
		return err
	}
	if *k < 1 {
		return fmt.Errorf("search: -k %d: want at least 1", *k)
	}
	base, err := openKB(*kb, "", knowledge.AnalyzerShipped, knowledge.Thresholds{}, seg)
	if err != nil {
		return err
	}
	defer base.Close()

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	one := func(q string) error {
		res, err := base.Search(ctx, q, knowledge.SearchOptions{Limit: *k, Department: *dept})
		if err != nil {
			return err
		}
		if *asJSON {
			j := searchJSON{Query: q, Decision: string(res.Decision), Results: []resultJSON{}}
			for _, h := range res.Hits {
				j.Results = append(j.Results, resultJSON{ID: h.Entry.ID, Question: h.Entry.Question, Answer: h.Entry.Answer,
					Department: h.Entry.Department, Score: round(h.Score, 4), Confidence: round(h.Confidence, 4)})
			}
			for _, e := range res.Related {
				j.Related = append(j.Related, e.ID)
			}
			data, err := json.Marshal(j)
			if err != nil {
				return err
			}
			out.Write(append(data, '\n'))
			return out.Flush()
		}
		fmt.Fprintf(out, "%s\n  decision: %s\n", q, res.Decision)
		for i, h := range res.Hits {
			fmt.Fprintf(out, "  %d. %.2f  %-40s %s\n", i+1, h.Confidence, h.Entry.ID, h.Entry.Question)
		}
		if len(res.Related) > 0 {
			var ids []string
			for _, e := range res.Related {
				ids = append(ids, e.ID)
			}
			fmt.Fprintf(out, "  related: %s\n", strings.Join(ids, ", "))
		}
		return out.Flush()
	}
	return eachInput(fs.Args(), stdin, one)
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// evalJSON is the --json output of one evaluation run.
type evalJSON struct {
	Analyzer string `json:"analyzer"`
	Entries  int    `json:"entries"`
	knowledge.EvalReport
	P50ms float64   `json:"p50_ms"`
	P99ms float64   `json:"p99_ms"`
	Tune  *tuneJSON `json:"tune,omitempty"`
}

type tuneJSON struct {
	OnTune    knowledge.Thresholds `json:"chosen_on_tune_half"`
	OnReport  knowledge.Thresholds `json:"chosen_on_report_half"`
	HeldOut   knowledge.EvalReport `json:"held_out"`
	All       knowledge.Thresholds `json:"chosen_on_all"`
	AllReport knowledge.EvalReport `json:"all_in_sample"`
}

// kbEval measures retrieval and decisions on evaluation queries.
func kbEval(ctx context.Context, args []string, stdout, stderr io.Writer, seg newSegmenter) error {
	fs := flag.NewFlagSet("hotline kb eval", flag.ContinueOnError)
	kb := fs.String("kb", "./kb-data", "knowledge base directory (kb-data): entries, dict.txt, synonyms.yaml")
	var queries stringList
	fs.Var(&queries, "queries", "TSV of query<TAB>expected_id (none: out of scope); a file, directory or glob; repeatable (default DIR/eval)")
	entriesFile := fs.String("entries", "", `JSONL entries {"id","question","similar":[],"answer","department"} to evaluate on instead of the knowledge base`)
	analyzer := fs.String("analyzer", string(knowledge.AnalyzerShipped), "index layout: shipped, gse, standard, cjk, or all for a table")
	asJSON := fs.Bool("json", false, "print one JSON object (one per line with --analyzer all)")
	tune := fs.Bool("tune", false, "also choose thresholds on the tuning half and report them on the other half")
	verbose := fs.Bool("v", false, "list the queries not answered with the expected entry")
	var th knowledge.Thresholds
	fs.Float64Var(&th.Answer, "answer", 0, "AnswerConfidence (0: default)")
	fs.Float64Var(&th.Margin, "margin", 0, "AnswerMargin (0: default)")
	fs.Float64Var(&th.Sure, "sure", 0, "SureConfidence (0: default)")
	fs.Float64Var(&th.Clarify, "clarify", 0, "ClarifyConfidence (0: default)")
	if help, err := parseFlags(fs, args, stderr); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("eval: unexpected argument %q", fs.Arg(0))
	}
	if len(queries) == 0 {
		queries = stringList{filepath.Join(*kb, "eval")}
	}
	qs, err := knowledge.ReadEvalFiles(queries...)
	if err != nil {
		return err
	}
	if len(qs) == 0 {
		return errors.New("eval: no queries")
	}
	var analyzers []knowledge.Analyzer
	if *analyzer == "all" {
		analyzers = knowledge.Analyzers()
	} else {
		if !slices.Contains(knowledge.Analyzers(), knowledge.Analyzer(*analyzer)) {
			return fmt.Errorf("eval: --analyzer %q: want one of %v or all", *analyzer, knowledge.Analyzers())
		}
		analyzers = []knowledge.Analyzer{knowledge.Analyzer(*analyzer)}
	}

	seg = loadOnce(seg)
	if _, err := seg(dictPath(*kb)); err != nil { // before the build timing
		return err
	}
	var rows []evalJSON
	for _, a := range analyzers {
		start := time.Now()
		base, err := openKB(*kb, *entriesFile, a, th, seg)
		if err != nil {
			return err
		}
		built := time.Since(start)
		// Latency is of searching, not of collecting what loading and the
		// previous run left behind.
		runtime.GC()
		outcomes, r, err := knowledge.Evaluate(ctx, base, qs, 10)
		n := base.Len()
		base.Close()
		if err != nil {
			return err
		}
		row := evalJSON{Analyzer: string(a), Entries: n, EvalReport: r, P50ms: ms(r.P50), P99ms: ms(r.P99)}
		if *tune {
			cv := knowledge.CrossValidate(outcomes)
			row.Tune = &tuneJSON{OnTune: cv.OnTune, OnReport: cv.OnReport, HeldOut: cv.HeldOut, All: cv.All, AllReport: cv.AllReport}
		}
		rows = append(rows, row)
		if *asJSON {
			data, err := json.Marshal(row)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\n", data)
		} else if len(analyzers) == 1 {
			printEval(stdout, row, len(qs), built)
		}
		if *verbose {
			printMisses(stderr, outcomes)
		}
	}
	if !*asJSON && len(analyzers) > 1 {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "analyzer\tentries\tqueries\tRecall@1\tRecall@3\tMRR\tfalse answers\tp50 ms\tp99 ms\n")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f (%d/%d)\t%.3f\t%.3f\n", r.Analyzer, r.Entries, r.Queries,
				r.RecallAt1, r.RecallAt3, r.MRR, r.FalseAnswerRate, r.FalseAnswers, r.OutOfScope, r.P50ms, r.P99ms)
		}
		tw.Flush()
	}
	return nil
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func printEval(w io.Writer, r evalJSON, queries int, built time.Duration) {
	fmt.Fprintf(w, "analyzer %s: %d entries (index built in %v), %d queries: %d in scope, %d out of scope\n",
		r.Analyzer, r.Entries, built.Round(time.Millisecond), queries, r.InScope, r.OutOfScope)
	fmt.Fprintf(w, "  Recall@1 %.3f   Recall@3 %.3f   MRR %.3f\n", r.RecallAt1, r.RecallAt3, r.MRR)
	printDecisions(w, "  ", r.EvalReport)
	fmt.Fprintf(w, "  search latency p50 %.3f ms, p99 %.3f ms\n", r.P50ms, r.P99ms)
	if t := r.Tune; t != nil {
		th := func(t knowledge.Thresholds) string {
			return fmt.Sprintf("answer %.2f margin %.2f sure %.2f clarify %.2f", t.Answer, t.Margin, t.Sure, t.Clarify)
		}
		fmt.Fprintf(w, "tune: chosen on the tuning half: %s; on the report half: %s\n", th(t.OnTune), th(t.OnReport))
		fmt.Fprintf(w, "  held out (each half decided with the other half's choice):\n")
		printDecisions(w, "    ", t.HeldOut)
		fmt.Fprintf(w, "  chosen on all (ship these): %s; on all, in-sample:\n", th(t.All))
		printDecisions(w, "    ", t.AllReport)
	}
}

func printDecisions(w io.Writer, indent string, r knowledge.EvalReport) {
	fmt.Fprintf(w, "%sin scope:     answered right %d, answered wrong %d, clarify with it in the top 3 %d, other clarify %d, none %d\n",
		indent, r.AnsweredRight, r.AnsweredWrong, r.ClarifiedRight, r.ClarifiedWrong, r.NoneInScope)
	fmt.Fprintf(w, "%sout of scope: answered %d (false-answer rate %.3f), clarify %d, none %d\n",
		indent, r.FalseAnswers, r.FalseAnswerRate, r.ClarifiedOOS, r.NoneOOS)
}

func printMisses(w io.Writer, outcomes []knowledge.EvalOutcome) {
	for _, o := range outcomes {
		right := (o.Want == knowledge.OutOfScope && o.Decision != knowledge.DecisionAnswer) ||
			(o.Want != knowledge.OutOfScope && o.Rank == 1 && o.Decision == knowledge.DecisionAnswer)
		if right {
			continue
		}
		var top []string
		for _, h := range o.Hits[:min(3, len(o.Hits))] {
			top = append(top, fmt.Sprintf("%s %.2f", h.ID, h.Confidence))
		}
		fmt.Fprintf(w, "%s:%d: %s rank %d %q want %s; top: %s\n", o.File, o.Line, o.Decision, o.Rank, o.Query, o.Want, strings.Join(top, ", "))
	}
}
