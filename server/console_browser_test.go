package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/server"
)

// consoleTranscript is the JavaScript prelude that finds the console's
// transcript of the selected chat; expressions that read it start from it.
const consoleTranscript = `const T = document.querySelector('[data-test="transcript"]');`

// TestConsoleInBrowser drives the agent console in a real headless Chromium
// against a real server, with a citizen on a real widget WebSocket: sign in
// through the form, get the offer and accept it, read the transcript, see
// markup from the citizen as text, insert a standard phrase and reply, go
// away and reload (the chat and the status come back), then close with the
// wrap-up and check that the citizen gets the survey.
func TestConsoleInBrowser(t *testing.T) {
	browser := requireBrowser(t)
	artifacts := artifactDir(t)
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent", "housing")
	ctx := newTab(t, browser)
	alerts := watchDialogs(t, ctx)
	exceptions := watchExceptions(t, ctx)

	signIn(t, ctx, base, "li")

	// A citizen asks for a person; the console offers the chat.
	citizen, conv := acceptInBrowser(t, ctx, base)
	waitJS(t, ctx, "the transcript shows the citizen's request", consoleHas("citizen", "转人工"))
	if toasts := evalJS[string](t, ctx, `[...document.querySelectorAll('[data-test="toast"]')].map(t => t.textContent).join(' ')`); strings.Contains(toasts, "失效") || strings.Contains(toasts, "超时") {
		t.Errorf("after accepting, the console says: %s", toasts)
	}
	citizen.Until(10*time.Second, func(f widgettest.Frame) bool {
		return f.Type == "message" && f.From == "system" && strings.Contains(f.Text, "已为您接入")
	})

	// Markup from a citizen is text on the console: shown literally, never
	// parsed into elements.
	const probe = `<img src=x onerror=alert(1)>我家楼道灯坏了`
	citizen.Ask("c2", probe)
	waitJS(t, ctx, "the markup is shown literally", `(() => {`+consoleTranscript+`
		const shown = [...T.querySelectorAll('[data-test="msg"][data-from="citizen"] .msg-text')].map(m => m.textContent);
		if (!shown.some(s => s.includes('<img') && s === `+jsString(probe)+`)) return 'the probe is not in the transcript yet: ' + JSON.stringify(shown);
		if (T.querySelector('img')) return 'an <img> element was created in the transcript';
		return document.images.length === 0 ? '' : 'the page has ' + document.images.length + ' image(s)';
	})()`)
	screenshot(t, ctx, artifacts, "console-chat.png")

	// A standard phrase goes into the reply box with the agent filled in;
	// the agent adds to it and sends.
	if evalJS[bool](t, ctx, `!!document.querySelector('[data-test="phrase"]')`) {
		do(t, ctx, "insert a phrase", chromedp.Click(chromedp.CSS(`[data-test="phrase"]`)))
		waitJS(t, ctx, "the phrase is in the reply box", `(() => {
			const v = document.querySelector('[data-test="reply"]').value;
			if (!v) return 'the reply box is empty';
			return /[{}]/.test(v) ? 'a placeholder was left in ' + JSON.stringify(v) : '';
		})()`)
	}
	do(t, ctx, "type a reply", chromedp.SendKeys(chromedp.CSS(`[data-test="reply"]`), "请问是哪个小区、几号楼？"))
	reply := strings.TrimSpace(evalJS[string](t, ctx, `document.querySelector('[data-test="reply"]').value`))
	do(t, ctx, "send the reply", chromedp.Click(chromedp.CSS(`[data-test="send"]`)))
	got := citizen.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Type == "message" && f.From == "agent" })
	if f := got[len(got)-1]; f.Text != reply {
		t.Errorf("the citizen got %q from the agent, want %q", f.Text, reply)
	}
	// The transcript copy, matched by the reply's id, replaces the pending
	// bubble.
	waitJS(t, ctx, "the reply is confirmed in the transcript", `(() => {`+consoleTranscript+`
		if (T.querySelector('[data-pending], [data-test="msg-failed"]')) return 'the reply is still pending or failed';
		return `+consoleHas("agent", reply)+`;
	})()`)

	// Away, then a reload: the console resumes with the status the server
	// kept and the chat the agent still holds, each message once.
	do(t, ctx, "go away", chromedp.SetValue(chromedp.CSS(`[data-test="status"]`), "away"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-test="status"]').dispatchEvent(new Event('change'))`))
	eventually(t, 10*time.Second, func() error {
		b, err := srv.Handoff().Board(context.Background())
		if err != nil {
			return err
		}
		if a, ok := b.Agents["li"]; !ok || a.Status != handoff.StatusAway {
			return fmt.Errorf("agent li on the board: %+v", b.Agents["li"])
		}
		return nil
	})
	do(t, ctx, "reload", chromedp.Reload())
	waitConsoleConnected(t, ctx)
	waitJS(t, ctx, "the status and the chat come back", `(() => {`+consoleTranscript+`
		const s = document.querySelector('[data-test="status"]').value;
		if (s !== 'away') return 'status select shows ' + s;
		const tab = document.querySelector(`+jsString(`[data-test="chat-tab"][data-conversation=`+jsString(conv)+`]`)+`);
		if (!tab) return 'no chat tab';
		if (tab.classList.contains('is-ended') || T.querySelector('[data-test="notice"]')) return 'the chat is shown as ended';
		const seqs = [...T.querySelectorAll('[data-test="msg"][data-seq]')].map(m => m.dataset.seq);
		if (new Set(seqs).size !== seqs.length) return 'a message is drawn twice: ' + seqs;
		const texts = [...T.querySelectorAll('[data-test="msg"] .msg-text')].map(m => m.textContent);
		return texts.includes(`+jsString(probe)+`) && texts.includes(`+jsString(reply)+`) ? '' : 'transcript not redrawn yet';
	})()`)

	// Close with the wrap-up: the citizen gets the survey.
	do(t, ctx, "open the wrap-up", chromedp.Click(chromedp.CSS(`[data-test="close-chat"]`)))
	waitJS(t, ctx, "the wrap-up dialog opens", `document.getElementById('wrapup-dialog').open ? '' : 'closed'`)
	const summary = "市民反映楼道灯损坏，已登记转物业维修"
	do(t, ctx, "fill in the wrap-up",
		chromedp.SetValue(chromedp.CSS(`[data-test="wrapup-type"]`), "report"),
		chromedp.SetValue(chromedp.CSS(`[data-test="wrapup-dept"]`), "housing"),
		chromedp.SendKeys(chromedp.CSS(`[data-test="wrapup-summary"]`), summary),
		chromedp.SetValue(chromedp.CSS(`[data-test="wrapup-resolved"]`), "no"),
		chromedp.Click(chromedp.CSS(`[data-test="wrapup-submit"]`)),
	)
	survey := citizen.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Type == "message" && len(f.Options) == 4 })
	if o := survey[len(survey)-1].Options; o[0] != "非常满意" || o[3] != "不满意" {
		t.Errorf("survey options = %v, want 非常满意 … 不满意", o)
	}
	waitJS(t, ctx, "the chat is ended and read-only", `(() => {
		if (document.getElementById('wrapup-dialog').open) return 'the wrap-up dialog is still open';
		const tab = document.querySelector('[data-test="chat-tab"]');
		if (!tab.classList.contains('is-ended')) return 'the tab is not marked ended';
		return document.querySelector('[data-test="reply"]').disabled ? '' : 'the reply box is still enabled';
	})()`)
	eventually(t, 5*time.Second, func() error {
		events, _, err := srv.Handoff().Events(context.Background(), 0, 100)
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Type == handoff.EventClosed && e.Conversation == conv {
				if w := e.Wrapup; w == nil || w.AppealType != "report" || w.Department != "housing" || w.Summary != summary || w.Resolved {
					return fmt.Errorf("closed with wrap-up %+v", e.Wrapup)
				}
				return nil
			}
		}
		return fmt.Errorf("no closed event for %s", conv)
	})
	screenshot(t, ctx, artifacts, "console-end.png")
	if n := alerts.Load(); n > 0 {
		t.Fatalf("the page opened %d dialog(s): markup from a message ran", n)
	}
	if n := exceptions.Load(); n > 0 {
		t.Errorf("the page threw %d uncaught exception(s)", n)
	}
}

