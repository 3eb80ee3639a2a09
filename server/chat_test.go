package server_test

import (
	"bytes"
	"context"
	"regexp"

	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

const wait = 10 * time.Second

// TestAskRestartResume is the citizen's path: open the widget, get the
// welcome, ask, get the answer with related questions; the server restarts;
// the widget resumes with its token and last seq and gets exactly what it
// missed; the conversation goes on.
func TestAskRestartResume(t *testing.T) {
	dir := t.TempDir()
	srv := startTestServer(t, dir)
	c := widgettest.Dial(t, baseURL(srv))
	c.Hello("", 0)
	welcome := c.Next(wait)
	if welcome.Type != "message" || welcome.Seq != 1 || welcome.From != "bot" || !strings.Contains(welcome.Text, "您好") {
		t.Fatalf("first frame = %+v, want the bot's welcome as seq 1", welcome)
	}

	c.Ask("q1", "社保卡丢了怎么办")
	frames := c.BotReplyTo(wait, "社保卡丢了怎么办")
	var acked bool
	for _, f := range frames {
		acked = acked || (f.Type == "ack" && f.ID == "q1")
	}
	if !acked {
		t.Errorf("no ack for q1 in %+v", frames)
	}
	answer := frames[len(frames)-1]
	if !strings.Contains(answer.Text, "补办") || !strings.Contains(answer.Text, "挂失") {
		t.Errorf("answer to 社保卡丢了怎么办 = %q, want how to report the loss and get a new card", answer.Text)
	}
	if n := len(answer.Options); n == 0 || n > 3 {
		t.Errorf("answer has %d related questions, want 1..3", n)
	}
	if answer.Seq != 3 {
		t.Errorf("answer seq = %d, want 3 (welcome 1, question 2)", answer.Seq)
	}

	// The widget only saw the welcome before the restart (say the page was
	// closed right after sending): it must get the question and the answer.
	token := c.Token
	stopTestServer(t, srv)
	if _, err := c.Read(wait); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("on shutdown the widget got %v, want a going-away close", err)
	}

	srv = startTestServer(t, dir)
	c = widgettest.Dial(t, baseURL(srv))
	if s := c.Hello(token, 1); s.Token != token {
		t.Errorf("resume gave a new token: the conversation was lost")
	}
	missed := []widgettest.Frame{c.Next(wait), c.Next(wait)}
	if missed[0].Seq != 2 || missed[0].From != "citizen" || missed[1].Seq != 3 || missed[1].Text != answer.Text {
		t.Fatalf("after resume got %+v, want exactly seq 2 (question) and 3 (answer)", missed)
	}
	c.Ask("q2", "你好")
	frames = c.BotReplyTo(wait, "你好")
	for _, f := range widgettest.Messages(frames) {
		if f.Seq <= 3 {
			t.Errorf("message seq %d shown twice after resume", f.Seq)
		}
	}
	if got := frames[len(frames)-1]; got.Seq != 5 || !strings.Contains(got.Text, "您好") {
		t.Errorf("greeting reply = %+v, want seq 5 with 您好", got)
	}
}

// TestDuplicateMessageID: a client that retries a message (same id) gets
// it acknowledged again, but it is stored and answered once.
func TestDuplicateMessageID(t *testing.T) {
	srv := startTestServer(t, t.TempDir())
	c := widgettest.Dial(t, baseURL(srv))
	c.Hello("", 0)
	c.Next(wait) // welcome
	c.Ask("same", "公积金怎么提取")
	c.BotReplyTo(wait, "公积金怎么提取")
	c.Ask("same", "公积金怎么提取")
	if f := c.Next(wait); f.Type != "ack" || f.ID != "same" {
		t.Fatalf("retry answered with %+v, want ack", f)
	}
	// Nothing more may come: no second copy, no second answer.
	c.Ask("probe", "谢谢")
	frames := c.BotReplyTo(wait, "谢谢")

	fresh := widgettest.Dial(t, baseURL(srv))
	fresh.Hello(c.Token, 0)
	all := fresh.Until(wait, func(f widgettest.Frame) bool { return f.Seq == frames[len(frames)-1].Seq })
	var questions, seqs []int64
	for i, f := range all {
		if f.Text == "公积金怎么提取" {
			questions = append(questions, f.Seq)
		}
		if f.Seq != int64(i+1) {
			seqs = append(seqs, f.Seq)
		}
	}
	if len(questions) != 1 {
		t.Errorf("the retried message is stored %d times (seqs %v), want once", len(questions), questions)
	}
	if len(all) != 5 || len(seqs) != 0 {
		t.Errorf("transcript = %d messages with out-of-place seqs %v, want 5: welcome, question, answer, thanks, reply", len(all), seqs)
	}
}

