package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"github.com/hotline12345/hotline/internal/agenttest"
	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/internal/wstest"
	"github.com/hotline12345/hotline/server"
)

const appSecret = "app-backend-secret-0123456789abcdef"

// appToken mints the app backend's token for user.
func appToken(t testing.TB, user, phone string) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{"sub": user, "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	if phone != "" {
		claims["phone"] = phone
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString([]byte(appSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakePush is the app's push service: it fails the first fail requests,
// then accepts, and records what it accepted by idempotency key.
type fakePush struct {
	mu       sync.Mutex
	fail     int
	calls    int
	accepted map[string][]string // idempotency key → bodies accepted
}

func (p *fakePush) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.fail > 0 {
		p.fail--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	if r.Header.Get("X-Hotline-Signature") == "" {
		http.Error(w, "unsigned", http.StatusUnauthorized)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	p.accepted[key] = append(p.accepted[key], string(body))
	w.WriteHeader(http.StatusAccepted)
}

func (p *fakePush) deliveries() map[string][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string][]string{}
	for k, v := range p.accepted {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func startApp(t *testing.T, push *fakePush) *server.Server {
	t.Helper()
	ps := httptest.NewServer(push)
	t.Cleanup(ps.Close)
	return startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		ServiceHours: "24h", AppKeys: "k1:" + appSecret, AppPushURL: ps.URL, AppPushSecret: "push-secret-0123456789"})
}

// appDevice is one of the user's devices on /ws/app.
func appDevice(t *testing.T, srv *server.Server, token string) *widgettest.Client {
	t.Helper()
	c := &widgettest.Client{Client: wstest.Dial[widgettest.Frame](t, wstest.WSURL(baseURL(srv), "/ws/app"), nil)}
	c.Send(map[string]any{"type": "hello", "token": token})
	f := c.Next(10 * time.Second)
	if f.Type != "session" || f.Conversation == "" {
		t.Fatalf("hello answered %+v", f)
	}
	c.Conversation = f.Conversation
	return c
}

// appREST calls the REST API with the user's token.
func appREST(t *testing.T, srv *server.Server, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, baseURL(srv)+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAppDevicesShareOneConversation(t *testing.T) {
	srv := startApp(t, &fakePush{accepted: map[string][]string{}})
	token := appToken(t, "user-1001", "13812345678")
	phone := appDevice(t, srv, token)
	tablet := appDevice(t, srv, appToken(t, "user-1001", ""))
	if phone.Conversation != tablet.Conversation {
		t.Fatalf("two devices of one user got conversations %s and %s", phone.Conversation, tablet.Conversation)
	}
	phone.Ask("p1", "社保卡丢了怎么补办")
	phone.BotReplyTo(10*time.Second, "社保卡丢了怎么补办")
	// The tablet sees the question from the phone and the answer.
	tablet.BotReplyTo(10*time.Second, "社保卡丢了怎么补办")

	// The phone the app vouched for is taken: a message for a call back
	// needs none typed.
	phone.Ask("p2", "留言")
	phone.BotReplyTo(10*time.Second, "留言")
	phone.Ask("p3", "小区门口的路灯坏了一周了")
	frames := phone.BotReplyTo(10*time.Second, "小区门口的路灯坏了一周了")
	if r := frames[len(frames)-1]; !strings.Contains(r.Text, "诉求已登记") {
		t.Errorf("message with the verified phone: bot said %q, want it recorded", r.Text)
	}

	// Another user has another conversation.
	other := appDevice(t, srv, appToken(t, "user-2002", ""))
	if other.Conversation == phone.Conversation {
		t.Error("two users share a conversation")
	}
}

func TestAppRefusesBadTokens(t *testing.T) {
	srv := startApp(t, &fakePush{accepted: map[string][]string{}})
	expired := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u", "iat": time.Now().Add(-time.Hour).Unix(), "exp": time.Now().Add(-30 * time.Minute).Unix()})
	expired.Header["kid"] = "k1"
	expiredToken, _ := expired.SignedString([]byte(appSecret))
	forged := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()})
	forged.Header["kid"] = "k1"
	forgedToken, _ := forged.SignedString([]byte("not-the-app-backend-secret-000000"))
	for name, token := range map[string]string{"expired": expiredToken, "forged": forgedToken, "garbage": "abc.def.ghi"} {
		if status, _ := appREST(t, srv, token, "GET", "/api/app/v1/messages", nil); status != http.StatusUnauthorized {
			t.Errorf("REST with a %s token: %d, want 401", name, status)
		}
		c := wstest.Dial[widgettest.Frame](t, wstest.WSURL(baseURL(srv), "/ws/app"), nil)
		c.Send(map[string]any{"type": "hello", "token": token})
		_, err := c.Read(10 * time.Second)
		if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 4401 {
			t.Errorf("WebSocket hello with a %s token: %v, want close 4401", name, err)
		}
	}
}

func TestAppRESTIsIdempotentAndPushesToAnAbsentUser(t *testing.T) {
	push := &fakePush{fail: 2, accepted: map[string][]string{}}
	srv := startApp(t, push)
	addAgent(t, srv, "li", "agent")
	agent := agentOnline(t, baseURL(srv), "li")

	token := appToken(t, "user-3003", "")
	status, first := appREST(t, srv, token, "POST", "/api/app/v1/messages", map[string]string{"id": "r1", "text": "转人工"})
	if status != http.StatusOK {
		t.Fatalf("POST message: %d %v", status, first)
	}
	_, again := appREST(t, srv, token, "POST", "/api/app/v1/messages", map[string]string{"id": "r1", "text": "转人工"})
	if first["seq"] != again["seq"] {
		t.Errorf("the same message id stored twice: seq %v then %v", first["seq"], again["seq"])
	}
	_, got := appREST(t, srv, token, "GET", "/api/app/v1/messages?after=0", nil)
	msgs, _ := got["messages"].([]any)
	n := 0
	for _, m := range msgs {
		if m.(map[string]any)["text"] == "转人工" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the transcript holds the message %d times", n)
	}

	// No device is connected: the agent's reply is pushed, exactly once,
	// though the push service fails twice first.
	offer := agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer" })
	conv := offer[len(offer)-1].Conversation
	agent.Send(map[string]any{"type": "accept", "conversation": conv})
	agent.Send(map[string]any{"type": "message", "conversation": conv, "id": "a1", "text": "您好，我是客服小李"})
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "ack" && f.ID == "a1" })
	var key string
	eventually(t, 30*time.Second, func() error {
		for k, bodies := range push.deliveries() {
			if strings.Contains(bodies[0], "您好，我是客服小李") {
				key = k
				return nil
			}
		}
		push.mu.Lock()
		defer push.mu.Unlock()
		return fmt.Errorf("agent reply not pushed yet (%d calls)", push.calls)
	})
	time.Sleep(200 * time.Millisecond)
	if bodies := push.deliveries()[key]; len(bodies) != 1 {
		t.Errorf("agent reply pushed %d times, want once", len(bodies))
	}
}

