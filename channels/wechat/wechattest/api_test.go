package wechattest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// api is a minimal client of the fake's endpoints.
type api struct {
	t    *testing.T
	base string
	c    *http.Client
}

func startAPI(t *testing.T, p *Platform) api {
	srv := p.Server()
	t.Cleanup(srv.Close)
	return api{t, srv.URL, srv.Client()}
}

type apiResult struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	status      int
}

func (a api) do(method, path string, q url.Values, body string) apiResult {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path+"?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r apiResult
	_ = json.NewDecoder(resp.Body).Decode(&r)
	r.status = resp.StatusCode
	return r
}

func (a api) token(appID, secret string) apiResult {
	a.t.Helper()
	return a.do(http.MethodGet, PathToken, url.Values{"grant_type": {"client_credential"}, "appid": {appID}, "secret": {secret}}, "")
}

func (a api) mustToken(p *Platform) string {
	a.t.Helper()
	r := a.token(p.Config().AppID, p.Config().Secret)
	if r.AccessToken == "" || r.ExpiresIn != int(p.Config().TokenTTL/time.Second) || r.ErrCode != 0 {
		a.t.Fatalf("token = %+v", r)
	}
	return r.AccessToken
}

func (a api) send(token, to, content string) int {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"touser": to, "msgtype": "text", "text": map[string]string{"content": content}})
	r := a.do(http.MethodPost, PathSend, url.Values{"access_token": {token}}, string(body))
	if r.ErrMsg != errmsgs[r.ErrCode] {
		a.t.Errorf("errcode %d with errmsg %q", r.ErrCode, r.ErrMsg)
	}
	return r.ErrCode
}

// writes makes openID send a message through a callback.
func writes(p *Platform, openID string) { p.Callback(Safe, p.Text(openID, "hi")).Request("/") }

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	a := startAPI(t, p)
	cfg := p.Config()
	for _, c := range []struct {
		name        string
		q           url.Values
		method      string
		code        int
		errmsg      string
		issuesToken bool
	}{
		{"ok", url.Values{"grant_type": {"client_credential"}, "appid": {cfg.AppID}, "secret": {cfg.Secret}}, "GET", 0, "", true},
		{"wrong appid", url.Values{"grant_type": {"client_credential"}, "appid": {"wxnope"}, "secret": {cfg.Secret}}, "GET", 40013, "invalid appid", false},
		{"wrong secret", url.Values{"grant_type": {"client_credential"}, "appid": {cfg.AppID}, "secret": {"nope"}}, "GET", 40125, "invalid appsecret", false},
		{"no secret", url.Values{"grant_type": {"client_credential"}, "appid": {cfg.AppID}}, "GET", 41004, "appsecret missing", false},
		{"no appid", url.Values{"grant_type": {"client_credential"}, "secret": {cfg.Secret}}, "GET", 41002, "appid missing", false},
		{"grant type", url.Values{"grant_type": {"password"}, "appid": {cfg.AppID}, "secret": {cfg.Secret}}, "GET", 40002, "invalid grant_type", false},
		{"POST", url.Values{"grant_type": {"client_credential"}, "appid": {cfg.AppID}, "secret": {cfg.Secret}}, "POST", 43001, "require GET method", false},
	} {
		r := a.do(c.method, PathToken, c.q, "")
		if r.ErrCode != c.code || r.ErrMsg != c.errmsg || (r.AccessToken != "") != c.issuesToken || r.status != 200 {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
	if n := p.TokenFetches(); n != 7 {
		t.Errorf("TokenFetches = %d, want 7", n)
	}
}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	a := startAPI(t, p)
	writes(p, "oA")

	if code := a.send("", "oA", "x"); code != 41001 {
		t.Errorf("no token: %d", code)
	}
	if code := a.send("made-up", "oA", "x"); code != 40001 {
		t.Errorf("unknown token: %d", code)
	}

	tok := a.mustToken(p)
	if code := a.send(tok, "oA", "x"); code != 0 {
		t.Fatalf("fresh token: %d", code)
	}
	p.ExpireTokens()
	if code := a.send(tok, "oA", "x"); code != 40001 {
		t.Errorf("after ExpireTokens: %d, want 40001", code)
	}

	tok = a.mustToken(p)
	p.Advance(7200 * time.Second)
	if code := a.send(tok, "oA", "x"); code != 42001 {
		t.Errorf("after expires_in: %d, want 42001", code)
	}

	// A newer token leaves the previous one valid for five minutes.
	old := a.mustToken(p)
	writes(p, "oA")
	newer := a.mustToken(p)
	if old == newer {
		t.Fatal("same token twice")
	}
	p.Advance(4 * time.Minute)
	if code := a.send(old, "oA", "x"); code != 0 {
		t.Errorf("previous token within 5 min: %d", code)
	}
	p.Advance(time.Minute)
	if code := a.send(old, "oA", "x"); code != 40001 {
		t.Errorf("previous token after 5 min: %d, want 40001", code)
	}
	if code := a.send(newer, "oA", "x"); code != 0 {
		t.Errorf("newest token: %d", code)
	}
	if n := p.TokenFetches(); n != 4 {
		t.Errorf("TokenFetches = %d, want 4", n)
	}
}

