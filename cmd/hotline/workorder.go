package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/workorder"
)

const workorderUsage = `Usage:
  hotline workorder list [--status S] [--department D] [--json]
  hotline workorder show NUMBER [--json]

Both take serve's store settings (--config, --data, --redis, --redis-prefix,
--kb), with the same environment variables. Phone and ID numbers are
masked; the full contact is for the API's audited view (docs/API.md).
With the embedded store, stop the server first or use the API.
`

// errWorkOrdersLocked is the answer when a running server holds the
// embedded store: work orders are then read over the API.
var errWorkOrdersLocked = errors.New("a running hotline serve holds the data directory: use the API (GET /api/v1/workorders)")

// summaryWidth is how much of a summary the table shows, in characters.
const summaryWidth = 30

// workorderCommand runs `hotline workorder list|show`.
func workorderCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, workorderUsage)
		return errors.New("want a subcommand: list or show")
	}
	name, args := args[0], args[1:]
	fs := flag.NewFlagSet("hotline workorder "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	var status, department *string
	switch name {
	case "list":
		status = fs.String("status", "", "only orders in this status: accepted, dispatched, in_progress, finished, visited, returned, reopened")
		department = fs.String("department", "", "only orders of this department code")
	case "show":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, workorderUsage)
		return nil
	default:
		fmt.Fprint(stderr, workorderUsage)
		return fmt.Errorf("unknown workorder command %q: want list or show", name)
	}
	// NUMBER may come before or after the flags.
	var number string
	if name == "show" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		number, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	rest := fs.Args()
	if name == "show" && number == "" && len(rest) > 0 {
		number, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(rest, " "))
	}
	var f workorder.Filter
	if name == "list" {
		f = workorder.Filter{Status: workorder.Status(*status), Department: *department}
		if f.Status != "" && !f.Status.Valid() {
			return fmt.Errorf("--status %q: want accepted, dispatched, in_progress, finished, visited, returned or reopened", *status)
		}
	}
	if name == "show" {
		n, ok := workorder.ParseNumber(number)
		if !ok {
			return fmt.Errorf("want a work order number such as 20261127-000123, not %q", number)
		}
		number = n
	}
	cfg, err := sf.config()
	if err != nil {
		return err
	}
	svc, done, err := openWorkOrders(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()

	now := time.Now()
	if name == "show" {
		o, err := svc.Get(ctx, number)
		if err != nil {
			return err
		}
		return printWorkOrder(stdout, o.Masked(), *asJSON, now)
	}
	list, err := svc.List(ctx, f)
	if err != nil {
		return err
	}
	for i := range list {
		list[i] = list[i].Masked()
	}
	return printWorkOrders(stdout, list, *asJSON, now)
}

// openWorkOrders opens the work orders on the store cfg names, built as
// the server builds them. done releases the store.
func openWorkOrders(ctx context.Context, cfg server.Config) (*workorder.Service, func() error, error) {
	st, err := server.OpenStore(ctx, cfg)
	if errors.Is(err, embedded.ErrLocked) {
		return nil, nil, errWorkOrdersLocked
	}
	if err != nil {
		return nil, nil, err
	}
	svc, err := server.OpenWorkOrders(cfg.KBDir, st, nil, nil)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st.Close, nil
}

// printWorkOrders writes masked orders as a table, newest first as the
// API lists them, or as JSON.
func printWorkOrders(w io.Writer, list []workorder.WorkOrder, asJSON bool, now time.Time) error {
	if list == nil {
		list = []workorder.WorkOrder{}
	}
	// The service lists by number, oldest first; staff look at the newest.
	slices.Reverse(list)
	if asJSON {
		return writeIndentedJSON(w, map[string][]workorder.WorkOrder{"workorders": list})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMBER\tSTATUS\tTYPE\tDEPARTMENT\tDUE\tOVERDUE\tPHONE\tSUMMARY")
	for _, o := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Number, o.Status.Label(), o.AppealType.Label(),
			orDash(o.Department), formatDue(o.Due), overdueFlag(o, now), orDash(o.Contact.Phone), cutText(o.Summary, summaryWidth))
	}
	return tw.Flush()
}

// printWorkOrder writes one masked order with its history, or as JSON.
func printWorkOrder(w io.Writer, o workorder.WorkOrder, asJSON bool, now time.Time) error {
	if asJSON {
		return writeIndentedJSON(w, o)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s\t%s\n", name, value)
		}
	}
	field("Number", o.Number)
	field("Status", o.Status.Label()+" ("+string(o.Status)+")")
	field("Type", o.AppealType.Label())
	field("Department", orDash(o.Department))
	if o.Suggested.Department != "" {
		field("Suggested", fmt.Sprintf("%s (%.2f)", o.Suggested.Department, o.Suggested.Confidence))
	}
	due := formatDue(o.Due)
	if o.Overdue(now) {
		due += "  OVERDUE"
	}
	field("Due", due)
	field("Channel", o.Channel)
	field("Name", o.Contact.Name)
	field("Phone", orDash(o.Contact.Phone))
	if o.Contact.Anonymous {
		field("Anonymous", "yes")
	}
	field("Summary", o.Summary)
	field("Address", o.Address)
	field("When", o.When)
	field("Reply", o.Reply)
	if o.Rating != 0 {
		field("Rating", o.Rating.Label())
	}
	field("Related", strings.Join(o.Related, ", "))
	field("Created", o.Created.Format("2006-01-02 15:04"))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nHistory:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range o.History {
		note := e.Text
		if e.Department != "" {
			note = strings.TrimSpace("→ " + e.Department + " " + note)
		}
		if e.Rating != 0 {
			note = strings.TrimSpace(e.Rating.Label() + " " + note)
		}
		line := fmt.Sprintf("  %s\t%s\t%s", e.Time.Format("2006-01-02 15:04"), e.Status.Label(), e.By)
		if note != "" {
			line += "\t" + note
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// formatDue writes a due time, the end of a working day, as its date.
func formatDue(due time.Time) string {
	if due.IsZero() {
		return "-"
	}
	return due.Format(time.DateOnly)
}

func overdueFlag(o workorder.WorkOrder, now time.Time) string {
	if o.Overdue(now) {
		return "OVERDUE"
	}
	return "-"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cutText shortens s to n characters, marking the cut with "…".
func cutText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
