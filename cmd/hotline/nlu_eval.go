package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/hotline12345/hotline/nlu"
)

// nluEval measures a classifier: cross-validated on one labelled file (or
// on a head of our corpus), or trained on one file and tested on another.
func nluEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hotline nlu eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kb := fs.String("kb", "./kb-data", "knowledge base directory (kb-data): dict.txt and nlu/corpus.tsv")
	data := fs.String("data", "", "labelled TSV (text<TAB>label) to cross-validate on")
	trainFile := fs.String("train", "", "labelled TSV to train on (with --test)")
	testFile := fs.String("test", "", "labelled TSV to test on (with --train)")
	folds := fs.Int("folds", 5, "cross-validation folds")
	task := fs.String("task", nlu.HeadIntent, "head of our corpus when no file is given: intent, department or urgency")
	model := fs.String("model", "ours", "ours or baseline (TF-IDF character 1+2-grams, logistic regression)")
	seed := fs.Int64("seed", 1, "random seed")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if (*trainFile == "") != (*testFile == "") {
		return errors.New("--train and --test go together")
	}
	seg, err := nlu.NewSegmenter(filepath.Join(*kb, "dict.txt"))
	if err != nil {
		return err
	}
	cfg := nlu.TrainConfig{Seed: *seed}
	switch *model {
	case "ours":
	case "baseline":
		cfg.Model = nlu.ModelBaseline
	default:
		return fmt.Errorf("--model %q: want ours or baseline", *model)
	}
	train := func(ex []nlu.Example) (*nlu.Classifier, error) { return nlu.Train(ex, seg, cfg) }

	var report nlu.Report
	switch {
	case *trainFile != "":
		tr, err := readExamples(*trainFile)
		if err != nil {
			return err
		}
		te, err := readExamples(*testFile)
		if err != nil {
			return err
		}
		c, err := train(tr)
		if err != nil {
			return err
		}
		report, _ = nlu.Evaluate(c, te)
	default:
		var examples []nlu.Example
		if *data != "" {
			if examples, err = readExamples(*data); err != nil {
				return err
			}
		} else {
			corpus, err := nlu.LoadCorpus(filepath.Join(*kb, "nlu", "corpus.tsv"))
			if err != nil {
				return err
			}
			if examples = corpus.Head(*task); examples == nil {
				return fmt.Errorf("--task %q: want intent, department or urgency", *task)
			}
		}
		if report, _, err = nlu.CrossValidate(examples, *folds, *seed, train); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(report)
	}
	fmt.Fprintf(stdout, "accuracy %.4f  macro-F1 %.4f\n\n", report.Accuracy, report.MacroF1)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tPRECISION\tRECALL\tF1\tSUPPORT")
	for _, c := range report.PerClass {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	tw.Flush()
	if len(report.Confusions) > 0 {
		fmt.Fprintln(stdout, "\ntop confusions (gold → predicted):")
		for i, c := range report.Confusions {
			if i == 10 {
				break
			}
			fmt.Fprintf(stdout, "  %s → %s: %d\n", c.Label, c.Predicted, c.Count)
		}
	}
	return nil
}

func readExamples(path string) ([]nlu.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return nlu.ReadTSV(f, path)
}
