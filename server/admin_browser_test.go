package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/stats"
	"github.com/hotline12345/hotline/workorder"
)

// dashboardToken is the admin token of the dashboard tests' server.
const dashboardToken = "dashboard-test-admin-token-0123456789"

// TestDashboardInBrowser opens the supervisors' dashboard in a real
// headless Chromium against a real server whose logs hold two scripted
// days of traffic, and checks what a supervisor would: the headline cards
// say what GET /api/v1/stats says, every chart has a bar or point per
// period and series, the channel filter changes the numbers and stays in
// the URL across a reload, a failed load offers a retry, the CSV link
// downloads the API's CSV with its header, markup in a question stays text, an agent without the
// supervisor role is turned away, and the admin token works on its own.
// The full page goes to admin-dashboard.png in the artifacts directory.
func TestDashboardInBrowser(t *testing.T) {
	browserPath := requireBrowser(t)
	artifacts := artifactDir(t)
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", AdminToken: dashboardToken})
	base := baseURL(srv)
	addAgent(t, srv, "zhang", "supervisor")
	addAgent(t, srv, "li", "agent", "housing")
	scriptDashboardDays(t, srv)

	// The dashboard opens on 近7天 by day; wait until the server has
	// applied the scripted events (two days, ten citizen messages).
	week := dashboardWeek()
	var all stats.Report
	eventually(t, 20*time.Second, func() error {
		all = statsReport(t, base, week, "")
		if all.Totals.Messages != 10 {
			return fmt.Errorf("the API counts %d messages of the 10 scripted", all.Totals.Messages)
		}
		return nil
	})
	if len(all.Series) != 7 {
		t.Fatalf("the API's 近7天 has %d periods, want 7", len(all.Series))
	}

	ctx := newTab(t, browserPath)
	alerts := watchDialogs(t, ctx)
	exceptions := watchExceptions(t, ctx)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}

	// A supervisor signs in with the form.
	dashboardSignIn(t, ctx, base, "zhang")
	waitCards(t, ctx, "the headline cards show the API's totals", all.Totals)
	checkCharts(t, ctx, all)
	waitJS(t, ctx, "the tables list every channel and the questions as text", fmt.Sprintf(`(() => {
		const rows = document.querySelectorAll('[data-test="table-by_channel"] [data-test="row"]').length;
		if (rows !== %d) return rows + ' channel rows, want %d';
		const misses = [...document.querySelectorAll('[data-test="table-top_misses"] [data-test="row"]')].map(r => r.textContent);
		if (!misses.some(m => m.includes(%s))) return 'the miss is not listed: ' + JSON.stringify(misses);
		return document.querySelector('#content b, #content img') ? 'markup in a question became an element' : '';
	})()`, len(all.ByChannel), len(all.ByChannel), jsString(dashboardMiss)))
	fullScreenshot(t, ctx, artifacts, "admin-dashboard.png")

	// The channel filter: the numbers become WeChat's, the URL keeps it.
	wechat := statsReport(t, base, week, "wechat")
	if wechat.Totals.Conversations == all.Totals.Conversations {
		t.Fatalf("the script gives WeChat as many conversations (%d) as all channels", all.Totals.Conversations)
	}
	// SetValue fires input and change, as a person's choice does.
	do(t, ctx, "choose the WeChat channel", chromedp.SetValue(chromedp.CSS(`[data-test="channel"]`), "wechat"))
	waitCards(t, ctx, "the cards show WeChat's figures", wechat.Totals)
	if q := evalJS[string](t, ctx, `location.search`); !strings.Contains(q, "channel=wechat") {
		t.Errorf("the URL %q does not keep the channel", q)
	}
	do(t, ctx, "reload", chromedp.Reload())
	waitCards(t, ctx, "after a reload the cards still show WeChat's figures", wechat.Totals)
	if v := evalJS[string](t, ctx, `document.querySelector('[data-test="channel"]').value`); v != "wechat" {
		t.Errorf("after a reload the channel filter shows %q", v)
	}

	// A failed load says so, keeps the last figures and offers a retry.
	setOffline(t, ctx, true)
	do(t, ctx, "refresh while offline", chromedp.Click(chromedp.CSS(`[data-test="refresh"]`)))
	waitJS(t, ctx, "the failure is shown with a retry button", `(() => {
		const e = document.querySelector('[data-test="error"]');
		if (e.hidden) return 'no error shown';
		if (!e.textContent.includes('数据加载失败')) return 'the error says: ' + e.textContent;
		if (!e.querySelector('[data-test="retry"]')) return 'no retry button';
		return document.querySelectorAll('[data-test="card"]').length === 11 ? '' : 'the last figures are gone';
	})()`)
	setOffline(t, ctx, false)
	do(t, ctx, "retry", chromedp.Click(chromedp.CSS(`[data-test="retry"]`)))
	waitJS(t, ctx, "the retry loads the figures", `document.querySelector('[data-test="error"]').hidden ? '' : 'the error is still shown'`)
	waitCards(t, ctx, "after the retry the cards show WeChat's figures", wechat.Totals)

	// 导出CSV downloads the API's CSV of the current filters.
	href := evalJS[string](t, ctx, `document.querySelector('[data-test="csv-by_channel"]').href`)
	if !strings.Contains(href, "channel=wechat") || !strings.Contains(href, "table=by_channel") {
		t.Errorf("the CSV link %s does not carry the table and the filters", href)
	}
	do(t, ctx, "export the channel table", chromedp.Click(chromedp.CSS(`[data-test="csv-by_channel"]`)))
	checkDownload(t, downloads, href)

	do(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`[data-test="logout"]`)))
	waitJS(t, ctx, "the sign-in form is back", `document.getElementById('login-view').hidden ? 'sign-in form hidden' : ''`)
	if n := evalJS[int](t, ctx, `document.querySelectorAll('[data-test="card"]').length`); n != 0 {
		t.Errorf("after signing out the page still holds %d cards", n)
	}

	// An agent is not a supervisor: a clear message, no figures.
	do(t, ctx, "sign in as an agent",
		chromedp.SendKeys(chromedp.CSS(`[data-test="username"]`), "li"),
		chromedp.SendKeys(chromedp.CSS(`[data-test="password"]`), agentPassword),
		chromedp.Click(chromedp.CSS(`[data-test="login-submit"]`)))
	waitJS(t, ctx, "the agent is told the page is for supervisors", `(() => {
		const f = document.querySelector('[data-test="forbidden"]');
		if (!f || f.closest('[hidden]')) return 'no forbidden message';
		if (!f.textContent.includes('值班长')) return 'the message does not say who may look: ' + f.textContent;
		return document.getElementById('dash-view').hidden ? '' : 'the dashboard is shown';
	})()`)
	if code := pageFetchStatus(t, ctx, "/api/v1/stats?"+statsQuery(week, "")); code != http.StatusForbidden {
		t.Errorf("GET /api/v1/stats with an agent's session = %d, want 403", code)
	}
	do(t, ctx, "sign the agent out", chromedp.Click(chromedp.CSS(`[data-test="forbidden-logout"]`)))
	waitJS(t, ctx, "the sign-in form is back", `document.getElementById('login-view').hidden ? 'sign-in form hidden' : ''`)

	// The admin token, kept in this tab only; the view in the URL (WeChat)
	// outlives signing out and in.
	do(t, ctx, "use the admin token",
		chromedp.Click(chromedp.CSS(`[data-test="token-toggle"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-test="token"]`), dashboardToken),
		chromedp.Click(chromedp.CSS(`[data-test="token-submit"]`)))
	waitCards(t, ctx, "with the token the cards show WeChat's figures", wechat.Totals)
	if who := evalJS[string](t, ctx, `document.querySelector('[data-test="who"]').textContent`); who != "管理令牌" {
		t.Errorf("signed in with the token, the page says %q", who)
	}
	if code := pageFetchStatus(t, ctx, "/api/v1/me"); code != http.StatusUnauthorized {
		t.Errorf("with the token there is still a staff session: GET /api/v1/me = %d", code)
	}
	href = evalJS[string](t, ctx, `document.querySelector('[data-test="csv-totals"]').href`)
	do(t, ctx, "export the totals with the token", chromedp.Click(chromedp.CSS(`[data-test="csv-totals"]`)))
	checkDownload(t, downloads, href)
	do(t, ctx, "sign out of the token", chromedp.Click(chromedp.CSS(`[data-test="logout"]`)))
	waitJS(t, ctx, "the token is forgotten", `(() => {
		if (document.getElementById('login-view').hidden) return 'sign-in form hidden';
		return sessionStorage.length === 0 ? '' : sessionStorage.length + ' item(s) left in sessionStorage';
	})()`)

	if n := alerts.Load(); n > 0 {
		t.Fatalf("the page opened %d dialog(s): markup from a question ran", n)
	}
	if n := exceptions.Load(); n > 0 {
		t.Errorf("the page threw %d uncaught exception(s)", n)
	}
}

