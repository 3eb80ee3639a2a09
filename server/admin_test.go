package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/server"
)

const adminToken = "test-admin-token-0123456789"

func startAdminServer(t *testing.T, dir, token string) *server.Server {
	t.Helper()
	return startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: dir, KBDir: "../kb-data", AdminToken: token})
}

// call sends an admin request and decodes the JSON answer into out.
func call(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if out != nil && buf.Len() > 0 {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			t.Fatalf("%s %s: answer %q is not JSON: %v", method, url, buf.String(), err)
		}
	}
	return resp.StatusCode
}

type apiErr struct {
	Error struct{ Code, Message string } `json:"error"`
}

const newEntry = `{
  "id": "civil_affairs-pet-cemetery",
  "question": "宠物去世后遗体怎么处理？",
  "similar": ["狗狗死了埋在哪里", "猫去世了怎么安葬", "宠物尸体能不能随便扔"],
  "answer": "请不要随意丢弃或掩埋宠物遗体。本市宠物无害化处理点位于青山区环园路8号，工作日9:00-17:00接收。",
  "department": "civil_affairs",
  "tags": ["宠物"],
  "keywords": ["宠物", "遗体", "无害化处理"],
  "source": {"title": "本市动物防疫管理办法", "number": "本农规〔2025〕2号", "url": "https://www.example.gov.cn/ny/2025-02.html"},
  "effective_from": "2025-01-01",
  "updated": "2026-11-01",
  "owner": "本市农业农村局"
}`

// ask sends a question in a fresh widget session and returns the reply.
func ask(t *testing.T, srv *server.Server, question string) widgettest.Frame {
	t.Helper()
	c := widgettest.Dial(t, baseURL(srv))
	c.Hello("", 0)
	c.Next(wait)
	c.Ask("q", question)
	return lastOf(c.BotReplyTo(wait, question))
}

// TestAdminEditsKnowledgeLive: an entry created, changed and retired
// through the admin API is answered (or not) at once, and survives a
// restart.
func TestAdminEditsKnowledgeLive(t *testing.T) {
	dir := t.TempDir()
	srv := startAdminServer(t, dir, adminToken)
	api := baseURL(srv) + "/api/v1/kb/entries"

	if got := ask(t, srv, "宠物去世后遗体怎么处理"); strings.Contains(got.Text, "无害化处理点") {
		t.Fatal("the entry is answered before it exists")
	}
	var created struct{ Version int64 }
	if code := call(t, "POST", api, adminToken, newEntry, &created); code != http.StatusCreated || created.Version == 0 {
		t.Fatalf("create = %d %+v, want 201 with a version", code, created)
	}
	if got := ask(t, srv, "宠物去世后遗体怎么处理"); !strings.Contains(got.Text, "环园路8号") {
		t.Errorf("after create, the question gets %q, want the new answer", got.Text)
	}

	changed := strings.Replace(newEntry, "环园路8号", "滨江路66号", 1)
	if code := call(t, "PUT", api+"/civil_affairs-pet-cemetery", adminToken, changed, nil); code != http.StatusOK {
		t.Fatalf("update = %d, want 200", code)
	}
	if got := ask(t, srv, "宠物去世后遗体怎么处理"); !strings.Contains(got.Text, "滨江路66号") {
		t.Errorf("after update, the answer is %q, want the changed one", got.Text)
	}

	// A restart keeps the edit (it was saved in the store, not in kb-data).
	stopTestServer(t, srv)
	srv = startAdminServer(t, dir, adminToken)
	api = baseURL(srv) + "/api/v1/kb/entries"
	if got := ask(t, srv, "宠物去世后遗体怎么处理"); !strings.Contains(got.Text, "滨江路66号") {
		t.Errorf("after a restart, the answer is %q, want the edited one", got.Text)
	}

	if code := call(t, "DELETE", api+"/civil_affairs-pet-cemetery", adminToken, "", nil); code != http.StatusOK {
		t.Fatalf("retire = %d, want 200", code)
	}
	if got := ask(t, srv, "宠物去世后遗体怎么处理"); strings.Contains(got.Text, "滨江路66号") {
		t.Error("a retired entry is still answered")
	}
	var e apiErr
	if code := call(t, "GET", api+"/civil_affairs-pet-cemetery", adminToken, "", &e); code != http.StatusNotFound {
		t.Errorf("get retired = %d, want 404", code)
	}
}