// TestConsoleCallbacksInBrowser: citizens leave messages (留言) while nobody
// is signed in; the agent signs in, sees them with the phone numbers in the
// 留言回访 panel, marks one 已回电, and only that one leaves the list.
func TestConsoleCallbacksInBrowser(t *testing.T) {
	browser := requireBrowser(t)
	artifacts := artifactDir(t)
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent")
	ctx := newTab(t, browser)
	exceptions := watchExceptions(t, ctx)

	phones := []string{"13812345678", "13987654321"}
	for i, phone := range phones {
		citizen := widgettest.Dial(t, base)
		citizen.Hello("", 0)
		citizen.Ask("m1", "留言")
		citizen.BotReplyTo(10*time.Second, "留言")
		text := fmt.Sprintf("<b>%d号</b>小区门口路灯坏了一周了，电话%s", i+1, phone)
		citizen.Ask("m2", text)
		citizen.BotReplyTo(10*time.Second, text)
	}
	open, err := srv.Handoff().Callbacks(context.Background())
	if err != nil || len(open) != 2 {
		t.Fatalf("open call-back requests = %+v, %v; want 2", open, err)
	}

	signIn(t, ctx, base, "li")
	waitJS(t, ctx, "the requests are listed with the phones", `(() => {
		const P = document.querySelector('[data-test="callbacks"]');
		const items = [...P.querySelectorAll('[data-test="callback"]')];
		if (items.length !== 2) return items.length + ' requests listed, want 2';
		const want = `+jsString(strings.Join(phones, ","))+`.split(',');
		for (let i = 0; i < 2; i++) {
			const t = items[i].textContent;
			if (!t.includes(want[i])) return 'request ' + i + ' lacks ' + want[i] + ': ' + t;
			if (!t.includes('<b>')) return 'request ' + i + ' does not show the markup as text: ' + t;
			if (!items[i].querySelector('[data-test="callback-done"]')) return 'request ' + i + ' has no 已回电 button';
		}
		if (P.querySelector('b')) return 'markup in a request became an element';
		const n = P.querySelector('[data-test="callbacks-count"]').textContent;
		return n === '2' ? '' : 'count badge ' + n;
	})()`)
	screenshot(t, ctx, artifacts, "console-callbacks.png")

	first := fmt.Sprintf(`[data-test="callback"][data-id=%s]`, jsString(open[0].ID))
	do(t, ctx, "mark the first request called back", chromedp.Click(chromedp.CSS(first+` [data-test="callback-done"]`)))
	waitJS(t, ctx, "the request leaves the list", `(() => {
		const P = document.querySelector('[data-test="callbacks"]');
		if (P.querySelector(`+jsString(first)+`)) return 'the request is still listed';
		const items = P.querySelectorAll('[data-test="callback"]');
		if (items.length !== 1 || items[0].dataset.id !== `+jsString(open[1].ID)+`) return items.length + ' requests listed, want only the second';
		const n = P.querySelector('[data-test="callbacks-count"]').textContent;
		return n === '1' ? '' : 'count badge ' + n;
	})()`)
	left, err := srv.Handoff().Callbacks(context.Background())
	if err != nil || len(left) != 1 || left[0].ID != open[1].ID {
		t.Errorf("open call-back requests after 已回电 = %+v, %v; want only %s", left, err, open[1].ID)
	}
	screenshot(t, ctx, artifacts, "console-callbacks-done.png")
	if n := exceptions.Load(); n > 0 {
		t.Errorf("the page threw %d uncaught exception(s)", n)
	}
}