// dashboardMiss is a question the knowledge base missed, with markup that
// must be shown as text.
const dashboardMiss = "<b>公积金</b>能不能取出来装修"

// scriptDashboardDays appends two days of traffic, the day before
// yesterday and yesterday (always inside 近7天, and long settled), to the
// logs the statistics read, in their real formats: ten conversations of
// one citizen message each (five on the web, three on WeChat, two in the
// app), three hand-offs (one abandoned), two work orders (one finished,
// one overdue), three ratings and a knowledge base miss.
func scriptDashboardDays(t *testing.T, srv *server.Server) {
	t.Helper()
	loc := dashboardZone()
	today := time.Now().In(loc)
	day := func(ago int, hms string) time.Time {
		d := today.AddDate(0, 0, -ago)
		ts, err := time.ParseInLocation("2006-01-02 15:04:05", d.Format("2006-01-02")+" "+hms, loc)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	st := srv.Store()
	ctx := context.Background()
	put := func(log string, v any) {
		t.Helper()
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AppendLog(ctx, log, data); err != nil {
			t.Fatalf("append to %s: %v", log, err)
		}
	}
	msg := func(at time.Time, conv, channel, intent, dept, outcome string) {
		put(dialog.LogName, dialog.Event{Type: dialog.EventMessage, Time: at, Conversation: conv, Channel: channel,
			Intent: intent, Department: dept, Urgency: "normal", Outcome: outcome})
	}
	ho := func(at time.Time, e handoff.Event) {
		e.Time = at
		put(handoff.LogName, e)
	}
	wo := func(at time.Time, c workorder.Change) {
		c.Time = at
		put(workorder.LogName, c)
	}

	// The day before yesterday.
	msg(day(2, "09:00:00"), "d1-web-1", "web", "consult", "social_security", dialog.OutcomeAnswer)
	msg(day(2, "09:10:00"), "d1-web-2", "web", "consult", "housing_fund", dialog.OutcomeAnswer)
	msg(day(2, "09:20:00"), "d1-wx-1", "wechat", "complaint", "urban", dialog.OutcomeHandoff)
	ho(day(2, "09:20:01"), handoff.Event{Type: handoff.EventQueued, Conversation: "d1-wx-1", Channel: "wechat", Skill: "urban", Priority: "normal"})
	ho(day(2, "09:20:09"), handoff.Event{Type: handoff.EventAccepted, Conversation: "d1-wx-1", Agent: "li", Wait: 8})
	ho(day(2, "09:20:14"), handoff.Event{Type: handoff.EventReplied, Conversation: "d1-wx-1", Agent: "li", Wait: 5})
	ho(day(2, "09:25:00"), handoff.Event{Type: handoff.EventClosed, Conversation: "d1-wx-1", Agent: "li", Duration: 291})
	ho(day(2, "09:26:00"), handoff.Event{Type: handoff.EventRated, Conversation: "d1-wx-1", Score: 4})
	msg(day(2, "10:00:00"), "d1-app-1", "app", "help", "utilities", dialog.OutcomeAnswer)

	// Yesterday.
	msg(day(1, "08:30:00"), "d2-wx-1", "wechat", "consult", "social_security", dialog.OutcomeAnswer)
	msg(day(1, "09:00:00"), "d2-app-1", "app", "help", "housing", dialog.OutcomeHandoff)
	ho(day(1, "09:00:01"), handoff.Event{Type: handoff.EventQueued, Conversation: "d2-app-1", Channel: "app", Skill: "housing", Priority: "normal"})
	ho(day(1, "09:01:00"), handoff.Event{Type: handoff.EventCancelled, Conversation: "d2-app-1", Reason: "left"})
	msg(day(1, "10:00:00"), "d2-web-1", "web", "complaint", "urban", dialog.OutcomeHandoff)
	ho(day(1, "10:00:01"), handoff.Event{Type: handoff.EventQueued, Conversation: "d2-web-1", Channel: "web", Skill: "urban", Priority: "normal"})
	ho(day(1, "10:00:31"), handoff.Event{Type: handoff.EventAccepted, Conversation: "d2-web-1", Agent: "li", Wait: 30})
	ho(day(1, "10:00:43"), handoff.Event{Type: handoff.EventReplied, Conversation: "d2-web-1", Agent: "li", Wait: 12})
	ho(day(1, "10:06:00"), handoff.Event{Type: handoff.EventClosed, Conversation: "d2-web-1", Agent: "li", Duration: 317})
	ho(day(1, "10:07:00"), handoff.Event{Type: handoff.EventRated, Conversation: "d2-web-1", Score: 1})
	msg(day(1, "11:00:00"), "d2-web-2", "web", "complaint", "urban", dialog.OutcomeAppeal)
	wo(day(1, "11:01:00"), workorder.Change{Number: "order-1", Kind: "created", Status: workorder.Accepted, AppealType: "complaint",
		Channel: "web", Department: "urban", Due: day(-3, "18:00:00")})
	wo(day(1, "16:00:00"), workorder.Change{Number: "order-1", Kind: "status", Status: workorder.Finished, From: workorder.InProgress,
		AppealType: "complaint", Channel: "web", Department: "urban", Due: day(-3, "18:00:00")})
	wo(day(1, "17:00:00"), workorder.Change{Number: "order-1", Kind: "status", Status: workorder.Visited, From: workorder.Finished,
		AppealType: "complaint", Channel: "web", Department: "urban", Rating: workorder.RatingSatisfied, Due: day(-3, "18:00:00")})
	msg(day(1, "12:00:00"), "d2-wx-2", "wechat", "report", "environment", dialog.OutcomeAppeal)
	wo(day(1, "12:01:00"), workorder.Change{Number: "order-2", Kind: "created", Status: workorder.Accepted, AppealType: "report",
		Channel: "wechat", Department: "environment", Due: day(1, "13:00:00")})
	msg(day(1, "13:00:00"), "d2-web-3", "web", "consult", "housing_fund", dialog.OutcomeNone)
	if err := st.RecordMiss(ctx, dashboardMiss, dialog.OutcomeNone); err != nil {
		t.Fatalf("record a miss: %v", err)
	}
}

// dashboardZone is the hotline's time zone.
func dashboardZone() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// dashboardWeek is the dashboard's default range, 近7天: the last seven
// days in the hotline's zone, today included.
func dashboardWeek() [2]string {
	today := time.Now().In(dashboardZone())
	return [2]string{today.AddDate(0, 0, -6).Format("2006-01-02"), today.Format("2006-01-02")}
}

func statsQuery(week [2]string, channel string) string {
	q := url.Values{"from": {week[0]}, "to": {week[1]}, "granularity": {"day"}}
	if channel != "" {
		q.Set("channel", channel)
	}
	return q.Encode()
}

// statsReport asks the stats API with the admin token.
func statsReport(t *testing.T, base string, week [2]string, channel string) stats.Report {
	t.Helper()
	var r stats.Report
	body := adminGet(t, base+"/api/v1/stats?"+statsQuery(week, channel))
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("GET /api/v1/stats: %v\n%s", err, body)
	}
	return r
}