// TestAdminRefusesBadRequests: bad input gets a clear error and changes
// nothing.
func TestAdminRefusesBadRequests(t *testing.T) {
	srv := startAdminServer(t, t.TempDir(), adminToken)
	api := baseURL(srv) + "/api/v1/kb/entries"
	var before struct{ Count int }
	call(t, "GET", api, adminToken, "", &before)
	if before.Count < 60 {
		t.Fatalf("list has %d entries, want the seed", before.Count)
	}
	existing := strings.Replace(newEntry, `"宠物去世后遗体怎么处理？"`, `"社保卡丢了怎么挂失和补办？"`, 1)
	tests := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"no token", "GET", "", "", "", 401, "unauthorized"},
		{"wrong token", "GET", "", "wrong-token-wrong-token", "", 401, "unauthorized"},
		{"not JSON", "POST", "", adminToken, "{", 400, "bad_json"},
		{"unknown field", "POST", "", adminToken, `{"id":"x-y","questoin":"?"}`, 400, "bad_json"},
		{"missing answer", "POST", "", adminToken, strings.Replace(newEntry, `"answer"`, `"owner2"`, 1), 400, "bad_json"},
		{"invalid department", "POST", "", adminToken, strings.Replace(newEntry, `"civil_affairs",`, `"Civil Affairs!",`, 1), 422, "invalid"},
		{"bad date", "POST", "", adminToken, strings.Replace(newEntry, "2025-01-01", "2025-13-01", 1), 422, "invalid"},
		{"duplicate question", "POST", "", adminToken, existing, 422, "invalid"},
		{"id exists", "POST", "", adminToken, strings.Replace(newEntry, "civil_affairs-pet-cemetery", "social_security-card-lost", 1), 409, "exists"},
		{"update unknown", "PUT", "/nope-nope", adminToken, newEntry, 400, "id_mismatch"},
		{"update unknown id", "PUT", "/civil_affairs-pet-cemetery", adminToken, newEntry, 404, "not_found"},
		{"retire unknown", "DELETE", "/nope-nope", adminToken, "", 404, "not_found"},
		{"too large", "POST", "", adminToken, `{"answer":"` + strings.Repeat("长", 300<<10) + `"}`, 400, "bad_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e apiErr
			if code := call(t, tt.method, api+tt.path, tt.token, tt.body, &e); code != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("= %d %+v, want %d %s with a message", code, e, tt.status, tt.code)
			}
		})
	}
	var after struct{ Count int }
	call(t, "GET", api, adminToken, "", &after)
	if after.Count != before.Count {
		t.Errorf("refused requests changed the entry count from %d to %d", before.Count, after.Count)
	}
}

func TestAdminMisses(t *testing.T) {
	srv := startAdminServer(t, t.TempDir(), adminToken)
	ask(t, srv, "红烧肉怎么做才好吃")
	var got struct {
		Misses []struct {
			Query string
			Count int
			Last  time.Time
		}
	}
	if code := call(t, "GET", baseURL(srv)+"/api/v1/kb/misses?limit=5", adminToken, "", &got); code != 200 {
		t.Fatalf("misses = %d", code)
	}
	if len(got.Misses) != 1 || got.Misses[0].Query != "红烧肉怎么做才好吃" || got.Misses[0].Count != 1 {
		t.Errorf("misses = %+v, want the unanswered question once", got.Misses)
	}
	var e apiErr
	if code := call(t, "GET", baseURL(srv)+"/api/v1/kb/misses?limit=0", adminToken, "", &e); code != 400 {
		t.Errorf("limit=0 = %d, want 400", code)
	}
}
