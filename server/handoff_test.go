package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/handoff/accounts"
	"github.com/hotline12345/hotline/internal/agenttest"
	"github.com/hotline12345/hotline/internal/widgettest"
	"github.com/hotline12345/hotline/server"
)

const agentPassword = "correct horse 12345"

// addAgent creates an agent account on a running server.
func addAgent(t testing.TB, srv *server.Server, username, role string, skills ...string) {
	t.Helper()
	_, err := srv.Accounts().Add(context.Background(), accounts.Agent{
		Username: username, Name: "坐席" + username, Skills: skills, MaxChats: 3, Role: accounts.Role(role),
	}, agentPassword)
	if err != nil {
		t.Fatalf("add agent %s: %v", username, err)
	}
}

// agentOnline signs an agent in and connects a console.
func agentOnline(t testing.TB, base, username string) *agenttest.Client {
	t.Helper()
	cookie := agenttest.Login(t, base, username, agentPassword)
	c := agenttest.Dial(t, base, cookie)
	c.Hello(nil)
	return c
}

func TestHandoffEndToEnd(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		ServiceHours: "24h", AcceptTimeout: 15 * time.Second, AgentGrace: time.Minute})
	addAgent(t, srv, "li", "agent", "housing")
	conv := agenttest.HandOff(t, baseURL(srv), baseURL(srv), "li", agentPassword)

	// Every state change is recorded with its time.
	eventually(t, 5*time.Second, func() error {
		events, _, err := srv.Handoff().Events(context.Background(), 0, 100)
		if err != nil {
			return err
		}
		var kinds []string
		for _, e := range events {
			if e.Conversation == conv {
				kinds = append(kinds, e.Type)
			}
			if e.Time.IsZero() {
				return fmt.Errorf("event without time: %+v", e)
			}
			if e.Type == handoff.EventRated && e.Score != 4 {
				return fmt.Errorf("rated event score %d, want 4", e.Score)
			}
			if e.Type == handoff.EventQueued && e.Channel != "web" {
				return fmt.Errorf("queued event channel %q, want web", e.Channel)
			}
			if e.Type == handoff.EventReplied && (e.Agent != "li" || e.Wait < 0 || e.Wait > 60) {
				return fmt.Errorf("replied event = %+v, want li's first response time", e)
			}
			if e.Type == handoff.EventClosed && (e.Wrapup == nil || e.Wrapup.Department != "housing" || !e.Wrapup.Resolved) {
				return fmt.Errorf("closed event wrap-up = %+v", e.Wrapup)
			}
		}
		// One replied event: the agent's first message, not each one.
		want := []string{"queued", "offered", "accepted", "replied", "closed", "rated"}
		if !slices.Equal(kinds, want) {
			return fmt.Errorf("events = %v, want %v", kinds, want)
		}
		return nil
	})
}

func TestHandoffWithoutAgentsOffersMessage(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	citizen := widgettest.Dial(t, baseURL(srv))
	citizen.Hello("", 0)
	citizen.Ask("c1", "我要找人工客服")
	frames := citizen.BotReplyTo(10*time.Second, "我要找人工客服")
	reply := frames[len(frames)-1]
	if !strings.Contains(reply.Text, "没有空闲的人工客服") || !slices.Contains(reply.Options, "留言") {
		t.Errorf("reply with no agent online = %+v, want the offer to leave a message", reply)
	}
}