// signIn opens the console, signs in through its form and waits until the
// console is connected (the server then counts the agent as online).
func signIn(t *testing.T, ctx context.Context, base, username string) {
	t.Helper()
	do(t, ctx, "open the console", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/agent"))
	waitJS(t, ctx, "the sign-in form shows", `document.getElementById('login-view').hidden ? 'sign-in form hidden' : ''`)
	do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS(`[data-test="username"]`), username),
		chromedp.SendKeys(chromedp.CSS(`[data-test="password"]`), agentPassword),
		chromedp.Click(chromedp.CSS(`[data-test="login-submit"]`)),
	)
	waitConsoleConnected(t, ctx)
}

// waitConsoleConnected waits until the console has its session.
func waitConsoleConnected(t *testing.T, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, "the console connects", `(() => {
		const c = document.querySelector('[data-test="conn"]');
		if (document.getElementById('console-view').hidden) return 'console not shown';
		return c && c.dataset.state === 'open' ? '' : 'connection: ' + (c ? c.textContent : 'none');
	})()`)
}

// settled is a JavaScript function, for waitJS expressions, that says what
// CSS animation still runs (an offer sliding in), so that screenshots show
// the page at rest.
const settled = `(() => {
	const a = document.getAnimations().filter(a => a instanceof CSSAnimation && a.playState === 'running' &&
		a.effect && a.effect.getTiming().iterations !== Infinity);
	return a.length ? a.length + ' animation(s) running' : '';
})`

