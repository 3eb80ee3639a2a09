package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/stats"
	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/workorder"
)

const statsTestToken = "stats-secret"

// statsNow is when the tests ask: Tuesday 2026-12-01 10:00 in Shanghai.
var statsNow = time.Date(2026, 12, 1, 10, 0, 0, 0, shanghaiZone())

// bearer admits requests with the test token, as the server's admin
// token check does.
func bearer(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(statsTestToken)) != 1 {
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
			return
		}
		next(w, r)
	})
}

// statsFixture is a store with a Monday of events (2026-11-30) and the
// stats API over it:
//   - c1 (web, housing) answered by the knowledge base;
//   - c2 (wechat, traffic) handed off, accepted after 5 s;
//   - c3 (web, housing) handed off, abandoned after 30 s;
//   - an order (web, housing) due on Sunday and still open: overdue;
//   - two misses, one that looks like a spreadsheet formula.
func statsFixture(t *testing.T) (*stats.Aggregator, http.Handler) {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc := shanghaiZone()
	mon := func(h, m, s int) time.Time { return time.Date(2026, 11, 30, h, m, s, 0, loc) }
	put := func(log string, v any) {
		data, _ := json.Marshal(v)
		if _, err := st.AppendLog(ctx, log, data); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(at time.Time, conv, ch, intent, dept, outcome string) {
		put(dialog.LogName, dialog.Event{Type: dialog.EventMessage, Time: at, Conversation: conv, Channel: ch,
			Intent: intent, Department: dept, Outcome: outcome})
	}
	msg(mon(9, 0, 0), "c1", "web", "consult", "housing", dialog.OutcomeAnswer)
	msg(mon(10, 0, 0), "c2", "wechat", "complaint", "traffic", dialog.OutcomeHandoff)
	put(handoff.LogName, handoff.Event{Type: handoff.EventQueued, Time: mon(10, 0, 1), Conversation: "c2", Channel: "wechat", Skill: "traffic"})
	put(handoff.LogName, handoff.Event{Type: handoff.EventAccepted, Time: mon(10, 0, 6), Conversation: "c2", Agent: "li", Wait: 5})
	msg(mon(11, 0, 0), "c3", "web", "help", "housing", dialog.OutcomeHandoff)
	put(handoff.LogName, handoff.Event{Type: handoff.EventQueued, Time: mon(11, 0, 1), Conversation: "c3", Channel: "web", Skill: "housing"})
	put(handoff.LogName, handoff.Event{Type: handoff.EventCancelled, Time: mon(11, 0, 31), Conversation: "c3", Wait: 30})
	put(workorder.LogName, workorder.Change{Number: "20261128-000001", Kind: "created", Status: workorder.Accepted,
		Channel: "web", Department: "housing", Due: time.Date(2026, 11, 29, 23, 59, 59, 0, loc), Time: time.Date(2026, 11, 28, 9, 0, 0, 0, loc)})
	for range 2 {
		st.RecordMiss(ctx, "怎么办理居住证", "none")
	}
	st.RecordMiss(ctx, "=HYPERLINK(\"x\")", "none")

	agg, err := stats.New(stats.Config{Store: st, Location: loc, Now: func() time.Time { return statsNow }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&statsAPI{auth: bearer, stats: agg, now: func() time.Time { return statsNow }}).routes(mux)
	return agg, mux
}

func statsGet(h http.Handler, target string, token bool) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if token {
		r.Header.Set("Authorization", "Bearer "+statsTestToken)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestStatsAPIRefusesWithoutToken(t *testing.T) {
	_, h := statsFixture(t)
	for _, target := range []string{"/api/v1/stats", "/api/v1/stats.csv?table=totals"} {
		if w := statsGet(h, target, false); w.Code != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", target, w.Code)
		}
	}
}

func TestStatsAPIReport(t *testing.T) {
	_, h := statsFixture(t)
	w := statsGet(h, "/api/v1/stats?from=2026-11-30&to=2026-11-30", true)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, type %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var rep stats.Report
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	f := rep.Totals
	// c1, c2, c3; c1 answered; c2, c3 handed off; c2 accepted in 5 s; c3
	// abandoned; the order open since Sunday 23:59:59 is overdue at
	// Monday's end.
	want := stats.Figures{Conversations: 3, Messages: 3, BotAnswered: 1, BotAnswerRate: 1.0 / 3,
		Handoffs: 2, HandoffRate: 2.0 / 3, Accepted: 1, AnswerRate: 1.0 / 2, AcceptedIn15s: 1, AcceptedIn15Rate: 1.0 / 2,
		WaitP50: 5, WaitP90: 5, Abandoned: 1, AbandonmentRate: 1.0 / 2, OrdersOverdue: 1}
	if f != want {
		t.Errorf("totals\n%+v\nwant\n%+v", f, want)
	}
	if rep.From != "2026-11-30" || rep.To != "2026-11-30" || len(rep.Series) != 1 || rep.Granularity != "day" {
		t.Errorf("period %s..%s %s with %d rows", rep.From, rep.To, rep.Granularity, len(rep.Series))
	}
	if len(rep.TopMisses) != 2 || rep.TopMisses[0].Query != "怎么办理居住证" || rep.TopMisses[0].Count != 2 {
		t.Errorf("top misses %+v", rep.TopMisses)
	}

	// Filters: wechat only.
	w = statsGet(h, "/api/v1/stats?from=2026-11-30&to=2026-11-30&channel=wechat", true)
	rep = stats.Report{}
	json.Unmarshal(w.Body.Bytes(), &rep)
	if rep.Channel != "wechat" || rep.Totals.Conversations != 1 || rep.Totals.Accepted != 1 || len(rep.ByChannel) != 1 {
		t.Errorf("wechat: channel %q, %+v, by channel %v", rep.Channel, rep.Totals, rep.ByChannel)
	}

	// Defaults: the last 7 days including today, by day.
	w = statsGet(h, "/api/v1/stats", true)
	rep = stats.Report{}
	json.Unmarshal(w.Body.Bytes(), &rep)
	if rep.From != "2026-11-25" || rep.To != "2026-12-01" || len(rep.Series) != 7 || rep.Granularity != "day" {
		t.Errorf("default period %s..%s %s, %d rows; want 2026-11-25..2026-12-01 by day, 7 rows", rep.From, rep.To, rep.Granularity, len(rep.Series))
	}
	if rep.Totals.Conversations != 3 {
		t.Errorf("default period: %d conversations, want 3", rep.Totals.Conversations)
	}

	// Months.
	w = statsGet(h, "/api/v1/stats?from=2026-11-01&to=2026-12-31&granularity=month", true)
	rep = stats.Report{}
	json.Unmarshal(w.Body.Bytes(), &rep)
	if len(rep.Series) != 2 || rep.Series[0].Key != "2026-11" || rep.Series[0].Conversations != 3 || rep.Series[1].Key != "2026-12" {
		t.Errorf("months: %+v", rep.Series)
	}
}

func TestStatsAPIBadRequests(t *testing.T) {
	_, h := statsFixture(t)
	for _, c := range []struct{ target, code, mentions string }{
		{"/api/v1/stats?from=2026-13-01", "bad_date", "from"},
		{"/api/v1/stats?to=yesterday", "bad_date", "to"},
		{"/api/v1/stats?from=2026-12-01&to=2026-11-30", "bad_date", "before from"},
		{"/api/v1/stats?from=2025-01-01&to=2026-01-02", "bad_date", "367 days"},
		{"/api/v1/stats?granularity=hour", "bad_granularity", "granularity"},
		{"/api/v1/stats?channel=we%20chat", "bad_channel", "channel"},
		{"/api/v1/stats?department=" + strings.Repeat("x", 65), "bad_department", "department"},
		{"/api/v1/stats.csv", "bad_table", "totals, series, by_channel, by_department, top_intents, top_departments, top_misses"},
		{"/api/v1/stats.csv?table=people", "bad_table", "table"},
		{"/api/v1/stats.csv?table=totals&from=2026-1-1", "bad_date", "from"},
	} {
		w := statsGet(h, c.target, true)
		var e apiError
		json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != http.StatusBadRequest || e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.mentions) {
			t.Errorf("%s: %d %q %q, want 400 %s mentioning %q", c.target, w.Code, e.Error.Code, e.Error.Message, c.code, c.mentions)
		}
	}
	// 366 days is the most.
	if w := statsGet(h, "/api/v1/stats?from=2025-01-01&to=2026-01-01", true); w.Code != http.StatusOK {
		t.Errorf("366 days: %d %s", w.Code, w.Body)
	}
}

func TestStatsAPICSV(t *testing.T) {
	_, h := statsFixture(t)
	read := func(table string) (*httptest.ResponseRecorder, [][]string) {
		t.Helper()
		w := statsGet(h, "/api/v1/stats.csv?from=2026-11-30&to=2026-11-30&table="+table, true)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", table, w.Code, w.Body)
		}
		body, ok := bytes.CutPrefix(w.Body.Bytes(), []byte("\xef\xbb\xbf"))
		if !ok {
			t.Errorf("%s: no UTF-8 byte order mark", table)
		}
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		return w, rows
	}

	w, rows := read("by_channel")
	if got := w.Header().Get("Content-Type"); got != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	if got, want := w.Header().Get("Content-Disposition"), `attachment; filename="hotline-stats-by_channel-2026-11-30-2026-11-30.csv"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	header := strings.Join(rows[0], ",")
	if !strings.HasPrefix(header, "key,conversations,messages,bot_answered,bot_answer_rate,handoffs,") ||
		!strings.Contains(header, ",satisfaction_0,satisfaction_1,satisfaction_2,satisfaction_3,rated,satisfaction_rate") {
		t.Errorf("header %s", header)
	}
	// web: c1, c3 and the order; wechat: c2.
	if len(rows) != 3 || rows[1][0] != "web" || rows[1][1] != "2" || rows[2][0] != "wechat" || rows[2][1] != "1" {
		t.Errorf("rows %v", rows)
	}
	col := func(name string) int {
		for i, n := range rows[0] {
			if n == name {
				return i
			}
		}
		t.Fatalf("no column %s in %v", name, rows[0])
		return -1
	}
	if got := rows[1][col("abandonment_rate")]; got != "1" {
		t.Errorf("web abandonment_rate %q, want 1 (c3)", got)
	}
	if got := rows[1][col("orders_overdue")]; got != "1" {
		t.Errorf("web orders_overdue %q, want 1", got)
	}

	_, rows = read("totals")
	if len(rows) != 2 || rows[0][0] != "conversations" || rows[1][0] != "3" || len(rows[0]) != len(rows[1]) {
		t.Errorf("totals %v", rows)
	}

	_, rows = read("top_misses")
	want := [][]string{{"query", "decision", "count"}, {"怎么办理居住证", "none", "2"}, {`'=HYPERLINK("x")`, "none", "1"}}
	if strings.Join(flatten(rows), "|") != strings.Join(flatten(want), "|") {
		t.Errorf("top_misses %q, want %q (a formula is defused)", rows, want)
	}

	_, rows = read("top_intents")
	if len(rows) != 4 || strings.Join(rows[0], ",") != "key,count" {
		t.Errorf("top_intents %v", rows)
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, ","))
	}
	return out
}

func TestStatsMetrics(t *testing.T) {
	agg, _ := statsFixture(t)
	if err := agg.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := registerStatsMetrics(reg, agg); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			got[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"hotline_workorders_open{department=housing}":    1,
		"hotline_workorders_overdue{department=housing}": 1,
		"hotline_stats_events_applied_total":             8,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v (all: %v)", name, got[name], want, got)
		}
	}
}
