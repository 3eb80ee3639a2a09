package accounts_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/handoff/accounts"
)

// post sends a login-style request to h as a browser on the gateway's own
// page would: Host hotline.example.gov.cn, JSON.
func post(h http.Handler, path, body string, change func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "http://hotline.example.gov.cn"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", "http://hotline.example.gov.cn")
	if change != nil {
		change(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func sessionCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == accounts.CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %q", accounts.CookieName, w.Header().Values("Set-Cookie"))
	return nil
}

func errorBody(t *testing.T, w *httptest.ResponseRecorder) (message, code string) {
	t.Helper()
	var body struct{ Error, Code string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	return body.Error, body.Code
}

const loginBody = `{"username":"li.na","password":"correct horse"}`

func TestLoginHandler(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	addAgent(t, svc, "li.na")
	h := svc.Routes(false)

	w := post(h, "/api/v1/login", loginBody, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var profile map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &profile); err != nil {
		t.Fatal(err)
	}
	if profile["username"] != "li.na" || profile["name"] != "李娜" || profile["role"] != "agent" || profile["max_chats"] != 3.0 {
		t.Errorf("profile %v", profile)
	}
	if skills, _ := profile["skills"].([]any); len(skills) != 1 || skills[0] != "social_security" {
		t.Errorf("profile skills %v", profile["skills"])
	}
	for _, secret := range []string{"password", "hash", "generation", "failures"} {
		if strings.Contains(w.Body.String(), secret) {
			t.Errorf("profile mentions %s: %s", secret, w.Body)
		}
	}
	c := sessionCookie(t, w)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge != int((12*time.Hour).Seconds()) {
		t.Errorf("cookie %+v; want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP, Max-Age 12 h", c)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q; want no-store", got)
	}
	a, err := svc.Authenticate(context.Background(), c.Value)
	if err != nil || a.Username != "li.na" {
		t.Errorf("cookie session: %q, %v", a.Username, err)
	}
}

func TestLoginCookieSecure(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	addAgent(t, svc, "li.na")
	tests := []struct {
		name   string
		secure bool
		change func(*http.Request)
		want   bool
	}{
		{"plain HTTP", false, nil, false},
		{"forwarded proto is not trusted", false, func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }, false},
		{"cookie_secure setting", true, nil, true},
		{"TLS", false, func(r *http.Request) { r.TLS = &tls.ConnectionState{HandshakeComplete: true} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := post(svc.Routes(tt.secure), "/api/v1/login", loginBody, tt.change)
			if c := sessionCookie(t, w); c.Secure != tt.want {
				t.Errorf("Secure %v; want %v", c.Secure, tt.want)
			}
		})
	}
}

func TestLoginHandlerRefuses(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	addAgent(t, svc, "li.na")
	h := svc.Routes(false)
	tests := []struct {
		name   string
		body   string
		change func(*http.Request)
		status int
		code   string
	}{
		{"wrong password", `{"username":"li.na","password":"wrong horse"}`, nil, 401, "bad_credentials"},
		{"unknown user", `{"username":"nobody","password":"correct horse"}`, nil, 401, "bad_credentials"},
		{"another site's page", loginBody, func(r *http.Request) { r.Header.Set("Origin", "https://evil.example.com") }, 403, "forbidden_origin"},
		{"same host name, other port", loginBody, func(r *http.Request) { r.Header.Set("Origin", "http://hotline.example.gov.cn:8443") }, 403, "forbidden_origin"},
		{"null origin", loginBody, func(r *http.Request) { r.Header.Set("Origin", "null") }, 403, "forbidden_origin"},
		{"form post", "username=li.na&password=correct+horse", func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}, 415, "unsupported_media_type"},
		{"text/plain", loginBody, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415, "unsupported_media_type"},
		{"no content type", loginBody, func(r *http.Request) { r.Header.Del("Content-Type") }, 415, "unsupported_media_type"},
		{"body over 4 KiB", `{"username":"li.na","password":"` + strings.Repeat("x", 5000) + `"}`, nil, 413, "too_large"},
		{"not JSON", `{"username":`, nil, 400, "bad_request"},
		{"no password", `{"username":"li.na"}`, nil, 400, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := post(h, "/api/v1/login", tt.body, tt.change)
			if w.Code != tt.status {
				t.Fatalf("status %d (%s); want %d", w.Code, w.Body, tt.status)
			}
			if msg, code := errorBody(t, w); code != tt.code || msg == "" {
				t.Errorf("error %q code %q; want code %s and a message", msg, code, tt.code)
			}
			if len(w.Result().Cookies()) != 0 {
				t.Errorf("cookie set on a refused login: %v", w.Header().Values("Set-Cookie"))
			}
		})
	}
	w := post(h, "/api/v1/login", `{"username":"li.na","password":"wrong horse"}`, nil)
	if msg, _ := errorBody(t, w); msg != "用户名或密码错误" {
		t.Errorf("bad credentials message %q", msg)
	}
	withJSONCharset := post(h, "/api/v1/login", loginBody, func(r *http.Request) {
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
	})
	if withJSONCharset.Code != http.StatusOK {
		t.Errorf("application/json; charset=utf-8: %d", withJSONCharset.Code)
	}
	noOrigin := post(h, "/api/v1/login", loginBody, func(r *http.Request) { r.Header.Del("Origin") })
	if noOrigin.Code != http.StatusOK {
		t.Errorf("script without Origin: %d; want 200", noOrigin.Code)
	}
}

