package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/channels/wechat/wechattest"
	"github.com/hotline12345/hotline/internal/agenttest"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/store"
)

// wechatEnv is a running server with the WeChat channel on, talking to a
// fake WeChat platform.
type wechatEnv struct {
	t        *testing.T
	srv      *server.Server
	platform *wechattest.Platform
	url      string // the callback URL
}

func startWeChat(t *testing.T, budget time.Duration) *wechatEnv {
	t.Helper()
	p, err := wechattest.New(wechattest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	api := p.Server()
	t.Cleanup(api.Close)
	cfg := p.Config()
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		ServiceHours: "24h", WeChatAppID: cfg.AppID, WeChatSecret: cfg.Secret, WeChatToken: cfg.Token,
		WeChatAESKey: cfg.EncodingAESKey, WeChatPath: "/wechat", WeChatMaxSkew: 5 * time.Minute,
		WeChatAPIBase: api.URL, WeChatReplyBudget: budget, WeChatMenu: map[string]string{"HUMAN": "转人工"}})
	return &wechatEnv{t: t, srv: srv, platform: p, url: baseURL(srv) + "/wechat"}
}

// send delivers a callback once and returns the HTTP response.
func (e *wechatEnv) send(cb *wechattest.Callback) wechattest.Response {
	e.t.Helper()
	resp, err := cb.Send(context.Background(), httpClient, e.url)
	if err != nil {
		e.t.Fatalf("callback: %v", err)
	}
	return resp
}

// ask sends a callback and returns the passive reply WeChat would show.
func (e *wechatEnv) ask(mode wechattest.Mode, msg wechattest.Message) wechattest.Reply {
	e.t.Helper()
	resp := e.send(e.platform.Callback(mode, msg))
	if resp.Status != http.StatusOK {
		e.t.Fatalf("callback answered %d: %s", resp.Status, resp.Body)
	}
	r, err := e.platform.ReadReply(mode, resp.Body)
	if err != nil {
		e.t.Fatalf("reply: %v (%q)", err, resp.Body)
	}
	return r
}

// sent waits until the platform has accepted a customer-service message
// to openID containing text, and returns every message accepted.
func (e *wechatEnv) sent(openID, text string) []wechattest.CustomMessage {
	e.t.Helper()
	var got []wechattest.CustomMessage
	eventually(e.t, 15*time.Second, func() error {
		got = e.platform.Sent()
		for _, m := range got {
			if m.ToUser == openID && strings.Contains(m.Content, text) {
				return nil
			}
		}
		return fmt.Errorf("no customer-service message with %q among %d sent", text, len(got))
	})
	return got
}

