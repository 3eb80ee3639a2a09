package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotline12345/hotline/nlu"
)

const nluEvalUsage = `Usage:
  hotline nlu eval [--data FILE [--task T] [--folds K]] [flags]
  hotline nlu eval --train FILE --test FILE [flags]

Measures a text classifier. With --data, K-fold stratified cross-validation
on FILE; with --train/--test, train on one file and test on the other; with
neither, cross-validation on the hotline corpus (KB/nlu/corpus.tsv) for the
head --task. FILE is UTF-8 "text<TAB>label" lines (an optional header
"text<TAB>label", '#' comments and blank lines are skipped), or a corpus
with a header "text<TAB>head…", read for --task.

Flags:
`

// nluEval runs "hotline nlu eval …"; args may start with "eval".
func nluEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return nluEvalWith(ctx, args, stdout, stderr, nlu.NewSegmenter)
}

// evalOutput is the --json document: the report and how it was made.
type evalOutput struct {
	Model  string `json:"model"`
	Mode   string `json:"mode"` // "cross-validation" or "train-test"
	Folds  int    `json:"folds,omitempty"`
	Seed   int64  `json:"seed"`
	Labels int    `json:"labels"`
	nlu.Report
	Threshold evalThreshold `json:"threshold"`
	Seconds   float64       `json:"seconds"`
}

// evalThreshold is the confidence at which answers reach the precision.
type evalThreshold struct {
	Precision  float64 `json:"precision"`
	Confidence float64 `json:"confidence"`
	Coverage   float64 `json:"coverage"`
}

func nluEvalWith(ctx context.Context, args []string, stdout, stderr io.Writer, newSegmenter func(string) (*nlu.Segmenter, error)) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if args[0] != "eval" {
			return fmt.Errorf("unknown nlu command %q (want eval)", args[0])
		}
		args = args[1:]
	}
	fs := flag.NewFlagSet("nlu eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, nluEvalUsage)
		fs.PrintDefaults()
	}
	data := fs.String("data", "", "cross-validate on this `file`")
	trainFile := fs.String("train", "", "train on this `file` (with --test)")
	testFile := fs.String("test", "", "test on this `file` (with --train)")
	kb := fs.String("kb", "kb-data", "knowledge base `dir`: nlu/corpus.tsv and the user dictionary dict.txt")
	task := fs.String("task", nlu.HeadIntent, "corpus head: intent, department or urgency")
	folds := fs.Int("folds", 5, "cross-validation folds")
	model := fs.String("model", nlu.ModelOurs, "ours or baseline")
	seed := fs.Int64("seed", 1, "seed of the folds and the training")
	precision := fs.Float64("precision", 0.95, "precision the reported confidence threshold reaches")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if (*trainFile == "") != (*testFile == "") {
		return errors.New("--train and --test go together")
	}
	if *trainFile != "" && *data != "" {
		return errors.New("use either --data or --train/--test")
	}
	if *model != nlu.ModelOurs && *model != nlu.ModelBaseline {
		return fmt.Errorf("--model %q: want ours or baseline", *model)
	}

	// Read and check every file before the slow segmenter load.
	out := evalOutput{Model: *model, Seed: *seed, Threshold: evalThreshold{Precision: *precision}}
	var examples, test []nlu.Example
	var err error
	switch {
	case *trainFile != "":
		out.Mode = "train-test"
		if examples, err = readExamples(*trainFile, *task); err != nil {
			return err
		}
		if test, err = readExamples(*testFile, *task); err != nil {
			return err
		}
	case *data != "":
		out.Mode, out.Folds = "cross-validation", *folds
		if examples, err = readExamples(*data, *task); err != nil {
			return err
		}
	default:
		out.Mode, out.Folds = "cross-validation", *folds
		if examples, err = readExamples(filepath.Join(*kb, "nlu", "corpus.tsv"), *task); err != nil {
			return err
		}
	}
	if len(examples) == 0 {
		return errors.New("no examples")
	}

	var seg *nlu.Segmenter
	if *model == nlu.ModelOurs {
		if seg, err = newSegmenter(filepath.Join(*kb, "dict.txt")); err != nil {
			return err
		}
	}
	cfg := nlu.TrainConfig{Seed: *seed, Model: *model}
	train := func(ex []nlu.Example) (*nlu.Classifier, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nlu.Train(ex, seg, cfg)
	}

	start := time.Now()
	var preds []nlu.Prediction
	if out.Mode == "train-test" {
		c, err := train(examples)
		if err != nil {
			return err
		}
		out.Report, preds = nlu.Evaluate(c, test)
		out.Labels = len(c.Labels())
	} else {
		if out.Report, preds, err = nlu.CrossValidate(examples, *folds, *seed, train); err != nil {
			return err
		}
		labels := map[string]bool{}
		for _, ex := range examples {
			labels[ex.Label] = true
		}
		out.Labels = len(labels)
	}
	out.Seconds = time.Since(start).Seconds()
	out.Threshold.Confidence, out.Threshold.Coverage = nlu.ThresholdFor(preds, *precision)

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return printReport(stdout, out)
}

// readExamples reads a "text<TAB>label" file, or the head task of a corpus
// file (header "text<TAB>head…" with more than one head).
func readExamples(path, task string) ([]nlu.Example, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if isCorpus(b) {
		c, err := nlu.ReadCorpus(bytes.NewReader(b), path)
		if err != nil {
			return nil, err
		}
		ex := c.Head(task)
		if ex == nil {
			return nil, fmt.Errorf("%s: no head %q (have %s)", path, task, strings.Join(c.Heads(), ", "))
		}
		return ex, nil
	}
	return nlu.ReadTSV(bytes.NewReader(b), path)
}

// isCorpus reports whether the first line that is not blank or a comment
// is a corpus header: "text" and at least two heads.
func isCorpus(b []byte) bool {
	for line := range strings.Lines(string(b)) {
		line = strings.TrimPrefix(strings.TrimRight(line, "\r\n"), "\ufeff")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		return len(fields) > 2 && strings.TrimSpace(fields[0]) == "text"
	}
	return false
}

// printReport writes the text form of the report.
func printReport(w io.Writer, out evalOutput) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	how := out.Mode
	if out.Folds > 0 {
		how = fmt.Sprintf("%d-fold %s", out.Folds, out.Mode)
	}
	fmt.Fprintf(tw, "model %s, %s, %d test examples, %d labels, seed %d, %.1f s\n", out.Model, how, out.Examples, out.Labels, out.Seed, out.Seconds)
	fmt.Fprintf(tw, "accuracy\t%.4f\n", out.Accuracy)
	fmt.Fprintf(tw, "macro-F1\t%.4f\n", out.MacroF1)
	if out.Threshold.Coverage > 0 {
		fmt.Fprintf(tw, "confidence ≥ %.3f\tanswers right ≥ %.0f%%, coverage %.1f%%\n", out.Threshold.Confidence, 100*out.Threshold.Precision, 100*out.Threshold.Coverage)
	} else {
		fmt.Fprintf(tw, "no confidence\treaches %.0f%% precision\n", 100*out.Threshold.Precision)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "label\tprecision\trecall\tf1\tsupport")
	for _, c := range out.PerClass {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	if len(out.Confusions) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "top confusions\ttrue → predicted\texamples")
		for i, c := range out.Confusions {
			if i == 10 {
				break
			}
			fmt.Fprintf(tw, "%d\t%s → %s\t%s\n", c.Count, c.Label, c.Predicted, strings.Join(c.Examples, " | "))
		}
	}
	return tw.Flush()
}
