package handoff

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// bigBoard is a busy hotline: 100 agents online with 3 chats each, 200
// citizens waiting.
func bigBoard() *Board {
	b := NewBoard()
	skills := []string{"social_security", "housing", "traffic", "medical_insurance", "urban"}
	for i := range 100 {
		name := fmt.Sprintf("agent%03d", i)
		b.Connect(Presence{Username: name, Name: name, Role: "agent", MaxChats: 3, Skills: []string{skills[i%5]}}, t0)
		for j := range 3 {
			conv := fmt.Sprintf("chat-%03d-%d", i, j)
			b.Chats[conv] = &Chat{Conversation: conv, Channel: "web", Agent: name, Since: t0, Queued: t0}
		}
	}
	for i := range 200 {
		b.Queue = append(b.Queue, &Entry{Conversation: fmt.Sprintf("wait-%03d", i), Channel: "wechat",
			Priority: Priority(i % 3), Skill: skills[i%5], Reason: "human", Since: t0.Add(time.Duration(i) * time.Second),
			Preview: "我想咨询一下公租房申请需要什么条件，我在本市工作三年了"})
	}
	return b
}

// BenchmarkBoardChange is what every hand-off change costs besides the
// store: decode the board, apply the rules, encode it again.
func BenchmarkBoardChange(b *testing.B) {
	data, _ := json.Marshal(bigBoard())
	now := t0.Add(time.Second)
	for b.Loop() {
		board, err := decodeBoard(data)
		if err != nil {
			b.Fatal(err)
		}
		board.Tick(now, DefaultRules)
		if _, err := json.Marshal(board); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/1024, "board-KiB")
}