// transcript reads the conversation of the citizen's messages.
func (e *wechatEnv) transcript(conv string) []store.Message {
	e.t.Helper()
	msgs, err := e.srv.Store().Messages(context.Background(), conv, 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

// citizenCount counts the citizen's messages with text.
func citizenCount(msgs []store.Message, text string) int {
	n := 0
	for _, m := range msgs {
		if m.From == store.FromCitizen && m.Text == text {
			n++
		}
	}
	return n
}

func TestWeChatAnswersPassivelyInEveryMode(t *testing.T) {
	e := startWeChat(t, 4*time.Second)
	// URL verification.
	v := e.platform.Verification("echo-1616140317555161061")
	resp := e.send(v)
	if resp.Status != http.StatusOK || string(resp.Body) != "echo-1616140317555161061" {
		t.Fatalf("verification = %d %q", resp.Status, resp.Body)
	}
	for _, mode := range []wechattest.Mode{wechattest.Plaintext, wechattest.Compatible, wechattest.Safe} {
		t.Run(mode.String(), func(t *testing.T) {
			openID := "o-citizen-" + mode.String()
			welcome := e.ask(mode, e.platform.Subscribe(openID))
			if !strings.Contains(welcome.Content, "欢迎") || welcome.Encrypted != (mode != wechattest.Plaintext) {
				t.Fatalf("welcome = %+v", welcome)
			}
			r := e.ask(mode, e.platform.Text(openID, "社保卡丢了怎么补办"))
			if !strings.Contains(r.Content, "社保卡") || !strings.Contains(r.Content, "请回复序号") {
				t.Fatalf("answer = %q, want the answer with numbered related questions", r.Content)
			}
			// Replying with a number asks the first related question.
			first := r.Content[strings.Index(r.Content, "1. ")+3:]
			first = first[:strings.IndexByte(first, '\n')]
			r2 := e.ask(mode, e.platform.Text(openID, "1"))
			if r2.Content == "" || strings.Contains(r2.Content, "没有找到") {
				t.Errorf("reply to option 1 (%q) = %q", first, r2.Content)
			}
		})
	}
	if sent := e.platform.Sent(); len(sent) != 0 {
		t.Errorf("answers within the budget went through the customer-service API too: %v", sent)
	}
}

func TestWeChatRetriesAreProcessedOnce(t *testing.T) {
	e := startWeChat(t, 4*time.Second)
	openID := "o-retry"
	e.ask(wechattest.Safe, e.platform.Subscribe(openID))
	cb := e.platform.Callback(wechattest.Safe, e.platform.Text(openID, "公积金怎么提取"))
	var replies []string
	for range 3 {
		resp := e.send(cb)
		r, err := e.platform.ReadReply(wechattest.Safe, resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, r.Content)
	}
	if replies[0] == "" || replies[1] != replies[0] || replies[2] != replies[0] {
		t.Errorf("replies to the same callback three times = %q, want the same answer each time", replies)
	}
	// One transcript entry, one answer.
	conv := e.conversationOf(openID)
	msgs := e.transcript(conv)
	if n := citizenCount(msgs, "公积金怎么提取"); n != 1 {
		t.Errorf("citizen message stored %d times", n)
	}
	if len(msgs) != 3 {
		t.Errorf("transcript has %d messages, want welcome, question, one answer", len(msgs))
	}
	// Events are de-duplicated too (sender, CreateTime, Event).
	click := e.platform.Callback(wechattest.Plaintext, e.platform.Click(openID, "HUMAN"))
	e.send(click)
	e.send(click)
	msgs = e.transcript(conv)
	if n := citizenCount(msgs, "转人工"); n != 1 {
		t.Errorf("menu click stored %d times", n)
	}
}

// conversationOf is the conversation of openID.
func (e *wechatEnv) conversationOf(openID string) string {
	e.t.Helper()
	conv, err := e.srv.WeChat().Conversation(context.Background(), openID)
	if err != nil {
		e.t.Fatal(err)
	}
	return conv
}

func TestWeChatSlowAnswerGoesOutAsCustomerServiceMessage(t *testing.T) {
	e := startWeChat(t, time.Nanosecond) // every answer is over budget
	openID := "o-slow"
	e.platform.Callback(wechattest.Safe, e.platform.Subscribe(openID)) // not sent: the text comes first
	r := e.ask(wechattest.Safe, e.platform.Text(openID, "居住证怎么办理"))
	if !r.None {
		t.Fatalf("reply over budget = %+v, want success", r)
	}
	sent := e.sent(openID, "居住证")
	for _, m := range sent {
		if m.ToUser != openID {
			t.Errorf("sent to %q", m.ToUser)
		}
	}
	// The welcome of the new conversation went out first, then the answer.
	if !strings.Contains(sent[0].Content, "欢迎") {
		t.Errorf("first customer-service message = %q, want the welcome", sent[0].Content)
	}
}

func TestWeChatHandoffRelaysBothWays(t *testing.T) {
	e := startWeChat(t, 4*time.Second)
	addAgent(t, e.srv, "li", "agent")
	agent := agentOnline(t, baseURL(e.srv), "li")

	openID := "o-handoff"
	e.ask(wechattest.Plaintext, e.platform.Subscribe(openID))
	r := e.ask(wechattest.Plaintext, e.platform.Click(openID, "HUMAN"))
	if !strings.Contains(r.Content, "正在为您转接人工客服") {
		t.Fatalf("menu 转人工 = %q", r.Content)
	}
	conv := e.conversationOf(openID)
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer" && f.Conversation == conv })
	agent.Send(map[string]any{"type": "accept", "conversation": conv})
	e.sent(openID, "已为您接入")

	// The citizen writes: no passive answer (the bot is silent), the agent sees it.
	r = e.ask(wechattest.Plaintext, e.platform.Text(openID, "我家楼下的路灯坏了"))
	if !r.None {
		t.Errorf("passive reply while an agent holds the chat = %q, want none", r.Content)
	}
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "message" && f.Text == "我家楼下的路灯坏了" })
	// An image is kept as a media reference and shown to the agent.
	e.ask(wechattest.Plaintext, e.platform.Image(openID, "https://mmbiz.example/pic.jpg", "media-1"))
	img := agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "message" && f.Text == "[图片]" })
	if raw := string(img[len(img)-1].Raw); !strings.Contains(raw, `"media":{"kind":"image","url":"https://mmbiz.example/pic.jpg"`) {
		t.Errorf("image frame on the console = %s", raw)
	}
	agent.Send(map[string]any{"type": "message", "conversation": conv, "id": "a1", "text": "请问具体在哪个路口？"})
	e.sent(openID, "请问具体在哪个路口？")
	var media string
	for _, m := range e.transcript(conv) {
		if m.Text == "[图片]" {
			media = m.Meta["media_url"]
		}
	}
	if media != "https://mmbiz.example/pic.jpg" {
		t.Errorf("image reference in the transcript = %q", media)
	}
}