// adminGet reads a URL with the admin token, failing the test on any
// status but 200.
func adminGet(t *testing.T, u string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+dashboardToken)
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", u, res.StatusCode, err, body)
	}
	return body
}

// dashboardSignIn opens the dashboard at 1366×900 and signs in with the
// form.
func dashboardSignIn(t *testing.T, ctx context.Context, base, username string) {
	t.Helper()
	do(t, ctx, "open the dashboard", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(base+"/admin"))
	waitJS(t, ctx, "the sign-in form shows", `document.getElementById('login-view').hidden ? 'sign-in form hidden' : ''`)
	do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS(`[data-test="username"]`), username),
		chromedp.SendKeys(chromedp.CSS(`[data-test="password"]`), agentPassword),
		chromedp.Click(chromedp.CSS(`[data-test="login-submit"]`)))
}

// dashboardCards is what each headline card must say for f, in the
// dashboard's own words: counts, rates with one decimal, durations in
// seconds, and "—" for a rate of nothing.
func dashboardCards(f stats.Figures) map[string]string {
	rate := func(v float64, of int) string {
		if of == 0 {
			return "—"
		}
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	secs := func(v float64) string {
		if v < 60 {
			return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + "秒"
		}
		n := int(math.Round(v))
		return fmt.Sprintf("%d分%d秒", n/60, n%60)
	}
	wait, first := "—", "—"
	if f.Accepted > 0 {
		wait, first = secs(f.WaitP50)+" / "+secs(f.WaitP90), secs(f.FirstResponseP50)
	}
	return map[string]string{
		"conversations":        strconv.Itoa(f.Conversations),
		"messages":             strconv.Itoa(f.Messages),
		"bot_answer_rate":      rate(f.BotAnswerRate, f.Conversations),
		"handoff_rate":         rate(f.HandoffRate, f.Conversations),
		"answer_rate":          rate(f.AnswerRate, f.Handoffs),
		"accepted_in_15s_rate": rate(f.AcceptedIn15Rate, f.Handoffs),
		"wait":                 wait,
		"abandonment_rate":     rate(f.AbandonmentRate, f.Handoffs),
		"first_response":       first,
		"orders":               fmt.Sprintf("%d / %d / %d", f.OrdersCreated, f.OrdersFinished, f.OrdersOverdue),
		"satisfaction_rate":    rate(f.SatisfactionRate, f.Rated),
	}
}

// waitCards waits until the headline cards say what dashboardCards says
// of f.
func waitCards(t *testing.T, ctx context.Context, what string, f stats.Figures) {
	t.Helper()
	want, err := json.Marshal(dashboardCards(f))
	if err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, what, `(() => {
		const want = `+string(want)+`;
		const got = {};
		for (const c of document.querySelectorAll('[data-test="card"]')) got[c.dataset.key] = c.querySelector('[data-test="card-value"]').textContent;
		if (document.getElementById('content').hidden) return 'no figures shown';
		const wrong = Object.keys(want).filter(k => got[k] !== want[k]).map(k => k + ': ' + JSON.stringify(got[k]) + ' want ' + JSON.stringify(want[k]));
		return wrong.join('; ');
	})()`)
}