// consoleHas is a JavaScript expression that is "" when the selected chat's
// transcript shows a confirmed message from from with exactly text.
func consoleHas(from, text string) string {
	return fmt.Sprintf(`(() => {`+consoleTranscript+`
		const ms = [...T.querySelectorAll('[data-test="msg"][data-seq][data-from=%s] .msg-text')].map(m => m.textContent);
		return ms.includes(%s) ? '' : 'no %s message ' + JSON.stringify(%s) + ' in ' + JSON.stringify(ms);
	})()`, jsString(from), jsString(text), from, jsString(text))
}

// TestConsoleShowsChatsLostWhileAway cuts the console off the network
// until the agent's grace period has run out and the chat has gone back to
// the queue: when the console is back, the session frame no longer lists
// the chat, so the console shows it ended (read-only), and the offer of the
// same chat that follows can be accepted again.
func TestConsoleShowsChatsLostWhileAway(t *testing.T) {
	browser := requireBrowser(t)
	artifacts := artifactDir(t)
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		ServiceHours: "24h", AgentGrace: time.Second})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent")
	ctx := newTab(t, browser)
	exceptions := watchExceptions(t, ctx)
	watchSockets(t, ctx)

	signIn(t, ctx, base, "li")
	_, conv := acceptInBrowser(t, ctx, base)
	waitJS(t, ctx, "the transcript shows the citizen's request", consoleHas("citizen", "转人工"))

	setOffline(t, ctx, true)
	evalJS[bool](t, ctx, `window.__hotlineSockets.forEach(s => s.close()) || true`)
	waitJS(t, ctx, "the console loses its connection", `(() => {
		const s = document.querySelector('[data-test="conn"]').dataset.state;
		return s === 'open' ? 'still connected' : '';
	})()`)
	eventually(t, 10*time.Second, func() error {
		b, err := srv.Handoff().Board(context.Background())
		if err != nil {
			return err
		}
		if _, held := b.Chats[conv]; held {
			return fmt.Errorf("the chat is still held: %+v", b.Chats[conv])
		}
		if _, queued := b.Entry(conv); !queued {
			return fmt.Errorf("the chat is not back in the queue")
		}
		return nil
	})
	setOffline(t, ctx, false)

	tab := fmt.Sprintf(`[data-test="chat-tab"][data-conversation=%s]`, jsString(conv))
	offer := fmt.Sprintf(`[data-test="offer"][data-conversation=%s]`, jsString(conv))
	waitJS(t, ctx, "the chat shows ended and the offer comes again", `(() => {`+consoleTranscript+`
		const tab = document.querySelector(`+jsString(tab)+`);
		if (!tab || !tab.classList.contains('is-ended')) return 'the tab is not marked ended';
		const notices = [...T.querySelectorAll('[data-test="notice"]')];
		const lost = notices.find(m => m.textContent.includes('连接中断期间'));
		if (!lost) return 'no notice that the chat was lost: ' + JSON.stringify(notices.map(m => m.textContent));
		if (!document.querySelector('[data-test="reply"]').disabled) return 'the reply box is still enabled';
		if (!document.querySelector(`+jsString(offer)+`)) return 'no new offer';
		// The offer above the panes shrinks the transcript: its end stays in view.
		if (lost.getBoundingClientRect().bottom > T.getBoundingClientRect().bottom + 1) return 'the notice is out of view';
		return `+settled+`();
	})()`)
	screenshot(t, ctx, artifacts, "console-lost.png")

	do(t, ctx, "accept the chat again", chromedp.Click(chromedp.CSS(offer+` [data-test="accept"]`)))
	waitJS(t, ctx, "the chat is live again", `(() => {
		const tab = document.querySelector(`+jsString(tab)+`);
		if (tab.classList.contains('is-ended')) return 'the tab is still marked ended';
		return document.querySelector('[data-test="reply"]').disabled ? 'the reply box is disabled' : '';
	})()`)
	if n := exceptions.Load(); n > 0 {
		t.Errorf("the page threw %d uncaught exception(s)", n)
	}
}