func TestAppMediaLimits(t *testing.T) {
	srv := startApp(t, &fakePush{accepted: map[string][]string{}})
	token := appToken(t, "user-4004", "")
	upload := func(data []byte, tok string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", baseURL(srv)+"/api/app/v1/media", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	status, out := upload(png, token)
	if status != http.StatusOK || out["id"] == nil {
		t.Fatalf("PNG upload: %d %v", status, out)
	}
	id := out["id"].(string)
	if status, _ := upload([]byte("GIF89a"+strings.Repeat("x", 100)), token); status != http.StatusUnsupportedMediaType {
		t.Errorf("GIF upload: %d, want 415", status)
	}
	big := append([]byte("\xff\xd8\xff"), make([]byte, 5<<20)...)
	if status, _ := upload(big, token); status != http.StatusRequestEntityTooLarge {
		t.Errorf("upload over 5 MiB: %d, want 413", status)
	}
	get := func(tok string) int {
		req, _ := http.NewRequest("GET", baseURL(srv)+"/api/app/v1/media/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(token); s != http.StatusOK {
		t.Errorf("the sender gets their image: %d", s)
	}
	if s := get(appToken(t, "user-5005", "")); s != http.StatusNotFound {
		t.Errorf("another user gets the image: %d, want 404", s)
	}
	// Agents see it when signed in, nobody else.
	addAgent(t, srv, "li", "agent")
	cookie := agenttest.Login(t, baseURL(srv), "li", agentPassword)
	for _, withCookie := range []bool{true, false} {
		req, _ := http.NewRequest("GET", baseURL(srv)+"/api/v1/media/"+id, nil)
		if withCookie {
			req.AddCookie(cookie)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := http.StatusUnauthorized
		if withCookie {
			want = http.StatusOK
		}
		if resp.StatusCode != want || (withCookie && !bytes.Equal(body, png)) {
			t.Errorf("agent media (signed in %v): %d, want %d", withCookie, resp.StatusCode, want)
		}
	}
}