// checkCharts counts the bars and points the charts drew for r: one per
// period and series, one per satisfaction level, one per top entry.
func checkCharts(t *testing.T, ctx context.Context, r stats.Report) {
	t.Helper()
	n := len(r.Series)
	want := map[string]int{
		"chart-volume bar":       2 * n,
		"chart-rates point":      3 * n,
		"chart-orders bar":       2 * n,
		"chart-satisfaction bar": 4,
		"chart-intents bar":      len(r.TopIntents),
		"chart-departments bar":  len(r.TopDepartments),
	}
	if len(r.TopIntents) == 0 || len(r.TopDepartments) == 0 {
		t.Fatalf("the report has no top intents or departments: %+v", r)
	}
	for k, v := range want {
		chart, mark, _ := strings.Cut(k, " ")
		got := evalJS[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('[data-test=%q] svg [data-test=%q]').length`, chart, mark))
		if got != v {
			t.Errorf("%s has %d %ss, want %d", chart, got, mark, v)
		}
	}
	// The volume bars carry the API's numbers, and every chart has a title
	// and a text alternative.
	var conversations []int
	for _, row := range r.Series {
		conversations = append(conversations, row.Conversations)
	}
	wantBars, _ := json.Marshal(conversations)
	if got := evalJS[string](t, ctx, `JSON.stringify([...document.querySelectorAll('[data-test="chart-volume"] [data-test="bar"][data-series="conversations"]')].map(b => Number(b.dataset.value)))`); got != string(wantBars) {
		t.Errorf("the volume chart's conversation bars are %s, want %s", got, wantBars)
	}
	if missing := evalJS[string](t, ctx, `[...document.querySelectorAll('.chart svg')].filter(s => {
		const ids = (s.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
		return s.getAttribute('role') !== 'img' || ids.length !== 2 || ids.some(id => !document.getElementById(id) || !document.getElementById(id).textContent);
	}).map(s => s.parentNode.id).join(', ')`); missing != "" {
		t.Errorf("charts without a title and a text alternative: %s", missing)
	}
}

// checkDownload waits for the one new CSV in dir and checks that it is
// what GET href answers with the admin token: the same header, the same
// rows.
func checkDownload(t *testing.T, dir, href string) {
	t.Helper()
	want := string(adminGet(t, href))
	header, _, _ := strings.Cut(want, "\n")
	if !strings.Contains(header, ",") {
		t.Fatalf("the API's CSV %s has no header line: %q", href, want)
	}
	var got string
	eventually(t, browserTimeout, func() error {
		files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
		if err != nil || len(files) == 0 {
			return fmt.Errorf("no CSV downloaded yet (%v)", err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			os.Remove(f)
			got = string(b)
		}
		return nil
	})
	gotHeader, _, _ := strings.Cut(got, "\n")
	if strings.TrimPrefix(gotHeader, "\ufeff") != strings.TrimPrefix(header, "\ufeff") {
		t.Errorf("downloaded CSV header %q, want %q", gotHeader, header)
	}
	if got != want {
		t.Errorf("downloaded CSV differs from GET %s:\n%s\nwant:\n%s", href, got, want)
	}
}

// pageFetchStatus is the status of a GET from the page, with its cookies.
func pageFetchStatus(t *testing.T, ctx context.Context, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch(`+jsString(path)+`, {credentials: 'same-origin'}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s in the page: %v", path, err)
	}
	return v
}

// fullScreenshot saves the whole page, not only the viewport, as a PNG
// under dir and logs where.
func fullScreenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	t.Logf("screenshot: %s", path)
}
