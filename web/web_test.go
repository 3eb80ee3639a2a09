package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hotline12345/hotline/stats"
	"github.com/hotline12345/hotline/web"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	h := web.Handler()

	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		contains    string
	}{
		{"page", http.MethodGet, "/", http.StatusOK, "text/html; charset=utf-8", `<script src="/widget.js" data-open="true" defer></script>`},
		{"page head", http.MethodHead, "/", http.StatusOK, "text/html; charset=utf-8", ""},
		{"widget", http.MethodGet, "/widget.js", http.StatusOK, "application/javascript; charset=utf-8", "/ws/chat"},
		{"index.html is not a second name", http.MethodGet, "/index.html", http.StatusNotFound, "", ""},
		{"static dir stays private", http.MethodGet, "/static/widget.js", http.StatusNotFound, "", ""},
		{"unknown", http.MethodGet, "/nope", http.StatusNotFound, "", ""},
		{"traversal", http.MethodGet, "/../web.go", http.StatusNotFound, "", ""},
		{"post", http.MethodPost, "/widget.js", http.StatusMethodNotAllowed, "", ""},
		{"console", http.MethodGet, "/agent", http.StatusOK, "text/html; charset=utf-8", `<script src="/agent.js" defer></script>`},
		{"console head", http.MethodHead, "/agent", http.StatusOK, "text/html; charset=utf-8", ""},
		{"console script", http.MethodGet, "/agent.js", http.StatusOK, "application/javascript; charset=utf-8", "/ws/agent"},
		{"console styles", http.MethodGet, "/agent.css", http.StatusOK, "text/css; charset=utf-8", ".console"},
		{"agent.html is not a second name", http.MethodGet, "/agent.html", http.StatusNotFound, "", ""},
		{"console has one path", http.MethodGet, "/agent/", http.StatusNotFound, "", ""},
		{"console script stays private", http.MethodGet, "/static/agent.js", http.StatusNotFound, "", ""},
		{"post console", http.MethodPost, "/agent", http.StatusMethodNotAllowed, "", ""},
		{"dashboard", http.MethodGet, "/admin", http.StatusOK, "text/html; charset=utf-8", `<script src="/admin.js" defer></script>`},
		{"dashboard head", http.MethodHead, "/admin", http.StatusOK, "text/html; charset=utf-8", ""},
		{"dashboard script", http.MethodGet, "/admin.js", http.StatusOK, "application/javascript; charset=utf-8", "/api/v1/stats"},
		{"dashboard styles", http.MethodGet, "/admin.css", http.StatusOK, "text/css; charset=utf-8", ".cards"},
		{"admin.html is not a second name", http.MethodGet, "/admin.html", http.StatusNotFound, "", ""},
		{"dashboard has one path", http.MethodGet, "/admin/", http.StatusNotFound, "", ""},
		{"dashboard script stays private", http.MethodGet, "/static/admin.js", http.StatusNotFound, "", ""},
		{"post dashboard", http.MethodPost, "/admin", http.StatusMethodNotAllowed, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "http://hotline.example"+tc.path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)

			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", got)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if tc.method == http.MethodHead && len(body) != 0 {
				t.Errorf("HEAD returned a %d-byte body", len(body))
			}
			if tc.contains != "" && !strings.Contains(string(body), tc.contains) {
				t.Errorf("body does not contain %q", tc.contains)
			}
		})
	}
}

func TestPageCSP(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://hotline.example:8080/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if csp == "" {
		t.Fatal("no Content-Security-Policy on the page")
	}
	for _, want := range []string{
		"default-src 'none'",
		"script-src 'self'",
		"connect-src 'self' ws://hotline.example:8080 wss://hotline.example:8080",
		"frame-ancestors 'self'",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q allows inline code", csp)
	}

	// Every inline <style> block of the page must be allowed by its hash,
	// or the page renders unstyled.
	blocks := regexp.MustCompile(`(?s)<style[^>]*>(.*?)</style>`).FindAllStringSubmatch(rec.Body.String(), -1)
	if len(blocks) == 0 {
		t.Fatal("page has no <style> block")
	}
	for _, b := range blocks {
		sum := sha256.Sum256([]byte(b[1]))
		hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, hash) {
			t.Errorf("CSP lacks %s for an inline style block", hash)
		}
	}
}

func TestPageCSPRejectsOddHost(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "evil.example; script-src *"
	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, req)
	csp := rec.Header().Get("Content-Security-Policy")
	if strings.Contains(csp, "evil") || !strings.Contains(csp, "connect-src 'self';") {
		t.Errorf("CSP %q echoes an invalid Host", csp)
	}
}

