package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/workorder"
)

// Contact details of the test orders, which must never appear in full in a
// list or a masked view.
const (
	woPhoneA = "13812345678"
	woPhoneB = "13900001111"
	woIDCard = "110101199003071234"
)

// apiOrder is the part of a work order the tests read.
type apiOrder struct {
	Number     string `json:"number"`
	Status     string `json:"status"`
	Label      string `json:"status_label"`
	Department string `json:"department"`
	Reply      string `json:"reply"`
	Rating     int    `json:"rating"`
	Overdue    *bool  `json:"overdue"`
	Contact    struct {
		Name, Phone string
	} `json:"contact"`
	History []struct {
		Status, By, Text string
		Rating           int
	} `json:"history"`
}

// woCall is call with the raw answer too, for checks that no full number
// appears anywhere in it.
func woCall(t *testing.T, method, url, token, body string, out any) (int, string) {
	t.Helper()
	var raw json.RawMessage
	code := call(t, method, url, token, body, &raw)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return code, string(raw)
}

// TestWorkOrderAPI: staff list, show and move work orders over the admin
// API; phone and ID numbers are masked except in an audited full view.
func TestWorkOrderAPI(t *testing.T) {
	srv := startAdminServer(t, t.TempDir(), adminToken)
	svc := srv.WorkOrders()
	if svc == nil {
		t.Fatal("the server has no work order service")
	}
	ctx := context.Background()
	create := func(d workorder.Draft) workorder.WorkOrder {
		t.Helper()
		o, err := svc.Create(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	a := create(workorder.Draft{AppealType: workorder.Complaint, Summary: "小区门口夜间施工噪音扰民，我的身份证号" + woIDCard,
		Address: "幸福路12号", Contact: workorder.Contact{Name: "张三", Phone: woPhoneA}, Suggested: workorder.Suggested{Department: "urban", Confidence: 0.8}})
	b := create(workorder.Draft{AppealType: workorder.Help, Summary: "社保卡丢失不知道去哪里补办", Contact: workorder.Contact{Phone: woPhoneB}})
	c := create(workorder.Draft{AppealType: workorder.Suggestion, Summary: "建议公交12路延长末班车时间", Contact: workorder.Contact{Phone: woPhoneB}})
	if _, err := svc.Dispatch(ctx, a.Number, "", "dispatcher", ""); err != nil {
		t.Fatal(err)
	}

	api := baseURL(srv) + "/api/v1/workorders"
	list := func(t *testing.T, query string) []apiOrder {
		t.Helper()
		var got struct{ Workorders []apiOrder }
		code, raw := woCall(t, "GET", api+query, adminToken, "", &got)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", query, code, raw)
		}
		for _, secret := range []string{woPhoneA, woPhoneB, woIDCard, "张三"} {
			if strings.Contains(raw, secret) {
				t.Errorf("GET %s shows %s in full: %s", query, secret, raw)
			}
		}
		return got.Workorders
	}
	numbers := func(orders []apiOrder) string {
		var ns []string
		for _, o := range orders {
			ns = append(ns, o.Number)
		}
		return strings.Join(ns, ",")
	}
	auditEntries := func(t *testing.T) []server.AuditEntry {
		t.Helper()
		entries, err := srv.Store().ReadLog(ctx, "audit", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]server.AuditEntry, len(entries))
		for i, e := range entries {
			if err := json.Unmarshal(e.Data, &out[i]); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}

	t.Run("auth", func(t *testing.T) {
		for _, token := range []string{"", "wrong-token-0123456789"} {
			var e apiErr
			if code := call(t, "GET", api, token, "", &e); code != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
				t.Errorf("token %q: %d %+v, want 401 unauthorized", token, code, e)
			}
			if code := call(t, "POST", api+"/"+b.Number+"/events", token, `{"status":"dispatched","department":"x"}`, nil); code != http.StatusUnauthorized {
				t.Errorf("POST with token %q: %d, want 401", token, code)
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		// Dates of the orders' creation, robust to a test run across midnight.
		day := func(o workorder.WorkOrder, d int) string {
			return o.Created.In(woZone()).AddDate(0, 0, d).Format(time.DateOnly)
		}
		for _, tc := range []struct{ query, want string }{
			{"", c.Number + "," + b.Number + "," + a.Number}, // newest first
			{"?limit=2", c.Number + "," + b.Number},
			{"?status=dispatched", a.Number},
			{"?status=accepted", c.Number + "," + b.Number},
			{"?department=urban", a.Number},
			{"?department=nowhere", ""},
			{"?from=" + day(a, 0) + "&to=" + day(c, 0), c.Number + "," + b.Number + "," + a.Number}, // to is inclusive
			{"?from=" + day(c, 1), ""},
			{"?to=" + day(a, -1), ""},
			{"?status=accepted&from=" + day(a, -3) + "&limit=1", c.Number},
		} {
			if got := numbers(list(t, tc.query)); got != tc.want {
				t.Errorf("GET %q: %s, want %s", tc.query, got, tc.want)
			}
		}
		all := list(t, "")
		if o := all[2]; o.Contact.Phone != "138****5678" || o.Contact.Name != "张*" || o.Label != "已派单" || o.Overdue == nil || *o.Overdue {
			t.Errorf("listed order %+v: want a masked contact, the label and overdue false", o)
		}
		for _, q := range []string{"?status=closed", "?from=2026-13-01", "?from=2026-11-02&to=2026-11-01", "?limit=0", "?limit=1001", "?limit=x"} {
			var e apiErr
			if code := call(t, "GET", api+q, adminToken, "", &e); code != http.StatusBadRequest || e.Error.Code == "" {
				t.Errorf("GET %q: %d %+v, want 400 with a code", q, code, e)
			}
		}
	})

	t.Run("show", func(t *testing.T) {
		before := len(auditEntries(t))
		var got apiOrder
		code, raw := woCall(t, "GET", api+"/"+a.Number, adminToken, "", &got)
		if code != http.StatusOK || got.Number != a.Number || got.Contact.Phone != "138****5678" {
			t.Fatalf("show: %d %s", code, raw)
		}
		if strings.Contains(raw, woPhoneA) || strings.Contains(raw, woIDCard) || !strings.Contains(raw, "[号码]") {
			t.Errorf("masked show: %s", raw)
		}
		if n := len(auditEntries(t)); n != before {
			t.Errorf("a masked view wrote %d audit entries", n-before)
		}

		start := time.Now()
		code, raw = woCall(t, "GET", api+"/"+a.Number+"?full=1", adminToken, "", &got)
		if code != http.StatusOK || got.Contact.Phone != woPhoneA || got.Contact.Name != "张三" || !strings.Contains(raw, woIDCard) {
			t.Fatalf("full show: %d %s", code, raw)
		}
		entries := auditEntries(t)
		if len(entries) != before+1 {
			t.Fatalf("audit log %+v: want one entry more than %d", entries, before)
		}
		e := entries[len(entries)-1]
		if e.Who != "admin" || e.Number != a.Number || e.Action == "" || e.Time.Before(start.Add(-time.Second)) {
			t.Errorf("audit entry %+v: want who admin, number %s, an action and the time", e, a.Number)
		}

		for _, n := range []string{"20200101-000999", "not-a-number"} {
			var e apiErr
			if code := call(t, "GET", api+"/"+n, adminToken, "", &e); code != http.StatusNotFound || e.Error.Code != "not_found" {
				t.Errorf("GET %s: %d %+v, want 404 not_found", n, code, e)
			}
		}
		if n := len(auditEntries(t)); n != before+1 {
			t.Errorf("unknown numbers wrote %d audit entries", n-before-1)
		}
	})

	t.Run("lifecycle", func(t *testing.T) {
		post := func(number, body string, want int) apiOrder {
			t.Helper()
			var got apiOrder
			code, raw := woCall(t, "POST", api+"/"+number+"/events", adminToken, body, &got)
			if code != want {
				t.Fatalf("POST %s: %d %s, want %d", body, code, raw, want)
			}
			if strings.Contains(raw, woPhoneA) || strings.Contains(raw, woIDCard) {
				t.Errorf("POST %s answers a full number: %s", body, raw)
			}
			return got
		}
		// b was never dispatched: dispatching it needs a department.
		var e apiErr
		if code := call(t, "POST", api+"/"+b.Number+"/events", adminToken, `{"status":"dispatched"}`, &e); code != http.StatusBadRequest || e.Error.Code != "invalid" {
			t.Errorf("dispatch without a department: %d %+v, want 400 invalid", code, e)
		}
		o := post(b.Number, `{"status":"dispatched","department":"social_security","by":"dispatcher1"}`, http.StatusOK)
		if o.Status != "dispatched" || o.Department != "social_security" || o.History[len(o.History)-1].By != "dispatcher1" {
			t.Errorf("dispatched: %+v", o)
		}

		o = post(a.Number, `{"status":"in_progress","by":"城管局"}`, http.StatusOK)
		if o.Status != "in_progress" || o.Label != "办理中" {
			t.Errorf("in_progress: %+v", o)
		}
		o = post(a.Number, `{"status":"finished","text":"已责令停止夜间施工，并已电话联系`+woPhoneA+`","by":"城管局"}`, http.StatusOK)
		if o.Status != "finished" || !strings.HasPrefix(o.Reply, "已责令停止夜间施工") || !strings.Contains(o.Reply, "[号码]") {
			t.Errorf("finished: %+v", o)
		}
		o = post(a.Number, `{"status":"visited","rating":1,"text":"噪音还在"}`, http.StatusOK)
		if o.Status != "visited" || o.Rating != 1 || o.History[len(o.History)-1].By != "admin" {
			t.Errorf("visited: %+v", o)
		}
		o = post(a.Number, `{"status":"reopened","text":"不满意，重新办理"}`, http.StatusOK)
		if o.Status != "reopened" || o.Rating != 0 {
			t.Errorf("reopened: %+v", o)
		}
		var statuses []string
		for _, h := range o.History {
			statuses = append(statuses, h.Status)
		}
		if got := strings.Join(statuses, " "); got != "accepted dispatched in_progress finished visited reopened" {
			t.Errorf("history %s", got)
		}
		stored, err := svc.Get(ctx, a.Number)
		if err != nil || stored.Status != workorder.Reopened || !strings.Contains(stored.Reply, woPhoneA) {
			t.Errorf("stored order %+v, %v: want reopened with the full reply kept", stored, err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		big := fmt.Sprintf(`{"status":"finished","text":%q}`, strings.Repeat("长", 6000))
		for _, tc := range []struct {
			number, body string
			status       int
			code         string
		}{
			{c.Number, `{"status":"finished","text":"已办"}`, http.StatusConflict, "transition"},
			{a.Number, `{"status":"reopened"}`, http.StatusConflict, "transition"},
			{c.Number, `{"status":"closed"}`, http.StatusBadRequest, "bad_status"},
			{c.Number, `{"status":"accepted"}`, http.StatusBadRequest, "bad_status"},
			{c.Number, `{"status":"dispatched","department":"transport","colour":"red"}`, http.StatusBadRequest, "bad_json"},
			{c.Number, `{"status":`, http.StatusBadRequest, "bad_json"},
			{c.Number, big, http.StatusBadRequest, "bad_json"},
			{c.Number, `{"status":"visited","rating":5}`, http.StatusBadRequest, "invalid"},
			{c.Number, `{"status":"in_progress","rating":3}`, http.StatusBadRequest, "invalid"},
			{c.Number, `{"status":"in_progress","department":"transport"}`, http.StatusBadRequest, "invalid"},
			{"20200101-000999", `{"status":"in_progress"}`, http.StatusNotFound, "not_found"},
		} {
			var e apiErr
			if code := call(t, "POST", api+"/"+tc.number+"/events", adminToken, tc.body, &e); code != tc.status || e.Error.Code != tc.code {
				t.Errorf("POST %.60s: %d %+v, want %d %s", tc.body, code, e, tc.status, tc.code)
			}
		}
		var e apiErr
		call(t, "POST", api+"/"+c.Number+"/events", adminToken, `{"status":"finished","text":"已办"}`, &e)
		if !strings.Contains(e.Error.Message, "accepted") || !strings.Contains(e.Error.Message, "finished") {
			t.Errorf("409 message %q does not name the two statuses", e.Error.Message)
		}
		if o, err := svc.Get(ctx, c.Number); err != nil || o.Status != workorder.Accepted || len(o.History) != 1 {
			t.Errorf("refused changes changed the order: %+v, %v", o, err)
		}
	})
}

// woZone is the hotline's time zone, of the dates of the list filters.
func woZone() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}