func TestWeChatRefreshesExpiredTokenOnce(t *testing.T) {
	e := startWeChat(t, time.Nanosecond)
	openID := "o-token"
	e.ask(wechattest.Plaintext, e.platform.Text(openID, "地铁几点运营"))
	e.sent(openID, "地铁")
	fetches := e.platform.TokenFetches()
	e.platform.ExpireTokens()
	e.ask(wechattest.Plaintext, e.platform.Text(openID, "医保异地就医怎么备案"))
	e.sent(openID, "备案")
	if got := e.platform.TokenFetches() - fetches; got != 1 {
		t.Errorf("token fetched %d times after it expired, want once", got)
	}
}

func TestWeChatKeepsWhatTheQuotaRefuses(t *testing.T) {
	e := startWeChat(t, 4*time.Second)
	addAgent(t, e.srv, "li", "agent")
	agent := agentOnline(t, baseURL(e.srv), "li")
	openID := "o-quota"
	e.ask(wechattest.Plaintext, e.platform.Text(openID, "转人工"))
	conv := e.conversationOf(openID)
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer" })
	agent.Send(map[string]any{"type": "accept", "conversation": conv})
	e.sent(openID, "已为您接入") // 1 of 5
	// The sixth is kept; the agent sees why (the note may come before or
	// after the sixth's ack).
	noted := false
	seeNote := func(f agenttest.Frame) bool {
		noted = noted || (f.Type == "message" && strings.Contains(f.Text, "未能送达"))
		return noted
	}
	for i := 2; i <= 6; i++ {
		agent.Send(map[string]any{"type": "message", "conversation": conv, "id": fmt.Sprint("a", i), "text": fmt.Sprint("第", i, "条回复")})
		agent.Until(10*time.Second, func(f agenttest.Frame) bool {
			seeNote(f)
			return f.Type == "ack" && f.ID == fmt.Sprint("a", i)
		})
	}
	e.sent(openID, "第5条回复")
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range e.platform.Sent() {
				t.Logf("sent: %q", m.Content)
			}
			for _, m := range e.platform.Refused() {
				t.Logf("refused %d: %q", m.ErrCode, m.Content)
			}
			for _, m := range e.transcript(conv) {
				t.Logf("transcript %d %s: %q %v", m.Seq, m.From, m.Text, m.Meta)
			}
		}
	})
	if !noted {
		agent.Until(10*time.Second, seeNote)
	}
	for _, m := range e.platform.Sent() {
		if strings.Contains(m.Content, "第6条回复") {
			t.Fatal("the sixth message in the window went out")
		}
	}
	// The citizen writes again: a new window, and the kept message goes out.
	e.ask(wechattest.Plaintext, e.platform.Text(openID, "好的"))
	e.sent(openID, "第6条回复")
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "message" && strings.Contains(f.Text, "已补发") })
}

