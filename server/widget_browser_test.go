package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/hotline12345/hotline/server"
)

// chromiumPath is where Debian's chromium package puts the browser;
// $HOTLINE_CHROMIUM names another.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds each wait in the browser. The machines that run the
// suite are small and shared, so it is generous; a passing run takes a
// fraction of it.
const browserTimeout = 15 * time.Second

// shadow is the JavaScript prelude that finds the widget's shadow root; every
// expression the test evaluates starts from it.
const shadow = `const W = document.querySelector('hl12345-chat')?.shadowRoot;`

// transcriptEntry is one drawn transcript message as the test reads it back.
type transcriptEntry struct {
	Seq  string `json:"seq"`
	From string `json:"from"`
	Text string `json:"text"`
}

// readTranscript lists the confirmed messages drawn in the widget, in order.
const readTranscript = `(() => {` + shadow + `
	if (!W) return [];
	return [...W.querySelectorAll('.hl12345-msg[data-seq]')].map(m => ({
		seq: m.dataset.seq, from: m.dataset.from,
		text: m.querySelector('.hl12345-bubble').textContent }));
})()`

// TestWidgetInBrowser drives the citizen chat widget on the demo page in a
// real headless Chromium against a real server: ask, get an answer with
// options, tap an option, send markup that must stay text, reload and see
// the conversation redrawn once, switch to large text, and look at it on a
// phone-sized screen. Screenshots go to $HOTLINE_ARTIFACTS (or a temporary
// directory) and their paths are logged.
func TestWidgetInBrowser(t *testing.T) {
	browser := requireBrowser(t)
	artifacts := artifactDir(t)
	base := baseURL(startTestServer(t, t.TempDir()))
	ctx := newTab(t, browser)

	// An alert means the XSS probe ran as HTML; any uncaught exception in
	// the page is a widget bug.
	alerts := watchDialogs(t, ctx)
	exceptions := watchExceptions(t, ctx)

	do(t, ctx, "open the demo page",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/"),
	)
	waitConnected(t, ctx)
	screenshot(t, ctx, artifacts, "widget-start.png")

	// Ask the question of the brief by typing and pressing the 发送 button.
	do(t, ctx, "type a question",
		chromedp.SendKeys(textBox, "社保卡丢了怎么办"),
		chromedp.Click(sendButton),
	)
	waitJS(t, ctx, "the bot answers with 挂失 or 补办", `(() => {`+shadow+`
		const ms = [...W.querySelectorAll('.hl12345-msg[data-seq]')];
		const asked = ms.findIndex(m => m.dataset.from === 'citizen' && m.textContent.includes('社保卡丢了怎么办'));
		if (asked < 0) return 'the question is not in the transcript yet';
		const answer = ms.slice(asked + 1).find(m => m.dataset.from === 'bot' && /挂失|补办/.test(m.textContent));
		return answer ? '' : 'no bot answer mentioning 挂失 or 补办 after the question';
	})()`)

	// The answer's options: at most three buttons, and the first one sends
	// its text as the next message.
	waitJS(t, ctx, "option buttons appear under the answer", `(() => {`+shadow+`
		const opts = W.querySelectorAll('.hl12345-msg[data-from="bot"] .hl12345-option:not(:disabled)');
		if (opts.length === 0) return 'no enabled option buttons';
		const group = opts[0].closest('.hl12345-options').querySelectorAll('.hl12345-option');
		return group.length <= 3 ? '' : group.length + ' options, want at most 3';
	})()`)
	before := botCount(t, ctx)
	option := evalJS[string](t, ctx, `(() => {`+shadow+`
		return W.querySelector('.hl12345-option:not(:disabled)').textContent; })()`)
	do(t, ctx, "click the first option", chromedp.Click(firstOption))
	waitJS(t, ctx, "the option is sent and answered", fmt.Sprintf(`(() => {`+shadow+`
		const ms = [...W.querySelectorAll('.hl12345-msg[data-seq]')];
		const asked = ms.findIndex(m => m.dataset.from === 'citizen' && m.querySelector('.hl12345-bubble').textContent === %s);
		if (asked < 0) return 'the option text is not in the transcript';
		const bots = ms.filter(m => m.dataset.from !== 'citizen').length;
		return bots > %d && ms.slice(asked + 1).some(m => m.dataset.from !== 'citizen') ? '' : 'no reply after the option yet';
	})()`, jsString(option), before))

	// Markup typed by a citizen is text: it must show literally, and Enter
	// in the input sends it.
	const probe = `<img src=x onerror=alert(1)>`
	do(t, ctx, "send markup with Enter", chromedp.SendKeys(textBox, probe), pressEnter)
	waitJS(t, ctx, "the markup is shown literally", fmt.Sprintf(`(() => {`+shadow+`
		const list = W.querySelector('.hl12345-list');
		if (list.querySelector('img')) return 'an <img> element was created in the message list';
		const shown = [...list.querySelectorAll('.hl12345-msg[data-from="citizen"][data-seq] .hl12345-bubble')]
			.some(b => b.textContent === %s);
		if (!shown) return 'the probe is not in the transcript yet';
		const left = W.querySelector('.hl12345-input').value;
		return left === '' ? '' : 'the input still holds ' + JSON.stringify(left);
	})()`, jsString(probe)))

	// Let the conversation come to rest: nothing pending, nothing arriving.
	transcript := settledTranscript(t, ctx)
	checkUnique(t, "before reload", transcript)
	screenshot(t, ctx, artifacts, "widget-desktop.png")

	// A reloaded page redraws the whole conversation from the server, each
	// message exactly once.
	do(t, ctx, "reload", chromedp.Reload())
	want, _ := json.Marshal(transcript)
	waitJS(t, ctx, "the transcript is redrawn", fmt.Sprintf(`(() => {
		const got = JSON.stringify(%s);
		return got === JSON.stringify(%s) ? '' : 'transcript now ' + got;
	})()`, readTranscript, want))
	after := settledTranscript(t, ctx)
	checkUnique(t, "after reload", after)
	if len(after) != len(transcript) {
		t.Fatalf("after reload the widget shows %d messages, want %d:\n%v", len(after), len(transcript), after)
	}
	if n := alerts.Load(); n > 0 {
		t.Fatalf("the page opened %d dialog(s): markup from a message ran", n)
	}

	// 大字: the text of the messages grows to at least 20px.
	small := fontSize(t, ctx)
	do(t, ctx, "switch on large text", chromedp.Click(largeToggle))
	waitJS(t, ctx, "large text applies", fmt.Sprintf(`(() => {`+shadow+`
		const b = W.querySelector('.hl12345-msg[data-from="bot"] .hl12345-bubble');
		const px = parseFloat(getComputedStyle(b).fontSize);
		const pressed = W.querySelector('.hl12345-large-toggle').getAttribute('aria-pressed');
		return px > %f && px >= 20 && pressed === 'true' ? '' : 'font-size ' + px + 'px, aria-pressed ' + pressed;
	})()`, small))
	t.Logf("message font-size: %.1fpx, large: %.1fpx", small, fontSize(t, ctx))
	screenshot(t, ctx, artifacts, "widget-desktop-large.png")

	// The large-text choice persists; switch it off again for the phone.
	do(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "large text persists", `(() => {`+shadow+`
		return W && W.querySelector('.hl12345-root.hl12345-large') ? '' : 'large text was not restored'; })()`)
	do(t, ctx, "switch off large text", chromedp.Click(largeToggle))

	// On a phone the open panel takes the whole screen and the input stays
	// inside it.
	do(t, ctx, "phone viewport",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Reload(),
	)
	waitJS(t, ctx, "the panel fills the phone screen", `(() => {`+shadow+`
		if (!W) return 'no widget';
		const p = W.querySelector('.hl12345-panel').getBoundingClientRect();
		const i = W.querySelector('.hl12345-input').getBoundingClientRect();
		const s = W.querySelector('.hl12345-send').getBoundingClientRect();
		const n = W.querySelectorAll('.hl12345-msg[data-seq]').length;
		if (Math.round(p.width) !== innerWidth || Math.round(p.height) !== innerHeight) return 'panel ' + p.width + 'x' + p.height;
		if (i.bottom > innerHeight || s.bottom > innerHeight || s.right > innerWidth) return 'input or send button outside the screen';
		if (s.height < 44 || s.width < 44) return 'send button ' + s.width + 'x' + s.height + ', want at least 44px';
		return n > 0 ? '' : 'transcript not drawn yet';
	})()`)
	screenshot(t, ctx, artifacts, "widget-phone.png")
	if n := exceptions.Load(); n > 0 {
		t.Errorf("the page threw %d uncaught exception(s)", n)
	}
}

