package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

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

func TestWidgetRevalidates(t *testing.T) {
	t.Parallel()
	h := web.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/widget.js", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on /widget.js")
	}
	req := httptest.NewRequest(http.MethodGet, "/widget.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("revalidation status = %d, want 304", rec.Code)
	}
}
