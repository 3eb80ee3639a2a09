package server

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/stats"
)

// statsTables are the tables of GET /api/v1/stats.csv, named after the
// report's JSON fields.
var statsTables = []string{"totals", "series", "by_channel", "by_department", "top_intents", "top_departments", "top_misses"}

// statsSyncTimeout bounds the catch-up a request does before reporting:
// a slow store serves the figures already applied rather than nothing.
const statsSyncTimeout = 2 * time.Second

// statsEvery is how often a running server applies new events to its
// statistics (and the gauges on /metrics), between requests.
const statsEvery = 5 * time.Second

// statsFilter is a channel or department code in a query.
var statsFilter = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// statsAPI is the supervisors' statistics API: GET /api/v1/stats (JSON,
// stats.Report) and GET /api/v1/stats.csv (one table of it). Everything
// it shows is counts and masked questions: no citizen's data.
type statsAPI struct {
	// auth admits the caller (the admin token or a staff session).
	auth func(http.HandlerFunc) http.Handler
	// stats is this instance's aggregator; a request syncs it first.
	stats *stats.Aggregator
	log   *slog.Logger
	// now returns the current time; default time.Now (tests set it).
	now func() time.Time
}

func (a *statsAPI) routes(mux *http.ServeMux) {
	if a.stats == nil {
		return // a server without statistics answers 404
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	mux.Handle("GET /api/v1/stats", a.auth(a.json))
	mux.Handle("GET /api/v1/stats.csv", a.auth(a.csv))
}

func (a *statsAPI) json(w http.ResponseWriter, r *http.Request) {
	rep, ok := a.report(w, r)
	if !ok {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, rep)
}

func (a *statsAPI) csv(w http.ResponseWriter, r *http.Request) {
	table := r.URL.Query().Get("table")
	if !validTable(table) {
		writeError(w, http.StatusBadRequest, "bad_table",
			fmt.Sprintf("table must be one of %s", strings.Join(statsTables, ", ")))
		return
	}
	rep, ok := a.report(w, r)
	if !ok {
		return
	}
	rows := statsCSV(rep, table)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition",
		fmt.Sprintf(`attachment; filename="hotline-stats-%s-%s-%s.csv"`, table, rep.From, rep.To))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// The byte order mark makes Excel read the file as UTF-8 (Chinese
	// department names and questions).
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.WriteAll(rows)
}

func validTable(t string) bool {
	for _, n := range statsTables {
		if t == n {
			return true
		}
	}
	return false
}

// report parses the query, catches up with the logs and computes the
// report, or writes the error.
func (a *statsAPI) report(w http.ResponseWriter, r *http.Request) (stats.Report, bool) {
	q, ok := a.query(w, r)
	if !ok {
		return stats.Report{}, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), statsSyncTimeout)
	err := a.stats.Sync(ctx)
	cancel()
	if err != nil {
		a.log.Warn("stats: sync before report failed: reporting what was applied", "err", err)
	}
	rep, err := a.stats.Report(r.Context(), q)
	switch {
	case errors.Is(err, stats.ErrBadQuery):
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return stats.Report{}, false
	case err != nil:
		a.log.Error("stats: report failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the statistics cannot be read now; try again")
		return stats.Report{}, false
	}
	return rep, true
}

// query reads from, to, channel, department and granularity. The
// default period is the last 7 days including today.
func (a *statsAPI) query(w http.ResponseWriter, r *http.Request) (stats.Query, bool) {
	v := r.URL.Query()
	loc := a.stats.Location()
	now := a.now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	var q stats.Query
	var ok bool
	if q.To, ok = statsDate(w, loc, "to", v.Get("to"), today); !ok {
		return q, false
	}
	if q.From, ok = statsDate(w, loc, "from", v.Get("from"), q.To.AddDate(0, 0, -6)); !ok {
		return q, false
	}
	if q.To.Before(q.From) {
		writeError(w, http.StatusBadRequest, "bad_date", "to must not be before from")
		return q, false
	}
	if days := int(q.To.Sub(q.From).Hours()/24+0.5) + 1; days > stats.MaxDays {
		writeError(w, http.StatusBadRequest, "bad_date",
			fmt.Sprintf("from..to covers %d days; at most %d", days, stats.MaxDays))
		return q, false
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"channel", &q.Channel}, {"department", &q.Department}} {
		s := v.Get(p.name)
		if s != "" && !statsFilter.MatchString(s) {
			writeError(w, http.StatusBadRequest, "bad_"+p.name, p.name+" must be a code of letters, digits, _ . or - (at most 64)")
			return q, false
		}
		*p.dst = s
	}
	switch g := v.Get("granularity"); g {
	case "", stats.Day, stats.Week, stats.Month:
		q.Granularity = g
	default:
		writeError(w, http.StatusBadRequest, "bad_granularity", "granularity must be day, week or month")
		return q, false
	}
	return q, true
}

