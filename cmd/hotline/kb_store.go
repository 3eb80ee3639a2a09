package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/store/embedded"
)

// kbMisses prints the questions the knowledge base could not answer, most
// asked first, from the store of a stopped server.
func kbMisses(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hotline kb misses", flag.ContinueOnError)
	data := fs.String("data", "./data", "data directory of the store")
	limit := fs.Int("limit", 50, "how many misses to print")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	misses, err := st.Misses(ctx, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(map[string]any{"misses": misses})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNT\tDECISION\tLAST ASKED\tQUESTION")
	for _, m := range misses {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", m.Count, m.Decision, m.Last.Local().Format("2006-01-02 15:04"), m.Query)
	}
	return tw.Flush()
}

// kbExport writes the current knowledge base (the seed plus the edits made
// through the admin API) as kb-data YAML files.
func kbExport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hotline kb export", flag.ContinueOnError)
	kb := fs.String("kb", "./kb-data", "knowledge base seed directory")
	data := fs.String("data", "./data", "data directory of the store holding the edits")
	out := fs.String("out", "", "directory to write the YAML files to (required; may be the seed's kb directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	st, err := openStore(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	entries, _, err := server.CurrentKnowledge(ctx, *kb, st)
	if err != nil {
		return err
	}
	if err := knowledge.WriteYAMLDir(*out, entries); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d entries to %s\n", len(entries), *out)
	return nil
}

// openStore opens the embedded store of a stopped server, with an error
// that says what to do when a server holds it.
func openStore(dir string) (*embedded.Store, error) {
	st, err := embedded.Open(embedded.Config{Dir: dir})
	if errors.Is(err, embedded.ErrLocked) {
		return nil, fmt.Errorf("%w: a running hotline serve uses it; stop it, or use the admin API (GET /api/v1/kb/misses)", err)
	}
	return st, err
}