func TestRevalidates(t *testing.T) {
	t.Parallel()
	h := web.Handler()
	for _, path := range []string{"/", "/widget.js", "/agent", "/agent.js", "/agent.css", "/admin", "/admin.js", "/admin.css"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			etag := rec.Header().Get("ETag")
			if etag == "" {
				t.Fatalf("no ETag on %s", path)
			}
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("If-None-Match", etag)
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				t.Errorf("revalidation status = %d, want 304", rec.Code)
			}
		})
	}
}

// directives splits a Content-Security-Policy into its directives by name.
func directives(csp string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		name, _, _ := strings.Cut(d, " ")
		out[name] = d
	}
	return out
}

func get(t *testing.T, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, rec.Code)
	}
	return rec.Body.String()
}

// The staff pages' policy allows no inline code or style and nothing from
// another host, so the pages must need none: it would silently not run,
// or not apply. Citizens' text and figures reach them; their scripts must
// only ever set it as text (a guard, not a proof: it catches the usual
// ways to parse HTML).
func TestStaffPagesHaveNoInlineOrExternalCode(t *testing.T) {
	t.Parallel()
	external := regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, name := range []string{"agent", "admin"} {
		page := get(t, "/"+name)
		for _, re := range []string{
			`(?i)<style`,
			`(?i)<script(?:\s[^>]*)?>\s*[^<\s]`, // a script element with a body
			`(?i)\sstyle\s*=`,
			`(?i)\son[a-z]+\s*=`,
			`(?i)javascript:`,
		} {
			if m := regexp.MustCompile(re).FindString(page); m != "" {
				t.Errorf("/%s has inline code or style: %q matches %s", name, m, re)
			}
		}
		for _, want := range []string{`<link rel="stylesheet" href="/` + name + `.css">`, `<script src="/` + name + `.js" defer></script>`, `lang="zh-CN"`} {
			if !strings.Contains(page, want) {
				t.Errorf("/%s lacks %s", name, want)
			}
		}
		// No CDN, no web fonts, no third-party requests: the only absolute
		// URL the files may hold is the SVG namespace.
		for _, path := range []string{"/" + name, "/" + name + ".js", "/" + name + ".css"} {
			for _, m := range external.FindAllString(get(t, path), -1) {
				if m != "http://www.w3.org" {
					t.Errorf("%s refers to another host: %s", path, m)
				}
			}
		}
		if css := get(t, "/"+name+".css"); strings.Contains(css, "@import") || strings.Contains(css, "@font-face") || strings.Contains(css, "url(") {
			t.Errorf("%s.css loads other files", name)
		}
		bad := []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "createContextualFragment", "DOMParser"}
		if name == "admin" {
			// The dashboard keeps nothing in the browser but the tab's token.
			bad = append(bad, "setTimeout('", "setAttribute('style'", "localStorage")
		}
		js := get(t, "/"+name+".js")
		for _, b := range bad {
			if strings.Contains(js, b) {
				t.Errorf("%s.js uses %s", name, b)
			}
		}
	}
}

// Browser tests find the console's parts by these data-test names; they
// are a contract like an API.
func TestConsoleTestHooks(t *testing.T) {
	t.Parallel()
	src := get(t, "/agent") + get(t, "/agent.js")
	for _, name := range []string{
		"login", "username", "password", "login-submit", "status", "queue", "queue-entry", "offer",
		"accept", "decline", "chat-tab", "unread", "transcript", "msg", "reply", "send", "suggestion",
		"phrase", "close-chat", "wrapup", "wrapup-type", "wrapup-dept", "wrapup-summary",
		"wrapup-resolved", "wrapup-submit", "transfer", "conn", "logout", "callbacks", "callback",
		"callback-done", "toast", "notice",
	} {
		attr := `data-test="` + name + `"`
		call := `'data-test', '` + name + `'`
		if !strings.Contains(src, attr) && !strings.Contains(src, call) && !strings.Contains(src, `'`+name+`')`) {
			t.Errorf("no element has %s", attr)
		}
	}
}

