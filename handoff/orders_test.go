package handoff_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/internal/agenttest"
	"github.com/hotline12345/hotline/internal/testwait"
	"github.com/hotline12345/hotline/internal/wstest"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/workorder"
)

// These tests run the real console over real WebSockets, on a real store
// with the real work orders behind it. The order desk here is the plain
// part of the server's (server/console_orders.go), without the NLU: the
// server's tests check the prefill from what the NLU understands.

// poster stores and announces what the hand-off tells citizens, as the
// bot's Post and Deliver do.
type poster struct{ st *embedded.Store }

func (p poster) Post(ctx context.Context, conv store.Conversation, m store.Message) (store.Message, error) {
	stored, dup, err := p.st.Append(ctx, conv.ID, m)
	if err == nil && !dup {
		p.Deliver(ctx, conv, stored)
	}
	return stored, err
}

func (p poster) Deliver(ctx context.Context, conv store.Conversation, m store.Message) {
	_ = p.st.Publish(ctx, channels.Topic(conv.ID), channels.EncodeEvent(m))
}

// desk registers orders in the work orders: the summary is what the
// citizen wrote, the phone the first one in it.
type desk struct {
	orders *workorder.Service
	st     *embedded.Store
}

func (d desk) Prefill(ctx context.Context, conv store.Conversation) (handoff.OrderForm, error) {
	msgs, err := d.st.Messages(ctx, conv.ID, 0, 200)
	if err != nil {
		return handoff.OrderForm{}, err
	}
	var f handoff.OrderForm
	var lines []string
	for _, m := range msgs {
		if m.From != store.FromCitizen {
			continue
		}
		lines = append(lines, m.Text)
		if p := nlu.Phones(m.Text); f.Phone == "" && len(p) > 0 {
			f.Phone = p[0]
		}
	}
	f.Summary = strings.Join(lines, "\n")
	return f, nil
}

func (d desk) Create(ctx context.Context, agent string, conv store.Conversation, f handoff.OrderForm) (string, time.Time, error) {
	o, err := d.orders.Create(ctx, workorder.Draft{Conversation: conv.ID, Channel: conv.Channel,
		AppealType: workorder.AppealType(f.AppealType), Department: f.Department, Summary: f.Summary,
		Address: f.Address, When: f.When, By: agent,
		Contact: workorder.Contact{Name: f.Name, Phone: f.Phone, Anonymous: f.Anonymous}})
	if errors.Is(err, workorder.ErrInvalid) {
		_, rest, _ := strings.Cut(err.Error(), workorder.ErrInvalid.Error()+": ")
		field, problem, _ := strings.Cut(rest, ": ")
		if field == "contact" {
			field = "anonymous"
		}
		return "", time.Time{}, &handoff.BadOrderError{Field: field, Problem: problem}
	}
	return o.Number, o.Due, err
}

// hotSource finds groups of three similar orders within the hour.
type hotSource struct{ orders *workorder.Service }

func (h hotSource) HotIssues(ctx context.Context) ([]handoff.HotIssue, error) {
	hot, err := h.orders.HotIssues(ctx, time.Hour, 3)
	var out []handoff.HotIssue
	for _, g := range hot {
		item := handoff.HotIssue{Department: g.Department, Count: len(g.Orders), Example: g.Orders[0].Summary, Since: g.First}
		for _, o := range g.Orders {
			item.Numbers = append(item.Numbers, o.Number)
		}
		out = append(out, item)
	}
	return out, err
}

