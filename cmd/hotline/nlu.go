package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline12345/hotline/nlu"
)

// nluCommand runs `hotline nlu parse|train|eval`.
func nluCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("want a subcommand: parse, train or eval")
	}
	switch args[0] {
	case "parse":
		return nluParse(args[1:], stdin, stdout)
	case "train":
		return nluTrain(args[1:], stdout)
	case "eval":
		return nluEval(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown nlu command %q: want parse, train or eval", args[0])
}

// nluFlags are the flags every parser-building command shares.
type nluFlags struct {
	kb, cache string
}

func (f *nluFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.kb, "kb", "./kb-data", "knowledge base directory (kb-data) with nlu/corpus.tsv and dict.txt")
	fs.StringVar(&f.cache, "cache", "", "directory keeping trained models between runs (default: none, train every time)")
}

func (f *nluFlags) parser(loadOnly bool) (*nlu.Parser, error) {
	seg, err := nlu.NewSegmenter(filepath.Join(f.kb, "dict.txt"))
	if err != nil {
		return nil, err
	}
	return nlu.NewParser(nlu.Config{KBDir: f.kb, Segmenter: seg, CacheDir: f.cache, LoadOnly: loadOnly})
}

// nluParse prints what the NLU understands of each argument, or of each
// line of stdin when there are none.
func nluParse(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("hotline nlu parse", flag.ContinueOnError)
	var nf nluFlags
	nf.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON object per input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := nf.parser(false)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	show := func(text string) error {
		r := p.Parse(text, time.Now())
		if *asJSON {
			return enc.Encode(struct {
				Text string `json:"text"`
				nlu.Result
			}{text, r})
		}
		fmt.Fprintf(stdout, "%s\n  intent %s (%.2f)  department %s (%.2f)  urgency %s %s\n",
			text, r.Intent, r.IntentConfidence, r.Department, r.DepartmentConfidence, r.Urgency, strings.Join(r.UrgencyTriggers, ","))
		for _, e := range r.Entities {
			fmt.Fprintf(stdout, "  %s %q [%d,%d)\n", e.Type, e.Value, e.Start, e.End)
		}
		fmt.Fprintf(stdout, "  tokens %s\n", strings.Join(r.Tokens, " | "))
		return nil
	}
	return eachInput(fs.Args(), stdin, show)
}

// eachInput calls fn for each argument or, when there are none, for each
// non-blank line of stdin.
func eachInput(args []string, stdin io.Reader, fn func(string) error) error {
	if len(args) > 0 {
		for _, a := range args {
			if err := fn(a); err != nil {
				return err
			}
		}
		return nil
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			if err := fn(line); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// nluTrain trains the models into --cache, where serve (and tests) load
// them.
func nluTrain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hotline nlu train", flag.ContinueOnError)
	var nf nluFlags
	nf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if nf.cache == "" {
		return errors.New("--cache is required: the directory to write the models to")
	}
	start := time.Now()
	if _, err := nf.parser(false); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "models ready in %s (%v)\n", nf.cache, time.Since(start).Round(time.Millisecond))
	return nil
}
