package agenttest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/widgettest"
)

func isType(typ string) func(Frame) bool {
	return func(f Frame) bool { return f.Type == typ }
}

// HandOff plays the hand-off from end to end over real
// WebSockets: a citizen on citizenBase asks for a person; an agent, signed
// in on agentBase (the same instance or another one), gets the offer,
// accepts it, sees the whole transcript with the NLU view, and they
// exchange messages both ways while the bot stays silent; the agent closes
// with a wrap-up and the citizen rates 4 (非常满意). It returns the
// conversation id.
func HandOff(t testing.TB, citizenBase, agentBase, username, password string) string {
	t.Helper()
	agent := Dial(t, agentBase, Login(t, agentBase, username, password))
	agent.Hello(nil)

	citizen := widgettest.Dial(t, citizenBase)
	citizen.Hello("", 0)
	citizen.Ask("c1", "转人工")
	frames := citizen.BotReplyTo(10*time.Second, "转人工")
	if reply := frames[len(frames)-1]; !strings.Contains(reply.Text, "正在为您转接人工客服") || !slices.Contains(reply.Options, "取消排队") {
		t.Fatalf("bot reply to 转人工 = %+v, want the queue message with 取消排队", reply)
	}
	conv := citizen.Conversation

	offer := agent.Until(10*time.Second, isType("offer"))
	if o := offer[len(offer)-1]; o.Conversation != conv || o.Expires.IsZero() {
		t.Fatalf("offer = %s", o.Raw)
	}
	agent.Send(map[string]any{"type": "accept", "conversation": conv})
	got := agent.Until(10*time.Second, func(f Frame) bool {
		return f.Type == "message" && f.From == "citizen" && f.Text == "转人工"
	})
	if !slices.ContainsFunc(got, func(f Frame) bool { return f.Type == "chat" && f.Role == "owner" }) {
		t.Errorf("no chat frame before the transcript:\n%s", fmt.Sprint(got))
	}
	var seqs []int64
	for _, f := range got {
		if f.Type == "message" {
			seqs = append(seqs, f.Seq)
		}
	}
	if len(seqs) < 2 || seqs[0] != 1 || !slices.IsSorted(seqs) {
		t.Errorf("transcript seqs on the console = %v, want 1.. in order, the bot's part included", seqs)
	}
	if m := got[len(got)-1]; m.NLU == nil || m.NLU.Intent != "human" {
		t.Errorf("citizen message NLU view = %+v, want intent human", m.NLU)
	}
	citizen.Until(10*time.Second, func(f widgettest.Frame) bool {
		return f.Type == "message" && f.From == "system" && strings.Contains(f.Text, "已为您接入")
	})

	// The citizen writes: the agent sees it with suggestions, the bot is silent.
	citizen.Ask("c2", "我要申请公租房，需要什么条件")
	agent.Until(10*time.Second, func(f Frame) bool {
		return f.Type == "message" && f.Text == "我要申请公租房，需要什么条件"
	})
	sugg := agent.Until(10*time.Second, isType("suggestions"))
	if items := sugg[len(sugg)-1].Items; len(items) == 0 {
		t.Error("no knowledge base suggestions for a routine question")
	}
	reply := map[string]any{"type": "message", "conversation": conv, "id": "a1", "text": "您好，请问您的户籍在本市吗？"}
	agent.Send(reply)
	agent.Until(10*time.Second, func(f Frame) bool { return f.Type == "ack" && f.ID == "a1" })
	// The same reply again (as after a reconnect) is stored once.
	agent.Send(reply)
	agent.Until(10*time.Second, func(f Frame) bool { return f.Type == "ack" && f.ID == "a1" })

	after := citizen.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Type == "message" && f.From == "agent" })
	for _, f := range after {
		if f.Type == "message" && f.From == "bot" {
			t.Errorf("the bot spoke while the agent held the chat: %q", f.Text)
		}
	}
	agentSeq := after[len(after)-1].Seq
	if f := after[len(after)-1]; f.Text != "您好，请问您的户籍在本市吗？" {
		t.Errorf("agent message to the citizen = %q", f.Text)
	}

	agent.Send(map[string]any{"type": "close", "conversation": conv, "wrapup": map[string]any{
		"appeal_type": "consult", "department": "housing", "summary": "咨询公租房申请条件，已告知", "resolved": true}})
	end := agent.Until(10*time.Second, isType("chat_end"))
	if f := end[len(end)-1]; f.Conversation != conv || f.Reason != "closed" {
		t.Errorf("chat_end = %s", f.Raw)
	}
	survey := citizen.Until(10*time.Second, func(f widgettest.Frame) bool { return f.Type == "message" && len(f.Options) == 4 })
	if s := survey[len(survey)-1]; s.Options[0] != "非常满意" || s.Options[3] != "不满意" {
		t.Errorf("survey options = %v", s.Options)
	}
	for _, f := range survey {
		if f.Type == "message" && f.From == "agent" && f.Seq > agentSeq {
			t.Errorf("the agent's reply reached the citizen twice (seq %d)", f.Seq)
		}
	}
	citizen.Send(map[string]any{"type": "rating", "score": 4})
	citizen.Until(10*time.Second, func(f widgettest.Frame) bool {
		return f.Type == "message" && strings.Contains(f.Text, "感谢您的评价")
	})
	return conv
}
