package server_test

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/agenttest"
	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/workorder"
)

// Department tokens of the tests (32 characters and more).
const (
	urbanToken   = "urban-dept-token-0123456789abcdef"
	trafficToken = "traffic-dept-token-0123456789abcdef"
)

// staffCaller is how a request authenticates: a bearer token or a
// session cookie, optionally from a page of another origin.
type staffCaller struct {
	token  string
	cookie *http.Cookie
	origin string // Origin header; empty: none (not a browser's cross-site request)
}

// do sends a staff request and decodes the JSON answer into out.
func (c staffCaller) do(t *testing.T, method, url, body string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: answer %q is not JSON: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

// signedIn adds a console account with role and signs it in.
func signedIn(t *testing.T, srv *server.Server, username, role string) staffCaller {
	t.Helper()
	addAgent(t, srv, username, role)
	return staffCaller{cookie: agenttest.Login(t, baseURL(srv), username, agentPassword)}
}

// TestDepartmentAPI: a department token sees and moves only the orders
// dispatched to it; the citizen gets its reply and rates it; supervisors
// dispatch, agents only read masked orders; every full view is audited
// under the viewer's name.
func TestDepartmentAPI(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		AdminToken: adminToken, DepartmentTokens: "urban:" + urbanToken + ", traffic:" + trafficToken})
	svc := srv.WorkOrders()
	ctx := context.Background()
	api := baseURL(srv) + "/api/v1/workorders"

	// A citizen in the widget, whose complaint becomes order a.
	citizen := widgettest.Dial(t, baseURL(srv))
	citizen.Hello("", 0)
	citizen.Next(wait)
	citizen.Ask("q1", "你好")
	citizen.BotReplyTo(wait, "你好")
	create := func(d workorder.Draft) workorder.WorkOrder {
		t.Helper()
		o, err := svc.Create(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	a := create(workorder.Draft{Conversation: citizen.Conversation, Channel: "web", AppealType: workorder.Complaint,
		Summary: "小区门口工地夜间施工噪音扰民", Address: "幸福路12号", Contact: workorder.Contact{Name: "张三", Phone: woPhoneA},
		Suggested: workorder.Suggested{Department: "urban", Confidence: 0.8}})
	b := create(workorder.Draft{AppealType: workorder.Complaint, Summary: "路口红绿灯坏了", Contact: workorder.Contact{Phone: woPhoneB}})
	if _, err := svc.Dispatch(ctx, b.Number, "traffic", "dispatcher", ""); err != nil {
		t.Fatal(err)
	}
	// Meant for urban, but not yet dispatched: not urban's yet.
	c := create(workorder.Draft{AppealType: workorder.Help, Department: "urban", Summary: "井盖丢失", Contact: workorder.Contact{Phone: woPhoneB}})

	urban := staffCaller{token: urbanToken}
	traffic := staffCaller{token: trafficToken}
	supervisor := signedIn(t, srv, "sup1", "supervisor")
	agent := signedIn(t, srv, "agent1", "agent")
	admin := signedIn(t, srv, "boss", "admin")

	listed := func(t *testing.T, who staffCaller, query string) string {
		t.Helper()
		var got struct{ Workorders []apiOrder }
		code, raw := who.do(t, "GET", api+query, "", &got)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", query, code, raw)
		}
		if strings.Contains(raw, woPhoneA) || strings.Contains(raw, woPhoneB) {
			t.Errorf("GET %s shows a full phone: %s", query, raw)
		}
		var ns []string
		for _, o := range got.Workorders {
			ns = append(ns, o.Number)
		}
		slices.Sort(ns)
		return strings.Join(ns, ",")
	}
	post := func(t *testing.T, who staffCaller, number, body string, want int) apiOrder {
		t.Helper()
		var got apiOrder
		code, raw := who.do(t, "POST", api+"/"+number+"/events", body, &got)
		if code != want {
			t.Fatalf("POST %s to %s: %d %s, want %d", body, number, code, raw, want)
		}
		return got
	}
	audit := func(t *testing.T) []server.AuditEntry {
		t.Helper()
		entries, err := srv.Store().ReadLog(ctx, server.AuditLog, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]server.AuditEntry, len(entries))
		for i, e := range entries {
			json.Unmarshal(e.Data, &out[i])
		}
		return out
	}

	t.Run("unauthenticated", func(t *testing.T) {
		nobody := staffCaller{}
		stale := staffCaller{cookie: &http.Cookie{Name: "hotline_agent", Value: strings.Repeat("x", 43)}}
		for _, who := range []staffCaller{nobody, stale, {token: "not-a-token-of-anyone-0123456789abc"}} {
			var e apiErr
			if code, raw := who.do(t, "GET", api, "", &e); code != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
				t.Errorf("list as %+v: %d %s, want 401 unauthorized", who, code, raw)
			}
			if code, _ := who.do(t, "POST", api+"/"+a.Number+"/events", `{"status":"dispatched","department":"urban"}`, nil); code != http.StatusUnauthorized {
				t.Errorf("dispatch as %+v: %d, want 401", who, code)
			}
		}
	})

	t.Run("supervisor dispatches", func(t *testing.T) {
		if got, want := listed(t, supervisor, ""), strings.Join([]string{a.Number, b.Number, c.Number}, ","); got != want {
			t.Errorf("supervisor lists %s, want %s", got, want)
		}
		// A page of another site cannot use the session.
		evil := supervisor
		evil.origin = "https://evil.example.com"
		var e apiErr
		if code, _ := evil.do(t, "POST", api+"/"+a.Number+"/events", `{"status":"dispatched","department":"urban"}`, &e); code != http.StatusForbidden || e.Error.Code != "forbidden_origin" {
			t.Errorf("cross-origin dispatch: %d %+v, want 403 forbidden_origin", code, e)
		}
		// The console's own page can; the change is recorded under the user.
		own := supervisor
		own.origin = baseURL(srv)
		o := post(t, own, a.Number, `{"status":"dispatched","department":"urban"}`, http.StatusOK)
		if o.Status != "dispatched" || o.Department != "urban" || o.History[len(o.History)-1].By != "sup1" {
			t.Errorf("dispatched: %+v, want urban by sup1", o)
		}
		if code, _ := supervisor.do(t, "POST", api+"/"+a.Number+"/events", `{"status":"dispatched","by":"someone-else"}`, &e); code != http.StatusBadRequest {
			t.Errorf("a session naming another author: %d, want 400", code)
		}
		if code, _ := supervisor.do(t, "GET", api+"/"+a.Number+"?full=1", "", &e); code != http.StatusForbidden || e.Error.Code != "forbidden" {
			t.Errorf("supervisor full view: %d %+v, want 403 forbidden", code, e)
		}
	})

	t.Run("department sees only its orders", func(t *testing.T) {
		if got := listed(t, urban, ""); got != a.Number {
			t.Errorf("urban lists %q, want only %s", got, a.Number)
		}
		if got := listed(t, urban, "?department=traffic"); got != "" {
			t.Errorf("urban lists traffic's orders: %s", got)
		}
		if got := listed(t, traffic, ""); got != b.Number {
			t.Errorf("traffic lists %q, want only %s", got, b.Number)
		}
		// Another department's order, one not dispatched yet and a
		// missing one answer the same.
		_, missing := urban.do(t, "GET", api+"/20200101-000999", "", nil)
		for _, n := range []string{b.Number, c.Number} {
			code, raw := urban.do(t, "GET", api+"/"+n, "", nil)
			if code != http.StatusNotFound || raw != missing {
				t.Errorf("urban GET %s: %d %s, want 404 %s", n, code, raw, missing)
			}
			code, raw = urban.do(t, "POST", api+"/"+n+"/events", `{"status":"in_progress"}`, nil)
			if code != http.StatusNotFound || raw != missing {
				t.Errorf("urban POST to %s: %d %s, want 404 %s", n, code, raw, missing)
			}
		}
		var got apiOrder
		if code, raw := urban.do(t, "GET", api+"/"+a.Number, "", &got); code != http.StatusOK || got.Contact.Phone != "138****5678" {
			t.Errorf("urban GET its order: %d %s, want it masked", code, raw)
		}
		if code, _ := traffic.do(t, "GET", api+"/"+a.Number+"?full=1", "", nil); code != http.StatusNotFound {
			t.Errorf("traffic full view of urban's order: %d, want 404", code)
		}
	})

	t.Run("department full view audited", func(t *testing.T) {
		before := len(audit(t))
		var got apiOrder
		if code, raw := urban.do(t, "GET", api+"/"+a.Number+"?full=1", "", &got); code != http.StatusOK || got.Contact.Phone != woPhoneA {
			t.Fatalf("urban full view: %d %s", code, raw)
		}
		if code, raw := admin.do(t, "GET", api+"/"+b.Number+"?full=1", "", &got); code != http.StatusOK || got.Contact.Phone != woPhoneB {
			t.Fatalf("admin session full view: %d %s", code, raw)
		}
		entries := audit(t)[before:]
		if len(entries) != 2 || entries[0].Who != "department:urban" || entries[0].Number != a.Number ||
			entries[1].Who != "boss" || entries[1].Number != b.Number {
			t.Errorf("audit entries %+v, want department:urban for %s, then boss for %s", entries, a.Number, b.Number)
		}
	})

	t.Run("agent reads masked, moves nothing", func(t *testing.T) {
		if got := listed(t, agent, ""); !strings.Contains(got, a.Number) {
			t.Errorf("agent lists %s, want every order", got)
		}
		var e apiErr
		if code, _ := agent.do(t, "GET", api+"/"+a.Number+"?full=1", "", &e); code != http.StatusForbidden {
			t.Errorf("agent full view: %d, want 403", code)
		}
		for _, body := range []string{`{"status":"dispatched","department":"traffic"}`, `{"status":"in_progress"}`, `{"status":"returned","text":"不归我管"}`} {
			if code, _ := agent.do(t, "POST", api+"/"+a.Number+"/events", body, &e); code != http.StatusForbidden || e.Error.Code != "forbidden" {
				t.Errorf("agent POST %s: %d %+v, want 403 forbidden", body, code, e)
			}
		}
		// Nor does the knowledge base admin API serve agents.
		if code, _ := agent.do(t, "GET", baseURL(srv)+"/api/v1/kb/entries", "", nil); code != http.StatusForbidden {
			t.Errorf("agent on the knowledge base API: %d, want 403", code)
		}
	})

	t.Run("department works the order, citizen rates it", func(t *testing.T) {
		var e apiErr
		for _, body := range []string{`{"status":"dispatched","department":"traffic"}`, `{"status":"visited","rating":4}`} {
			if code, _ := urban.do(t, "POST", api+"/"+a.Number+"/events", body, &e); code != http.StatusForbidden || e.Error.Code != "forbidden" {
				t.Errorf("urban POST %s: %d %+v, want 403 forbidden", body, code, e)
			}
		}
		if code, _ := urban.do(t, "GET", baseURL(srv)+"/api/v1/kb/misses", "", nil); code != http.StatusForbidden {
			t.Errorf("urban on the knowledge base API: %d, want 403", code)
		}
		long := fmt.Sprintf(`{"status":"in_progress","by":%q}`, strings.Repeat("长", 65))
		if code, _ := urban.do(t, "POST", api+"/"+a.Number+"/events", long, &e); code != http.StatusBadRequest || e.Error.Code != "invalid" {
			t.Errorf("a by of 65 characters: %d %+v, want 400 invalid", code, e)
		}
		o := post(t, urban, a.Number, `{"status":"in_progress","by":"李科员"}`, http.StatusOK)
		if o.Status != "in_progress" || o.History[len(o.History)-1].By != "department:urban/李科员" {
			t.Errorf("in_progress: %+v, want it by department:urban/李科员", o)
		}
		o = post(t, urban, a.Number, `{"status":"finished","text":"已责令工地停止夜间施工"}`, http.StatusOK)
		if o.Status != "finished" || o.History[len(o.History)-1].By != "department:urban" {
			t.Errorf("finished: %+v", o)
		}
		// The citizen gets the reply with the satisfaction question.
		frames := citizen.Until(wait, func(f widgettest.Frame) bool {
			return f.Type == "message" && f.From == "bot" && strings.Contains(f.Text, "已责令工地停止夜间施工")
		})
		if got := frames[len(frames)-1]; !strings.Contains(got.Text, a.Number) || len(got.Options) != 4 {
			t.Errorf("the citizen got %+v, want the number, the reply and four ratings", got)
		}
		citizen.Ask("r1", "不满意")
		citizen.BotReplyTo(wait, "不满意")
		if got, err := svc.Get(ctx, a.Number); err != nil || got.Status != workorder.Reopened {
			t.Fatalf("after 不满意 the order is %s, %v; want reopened", got.Status, err)
		}
		// Back with the dispatchers: not urban's until dispatched again.
		if code, _ := urban.do(t, "GET", api+"/"+a.Number, "", nil); code != http.StatusNotFound {
			t.Errorf("urban GET a reopened order: %d, want 404", code)
		}
		post(t, supervisor, a.Number, `{"status":"dispatched"}`, http.StatusOK)
		post(t, urban, a.Number, `{"status":"returned","text":"经核实不属于本单位职责"}`, http.StatusOK)
		if got := listed(t, urban, ""); got != "" {
			t.Errorf("urban still lists %s after returning it", got)
		}
	})
}