// TestWidgetSurvivesRestart stops the server under an open conversation,
// types a message while it is down, and starts it again on the same address
// and data: the widget reconnects by itself, resumes the conversation,
// delivers the waiting message once, and shows nothing twice.
func TestWidgetSurvivesRestart(t *testing.T) {
	browser := requireBrowser(t)
	artifacts := artifactDir(t)
	dir := t.TempDir()
	srv := startServerAt(t, "127.0.0.1:0", dir)
	addr := srv.Addr()
	base := "http://" + addr
	ctx := newTab(t, browser)

	do(t, ctx, "open the demo page", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/"))
	waitConnected(t, ctx)
	do(t, ctx, "ask", chromedp.SendKeys(textBox, "社保卡丢了怎么办"), pressEnter)
	waitJS(t, ctx, "the bot answers", `(() => {`+shadow+`
		return W.querySelector('.hl12345-msg[data-from="bot"][data-seq]') ? '' : 'no answer yet'; })()`)
	before := settledTranscript(t, ctx)

	stopServer(t, srv)
	waitJS(t, ctx, "the widget notices the server is gone", `(() => {`+shadow+`
		const s = W.querySelector('.hl12345-status');
		return s.dataset.state === 'down' && s.textContent.includes('重新连接') ? '' : 'status: ' + s.textContent; })()`)

	const offline = "公积金怎么提取"
	do(t, ctx, "type while the server is down", chromedp.SendKeys(textBox, offline), pressEnter)
	waitJS(t, ctx, "the message waits in the outbox", fmt.Sprintf(`(() => {`+shadow+`
		const p = W.querySelector('.hl12345-msg[data-pending]');
		if (!p || !p.textContent.includes('发送中')) return 'no pending bubble marked 发送中';
		return (localStorage.getItem('hl12345.outbox') || '').includes(%s) ? '' : 'the outbox in localStorage lacks the message';
	})()`, jsString(offline)))
	screenshot(t, ctx, artifacts, "widget-offline.png")

	startServerAt(t, addr, dir)
	// The widget's backoff has grown while the server was down (up to 10 s
	// between attempts), so this wait is longer than the others.
	waitJSFor(t, ctx, "the widget reconnects and delivers the message", 3*browserTimeout, `(() => {`+shadow+`
		const s = W.querySelector('.hl12345-status');
		if (s.dataset.state !== 'open') return 'status: ' + s.textContent;
		if (W.querySelector('[data-pending]')) return 'a message is still pending';
		return localStorage.getItem('hl12345.outbox') ? 'the outbox is not empty' : '';
	})()`)
	after := settledTranscript(t, ctx)
	checkUnique(t, "after the restart", after)
	if len(after) <= len(before) {
		t.Fatalf("after the restart the widget shows %d messages, before %d: %v", len(after), len(before), after)
	}
	for i, e := range before {
		if after[i] != e {
			t.Fatalf("message %d changed across the restart: %v, was %v", i, after[i], e)
		}
	}
	sent := 0
	for _, e := range after {
		if e.From == "citizen" && e.Text == offline {
			sent++
		}
	}
	if sent != 1 {
		t.Fatalf("the message typed while down is shown %d times, want once: %v", sent, after)
	}
	if after[len(before)].Text != offline {
		t.Errorf("the first message after the restart is %v, want the one typed while down", after[len(before)])
	}

	do(t, ctx, "reload", chromedp.Reload())
	want, _ := json.Marshal(after)
	waitJS(t, ctx, "the transcript is redrawn", fmt.Sprintf(`(() => {
		const got = JSON.stringify(%s);
		return got === JSON.stringify(%s) ? '' : 'transcript now ' + got;
	})()`, readTranscript, want))
}

// startServerAt starts a server on addr with the data in dir.
func startServerAt(t *testing.T, addr, dir string) *server.Server {
	t.Helper()
	return startServerWith(t, server.Config{Addr: addr, DataDir: dir, KBDir: "../kb-data"})
}

// stopServer shuts a server down; stopping one twice is harmless.
func stopServer(t *testing.T, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*browserTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Logf("shutdown: %v", err)
	}
}

