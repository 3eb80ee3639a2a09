package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/workorder"
)

// TestConsoleOrderInBrowser: in a real Chromium, an agent holding a chat
// opens 登记工单; the form is prefilled from what the citizen wrote (the
// phone and the place); what the agent types survives a reload; the agent
// submits and sees the number in the chat; the citizen's widget gets the
// number, and the order exists, registered by the agent and dispatched.
func TestConsoleOrderInBrowser(t *testing.T) {
	browser := requireBrowser(t)
	artifacts := artifactDir(t)
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent", "urban")
	ctx := newTab(t, browser)
	exceptions := watchExceptions(t, ctx)
	signIn(t, ctx, base, "li")

	citizen, conv := acceptInBrowser(t, ctx, base)
	const what, phone = "幸福路12号的路灯坏了一个星期了，晚上很黑，请尽快修一下", "我的手机是13812345678"
	citizen.Ask("c2", what)
	citizen.Ask("c3", phone)
	waitJS(t, ctx, "the citizen's messages show", consoleHas("citizen", phone))

	do(t, ctx, "open 登记工单", chromedp.Click(chromedp.CSS(`[data-test="order"]`)))
	waitJS(t, ctx, "the form is prefilled from the chat", `(() => {
		if (!document.getElementById('order-dialog').open) return 'the dialog is closed';
		const v = k => document.querySelector('[data-test="order-' + k + '"]').value;
		if (v('phone') !== '13812345678') return 'phone ' + JSON.stringify(v('phone'));
		if (!v('address').includes('幸福路12号')) return 'address ' + JSON.stringify(v('address'));
		if (!v('summary').includes(`+jsString(what)+`)) return 'summary ' + JSON.stringify(v('summary'));
		return v('summary').includes('转人工') ? 'the summary has 转人工' : '';
	})()`)
	do(t, ctx, "fill in the rest",
		chromedp.SetValue(chromedp.CSS(`[data-test="order-type"]`), "complaint"),
		chromedp.SetValue(chromedp.CSS(`[data-test="order-dept"]`), "urban"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-test="order-dept"]').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.SendKeys(chromedp.CSS(`[data-test="order-name"]`), "陈先生"),
	)
	screenshot(t, ctx, artifacts, "console-order-form.png")

	// A reload (or a dropped connection) keeps the draft: the dialog opens
	// again with what the agent had, without asking the server again.
	do(t, ctx, "reload", chromedp.Reload())
	waitConsoleConnected(t, ctx)
	tab := fmt.Sprintf(`[data-test="chat-tab"][data-conversation=%s]`, jsString(conv))
	waitJS(t, ctx, "the chat comes back", fmt.Sprintf(`document.querySelector(%s) ? '' : 'no tab'`, jsString(tab)))
	do(t, ctx, "select the chat and open 登记工单", chromedp.Click(chromedp.CSS(tab)), chromedp.Click(chromedp.CSS(`[data-test="order"]`)))
	waitJS(t, ctx, "the draft is kept", `(() => {
		if (!document.getElementById('order-dialog').open) return 'the dialog is closed';
		const v = k => document.querySelector('[data-test="order-' + k + '"]').value;
		if (v('name') !== '陈先生' || v('dept') !== 'urban' || v('type') !== 'complaint') return 'form ' + JSON.stringify([v('name'), v('dept'), v('type')]);
		return v('phone') === '13812345678' ? '' : 'phone ' + v('phone');
	})()`)

	// A phone the work orders refuse: the field is marked, nothing is
	// registered; corrected, the same draft goes through.
	setPhone := func(v string) {
		do(t, ctx, "type the phone "+v, chromedp.SetValue(chromedp.CSS(`[data-test="order-phone"]`), v),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-test="order-phone"]').dispatchEvent(new Event('input', {bubbles: true}))`))
	}
	setPhone("1234")
	do(t, ctx, "submit a bad phone", chromedp.Click(chromedp.CSS(`[data-test="order-submit"]`)))
	waitJS(t, ctx, "the phone is marked", `(() => {
		const e = document.querySelector('[data-test="order-error"]');
		if (e.hidden || !e.textContent.includes('联系电话')) return 'error: ' + e.textContent;
		if (document.querySelector('[data-test="order-phone"]').getAttribute('aria-invalid') !== 'true') return 'the phone is not marked';
		return document.querySelector('[data-test="order-submit"]').disabled ? 'submit is disabled' : '';
	})()`)
	if all, _ := srv.WorkOrders().List(context.Background(), workorder.Filter{}); len(all) != 0 {
		t.Fatalf("%d orders after a refused phone", len(all))
	}
	setPhone("13812345678")
	do(t, ctx, "submit", chromedp.Click(chromedp.CSS(`[data-test="order-submit"]`)))
	waitJS(t, ctx, "the number shows in the chat", `(() => {`+consoleTranscript+`
		if (document.getElementById('order-dialog').open) return 'the dialog is still open: ' + document.querySelector('[data-test="order-error"]').textContent;
		const n = T.querySelector('[data-test="order-note"]');
		return n && /\d{8}-\d{6}/.test(n.textContent) ? '' : 'no note with the number';
	})()`)
	number := evalJS[string](t, ctx, `document.querySelector('[data-test="order-note"]').dataset.number`)
	told := citizen.Until(10*time.Second, func(f widgettest.Frame) bool {
		return f.Type == "message" && strings.Contains(f.Text, number)
	})
	if m := told[len(told)-1]; m.From != "system" || !strings.Contains(m.Text, "已为您登记工单，编号"+number) {
		t.Errorf("the citizen got %+v", m)
	}
	waitJS(t, ctx, "the console shows what the citizen was told", consoleHas("system", told[len(told)-1].Text))
	o, err := srv.WorkOrders().Get(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if o.History[0].By != "li" || o.Conversation != conv || o.Department != "urban" || o.Status != workorder.Dispatched ||
		o.Contact.Name != "陈先生" || o.Contact.Phone != "13812345678" || !strings.Contains(o.Address, "幸福路12号") {
		t.Errorf("stored order = %+v", o)
	}
	if all, _ := srv.WorkOrders().List(context.Background(), workorder.Filter{}); len(all) != 1 {
		t.Errorf("%d orders, want 1", len(all))
	}
	screenshot(t, ctx, artifacts, "console-order.png")
	if n := exceptions.Load(); n > 0 {
		t.Errorf("the page threw %d uncaught exception(s)", n)
	}
}

// TestConsoleHotIssueBannerInBrowser: a supervisor who signs in after
// five similar appeals sees the hot-issue banner (热点预警) with the
// department, the count and the order numbers, the phone masked.
func TestConsoleHotIssueBannerInBrowser(t *testing.T) {
	browser := requireBrowser(t)
	artifacts := artifactDir(t)
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	base := baseURL(srv)
	addAgent(t, srv, "zhang", "supervisor")
	numbers := createSimilarOrders(t, srv)
	ctx := newTab(t, browser)
	exceptions := watchExceptions(t, ctx)
	signIn(t, ctx, base, "zhang")

	waitJS(t, ctx, "the hot-issue banner shows", `(() => {
		const B = document.querySelector('[data-test="hot-issues"]');
		if (!B || B.hidden || !B.offsetParent) return 'no banner';
		const items = [...B.querySelectorAll('[data-test="hot-issue"]')];
		if (items.length !== 1) return items.length + ' hot issues shown, want 1';
		const t = items[0].textContent;
		if (!t.includes('城市管理') || !t.includes('相似诉求 5 件')) return 'item says ' + t;
		if (!t.includes(`+jsString(numbers[0])+`) || !t.includes(`+jsString(numbers[4])+`)) return 'numbers missing: ' + t;
		if (t.includes('13812345678')) return 'the phone is shown: ' + t;
		return `+settled+`();
	})()`)
	screenshot(t, ctx, artifacts, "console-hot.png")
	if n := exceptions.Load(); n > 0 {
		t.Errorf("the page threw %d uncaught exception(s)", n)
	}
}