// TestAdminWithoutTokenServesAdminSessions: without an admin token the
// knowledge base API refuses bearer tokens and serves signed-in admins.
func TestAdminWithoutTokenServesAdminSessions(t *testing.T) {
	srv := startAdminServer(t, t.TempDir(), "")
	api := baseURL(srv) + "/api/v1/kb/entries"
	var e apiErr
	if code := call(t, "GET", api, "anything-at-all-123", "", &e); code != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
		t.Errorf("a bearer token: %d %+v, want 401 unauthorized", code, e)
	}
	var list struct{ Count int }
	if code, raw := signedIn(t, srv, "boss", "admin").do(t, "GET", api, "", &list); code != http.StatusOK || list.Count == 0 {
		t.Errorf("admin session: %d %.200s, want the entries", code, raw)
	}
	if code, _ := signedIn(t, srv, "sup1", "supervisor").do(t, "GET", api, "", nil); code != http.StatusForbidden {
		t.Errorf("supervisor session: %d, want 403", code)
	}
}

// TestDepartmentTokensRefused: bad department_tokens stop the server
// before it starts, naming the entry and never showing the token.
func TestDepartmentTokensRefused(t *testing.T) {
	t.Parallel()
	long := "a-secret-token-of-enough-length-0123"
	tests := []struct{ name, tokens, want string }{
		{"no colon", "urban" + long, "entry 1: want code:token"},
		{"short token", "urban:" + long + ",traffic:short-secret-123", "entry 2 (traffic): the token must be at least 32"},
		{"bad code", "Urban Office:" + long, "entry 1: the part before ':' is not a department code"},
		{"swapped", long + ":urban", "entry 1: the part before ':' is not a department code"},
		{"shared token", "urban:" + long + ",traffic:other-token-0123456789abcdefghij,health:" + long, "entry 1 (urban) and entry 3 (health) have the same token"},
		{"unknown department", "urban:" + long + ",ministry:" + long + "x", "entry 2 (ministry): no such department"},
		{"admin token", "urban:" + adminToken + "-long-enough-now", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", DepartmentTokens: tt.tokens}
			want := tt.want
			if tt.name == "admin token" {
				cfg.AdminToken = adminToken + "-long-enough-now"
				want = "entry 1 (urban) is the admin token"
			}
			_, err := server.New(cfg)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("New = %v, want an error with %q", err, want)
			}
			if strings.Contains(err.Error(), long) || strings.Contains(err.Error(), "short-secret") || strings.Contains(err.Error(), adminToken) {
				t.Errorf("the error shows a token: %v", err)
			}
		})
	}
	// The same from the environment, as `hotline serve` reads it.
	env := map[string]string{"HOTLINE_DEPARTMENT_TOKENS": "urban:short"}
	if _, err := server.LoadConfig("test", nil, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "department_tokens: entry 1 (urban)") {
		t.Errorf("LoadConfig = %v, want the entry named", err)
	}
	for _, tc := range []struct{ url, secret, want string }{
		{"ftp://wo.example.gov.cn/in", "a-secret-of-16-chars", "workorder_webhook_url"},
		{"https://wo.example.gov.cn/in", "short", "workorder_webhook_secret"},
	} {
		env := map[string]string{"HOTLINE_WORKORDER_WEBHOOK_URL": tc.url, "HOTLINE_WORKORDER_WEBHOOK_SECRET": tc.secret}
		if _, err := server.LoadConfig("test", nil, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("webhook %s: LoadConfig = %v, want an error about %s", tc.url, err, tc.want)
		}
	}
}

