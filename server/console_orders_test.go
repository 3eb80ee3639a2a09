package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/agenttest"
	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/workorder"
)

// lampSummaries are five citizens reporting one broken street lamp in
// their own words: similar enough to be one hot issue (热点).
var lampSummaries = []string{
	"幸福路12号的路灯坏了一个星期了，晚上很黑，走路不安全，电话13812345678",
	"幸福路12号的路灯坏了，晚上很黑不安全",
	"幸福路12号的路灯坏了一个星期，晚上很黑，走路不安全",
	"幸福路12号的路灯坏了，晚上很黑，走路很不安全",
	"幸福路12号的路灯坏了一个星期了，晚上很黑",
}

// createSimilarOrders records the lamp reports as the bot would, for the
// urban management department.
func createSimilarOrders(t testing.TB, srv *server.Server) []string {
	t.Helper()
	var numbers []string
	for i, s := range lampSummaries {
		o, err := srv.WorkOrders().Create(context.Background(), workorder.Draft{AppealType: workorder.Complaint,
			Department: "urban", Summary: s, Address: "幸福路12号",
			Contact: workorder.Contact{Phone: fmt.Sprintf("1390000%04d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, o.Number)
	}
	return numbers
}

// citizenWithAgent connects a citizen who asks for a person and has the
// agent accept; it returns the citizen and the conversation.
func citizenWithAgent(t *testing.T, base string, agent *agenttest.Client) (*widgettest.Client, string) {
	t.Helper()
	citizen := widgettest.Dial(t, base)
	citizen.Hello("", 0)
	citizen.Ask("c1", "转人工")
	citizen.BotReplyTo(10*time.Second, "转人工")
	conv := citizen.Conversation
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer" && f.Conversation == conv })
	agent.Send(map[string]any{"type": "accept", "conversation": conv})
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "message" && f.Text == "转人工" })
	return citizen, conv
}

// TestConsoleOrderFromChat: an agent registers a work order from a chat.
// The form comes prefilled by the NLU from what the citizen wrote (the
// summary without 转人工, the phone, the place); the order is created by
// the agent, dispatched to the department chosen, once however often the
// frame comes; the citizen is told the number; a bad phone is refused.
func TestConsoleOrderFromChat(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent", "urban")
	li := agentOnline(t, base, "li")
	citizen, conv := citizenWithAgent(t, base, li)

	const what, phone = "幸福路12号的路灯坏了一个星期了，晚上很黑，请尽快修一下", "我的手机是138 1234 5678"
	citizen.Ask("c2", what)
	citizen.Ask("c3", phone)
	li.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "message" && f.Text == phone })

	li.Send(map[string]any{"type": "order_draft", "conversation": conv})
	got := li.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "order_draft" || f.Type == "error" })
	d := got[len(got)-1].Draft
	if d == nil {
		t.Fatalf("order_draft answered %s", got[len(got)-1])
	}
	if !strings.Contains(d.Summary, what) || strings.Contains(d.Summary, "转人工") || d.Phone != "13812345678" ||
		!strings.Contains(d.Address, "幸福路12号") {
		t.Errorf("prefilled draft = %+v, want the citizen's words without 转人工, the phone and the place", *d)
	}

	// A bad phone: refused, naming the field, nothing created.
	bad := map[string]any{"appeal_type": "complaint", "summary": d.Summary, "phone": "1234"}
	li.Send(map[string]any{"type": "order", "id": "o1", "conversation": conv, "order": bad})
	got = li.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "order_created" || f.Type == "error" })
	if f := got[len(got)-1]; f.Code != "bad_order" || f.Field != "phone" {
		t.Errorf("bad phone answered %s, want bad_order on phone", f)
	}
	if all, _ := srv.WorkOrders().List(context.Background(), workorder.Filter{}); len(all) != 0 {
		t.Fatalf("%d orders after a refused form", len(all))
	}

	order := map[string]any{"appeal_type": "complaint", "department": "urban", "summary": d.Summary,
		"address": d.Address, "when": "一个星期前", "name": "陈先生", "phone": d.Phone}
	frame := map[string]any{"type": "order", "id": "o1", "conversation": conv, "order": order}
	li.Send(frame)
	got = li.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "order_created" || f.Type == "error" })
	created := got[len(got)-1]
	if created.Type != "order_created" || created.Number == "" {
		t.Fatalf("order answered %s", created)
	}
	li.Send(frame) // again, as after a reconnect
	got = li.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "order_created" || f.Type == "error" })
	if f := got[len(got)-1]; f.Number != created.Number {
		t.Errorf("retried order answered %s, want %s again", f, created.Number)
	}
	all, err := srv.WorkOrders().List(context.Background(), workorder.Filter{})
	if err != nil || len(all) != 1 {
		t.Fatalf("orders = %d, %v; want exactly one", len(all), err)
	}
	o := all[0]
	if o.Number != created.Number || o.Conversation != conv || o.Channel != "web" || o.History[0].By != "li" ||
		o.Status != workorder.Dispatched || o.Department != "urban" || o.Contact.Phone != "13812345678" || !o.Due.Equal(created.Due) {
		t.Errorf("stored order = %+v", o)
	}

	told := citizen.Until(10*time.Second, func(f widgettest.Frame) bool {
		return f.Type == "message" && strings.Contains(f.Text, created.Number)
	})
	if m := told[len(told)-1]; m.From != "system" || !strings.Contains(m.Text, "已为您登记工单") ||
		!strings.Contains(m.Text, created.Due.Format("2006年1月2日")+"前答复您") {
		t.Errorf("the citizen was told %+v", m)
	}
	// The order is the conversation's: the citizen may ask about it.
	if _, err := srv.WorkOrders().Lookup(context.Background(), conv, created.Number); err != nil {
		t.Errorf("lookup from the citizen's conversation: %v", err)
	}
}

// TestConsoleHotIssuesForSupervisors: after five similar orders, a
// supervisor's console gets them as one hot issue, masked; an agent's
// console gets nothing of it.
func TestConsoleHotIssuesForSupervisors(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent")
	addAgent(t, srv, "zhang", "supervisor")
	li := agentOnline(t, base, "li")
	numbers := createSimilarOrders(t, srv)

	zhang := agentOnline(t, base, "zhang")
	got := zhang.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "hot_issues" && len(f.HotIssues) > 0 })
	hot := got[len(got)-1].HotIssues
	if len(hot) != 1 || hot[0].Department != "urban" || hot[0].Count != len(numbers) ||
		strings.Join(hot[0].Numbers, ",") != strings.Join(numbers, ",") {
		t.Fatalf("hot issues = %+v, want one of %v", hot, numbers)
	}
	if ex := hot[0].Example; !strings.Contains(ex, "幸福路12号的路灯坏了") || strings.Contains(ex, "13812345678") {
		t.Errorf("example = %q, want the first summary with its phone masked", ex)
	}

	li.Send(map[string]any{"type": "order_draft", "conversation": "probe"})
	for _, f := range li.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "error" && f.Conversation == "probe" }) {
		if f.Type == "hot_issues" {
			t.Errorf("an agent's console got %s", f)
		}
	}
}