func TestQueuedCitizenCanCancelAndSeesPosition(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent")
	agent := agentOnline(t, base, "li")
	agent.Send(map[string]any{"type": "status", "status": "away"}) // online but on a break: no offers

	first := widgettest.Dial(t, base)
	first.Hello("", 0)
	first.Ask("c1", "转人工")
	first.BotReplyTo(10*time.Second, "转人工")
	second := widgettest.Dial(t, base)
	second.Hello("", 0)
	second.Ask("c1", "转人工")
	var queued, answered bool
	second.Until(10*time.Second, func(f widgettest.Frame) bool {
		queued = queued || (f.Type == "queue" && f.Position == 2)
		answered = answered || (f.Type == "message" && f.From == "bot" && strings.Contains(f.Text, "正在为您转接"))
		return queued && answered
	})

	// What a waiting citizen writes goes to the transcript, not to the bot.
	second.Ask("c2", "我家楼道的灯坏了")
	first.Ask("c2", "取消排队")
	reply := first.BotReplyTo(10*time.Second, "取消排队")
	if r := reply[len(reply)-1]; !strings.Contains(r.Text, "已取消排队") {
		t.Errorf("reply to 取消排队 = %q", r.Text)
	}
	// The second citizen moves up.
	moved := second.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Type == "queue" && f.Position == 1 })
	for _, f := range moved {
		if f.Type == "message" && f.From == "bot" {
			t.Errorf("bot answered a waiting citizen: %q", f.Text)
		}
	}
	// A resumed widget learns where it stands at once.
	again := widgettest.Dial(t, base)
	again.Hello(second.Token, 1000)
	again.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Type == "queue" && f.Position == 1 })
}

func TestConsoleCallbacksAndResume(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		ServiceHours: "24h", AgentGrace: time.Minute})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent")

	// Nobody signed in: the citizen leaves a message for a call back.
	citizen := widgettest.Dial(t, base)
	citizen.Hello("", 0)
	citizen.Ask("m1", "留言")
	citizen.BotReplyTo(10*time.Second, "留言")
	citizen.Ask("m2", "小区门口路灯坏了一周了，电话13812345678")
	citizen.BotReplyTo(10*time.Second, "小区门口路灯坏了一周了，电话13812345678")

	cookie := agenttest.Login(t, base, "li", agentPassword)
	agent := agenttest.Dial(t, base, cookie)
	agent.Send(map[string]any{"type": "hello"})
	var cb struct {
		Items []handoff.Callback `json:"items"`
	}
	f := agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "callbacks" })
	if err := json.Unmarshal(f[len(f)-1].Raw, &cb); err != nil || len(cb.Items) != 1 || !strings.Contains(cb.Items[0].Text, "13812345678") {
		t.Fatalf("callbacks frame = %s", f[len(f)-1].Raw)
	}
	agent.Send(map[string]any{"type": "callback_done", "callback": cb.Items[0].ID})
	agent.Until(10*time.Second, func(f agenttest.Frame) bool {
		return f.Type == "callbacks" && strings.Contains(string(f.Raw), `"items":[]`)
	})

	// A chat, then the console's connection drops.
	citizen.Ask("h1", "转人工")
	offer := agent.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer" })
	conv := offer[len(offer)-1].Conversation
	agent.Send(map[string]any{"type": "accept", "conversation": conv})
	seen := agent.Until(10*time.Second, func(f agenttest.Frame) bool {
		return f.Type == "message" && f.From == "system" && strings.Contains(f.Text, "已为您接入")
	})
	last := seen[len(seen)-1].Seq
	agent.Conn.Close()

	// Within the grace period the citizen writes; the chat stays the agent's.
	citizen.Ask("h2", "您好，还在吗？")
	citizen.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Type == "ack" && f.ID == "h2" })
	again := agenttest.Dial(t, base, cookie)
	again.Send(map[string]any{"type": "hello", "after": map[string]int64{conv: last}})
	frames := again.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "message" && f.Text == "您好，还在吗？" })
	for _, f := range frames {
		if f.Type == "message" && f.Seq <= last {
			t.Errorf("resumed console got seq %d again (had up to %d)", f.Seq, last)
		}
	}
	if !slices.ContainsFunc(frames, func(f agenttest.Frame) bool { return f.Type == "chat" && f.Conversation == conv }) {
		t.Error("resumed console did not get its chat back")
	}
}