// TestWorkOrderWebhookServes: with workorder_webhook_url set, the server
// sends every work order change, signed, with the full order, to the
// city's work-order system, and stops sending on shutdown.
func TestWorkOrderWebhookServes(t *testing.T) {
	const secret = "test-webhook-secret-0123456789"
	var (
		mu  sync.Mutex
		got []workorder.Delivery
		bad []string
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		sig := workorder.SignWebhook(secret, r.Header.Get("X-Hotline-Timestamp"), body)
		var d workorder.Delivery
		if !hmac.Equal([]byte(sig), []byte(r.Header.Get("X-Hotline-Signature"))) || json.Unmarshal(body, &d) != nil ||
			r.Header.Get("Idempotency-Key") != fmt.Sprintf("workorder:%d", d.Seq) {
			bad = append(bad, string(body))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got = append(got, d)
	}))
	defer receiver.Close()
	dir := t.TempDir()
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: dir, KBDir: "../kb-data",
		AdminToken: adminToken, WorkOrderWebhookURL: receiver.URL, WorkOrderWebhookSecret: secret})
	o, err := srv.WorkOrders().Create(context.Background(), workorder.Draft{AppealType: workorder.Help,
		Summary: "社保卡丢失不知道去哪里补办", Contact: workorder.Contact{Phone: woPhoneB}})
	if err != nil {
		t.Fatal(err)
	}
	if code := call(t, "POST", baseURL(srv)+"/api/v1/workorders/"+o.Number+"/events", adminToken, `{"status":"dispatched","department":"social_security"}`, nil); code != http.StatusOK {
		t.Fatalf("dispatch: %d", code)
	}
	eventually(t, 10*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(got) < 2 {
			return fmt.Errorf("%d deliveries, %d bad", len(got), len(bad))
		}
		return nil
	})
	mu.Lock()
	if len(bad) > 0 || len(got) != 2 || got[0].Change.Kind != "created" || got[1].Change.Status != workorder.Dispatched ||
		got[1].Order == nil || got[1].Order.Contact.Phone != woPhoneB || got[1].Order.Department != "social_security" {
		t.Errorf("deliveries %+v (bad %v), want created then dispatched with the full order", got, bad)
	}
	mu.Unlock()
	stopTestServer(t, srv)
	st, err := server.OpenStore(context.Background(), server.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if cur, err := workorder.WebhookCursor(context.Background(), st); err != nil || cur != 2 {
		t.Errorf("cursor after shutdown = %d, %v; want 2", cur, err)
	}
}