// The console shows citizens' data and the dashboard the hotline's
// figures to a signed-in user: both get the strictest policy and no
// framing at all, and their files load on no other origin.
func TestStaffPageHeaders(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"agent", "admin"} {
		rec := httptest.NewRecorder()
		web.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://hotline.example:8080/"+name, nil))
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		got := directives(csp)
		for directive, want := range map[string]string{
			"default-src":     "default-src 'none'",
			"script-src":      "script-src 'self'",
			"style-src":       "style-src 'self'",
			"img-src":         "img-src 'self' data:",
			"connect-src":     "connect-src 'self' ws://hotline.example:8080 wss://hotline.example:8080",
			"base-uri":        "base-uri 'none'",
			"form-action":     "form-action 'none'",
			"frame-ancestors": "frame-ancestors 'none'",
		} {
			if got[directive] != want {
				t.Errorf("/%s: CSP directive %q = %q, want %q (policy %q)", name, directive, got[directive], want, csp)
			}
		}
		if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "sha256-") {
			t.Errorf("/%s: CSP %q allows inline code or style", name, csp)
		}
		for k, want := range map[string]string{
			"X-Frame-Options":            "DENY",
			"Referrer-Policy":            "no-referrer",
			"X-Content-Type-Options":     "nosniff",
			"Cache-Control":              "no-cache",
			"Cross-Origin-Opener-Policy": "same-origin",
		} {
			if v := h.Get(k); v != want {
				t.Errorf("/%s: %s = %q, want %q", name, k, v, want)
			}
		}
		for _, path := range []string{"/" + name + ".js", "/" + name + ".css"} {
			rec := httptest.NewRecorder()
			web.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if v := rec.Header().Get("Cross-Origin-Resource-Policy"); v != "same-origin" {
				t.Errorf("%s Cross-Origin-Resource-Policy = %q, want same-origin", path, v)
			}
		}

		req := httptest.NewRequest(http.MethodGet, "/"+name, nil)
		req.Host = "evil.example; script-src *"
		rec = httptest.NewRecorder()
		web.Handler().ServeHTTP(rec, req)
		if csp := rec.Header().Get("Content-Security-Policy"); strings.Contains(csp, "evil") || directives(csp)["connect-src"] != "connect-src 'self'" {
			t.Errorf("/%s: CSP %q echoes an invalid Host", name, csp)
		}
	}

	// The demo page keeps its own framing rules: government sites may not
	// frame it either, but the gateway itself may.
	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://hotline.example/", nil))
	if v := rec.Header().Get("X-Frame-Options"); v != "SAMEORIGIN" {
		t.Errorf("demo page X-Frame-Options = %q, want SAMEORIGIN", v)
	}
	if d := directives(rec.Header().Get("Content-Security-Policy"))["frame-ancestors"]; d != "frame-ancestors 'self'" {
		t.Errorf("demo page %q, want frame-ancestors 'self'", d)
	}
}

// Every figure of stats.Report is on the dashboard: a field added to the
// report and forgotten here fails, and so does a renamed one.
func TestDashboardShowsEveryFigure(t *testing.T) {
	t.Parallel()
	js := get(t, "/admin.js")
	for _, typ := range []reflect.Type{reflect.TypeFor[stats.Report](), reflect.TypeFor[stats.Figures](), reflect.TypeFor[stats.Count](), reflect.TypeFor[stats.Miss]()} {
		for f := range typ.Fields() {
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "" || tag == "-" {
				continue // embedded Figures
			}
			if !strings.Contains(js, "."+tag) {
				t.Errorf("admin.js never reads %s.%s (JSON %q)", typ.Name(), f.Name, tag)
			}
		}
	}
	// Every table has its CSV export, under the names of GET /api/v1/stats.csv.
	page := get(t, "/admin")
	for _, table := range []string{"totals", "series", "by_channel", "by_department", "top_intents", "top_departments", "top_misses"} {
		if !strings.Contains(page, `data-table="`+table+`" data-test="csv-`+table+`"`) {
			t.Errorf("the dashboard has no CSV link for table %s", table)
		}
	}
}

// The dashboard names the departments of kb-data/departments.yaml in
// Chinese; a department added there must be added to the script.
func TestDashboardKnowsEveryDepartment(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../kb-data/departments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Departments []struct {
			Code string `yaml:"code"`
			Name string `yaml:"name"`
		} `yaml:"departments"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("departments.yaml: %v", err)
	}
	if len(doc.Departments) == 0 {
		t.Fatal("departments.yaml lists no departments")
	}
	js := get(t, "/admin.js")
	for _, d := range doc.Departments {
		if want := d.Code + ": '" + d.Name + "'"; !strings.Contains(js, want) {
			t.Errorf("admin.js lacks %s", want)
		}
	}
}

// Browser tests find the dashboard's parts by these data-test names; they
// are a contract like an API.
func TestDashboardTestHooks(t *testing.T) {
	t.Parallel()
	src := get(t, "/admin") + get(t, "/admin.js")
	for _, name := range []string{
		"login", "username", "password", "login-submit", "token-toggle", "token-login", "token", "token-submit",
		"forbidden", "forbidden-logout", "logout", "refresh", "updated", "who", "filters", "preset-today",
		"preset-7d", "preset-30d", "preset-month", "from", "to", "channel", "department", "granularity",
		"apply", "error", "retry", "scope", "cards", "card", "card-value", "chart-volume", "chart-rates",
		"chart-orders", "chart-satisfaction", "chart-intents", "chart-departments", "bar", "point",
		"table-by_channel", "table-by_department", "table-top_misses", "row", "toast",
	} {
		if !strings.Contains(src, `data-test="`+name+`"`) && !strings.Contains(src, `'data-test': '`+name+`'`) {
			t.Errorf("no element has data-test=%q", name)
		}
	}
}