// TestBadInput checks every limit of the frame protocol.
func TestBadInput(t *testing.T) {
	srv := startTestServer(t, t.TempDir())
	base := baseURL(srv)

	errorFrames := []struct {
		name  string
		frame string
		code  string
	}{
		{"invalid JSON", `{"type":`, "bad_frame"},
		{"not an object", `[1,2]`, "bad_frame"},
		{"no type", `{"text":"hi"}`, "bad_frame"},
		{"unknown type", `{"type":"shout","text":"hi"}`, "unknown_type"},
		{"text too long", `{"type":"message","id":"x","text":"` + strings.Repeat("社", 2001) + `"}`, "text_too_long"},
		{"empty text", `{"type":"message","id":"x","text":"  "}`, "empty_text"},
		{"missing id", `{"type":"message","text":"你好"}`, "missing_id"},
		{"rating out of range", `{"type":"rating","score":9}`, "bad_score"},
		{"second hello", `{"type":"hello"}`, "hello_required"},
	}
	for _, tt := range errorFrames {
		t.Run(tt.name, func(t *testing.T) {
			c := widgettest.Dial(t, base)
			c.Hello("", 0)
			c.Next(wait) // welcome
			if err := c.Conn.WriteMessage(websocket.TextMessage, []byte(tt.frame)); err != nil {
				t.Fatal(err)
			}
			f := c.Next(wait)
			if f.Type != "error" || f.Code != tt.code || f.Message == "" {
				t.Fatalf("got %+v, want error %s with a message", f, tt.code)
			}
			if strings.Contains(tt.frame, `"id":"x"`) && f.ID != "x" {
				t.Errorf("error for message x carries id %q, want x", f.ID)
			}
			// The connection stays open and nothing was stored.
			c.Ask("after", "你好")
			frames := c.BotReplyTo(wait, "你好")
			if first := widgettest.Messages(frames)[0]; first.Seq != 2 {
				t.Errorf("after a refused frame the next message has seq %d, want 2 (nothing stored)", first.Seq)
			}
		})
	}

	t.Run("message before hello", func(t *testing.T) {
		c := widgettest.Dial(t, base)
		c.Ask("x", "你好")
		if f := c.Next(wait); f.Code != "hello_required" {
			t.Errorf("got %+v, want hello_required", f)
		}
	})

	t.Run("frame over 16 KiB closes with 1009", func(t *testing.T) {
		c := widgettest.Dial(t, base)
		c.Hello("", 0)
		c.Next(wait)
		big := `{"type":"message","id":"x","text":"` + strings.Repeat("a", 17<<10) + `"}`
		c.Conn.WriteMessage(websocket.TextMessage, []byte(big))
		_, err := c.Read(wait)
		if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Errorf("got %v, want close 1009", err)
		}
	})

	t.Run("invalid UTF-8 closes with 1007", func(t *testing.T) {
		c := widgettest.Dial(t, base)
		c.Hello("", 0)
		c.Next(wait)
		bad := append([]byte(`{"type":"message","id":"x","text":"`), 0xff, 0xfe)
		c.Conn.WriteMessage(websocket.TextMessage, append(bad, `"}`...))
		_, err := c.Read(wait)
		if !websocket.IsCloseError(err, websocket.CloseInvalidFramePayloadData) {
			t.Errorf("got %v, want close 1007", err)
		}
	})

	t.Run("unknown token starts a new conversation", func(t *testing.T) {
		c := widgettest.Dial(t, base)
		s := c.Hello("not-a-real-token", 7)
		if s.Token == "not-a-real-token" {
			t.Error("server accepted a token it never issued")
		}
		if f := c.Next(wait); f.Seq != 1 {
			t.Errorf("new conversation starts at seq %d, want 1 (after ignored)", f.Seq)
		}
	})
}