// statsDate parses a YYYY-MM-DD parameter in loc, def when empty.
func statsDate(w http.ResponseWriter, loc *time.Location, name, s string, def time.Time) (time.Time, bool) {
	if s == "" {
		return def, true
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_date", name+" must be a date YYYY-MM-DD")
		return time.Time{}, false
	}
	return t, true
}

// statsCSV renders one table of a report: a header row of the JSON field
// names, then the rows. The satisfaction array becomes satisfaction_0
// (不满意) … satisfaction_3 (非常满意).
func statsCSV(rep stats.Report, table string) [][]string {
	switch table {
	case "totals":
		return append([][]string{figureHeader()}, figureCells(rep.Totals))
	case "series", "by_channel", "by_department":
		rows := map[string][]stats.Row{"series": rep.Series, "by_channel": rep.ByChannel, "by_department": rep.ByDepartment}[table]
		out := [][]string{append([]string{"key"}, figureHeader()...)}
		for _, r := range rows {
			out = append(out, append([]string{cell(r.Key)}, figureCells(r.Figures)...))
		}
		return out
	case "top_intents", "top_departments":
		counts := rep.TopIntents
		if table == "top_departments" {
			counts = rep.TopDepartments
		}
		out := [][]string{{"key", "count"}}
		for _, c := range counts {
			out = append(out, []string{cell(c.Key), strconv.Itoa(c.Count)})
		}
		return out
	default: // top_misses
		out := [][]string{{"query", "decision", "count"}}
		for _, m := range rep.TopMisses {
			out = append(out, []string{cell(m.Query), cell(m.Decision), strconv.Itoa(m.Count)})
		}
		return out
	}
}

// figureHeader lists the JSON names of stats.Figures, in field order.
func figureHeader() []string {
	var out []string
	t := reflect.TypeFor[stats.Figures]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Type.Kind() == reflect.Array {
			for j := range f.Type.Len() {
				out = append(out, name+"_"+strconv.Itoa(j))
			}
			continue
		}
		out = append(out, name)
	}
	return out
}

// figureCells renders the values of f in figureHeader's order.
func figureCells(f stats.Figures) []string {
	var out []string
	v := reflect.ValueOf(f)
	for i := range v.NumField() {
		out = appendValue(out, v.Field(i))
	}
	return out
}

func appendValue(out []string, v reflect.Value) []string {
	switch v.Kind() {
	case reflect.Array:
		for j := range v.Len() {
			out = appendValue(out, v.Index(j))
		}
		return out
	case reflect.Float64:
		return append(out, strconv.FormatFloat(v.Float(), 'f', -1, 64))
	case reflect.Int:
		return append(out, strconv.FormatInt(v.Int(), 10))
	}
	return append(out, fmt.Sprint(v.Interface()))
}

// cell keeps a spreadsheet from reading text as a formula (CSV
// injection): a cell starting with = + - @ gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// statsCollector exports the live figures of the statistics on /metrics:
// the open and overdue work orders per department, as of the events the
// aggregator has applied (at most a sync period old).
type statsCollector struct {
	stats   *stats.Aggregator
	open    *prometheus.Desc
	overdue *prometheus.Desc
	synced  *prometheus.Desc
	applied *prometheus.Desc
}

// registerStatsMetrics registers the statistics' gauges on reg.
func registerStatsMetrics(reg prometheus.Registerer, a *stats.Aggregator) error {
	if reg == nil || a == nil {
		return nil
	}
	return reg.Register(&statsCollector{
		stats: a,
		open: prometheus.NewDesc("hotline_workorders_open",
			"Work orders open (not finished or followed up) per department.", []string{"department"}, nil),
		overdue: prometheus.NewDesc("hotline_workorders_overdue",
			"Open work orders past their due time per department.", []string{"department"}, nil),
		synced: prometheus.NewDesc("hotline_stats_synced_timestamp_seconds",
			"When this instance's statistics last caught up with the event logs.", nil, nil),
		applied: prometheus.NewDesc("hotline_stats_events_applied_total",
			"Events this instance's statistics have applied since it started.", nil, nil),
	})
}

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.overdue
	ch <- c.synced
	ch <- c.applied
}

// Collect implements prometheus.Collector.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range c.stats.OpenOrders() {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(l.Open), l.Department)
		ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(l.Overdue), l.Department)
	}
	at, n := c.stats.Synced()
	if !at.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.synced, prometheus.GaugeValue, float64(at.UnixNano())/1e9)
	}
	ch <- prometheus.MustNewConstMetric(c.applied, prometheus.CounterValue, float64(n))
}