func TestLoginHandlerLockout(t *testing.T) {
	t.Parallel()
	clk := newClock()
	svc, _ := newService(t, clk)
	addAgent(t, svc, "li.na")
	h := svc.Routes(false)
	bad := `{"username":"li.na","password":"wrong horse"}`
	for i := 1; i <= 4; i++ {
		if w := post(h, "/api/v1/login", bad, nil); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, w.Code)
		}
	}
	w := post(h, "/api/v1/login", bad, nil)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "900" {
		t.Fatalf("5th failure: %d, Retry-After %q; want 429 and 900", w.Code, w.Header().Get("Retry-After"))
	}
	if _, code := errorBody(t, w); code != "locked" {
		t.Errorf("code %q; want locked", code)
	}
	clk.Advance(10 * time.Minute)
	w = post(h, "/api/v1/login", loginBody, nil)
	if retry, _ := strconv.Atoi(w.Header().Get("Retry-After")); w.Code != http.StatusTooManyRequests || retry != 300 {
		t.Errorf("right password 10 min later: %d, Retry-After %d; want 429, 300", w.Code, retry)
	}
	clk.Advance(5 * time.Minute)
	if w := post(h, "/api/v1/login", loginBody, nil); w.Code != http.StatusOK {
		t.Errorf("after the lockout: %d %s", w.Code, w.Body)
	}
}

func TestMeAndLogout(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	addAgent(t, svc, "li.na")
	h := svc.Routes(false)
	c := sessionCookie(t, post(h, "/api/v1/login", loginBody, nil))

	me := func(cookie *http.Cookie, origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "http://hotline.example.gov.cn/api/v1/me", nil)
		if cookie != nil {
			r.AddCookie(cookie)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := me(c, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"username":"li.na"`) {
		t.Errorf("me: %d %s", w.Code, w.Body)
	}
	if w := me(c, "https://evil.example.com"); w.Code != http.StatusForbidden {
		t.Errorf("me from another origin: %d; want 403", w.Code)
	}
	if w := me(nil, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("me without cookie: %d; want 401", w.Code)
	}
	if w := me(&http.Cookie{Name: accounts.CookieName, Value: strings.Repeat("A", 43)}, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("me with a made-up token: %d; want 401", w.Code)
	}

	if w := post(h, "/api/v1/logout", "", func(r *http.Request) {
		r.AddCookie(c)
		r.Header.Set("Origin", "https://evil.example.com")
	}); w.Code != http.StatusForbidden {
		t.Errorf("logout from another origin: %d; want 403", w.Code)
	}
	if w := me(c, ""); w.Code != http.StatusOK {
		t.Fatalf("a refused logout ended the session: %d", w.Code)
	}
	w := post(h, "/api/v1/logout", "", func(r *http.Request) { r.AddCookie(c) })
	if w.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	if cleared := sessionCookie(t, w); cleared.MaxAge >= 0 || cleared.Value != "" {
		t.Errorf("logout cookie %+v; want it cleared", cleared)
	}
	if w := me(c, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("me after logout: %d; want 401", w.Code)
	}
	if w := post(h, "/api/v1/logout", "", nil); w.Code != http.StatusNoContent {
		t.Errorf("logout without a session: %d; want 204", w.Code)
	}
}

// TestLoginEndsPreviousSession: signing in again from a browser ends the
// session its old cookie held.
func TestLoginEndsPreviousSession(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	addAgent(t, svc, "li.na")
	h := svc.Routes(false)
	old := sessionCookie(t, post(h, "/api/v1/login", loginBody, nil))
	post(h, "/api/v1/login", loginBody, func(r *http.Request) { r.AddCookie(old) })
	if _, err := svc.Authenticate(context.Background(), old.Value); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("old session after a new login: %v; want ErrNoSession", err)
	}
}

func TestFromRequest(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, newClock())
	addAgent(t, svc, "li.na")
	token, _, err := svc.Login(context.Background(), "li.na", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cookie string
		origin string
		want   error
	}{
		{"same origin", token, "https://hotline.example.gov.cn", nil},
		{"host in other case", token, "https://HOTLINE.example.gov.cn", nil},
		{"no Origin", token, "", nil},
		{"another origin", token, "https://evil.example.com", accounts.ErrCrossOrigin},
		{"no cookie", "", "https://hotline.example.gov.cn", accounts.ErrNoSession},
		{"wrong token", strings.Repeat("A", 43), "", accounts.ErrNoSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "https://hotline.example.gov.cn/ws/agent", nil)
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: accounts.CookieName, Value: tt.cookie})
			}
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			a, err := svc.FromRequest(r)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v; want %v", err, tt.want)
			}
			if tt.want == nil && a.Username != "li.na" {
				t.Errorf("agent %q; want li.na", a.Username)
			}
		})
	}
}