func TestCustomerServiceRules(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{TokenTTL: 1000 * time.Hour})
	a := startAPI(t, p)
	tok := a.mustToken(p)

	if code := a.send(tok, "oStranger", "x"); code != 40003 {
		t.Errorf("never seen user: %d, want 40003", code)
	}

	writes(p, "oA")
	for i := range 5 {
		if code := a.send(tok, "oA", fmt.Sprint("answer ", i)); code != 0 {
			t.Fatalf("message %d: %d", i, code)
		}
	}
	if code := a.send(tok, "oA", "sixth"); code != 45047 {
		t.Errorf("sixth message: %d, want 45047", code)
	}
	writes(p, "oA") // a new message recounts
	if code := a.send(tok, "oA", "after new message"); code != 0 {
		t.Errorf("after a new message: %d", code)
	}

	p.Advance(48*time.Hour - time.Second)
	if code := a.send(tok, "oA", "just in time"); code != 0 {
		t.Errorf("inside 48 h: %d", code)
	}
	p.Advance(time.Second)
	if code := a.send(tok, "oA", "too late"); code != 45015 {
		t.Errorf("after 48 h: %d, want 45015", code)
	}
	p.Callback(Safe, p.Click("oA", "转人工")).Request("/")
	if code := a.send(tok, "oA", "menu click opens a window"); code != 0 {
		t.Errorf("after CLICK: %d", code)
	}
	p.Callback(Safe, p.Unsubscribe("oA")).Request("/")
	if code := a.send(tok, "oA", "gone"); code != 45015 {
		t.Errorf("after unsubscribe: %d, want 45015", code)
	}
	p.Callback(Safe, p.Subscribe("oA")).Request("/")
	if code := a.send(tok, "oA", "back"); code != 0 {
		t.Errorf("after subscribe: %d", code)
	}

	if code := a.send(tok, "oA", ""); code != 44004 {
		t.Errorf("empty text: %d, want 44004", code)
	}
	if code := a.send(tok, "oA", strings.Repeat("长", 683)); code != 45002 {
		t.Errorf("2049 bytes: %d, want 45002", code)
	}
	if r := a.do(http.MethodPost, PathSend, url.Values{"access_token": {tok}}, "{"); r.ErrCode != 47001 {
		t.Errorf("bad JSON: %+v", r)
	}
	if r := a.do(http.MethodPost, PathSend, url.Values{"access_token": {tok}}, `{"touser":"oA","msgtype":"telegram"}`); r.ErrCode != 40008 {
		t.Errorf("bad msgtype: %+v", r)
	}
	if r := a.do(http.MethodGet, PathSend, url.Values{"access_token": {tok}}, ""); r.ErrCode != 43002 {
		t.Errorf("GET send: %+v", r)
	}

	sent := p.Sent()
	if len(sent) != 9 || sent[0].ToUser != "oA" || sent[0].Content != "answer 0" || sent[0].MsgType != "text" ||
		sent[0].At.IsZero() || !json.Valid(sent[0].Raw) {
		t.Errorf("Sent = %+v", sent)
	}
	var codes []int
	for _, m := range p.Refused() {
		codes = append(codes, m.ErrCode)
	}
	if want := []int{40003, 45047, 45015, 45015, 44004, 45002, 47001, 40008, 43002}; fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Errorf("Refused codes = %v, want %v", codes, want)
	}
}

func TestTyping(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	a := startAPI(t, p)
	tok := a.mustToken(p)
	typing := func(to, cmd string) int {
		return a.do(http.MethodPost, PathTyping, url.Values{"access_token": {tok}},
			fmt.Sprintf(`{"touser":%q,"command":%q}`, to, cmd)).ErrCode
	}
	writes(p, "oA")
	if code := typing("oA", "Typing"); code != 0 {
		t.Errorf("typing: %d", code)
	}
	if code := typing("oA", "Dancing"); code != 47001 {
		t.Errorf("bad command: %d", code)
	}
	p.Advance(49 * time.Hour)
	tok = a.mustToken(p)
	if code := typing("oA", "CancelTyping"); code != 45015 {
		t.Errorf("typing outside the window: %d", code)
	}
	if ty := p.Typings(); len(ty) != 1 || ty[0].ToUser != "oA" || ty[0].Command != "Typing" {
		t.Errorf("Typings = %+v", ty)
	}
}