type env struct {
	st      *embedded.Store
	svc     *handoff.Service
	orders  *workorder.Service
	base    string
	profile map[string]handoff.Profile
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := handoff.New(handoff.Config{Store: st, Poster: poster{st}})
	if err != nil {
		t.Fatal(err)
	}
	orders, err := workorder.New(workorder.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, svc: svc, orders: orders, profile: map[string]handoff.Profile{
		"li":    {Username: "li", Name: "李娜", Role: "agent", MaxChats: 3},
		"wang":  {Username: "wang", Name: "王伟", Role: "agent", MaxChats: 3},
		"zhang": {Username: "zhang", Name: "张敏", Role: "supervisor", MaxChats: 3},
	}}
	console, err := handoff.NewConsole(handoff.ConsoleConfig{
		Service: svc,
		Authenticate: func(r *http.Request) (handoff.Profile, error) {
			if p, ok := e.profile[r.Header.Get("X-Agent")]; ok {
				return p, nil
			}
			return handoff.Profile{}, errors.New("unknown agent")
		},
		Departments:  []handoff.Department{{Code: "urban", Name: "城市管理"}, {Code: "housing", Name: "住房房产"}},
		Orders:       desk{orders: orders, st: st},
		HotIssues:    hotSource{orders},
		HotIssuePoll: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		console.Run(ctx)
	}()
	srv := httptest.NewServer(console)
	t.Cleanup(func() {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		console.Shutdown(shut)
		srv.Close()
		stop()
		<-ran
	})
	e.base = srv.URL
	return e
}

// dial connects username's console and says hello.
func (e *env) dial(t *testing.T, username string) *agenttest.Client {
	t.Helper()
	h := http.Header{}
	h.Set("X-Agent", username)
	c := &agenttest.Client{Client: wstest.Dial[agenttest.Frame](t, wstest.WSURL(e.base, "/"), h)}
	c.Hello(nil)
	return c
}

// chat opens a web conversation in which the citizen wrote texts and asked
// for an agent, and has agent accept it.
func (e *env) chat(t *testing.T, agent *agenttest.Client, texts ...string) string {
	t.Helper()
	ctx := context.Background()
	conv, err := e.st.CreateConversation(ctx, store.Conversation{ID: "c-" + strings.ReplaceAll(t.Name(), "/", "-"), Channel: "web", User: "u1", State: "bot"})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range texts {
		if _, _, err := e.st.Append(ctx, conv.ID, store.Message{From: store.FromCitizen, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Request(ctx, conv, handoff.Request{Priority: handoff.PriorityNormal, Reason: "human"}); err != nil {
		t.Fatal(err)
	}
	agent.Until(5*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer" && f.Conversation == conv.ID })
	agent.Send(map[string]any{"type": "accept", "conversation": conv.ID})
	agent.Until(5*time.Second, func(f agenttest.Frame) bool {
		return f.Type == "message" && f.Conversation == conv.ID && f.Text == texts[len(texts)-1]
	})
	return conv.ID
}

// answer reads frames until one of types about conv and returns it.
func answer(c *agenttest.Client, conv string, types ...string) agenttest.Frame {
	c.T.Helper()
	f, _ := answerAll(c, conv, types...)
	return f
}

// answerAll is answer that also returns the frames read on the way.
func answerAll(c *agenttest.Client, conv string, types ...string) (agenttest.Frame, []agenttest.Frame) {
	c.T.Helper()
	got := c.Until(5*time.Second, func(f agenttest.Frame) bool {
		for _, typ := range types {
			if f.Type == typ && f.Conversation == conv {
				return true
			}
		}
		return false
	})
	return got[len(got)-1], got
}

// TestConsoleRegistersOrder: the agent holding a chat gets the order
// prefilled from it, registers it once however often the frame is sent,
// and the citizen is told the number and the reply date.
func TestConsoleRegistersOrder(t *testing.T) {
	e := newEnv(t)
	li := e.dial(t, "li")
	conv := e.chat(t, li, "幸福路12号的路灯坏了一个星期了，晚上很黑", "我的电话是138 1234 5678", "转人工")

	li.Send(map[string]any{"type": "order_draft", "conversation": conv})
	d := answer(li, conv, "order_draft", "error")
	if d.Type != "order_draft" || d.Draft == nil {
		t.Fatalf("order_draft answered %s", d)
	}
	if !strings.Contains(d.Draft.Summary, "幸福路12号的路灯坏了") || d.Draft.Phone != "13812345678" {
		t.Errorf("draft = %+v, want the citizen's words and phone", *d.Draft)
	}

	order := map[string]any{"appeal_type": "complaint", "department": "urban", "summary": d.Draft.Summary,
		"address": "幸福路12号", "when": "一个星期前", "name": "陈先生", "phone": d.Draft.Phone}
	frame := map[string]any{"type": "order", "id": "o1", "conversation": conv, "order": order}
	li.Send(frame)
	created, read := answerAll(li, conv, "order_created", "error")
	if created.Type != "order_created" || created.ID != "o1" || created.Number == "" || created.Due.IsZero() {
		t.Fatalf("order answered %s", created)
	}
	o, err := e.orders.Get(context.Background(), created.Number)
	if err != nil {
		t.Fatal(err)
	}
	if o.Conversation != conv || o.History[0].By != "li" || o.Department != "urban" || o.Contact.Phone != "13812345678" ||
		o.Contact.Name != "陈先生" || o.Address != "幸福路12号" || !o.Due.Equal(created.Due) {
		t.Errorf("stored order = %+v", o)
	}

	// The same frame again (a reconnect, a double click): the same answer,
	// no second order, no second message to the citizen.
	li.Send(frame)
	again, more := answerAll(li, conv, "order_created", "error")
	read = append(read, more...)
	if again.Type != "order_created" || again.Number != created.Number {
		t.Errorf("retried order answered %s, want %s again", again, created.Number)
	}
	if all, _ := e.orders.List(context.Background(), workorder.Filter{}); len(all) != 1 {
		t.Errorf("%d orders after a retried frame, want 1", len(all))
	}
	testwait.Until(t, 5*time.Second, func() error {
		msgs, err := e.st.Messages(context.Background(), conv, 0, 100)
		if err != nil {
			return err
		}
		told := 0
		for _, m := range msgs {
			if m.From == store.FromSystem && strings.Contains(m.Text, "已为您登记工单，编号"+created.Number) &&
				strings.Contains(m.Text, created.Due.Format("2006年1月2日")+"前答复您") {
				told++
			}
		}
		if told != 1 {
			return fmt.Errorf("the citizen was told the number %d times, want once", told)
		}
		return nil
	})
	// The agent's console shows the message in the chat.
	shown := func(f agenttest.Frame) bool {
		return f.Type == "message" && f.Conversation == conv && f.From == "system" && strings.Contains(f.Text, created.Number)
	}
	if !slices.ContainsFunc(read, shown) {
		li.Until(5*time.Second, shown)
	}
}

// TestConsoleRefusesBadOrders: a form the work orders refuse comes back
// as bad_order naming the field, and nothing is created.
func TestConsoleRefusesBadOrders(t *testing.T) {
	e := newEnv(t)
	li := e.dial(t, "li")
	conv := e.chat(t, li, "小区门口垃圾堆了三天没人清运")
	valid := func() map[string]any {
		return map[string]any{"appeal_type": "complaint", "summary": "小区门口垃圾堆了三天没人清运", "phone": "13812345678"}
	}
	cases := []struct {
		name, field string
		change      func(map[string]any)
	}{
		{"bad phone", "phone", func(o map[string]any) { o["phone"] = "12345" }},
		{"no phone", "phone", func(o map[string]any) { delete(o, "phone") }},
		{"no summary", "summary", func(o map[string]any) { o["summary"] = "  " }},
		{"no appeal type", "appeal_type", func(o map[string]any) { delete(o, "appeal_type") }},
		{"unknown department", "department", func(o map[string]any) { o["department"] = "nowhere" }},
		{"anonymous complaint", "anonymous", func(o map[string]any) { o["anonymous"] = true; delete(o, "phone") }},
		{"long address", "address", func(o map[string]any) { o["address"] = strings.Repeat("路", 201) }},
	}
	for i, c := range cases {
		order := valid()
		c.change(order)
		id := "bad" + string(rune('a'+i))
		li.Send(map[string]any{"type": "order", "id": id, "conversation": conv, "order": order})
		got := answer(li, conv, "order_created", "error")
		if got.Type != "error" || got.Code != "bad_order" || got.Field != c.field || got.ID != id {
			t.Errorf("%s: answered %s, want bad_order on %s", c.name, got, c.field)
		}
	}
	if all, _ := e.orders.List(context.Background(), workorder.Filter{}); len(all) != 0 {
		t.Fatalf("%d orders created from refused forms", len(all))
	}
	// A refused id may be used again once the form is right.
	li.Send(map[string]any{"type": "order", "id": "bada", "conversation": conv, "order": valid()})
	if got := answer(li, conv, "order_created", "error"); got.Type != "order_created" {
		t.Errorf("corrected form answered %s", got)
	}
	// An anonymous report needs no phone.
	report := map[string]any{"appeal_type": "report", "summary": "有人在河边偷排污水", "anonymous": true, "name": "不留名"}
	li.Send(map[string]any{"type": "order", "id": "anon", "conversation": conv, "order": report})
	got := answer(li, conv, "order_created", "error")
	if got.Type != "order_created" {
		t.Fatalf("anonymous report answered %s", got)
	}
	if o, _ := e.orders.Get(context.Background(), got.Number); !o.Contact.Anonymous || o.Contact.Name != "" || o.Contact.Phone != "" {
		t.Errorf("anonymous report stored with contact %+v", o.Contact)
	}
}

// TestConsoleOrdersNotYours: an agent who does not hold the chat can
// neither read its draft nor register an order for it; a supervisor can.
func TestConsoleOrdersNotYours(t *testing.T) {
	e := newEnv(t)
	li := e.dial(t, "li")
	conv := e.chat(t, li, "我家楼下的井盖丢了，电话13812345678")
	wang := e.dial(t, "wang")
	order := map[string]any{"appeal_type": "report", "summary": "井盖丢了", "phone": "13812345678"}
	wang.Send(map[string]any{"type": "order_draft", "conversation": conv})
	if got := answer(wang, conv, "order_draft", "error"); got.Code != "not_yours" || got.Draft != nil {
		t.Errorf("draft for another agent's chat answered %s, want not_yours", got)
	}
	wang.Send(map[string]any{"type": "order", "id": "w1", "conversation": conv, "order": order})
	if got := answer(wang, conv, "order_created", "error"); got.Code != "not_yours" {
		t.Errorf("order for another agent's chat answered %s, want not_yours", got)
	}
	wang.Send(map[string]any{"type": "order", "id": "w2", "conversation": "no-such-chat", "order": order})
	if got := answer(wang, "no-such-chat", "order_created", "error"); got.Code != "not_yours" {
		t.Errorf("order for an unknown chat answered %s, want not_yours", got)
	}
	if all, _ := e.orders.List(context.Background(), workorder.Filter{}); len(all) != 0 {
		t.Fatalf("%d orders created by an agent who does not hold the chat", len(all))
	}
	zhang := e.dial(t, "zhang")
	zhang.Send(map[string]any{"type": "order", "id": "z1", "conversation": conv, "order": order})
	got := answer(zhang, conv, "order_created", "error")
	if got.Type != "order_created" {
		t.Fatalf("supervisor's order answered %s", got)
	}
	if o, _ := e.orders.Get(context.Background(), got.Number); o.History[0].By != "zhang" {
		t.Errorf("order by %q, want zhang", o.History[0].By)
	}
}

// TestConsoleHotIssues: supervisors' consoles get the hot issues when
// similar orders pile up, and again when the group grows; agents' do not.
func TestConsoleHotIssues(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	zhang := e.dial(t, "zhang")
	li := e.dial(t, "li")
	summaries := []string{
		"幸福路12号的路灯坏了一个星期了，晚上很黑，走路不安全，电话13812345678",
		"幸福路12号的路灯坏了，晚上很黑不安全",
		"幸福路12号的路灯坏了一个星期，晚上很黑，走路不安全",
		"幸福路12号的路灯坏了，晚上很黑，走路很不安全",
	}
	var numbers []string
	for _, s := range summaries[:3] {
		o, err := e.orders.Create(ctx, workorder.Draft{AppealType: workorder.Complaint, Department: "urban",
			Summary: s, Address: "幸福路12号", Contact: workorder.Contact{Phone: "13900001111"}})
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, o.Number)
	}
	got := zhang.Until(5*time.Second, func(f agenttest.Frame) bool { return f.Type == "hot_issues" && len(f.HotIssues) > 0 })
	hot := got[len(got)-1].HotIssues
	if len(hot) != 1 || hot[0].Department != "urban" || hot[0].Count != 3 || strings.Join(hot[0].Numbers, ",") != strings.Join(numbers, ",") {
		t.Fatalf("hot issues = %+v, want one of %v", hot, numbers)
	}
	if strings.Contains(hot[0].Example, "13812345678") || hot[0].Since.IsZero() {
		t.Errorf("hot issue example %q since %v: want it masked, with its start", hot[0].Example, hot[0].Since)
	}
	if _, err := e.orders.Create(ctx, workorder.Draft{AppealType: workorder.Complaint, Department: "urban",
		Summary: summaries[3], Address: "幸福路12号", Contact: workorder.Contact{Phone: "13900002222"}}); err != nil {
		t.Fatal(err)
	}
	zhang.Until(5*time.Second, func(f agenttest.Frame) bool {
		return f.Type == "hot_issues" && len(f.HotIssues) == 1 && f.HotIssues[0].Count == 4
	})

	// The agent got none of it: everything before the answer to a probe
	// is free of hot issues.
	li.Send(map[string]any{"type": "order_draft", "conversation": "probe"})
	for _, f := range li.Until(5*time.Second, func(f agenttest.Frame) bool { return f.Type == "error" && f.Conversation == "probe" }) {
		if f.Type == "hot_issues" {
			t.Errorf("an agent's console got %s", f)
		}
	}
}