func TestWeChatRefusesBadCallbacks(t *testing.T) {
	e := startWeChat(t, 4*time.Second)
	openID := "o-bad"
	msg := e.platform.Text(openID, "社保卡丢了怎么补办")
	cases := []struct {
		name string
		cb   *wechattest.Callback
		want int
	}{
		{"bad signature", e.platform.Callback(wechattest.Safe, msg, wechattest.WithToken("not-the-token")), http.StatusUnauthorized},
		{"stale timestamp", e.platform.Callback(wechattest.Safe, msg, wechattest.WithTimestamp(time.Now().Add(-time.Hour))), http.StatusForbidden},
		{"another AppID", e.platform.Callback(wechattest.Safe, msg, wechattest.WithAppID("wx0000000000000000")), http.StatusForbidden},
		{"malformed XML", e.platform.Callback(wechattest.Plaintext, msg, wechattest.WithPayload([]byte("<xml><ToUserName>"))), http.StatusBadRequest},
		{"entity expansion", e.platform.Callback(wechattest.Plaintext, msg, wechattest.WithPayload([]byte(
			`<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><ToUserName>gh</ToUserName><FromUserName>o-bad</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&b;</Content><MsgId>1</MsgId></xml>`))), http.StatusBadRequest},
		{"oversized", e.platform.Callback(wechattest.Plaintext, msg, wechattest.WithPayload([]byte("<xml>"+strings.Repeat("好", 40000)+"</xml>"))), http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		resp := e.send(c.cb)
		if resp.Status != c.want {
			t.Errorf("%s: status %d, want %d", c.name, resp.Status, c.want)
		}
	}
	// Nothing was stored or answered: the same message, signed right, is
	// processed as new.
	if _, err := e.srv.WeChat().Conversation(context.Background(), openID); err == nil {
		t.Error("a refused callback opened a conversation")
	}
	if r := e.ask(wechattest.Safe, msg); !strings.Contains(r.Content, "社保卡") {
		t.Errorf("the valid callback after the refused ones = %q", r.Content)
	}
	if len(e.platform.Sent()) != 0 {
		t.Error("something was sent through the customer-service API")
	}
}

func TestWeChatUnsubscribeStopsSending(t *testing.T) {
	e := startWeChat(t, 4*time.Second)
	addAgent(t, e.srv, "li", "agent")
	agent := agentOnline(t, baseURL(e.srv), "li")
	openID := "o-leaves"
	e.ask(wechattest.Plaintext, e.platform.Text(openID, "转人工"))
	conv := e.conversationOf(openID)
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer" })
	agent.Send(map[string]any{"type": "accept", "conversation": conv})
	e.sent(openID, "已为您接入")
	e.ask(wechattest.Plaintext, e.platform.Unsubscribe(openID))
	// The hand-off ends for the agent; nothing more goes to WeChat.
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "chat_end" && f.Conversation == conv })
	before := len(e.platform.Sent()) + len(e.platform.Refused())
	agent.Send(map[string]any{"type": "message", "conversation": conv, "id": "late", "text": "您还在吗？"})
	agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "error" && f.Code == "not_yours" })
	c, err := e.srv.Store().Conversation(context.Background(), conv)
	if err != nil || c.State != "closed" {
		t.Errorf("conversation after unsubscribe = %+v, %v; want closed", c.State, err)
	}
	time.Sleep(100 * time.Millisecond) // nothing is expected: give a wrong send the chance to show
	if after := len(e.platform.Sent()) + len(e.platform.Refused()); after != before {
		t.Errorf("%d customer-service calls after the citizen left", after-before)
	}
	// Following again starts a new conversation with the welcome.
	if r := e.ask(wechattest.Plaintext, e.platform.Subscribe(openID)); !strings.Contains(r.Content, "欢迎") {
		t.Errorf("follow again = %q", r.Content)
	}
	if again := e.conversationOf(openID); again == conv {
		t.Error("following again reused the closed conversation")
	}
}