func TestFaultsAndDelay(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	a := startAPI(t, p)
	tok := a.mustToken(p)
	writes(p, "oA")

	p.FailNext(Fault{Path: PathSend, ErrCode: -1})
	p.FailNext(Fault{Path: PathToken, ErrCode: 40164, ErrMsg: "invalid ip 1.2.3.4, not in whitelist"})
	p.FailNext(Fault{Path: PathSend, Status: http.StatusBadGateway})
	if r := a.token(p.Config().AppID, p.Config().Secret); r.ErrCode != 40164 || r.AccessToken != "" {
		t.Errorf("token fault: %+v", r)
	}
	r := a.do(http.MethodPost, PathSend, url.Values{"access_token": {tok}}, `{"touser":"oA","msgtype":"text","text":{"content":"a"}}`)
	if r.ErrCode != -1 || r.ErrMsg != "system error" {
		t.Errorf("first send fault: %+v", r)
	}
	if r := a.do(http.MethodPost, PathSend, url.Values{"access_token": {tok}}, "{}"); r.status != http.StatusBadGateway {
		t.Errorf("second send fault: %+v", r)
	}
	if code := a.send(tok, "oA", "b"); code != 0 {
		t.Errorf("faults are one-off: %d", code)
	}
	if ref := p.Refused(); len(ref) != 2 || ref[0].ErrCode != -1 || ref[0].Content != "a" || ref[1].ErrMsg != "HTTP 502" {
		t.Errorf("Refused = %+v", ref)
	}
	if r := a.do(http.MethodGet, "/cgi-bin/nonexistent", nil, ""); r.status != http.StatusNotFound || r.ErrCode != 40066 {
		t.Errorf("unknown path: %+v", r)
	}

	p.SetDelay(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.base+PathSend+"?access_token="+tok,
		bytes.NewReader([]byte(`{"touser":"oA","msgtype":"text","text":{"content":"late"}}`)))
	start := time.Now()
	if _, err := a.c.Do(req); err == nil {
		t.Error("delayed call answered before the client's deadline")
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Error("the client's deadline did not cut the delay")
	}
	p.SetDelay(0)
}

func TestAPIConcurrentQuota(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	a := startAPI(t, p)
	tok := a.mustToken(p)
	writes(p, "oA")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			a.send(tok, "oA", fmt.Sprint(i))
			_, _, _, _ = p.User("oA")
			_ = p.Sent()
		})
	}
	wg.Wait()
	if n := len(p.Sent()); n != 5 {
		t.Errorf("accepted %d of 20 concurrent messages, want 5", n)
	}
	if n := len(p.Refused()); n != 15 {
		t.Errorf("refused %d, want 15", n)
	}
}

func TestStableTokenEndpoint(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	a := startAPI(t, p)
	cfg := p.Config()
	writes(p, "oA")
	stable := func(force bool, secret string) apiResult {
		body, _ := json.Marshal(map[string]any{"grant_type": "client_credential", "appid": cfg.AppID, "secret": secret, "force_refresh": force})
		return a.do(http.MethodPost, PathStableToken, nil, string(body))
	}
	if r := stable(false, "wrong"); r.ErrCode != 40125 {
		t.Errorf("wrong secret: %+v", r)
	}
	first := stable(false, cfg.Secret)
	if first.AccessToken == "" || first.ExpiresIn != 7200 {
		t.Fatalf("stable token: %+v", first)
	}
	p.Advance(100 * time.Second)
	again := stable(false, cfg.Secret)
	if again.AccessToken != first.AccessToken || again.ExpiresIn != 7100 {
		t.Errorf("repeat without force: %+v, want the same token with 7100 s left", again)
	}
	plain := a.mustToken(p) // the plain endpoint does not disturb stable tokens
	if code := a.send(first.AccessToken, "oA", "x"); code != 0 {
		t.Errorf("stable token after a plain fetch: %d", code)
	}
	forced := stable(true, cfg.Secret)
	if forced.AccessToken == first.AccessToken {
		t.Fatal("force_refresh returned the same token")
	}
	if code := a.send(first.AccessToken, "oA", "x"); code != 40001 {
		t.Errorf("stable token after force_refresh: %d, want 40001", code)
	}
	if code := a.send(forced.AccessToken, "oA", "x"); code != 0 {
		t.Errorf("forced token: %d", code)
	}
	if code := a.send(plain, "oA", "x"); code != 0 {
		t.Errorf("plain token after a stable force_refresh: %d", code)
	}
	if n := p.TokenFetches(); n != 5 {
		t.Errorf("TokenFetches = %d, want 5", n)
	}
}