func TestOfferTimeoutTransferAndSupervisor(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		ServiceHours: "24h", AcceptTimeout: time.Second, AgentGrace: time.Minute})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent", "housing")
	addAgent(t, srv, "wang", "agent", "housing")
	addAgent(t, srv, "boss", "supervisor")
	li, wang := agentOnline(t, base, "li"), agentOnline(t, base, "wang")
	boss := agentOnline(t, base, "boss")
	boss.Send(map[string]any{"type": "status", "status": "away"}) // supervises, takes no offers

	citizen := widgettest.Dial(t, base)
	citizen.Hello("", 0)
	citizen.Ask("c1", "我要投诉物业，找人工")
	conv := citizen.Conversation

	// The first agent offered lets it ring out: it goes to the other one.
	var first, second *agenttest.Client
	offered := make(chan *agenttest.Client, 2)
	for _, a := range []*agenttest.Client{li, wang} {
		go func() {
			if f, err := a.Read(10 * time.Second); err == nil {
				for f.Type != "offer" && err == nil {
					f, err = a.Read(10 * time.Second)
				}
				if err == nil {
					offered <- a
				}
			}
		}()
	}
	select {
	case first = <-offered:
	case <-time.After(10 * time.Second):
		t.Fatal("no agent was offered the chat")
	}
	select {
	case second = <-offered:
	case <-time.After(10 * time.Second):
		t.Fatal("the chat was not offered to the next agent after the accept timeout")
	}
	if first == second {
		t.Fatal("offered twice to the same agent")
	}
	first.Until(5*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer_gone" && f.Reason == "timeout" })
	second.Send(map[string]any{"type": "accept", "conversation": conv})
	second.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "chat" && f.Role == "owner" })

	// The supervisor sees the live chat, joins, then takes it over.
	boss.Until(10*time.Second, func(f agenttest.Frame) bool {
		return f.Type == "queue" && strings.Contains(string(f.Raw), `"chats":[{"conversation":"`+conv)
	})
	boss.Send(map[string]any{"type": "join", "conversation": conv})
	boss.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "chat" && f.Role == "observer" })
	boss.Send(map[string]any{"type": "takeover", "conversation": conv})
	boss.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "chat" && f.Role == "owner" })
	second.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "chat_end" && f.Reason == "taken_over" })

	// An agent may not take over; the supervisor transfers it with a note.
	second.Send(map[string]any{"type": "takeover", "conversation": conv})
	second.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "error" && f.Code == "forbidden" })
	boss.Send(map[string]any{"type": "transfer", "conversation": conv, "to_agent": "li", "note": "已核实地址，请跟进"})
	boss.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "chat_end" && f.Reason == "transferred" })
	offer := li.Until(10*time.Second, func(f agenttest.Frame) bool { return f.Type == "offer" && f.Conversation == conv })
	if o := offer[len(offer)-1]; !strings.Contains(string(o.Raw), "已核实地址，请跟进") {
		t.Errorf("transfer offer lacks the note: %s", o.Raw)
	}
	citizen.Until(10*time.Second, func(f widgettest.Frame) bool {
		return f.Type == "message" && f.From == "system" && strings.Contains(f.Text, "正在为您转接")
	})
}

func TestTwoMissesInARowHandOff(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data", ServiceHours: "24h"})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent")
	agentOnline(t, base, "li")
	citizen := widgettest.Dial(t, base)
	citizen.Hello("", 0)
	for i, q := range []string{"火星移民局的签证怎么续签", "月球上的房子怎么过户给外星人"} {
		citizen.Ask(fmt.Sprint("q", i), q)
		frames := citizen.BotReplyTo(10*time.Second, q)
		reply := frames[len(frames)-1]
		queued := strings.Contains(reply.Text, "正在为您转接人工客服")
		if i == 0 && queued {
			t.Fatalf("handed off after one miss: %q", reply.Text)
		}
		if i == 1 && !queued {
			t.Fatalf("after two misses in a row the reply is %q, want the hand-off", reply.Text)
		}
	}
}

func TestOutsideServiceHoursOffersMessage(t *testing.T) {
	srv := startServerWith(t, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KBDir: "../kb-data",
		ServiceHours: "closed"})
	base := baseURL(srv)
	addAgent(t, srv, "li", "agent")
	agentOnline(t, base, "li") // signed in, but outside the hours nobody is offered chats
	citizen := widgettest.Dial(t, base)
	citizen.Hello("", 0)
	citizen.Ask("c1", "转人工")
	frames := citizen.BotReplyTo(10*time.Second, "转人工")
	reply := frames[len(frames)-1]
	if !strings.Contains(reply.Text, "不在服务时间内") || !slices.Contains(reply.Options, "留言") {
		t.Errorf("reply outside service hours = %+v", reply)
	}
}