// waitConnected waits until the widget's status line says it is connected.
func waitConnected(t *testing.T, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, "the widget connects", `(() => {`+shadow+`
		const s = W && W.querySelector('.hl12345-status');
		return s && s.dataset.state === 'open' ? '' : 'status: ' + (s ? s.textContent : 'no widget');
	})()`)
}

// Selectors of the widget's controls inside its shadow root.
const (
	textBox     = chromedp.JSPath(`document.querySelector('hl12345-chat').shadowRoot.querySelector('.hl12345-input')`)
	sendButton  = chromedp.JSPath(`document.querySelector('hl12345-chat').shadowRoot.querySelector('.hl12345-send')`)
	largeToggle = chromedp.JSPath(`document.querySelector('hl12345-chat').shadowRoot.querySelector('.hl12345-large-toggle')`)
	firstOption = chromedp.JSPath(`document.querySelector('hl12345-chat').shadowRoot.querySelector('.hl12345-option:not(:disabled)')`)
)

// pressEnter presses and releases Enter in the focused element, without the
// char event that chromedp.SendKeys adds for "\n": a real keyboard sends none
// when the keydown handler cancels the key.
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter",
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		})
		if err != nil {
			return err
		}
	}
	return nil
})

// watchDialogs counts the JavaScript dialogs the page opens, logs them and
// dismisses each so that the page does not hang. An alert in a test that
// sends markup means the markup ran as HTML.
func watchDialogs(t *testing.T, ctx context.Context) *atomic.Int32 {
	var n atomic.Int32
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			n.Add(1)
			t.Logf("page opened a dialog: %q", ev.Message)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return &n
}

