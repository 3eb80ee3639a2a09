// Package web serves the pages that ship inside the binary: the chat widget
// script that a government site embeds with one tag,
//
//	<script src="https://hotline.example/widget.js" defer></script>
//
// a demo page, 本市12345政务服务便民热线, that embeds it, the agent
// console (坐席工作台) at /agent and the supervisors' dashboard (运行监测)
// at /admin. The widget speaks the /ws/chat frame protocol and the console
// the /ws/agent protocol, both in docs/PROTOCOL.md; the dashboard reads
// /api/v1/stats (docs/API.md). This package only serves the files and
// knows nothing about conversations, figures or sign-in.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// asset is one embedded file ready to serve: its bytes, its strong ETag (so a
// no-cache revalidation costs a 304, not the body) and the headers it gets.
type asset struct {
	body        []byte
	etag        string
	contentType string
	header      map[string]string
}

// Handler returns the handler for the embedded pages. It serves exactly
//
//	/           the demo page (index.html), with a strict Content-Security-Policy
//	/widget.js  the chat widget script
//	/agent      the agent console (agent.html), with a stricter policy
//	/agent.js   the console's script
//	/agent.css  the console's style sheet
//	/admin      the supervisors' dashboard (admin.html), with the console's policy
//	/admin.js   the dashboard's script
//	/admin.css  the dashboard's style sheet
//
// to GET and HEAD, answers 405 to other methods on those paths and 404 to
// every other path, so it can be mounted at "/" beneath more specific routes.
// Every file is sent with Cache-Control: no-cache: a city that updates the
// gateway must not leave citizens on an old widget, or agents on an old
// console, that speaks an old protocol, and the ETag keeps revalidation cheap.
//
// The demo page's CSP allows scripts only from the gateway itself, the page's
// own inline <style> blocks by hash, and WebSocket connections only back to
// the host the page was loaded from (ws: and wss:, since a TLS-terminating
// proxy may sit in front). The console holds an agent's session and shows
// citizens' personal data, so its policy allows no inline style at all and
// no framing by anyone (frame-ancestors 'none' and X-Frame-Options DENY, so
// another page cannot overlay it to trick an agent into clicks). The
// dashboard holds a supervisor's session or the admin token and gets the
// same policy and headers.
func Handler() http.Handler {
	page := mustAsset("static/index.html", "text/html; charset=utf-8")
	page.header["X-Frame-Options"] = "SAMEORIGIN"
	page.header["Referrer-Policy"] = "no-referrer"
	page.header["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
	styleHashes := inlineStyleHashes(page.body)

	widget := mustAsset("static/widget.js", "application/javascript; charset=utf-8")
	// Government sites on other origins load the script; some of them set
	// Cross-Origin-Embedder-Policy and need this to be allowed to.
	widget.header["Cross-Origin-Resource-Policy"] = "cross-origin"

	console, consoleJS, consoleCSS := staffPage("agent")
	dashboard, dashboardJS, dashboardCSS := staffPage("admin")

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a *asset
		switch r.URL.Path {
		case "/":
			a = page
			w.Header().Set("Content-Security-Policy", policy(r.Host, styleHashes, "'self'"))
		case "/widget.js":
			a = widget
		case "/agent":
			a = console
			w.Header().Set("Content-Security-Policy", policy(r.Host, nil, "'none'"))
		case "/agent.js":
			a = consoleJS
		case "/agent.css":
			a = consoleCSS
		case "/admin":
			a = dashboard
			w.Header().Set("Content-Security-Policy", policy(r.Host, nil, "'none'"))
		case "/admin.js":
			a = dashboardJS
		case "/admin.css":
			a = dashboardCSS
		default:
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", a.etag)
		for k, v := range a.header {
			h.Set(k, v)
		}
		// ServeContent answers If-None-Match and Range; embedded files have
		// no modification time, so the ETag alone decides.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}

// mustAsset reads an embedded file. The files are compiled in, so a missing
// one is a build mistake, not a runtime condition.
func mustAsset(name, contentType string) *asset {
	b, err := static.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("web: embedded %s: %v", name, err))
	}
	sum := sha256.Sum256(b)
	return &asset{
		body:        b,
		etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
		contentType: contentType,
		header:      map[string]string{},
	}
}

// styleBlock matches the contents of an inline <style> element; the demo
// page has no attributes on its style tags.
var styleBlock = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// staffPage loads a page for staff (the console, the dashboard) with its
// script and style sheet: they show citizens' data or the hotline's
// figures to a signed-in user, so nobody may frame them and other origins
// may not load their files.
func staffPage(name string) (page, script, style *asset) {
	page = mustAsset("static/"+name+".html", "text/html; charset=utf-8")
	page.header["X-Frame-Options"] = "DENY"
	page.header["Referrer-Policy"] = "no-referrer"
	page.header["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
	page.header["Cross-Origin-Opener-Policy"] = "same-origin"
	script = mustAsset("static/"+name+".js", "application/javascript; charset=utf-8")
	script.header["Cross-Origin-Resource-Policy"] = "same-origin"
	style = mustAsset("static/"+name+".css", "text/css; charset=utf-8")
	style.header["Cross-Origin-Resource-Policy"] = "same-origin"
	return page, script, style
}

// inlineStyleHashes returns the CSP source expressions ('sha256-…') of the
// page's inline <style> blocks, so the policy can omit 'unsafe-inline'.
func inlineStyleHashes(page []byte) []string {
	var out []string
	for _, m := range styleBlock.FindAllSubmatch(page, -1) {
		sum := sha256.Sum256(m[1])
		out = append(out, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return out
}

// validHost accepts what can appear in a Host header that is safe to echo
// into a header value: a name or address and an optional port.
var validHost = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// policy builds a page's Content-Security-Policy: styleHashes allow the
// page's inline <style> blocks, frameAncestors says who may frame it. Browsers
// that implement CSP level 3 already let 'self' cover ws: and wss: on the
// same host; the explicit ws://host and wss://host are for the ones that
// don't.
func policy(host string, styleHashes []string, frameAncestors string) string {
	connect := "'self'"
	if validHost.MatchString(host) {
		connect += " ws://" + host + " wss://" + host
	}
	style := "'self'"
	if len(styleHashes) > 0 {
		style += " " + strings.Join(styleHashes, " ")
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src " + style,
		"img-src 'self' data:",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors " + frameAncestors,
	}, "; ")
}