// watchSockets makes the pages of ctx keep their WebSockets in
// window.__hotlineSockets, so that a test can close them as a network
// failure would: taking the network away (setOffline) keeps new connections
// from opening, but leaves open ones alone.
func watchSockets(t *testing.T, ctx context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `(() => {
		const Native = window.WebSocket;
		window.__hotlineSockets = [];
		window.WebSocket = class extends Native {
			constructor(...args) { super(...args); window.__hotlineSockets.push(this); }
		};
	})()`})
	if err != nil {
		t.Fatalf("watch sockets: %v", err)
	}
}

// setOffline cuts the page off the network or gives it back, and tells the
// page through navigator.onLine.
func setOffline(t *testing.T, ctx context.Context, offline bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("network enable: %v", err)
	}
	var rules []*network.Conditions
	if offline {
		rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
		t.Fatalf("emulate offline=%v: %v", offline, err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		t.Fatalf("network state offline=%v: %v", offline, err)
	}
}

// acceptInBrowser has a new citizen ask for a person and the signed-in
// console in ctx accept the offer; it returns the citizen's client and
// conversation.
func acceptInBrowser(t *testing.T, ctx context.Context, base string) (*widgettest.Client, string) {
	t.Helper()
	citizen := widgettest.Dial(t, base)
	citizen.Hello("", 0)
	citizen.Ask("c1", "转人工")
	citizen.BotReplyTo(10*time.Second, "转人工")
	conv := citizen.Conversation
	offer := fmt.Sprintf(`[data-test="offer"][data-conversation=%s]`, jsString(conv))
	waitJS(t, ctx, "the offer shows", fmt.Sprintf(`document.querySelector(%s) ? '' : 'no offer for the conversation'`, jsString(offer)))
	do(t, ctx, "accept the offer", chromedp.Click(chromedp.CSS(offer+` [data-test="accept"]`)))
	return citizen, conv
}