// watchExceptions counts and logs the uncaught exceptions in the page.
func watchExceptions(t *testing.T, ctx context.Context) *atomic.Int32 {
	var n atomic.Int32
	thrown := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range thrown {
			if err != nil {
				return
			}
			n.Add(1)
			d := ev.ExceptionDetails
			desc := ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			t.Logf("uncaught exception in the page: %s %s (%s:%d)", d.Text, desc, d.URL, d.LineNumber)
		}
	}()
	return &n
}

// requireBrowser returns the browser's path, or skips the test when the
// machine has none, unless HOTLINE_REQUIRE_BROWSER=1 makes that a failure.
func requireBrowser(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if p := os.Getenv("HOTLINE_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("browser test needs Chromium at %s (apt-get install chromium; HOTLINE_REQUIRE_BROWSER=1 makes this a failure): %v", path, err)
		if os.Getenv("HOTLINE_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// artifactDir is where screenshots go: $HOTLINE_ARTIFACTS when set, so CI
// can keep them, else a directory removed after the test.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HOTLINE_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts dir: %v", err)
	}
	return dir
}

// newTab starts a headless Chromium with a fresh profile and returns the
// context of its first tab; the browser stops when the test ends.
func newTab(t *testing.T, browser string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	// Start the browser with the unbounded context: a timeout on the first
	// run would stop the whole browser when it fires.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	return ctx
}

// do runs browser actions with a deadline, failing the test with what it
// was doing.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*browserTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// evalJS evaluates a JavaScript expression in the page and decodes its value.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate: %v\n%s", err, expr)
	}
	return v
}

// waitJS polls a JavaScript expression that returns "" when the condition
// holds and otherwise says what is still missing, until it holds or
// browserTimeout passes.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	waitJSFor(t, ctx, what, browserTimeout, expr)
}

// waitJSFor is waitJS with its own timeout.
func waitJSFor(t *testing.T, ctx context.Context, what string, timeout time.Duration, expr string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		ectx, cancel := context.WithTimeout(ctx, browserTimeout)
		v, err := chromedp.Run(ectx, chromedp.Evaluate[string](expr))
		cancel()
		switch {
		case err == nil && v == "":
			return
		case err != nil:
			// The page may be between documents during a reload.
			last = err.Error()
		default:
			last = v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v: %s", what, timeout, last)
		}
		<-tick.C
	}
}

// settledTranscript waits until no message is pending and the transcript
// has not changed for a second, and returns it.
func settledTranscript(t *testing.T, ctx context.Context) []transcriptEntry {
	t.Helper()
	deadline := time.Now().Add(browserTimeout)
	var prev string
	var stableSince time.Time
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		raw := evalJS[string](t, ctx, `(() => {`+shadow+`
			if (!W || W.querySelector('.hl12345-msg[data-pending]')) return '';
			return JSON.stringify(`+readTranscript+`);
		})()`)
		now := time.Now()
		if raw == "" || raw != prev {
			prev, stableSince = raw, now
		} else if now.Sub(stableSince) >= time.Second {
			var entries []transcriptEntry
			if err := json.Unmarshal([]byte(raw), &entries); err != nil {
				t.Fatalf("transcript %s: %v", raw, err)
			}
			return entries
		}
		if now.After(deadline) {
			t.Fatalf("the transcript did not settle in %v (pending messages or still changing): %s", browserTimeout, prev)
		}
		<-tick.C
	}
}

// checkUnique fails when a message is drawn twice.
func checkUnique(t *testing.T, when string, entries []transcriptEntry) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Seq] {
			t.Fatalf("%s: message seq %s is drawn twice: %v", when, e.Seq, entries)
		}
		seen[e.Seq] = true
	}
	if len(entries) == 0 {
		t.Fatalf("%s: no messages drawn", when)
	}
}

// botCount counts the drawn messages not written by the citizen.
func botCount(t *testing.T, ctx context.Context) int {
	t.Helper()
	return evalJS[int](t, ctx, `(() => {`+shadow+`
		return W.querySelectorAll('.hl12345-msg[data-seq]:not([data-from="citizen"])').length; })()`)
}

// fontSize is the computed font size of a bot message, in CSS pixels.
func fontSize(t *testing.T, ctx context.Context) float64 {
	t.Helper()
	return evalJS[float64](t, ctx, `(() => {`+shadow+`
		return parseFloat(getComputedStyle(W.querySelector('.hl12345-msg[data-from="bot"] .hl12345-bubble')).fontSize); })()`)
}

// screenshot saves the visible viewport as a PNG under dir and logs where.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	t.Logf("screenshot: %s", path)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), "</", `<\/`)
}