// TestReplies checks the bot's three kinds of replies a citizen meets first.
func TestReplies(t *testing.T) {
	srv := startTestServer(t, t.TempDir())
	c := widgettest.Dial(t, baseURL(srv))
	c.Hello("", 0)
	c.Next(wait)

	c.Ask("g", "您好！")
	if got := lastOf(c.BotReplyTo(wait, "您好！")); !strings.Contains(got.Text, "很高兴为您服务") {
		t.Errorf("greeting reply = %q", got.Text)
	}
	c.Ask("n", "明天会下雨吗")
	got := lastOf(c.BotReplyTo(wait, "明天会下雨吗"))
	if !strings.Contains(got.Text, "没有找到") || !contains(got.Options, "留言") {
		t.Errorf("out-of-scope reply = %+v, want an honest not-found with the 留言 option", got)
	}
	c.Ask("l", "留言")
	c.BotReplyTo(wait, "留言")
	c.Ask("l2", "小区门口路灯坏了一个月了，电话13812345678")
	got = lastOf(c.BotReplyTo(wait, "小区门口路灯坏了一个月了，电话13812345678"))
	number := regexp.MustCompile(`\d{8}-\d{6}`).FindString(got.Text)
	if !strings.Contains(got.Text, "诉求已登记") || number == "" {
		t.Fatalf("leave-message reply = %q, want the work order number", got.Text)
	}
	// The citizen asks about it with the number; another citizen with the
	// same number learns nothing.
	c.Ask("s", "查询工单"+number)
	if got := lastOf(c.BotReplyTo(wait, "查询工单"+number)); !strings.Contains(got.Text, number) || !strings.Contains(got.Text, "已受理") {
		t.Errorf("status reply = %q, want the order's status", got.Text)
	}
	other := widgettest.Dial(t, baseURL(srv))
	other.Hello("", 0)
	other.Next(wait)
	other.Ask("s", number)
	if got := lastOf(other.BotReplyTo(wait, number)); strings.Contains(got.Text, "已受理") || !strings.Contains(got.Text, "未查询到") {
		t.Errorf("another citizen's status query = %q, want the wrong-number answer", got.Text)
	}
	orders := srv.WorkOrders()
	if o, err := orders.Get(context.Background(), number); err != nil || o.Contact.Phone != "13812345678" || o.Summary == "" {
		t.Errorf("work order = %+v, %v", o, err)
	}

	// The department finishes it: the citizen gets the reply and the
	// satisfaction question; 不满意 sends it back for a second round.
	ctx := context.Background()
	for _, step := range []func() error{
		func() error { _, err := orders.Dispatch(ctx, number, "urban", "dispatcher", ""); return err },
		func() error { _, err := orders.Transition(ctx, number, workorder.InProgress, "urban", ""); return err },
		func() error {
			_, err := orders.Transition(ctx, number, workorder.Finished, "urban", "路灯已于今日修复。")
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	result := lastOf(c.Until(wait, func(f widgettest.Frame) bool {
		return f.Type == "message" && strings.Contains(f.Text, "路灯已于今日修复")
	}))
	if len(result.Options) != 4 || result.Options[3] != "不满意" {
		t.Fatalf("result message = %+v, want the reply with the satisfaction options", result)
	}
	c.Ask("r", "不满意")
	if got := lastOf(c.BotReplyTo(wait, "不满意")); !strings.Contains(got.Text, "重新办理") {
		t.Errorf("reply to 不满意 = %q", got.Text)
	}
	if o, _ := orders.Get(ctx, number); o.Status != workorder.Reopened {
		t.Errorf("order after 不满意 is %s, want reopened", o.Status)
	}
}

// TestPlainHTTP checks the health, readiness and metrics endpoints and the
// pages.
func TestPlainHTTP(t *testing.T) {
	srv := startTestServer(t, t.TempDir())
	base := baseURL(srv)
	// Generate some traffic for the metrics.
	c := widgettest.Dial(t, base)
	c.Hello("", 0)
	c.Next(wait)
	c.Ask("q", "社保卡丢了怎么办")
	c.BotReplyTo(wait, "社保卡丢了怎么办")

	for _, tt := range []struct {
		path, want string
	}{
		{"/healthz", "ok"},
		{"/readyz", `"ready":true`},
		{"/metrics", "hotline_connections"},
		{"/metrics", `hotline_messages_in_total{channel="web"} 1`},
		{"/metrics", "hotline_answer_seconds_bucket"},
		{"/metrics", `hotline_kb_searches_total{decision="answer"} 1`},
		{"/", "本市12345政务服务便民热线"},
		{"/", `<script src="/widget.js"`},
		{"/widget.js", "/ws/chat"},
	} {
		body, status := get(t, base+tt.path)
		if status != 200 || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s = %d, body lacks %q", tt.path, status, tt.want)
		}
	}
}

func lastOf(frames []widgettest.Frame) widgettest.Frame { return frames[len(frames)-1] }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return buf.String(), resp.StatusCode
}

// TestInternalNotesStayWithAgents: a note for the agents in the transcript
// (a WeChat or app delivery failure) never reaches the citizen's page.
func TestInternalNotesStayWithAgents(t *testing.T) {
	srv := startTestServer(t, t.TempDir())
	c := widgettest.Dial(t, baseURL(srv))
	c.Hello("", 0)
	c.Next(wait) // the welcome
	ctx := context.Background()
	note, _, err := srv.Store().Append(ctx, c.Conversation, store.Message{From: store.FromSystem, Text: "给坐席的提示",
		Meta: map[string]string{channels.MetaInternal: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Store().Publish(ctx, channels.Topic(c.Conversation), channels.EncodeEvent(note))
	c.Ask("q", "您好")
	for _, f := range c.BotReplyTo(wait, "您好") {
		if f.Text == "给坐席的提示" {
			t.Fatal("the agents' note reached the citizen")
		}
	}
	// A reloaded page does not get it either.
	again := widgettest.Dial(t, baseURL(srv))
	again.Hello(c.Token, 0)
	for _, f := range again.BotReplyTo(wait, "您好") {
		if f.Text == "给坐席的提示" {
			t.Fatal("the agents' note reached the citizen on resume")
		}
	}
}
