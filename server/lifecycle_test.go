package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/workorder"
)

const (
	lifecycleAdmin      = "admin-token-for-the-lifecycle-test-0123456789"
	lifecycleUrbanToken = "urban-department-token-0123456789abcdef"
)

// TestWorkOrderLifecycle is the whole life of an appeal as the people
// involved see it: the bot takes a complaint down in the chat and the
// citizen confirms it; a dispatcher sends it to a department; the
// department works on it and replies through its own API; the citizen
// gets the reply and rates it 不满意, which reopens it; and the city's
// work-order system receives every change, in order, signed.
func TestWorkOrderLifecycle(t *testing.T) {
	var (
		mu       sync.Mutex
		received []workorder.Delivery
	)
	const secret = "webhook-secret-0123456789"
	city := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if workorder.SignWebhook(secret, r.Header.Get("X-Hotline-Timestamp"), body) != r.Header.Get("X-Hotline-Signature") {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var d workorder.Delivery
		if err := json.Unmarshal(body, &d); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		received = append(received, d)
		mu.Unlock()
	}))
	defer city.Close()

	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		AdminToken: lifecycleAdmin, DepartmentTokens: "urban:" + lifecycleUrbanToken,
		WorkOrderWebhookURL: city.URL, WorkOrderWebhookSecret: secret})
	base := baseURL(srv)

	// The bot takes the complaint down.
	c := widgettest.Dial(t, base)
	c.Hello("", 0)
	c.Next(wait)
	say := func(id, text string) widgettest.Frame {
		t.Helper()
		c.Ask(id, text)
		return lastOf(c.BotReplyTo(wait, text))
	}
	r := say("1", "投诉！青山区建设路18号门口路灯坏了半个多月一直没人来修，反映了好几次都不管")
	for i := 0; !strings.Contains(r.Text, "请您核对登记内容") && i < 6; i++ {
		switch {
		case strings.Contains(r.Text, "联系电话"):
			r = say(fmt.Sprint("p", i), "13812345678")
		case strings.Contains(r.Text, "怎么称呼"):
			r = say(fmt.Sprint("n", i), "王女士")
		case slices.Contains(r.Options, "跳过"):
			r = say(fmt.Sprint("s", i), "跳过")
		case slices.Contains(r.Options, "不涉及"):
			r = say(fmt.Sprint("w", i), "青山区建设路18号")
		default:
			t.Fatalf("unexpected intake question %q %v", r.Text, r.Options)
		}
	}
	if !strings.Contains(r.Text, "13812345678") || !strings.Contains(r.Text, "建设路18号") || !strings.Contains(r.Text, "王女士") {
		t.Fatalf("summary = %q", r.Text)
	}
	r = say("ok", "确认提交")
	number := regexp.MustCompile(`\d{8}-\d{6}`).FindString(r.Text)
	if number == "" {
		t.Fatalf("确认提交 → %q, want the order number", r.Text)
	}

	// The dispatcher sends it to the urban department.
	post(t, base+"/api/v1/workorders/"+number+"/events", lifecycleAdmin, `{"status":"dispatched","department":"urban"}`, http.StatusOK)

	// The department sees it in its list, works on it and replies.
	var list struct {
		Orders []struct {
			Number  string `json:"number"`
			Status  string `json:"status"`
			Contact struct {
				Phone string `json:"phone"`
			} `json:"contact"`
		} `json:"workorders"`
	}
	getJSON(t, base+"/api/v1/workorders", lifecycleUrbanToken, &list)
	if len(list.Orders) != 1 || list.Orders[0].Number != number || list.Orders[0].Status != "dispatched" {
		t.Fatalf("the department's list = %+v, want the dispatched order", list.Orders)
	}
	if p := list.Orders[0].Contact.Phone; strings.Contains(p, "12345678") || p == "" {
		t.Errorf("the list shows the phone as %q, want it masked", p)
	}
	post(t, base+"/api/v1/workorders/"+number+"/events", lifecycleUrbanToken, `{"status":"in_progress","by":"张工"}`, http.StatusOK)
	post(t, base+"/api/v1/workorders/"+number+"/events", lifecycleUrbanToken,
		`{"status":"finished","text":"经核查，该路灯线路老化，已于今日更换修复。","by":"张工"}`, http.StatusOK)

	// The citizen gets the reply and is asked to rate it.
	result := lastOf(c.Until(wait, func(f widgettest.Frame) bool {
		return f.Type == "message" && strings.Contains(f.Text, "已于今日更换修复")
	}))
	if !strings.Contains(result.Text, number) || !slices.Contains(result.Options, "不满意") {
		t.Fatalf("result message = %+v, want the number, the reply and the rating options", result)
	}
	if r := say("rate", "不满意"); !strings.Contains(r.Text, "重新办理") {
		t.Errorf("reply to 不满意 = %q", r.Text)
	}
	var o struct {
		Status  string `json:"status"`
		History []struct {
			Status string `json:"status"`
			By     string `json:"by"`
		} `json:"history"`
	}
	getJSON(t, base+"/api/v1/workorders/"+number, lifecycleAdmin, &o)
	var steps []string
	for _, h := range o.History {
		steps = append(steps, h.Status)
	}
	want := []string{"accepted", "dispatched", "in_progress", "finished", "visited", "reopened"}
	if o.Status != "reopened" || !slices.Equal(steps, want) {
		t.Errorf("order status %s, history %v; want reopened after %v", o.Status, steps, want)
	}

	// The city's system got every change once, in order, with the contact.
	eventually(t, 10*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		var got []string
		for i, d := range received {
			if d.Change.Number != number || d.Order == nil {
				return fmt.Errorf("delivery %d = %+v", i, d)
			}
			if i > 0 && d.Seq != received[i-1].Seq+1 {
				return fmt.Errorf("deliveries out of order: seq %d after %d", d.Seq, received[i-1].Seq)
			}
			got = append(got, string(d.Change.Status))
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("the city's system received %v, want %v", got, want)
		}
		if received[0].Order.Contact.Phone != "13812345678" {
			return fmt.Errorf("the city's system got phone %q, want the full number", received[0].Order.Contact.Phone)
		}
		return nil
	})
}

// post sends a JSON body with a bearer token and checks the status.
func post(t *testing.T, url, token, body string, want int) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s %s → %d %s, want %d", url, body, resp.StatusCode, data, want)
	}
	return data
}

// getJSON GETs url with a bearer token and decodes a 200 answer into v.
func getJSON(t *testing.T, url, token string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s → %d %s", url, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, data)
	}
}
