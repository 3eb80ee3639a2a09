package dialog_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/internal/nlutest"
	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
)

var (
	segOnce sync.Once
	seg     *nlu.Segmenter
	segErr  error
)

var entries = []knowledge.Entry{{
	ID:         "social_security-card-lost",
	Question:   "社保卡丢了怎么挂失和补办？",
	Similar:    []string{"社保卡不见了怎么办", "社会保障卡遗失了去哪里补"},
	Answer:     "请先挂失，再携带身份证到社保卡服务网点补办。",
	Department: "social_security",
	Source:     knowledge.Source{Title: "本市社会保障卡服务管理办法", Number: "本人社规〔2024〕3号"},
}, {
	ID:         "housing_fund-rent",
	Question:   "租房可以提取住房公积金吗？",
	Similar:    []string{"公积金怎么取出来交房租", "租房提取公积金要什么材料"},
	Answer:     "无房职工租房可按月提取住房公积金。",
	Department: "housing_fund",
	Source:     knowledge.Source{Title: "本市住房公积金提取管理办法"},
}}

type fixture struct {
	bot   *dialog.Bot
	store *embedded.Store
	conv  store.Conversation
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	segOnce.Do(func() { seg, segErr = nlu.NewSegmenter("../kb-data/dict.txt") })
	if segErr != nil {
		t.Fatal(segErr)
	}
	kb, err := knowledge.Open(knowledge.Config{Segmenter: seg}, entries)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.Close() })
	st, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bot, err := dialog.New(dialog.Config{Store: st, Knowledge: kb, NLU: nlutest.Parser(t, seg)})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := bot.Open(context.Background(), "test", "u1")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{bot: bot, store: st, conv: conv}
}

// say sends a message and returns the replies it produced.
func (f *fixture) say(t *testing.T, id, text string) []store.Message {
	t.Helper()
	ctx := context.Background()
	before, _ := f.store.Conversation(ctx, f.conv.ID)
	err := f.bot.Handle(ctx, channels.Inbound{Conversation: f.conv.ID, ID: id, Kind: channels.KindText, Text: text}, nil)
	if err != nil {
		t.Fatalf("Handle(%q): %v", text, err)
	}
	msgs, _ := f.store.Messages(ctx, f.conv.ID, before.LastSeq, 100)
	var replies []store.Message
	for _, m := range msgs {
		if m.From != store.FromCitizen {
			replies = append(replies, m)
		}
	}
	return replies
}

func TestOpenGreets(t *testing.T) {
	f := newFixture(t)
	msgs, _ := f.store.Messages(context.Background(), f.conv.ID, 0, 10)
	if len(msgs) != 1 || msgs[0].From != store.FromBot || !strings.Contains(msgs[0].Text, "您好") || len(msgs[0].Options) == 0 {
		t.Fatalf("new conversation transcript = %+v, want one welcome with topics", msgs)
	}
}

func TestAnswerCarriesSource(t *testing.T) {
	f := newFixture(t)
	r := f.say(t, "1", "社保卡丢了怎么办")
	if len(r) != 1 || !strings.Contains(r[0].Text, "挂失") || !strings.Contains(r[0].Text, "本人社规〔2024〕3号") {
		t.Fatalf("replies = %+v, want the answer with its source", r)
	}
	if r[0].Meta[dialog.MetaDecision] != "answer" || r[0].Meta[dialog.MetaEntry] != "social_security-card-lost" {
		t.Errorf("answer meta = %v", r[0].Meta)
	}
	for _, o := range r[0].Options {
		if o == entries[0].Question {
			t.Error("the answered question is offered as related")
		}
	}
}

func TestSmallTalkAndHuman(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ text, want string }{
		{"你好", "很高兴为您服务"},
		{"谢谢！", "不客气"},
		{"转人工", "12345热线"},
		{"再见", "再见"},
	} {
		r := f.say(t, tt.text, tt.text)
		if len(r) != 1 || !strings.Contains(r[0].Text, tt.want) {
			t.Errorf("%s → %+v, want %q", tt.text, r, tt.want)
		}
	}
}

func TestLeaveMessage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if r := f.say(t, "1", "留言"); !strings.Contains(r[0].Text, "联系电话") {
		t.Fatalf("留言 → %q, want a request for the matter and a phone", r[0].Text)
	}
	if r := f.say(t, "2", "楼下饭店油烟太大"); !strings.Contains(r[0].Text, "补充您的联系电话") {
		t.Fatalf("message without phone → %q, want a request for the phone", r[0].Text)
	}
	r := f.say(t, "3", "13812345678")
	if len(r) != 2 || r[0].From != store.FromSystem || r[0].Meta[dialog.MetaCallback] != "open" {
		t.Fatalf("replies = %+v, want the recorded request then a confirmation", r)
	}
	if !strings.Contains(r[0].Text, "楼下饭店油烟太大") || !strings.Contains(r[0].Text, "13812345678") {
		t.Errorf("recorded request %q lacks the matter or the phone", r[0].Text)
	}
	if c, _ := f.store.Conversation(ctx, f.conv.ID); c.State != dialog.StateBot || c.Data["message_draft"] != "" {
		t.Errorf("after the request the conversation is %q with draft %q, want back to the bot", c.State, c.Data["message_draft"])
	}
	// Cancel also returns to the bot.
	f.say(t, "4", "留言")
	if r := f.say(t, "5", "取消"); !strings.Contains(r[0].Text, "已取消") {
		t.Errorf("取消 → %q", r[0].Text)
	}
	if r := f.say(t, "6", "社保卡丢了怎么办"); !strings.Contains(r[0].Text, "挂失") {
		t.Errorf("after cancel the bot does not answer: %q", r[0].Text)
	}
}

// TestRetryAfterCrash: a message stored before a crash but never answered
// is answered when the client sends it again; an answered one is not.
func TestRetryAfterCrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// What a crash between storing and answering leaves behind.
	f.store.Append(ctx, f.conv.ID, store.Message{ID: "lost", From: store.FromCitizen, Text: "社保卡丢了怎么办"})
	r := f.say(t, "lost", "社保卡丢了怎么办")
	if len(r) != 1 || !strings.Contains(r[0].Text, "挂失") {
		t.Fatalf("retry of an unanswered message → %+v, want the answer", r)
	}
	if r := f.say(t, "lost", "社保卡丢了怎么办"); len(r) != 0 {
		t.Errorf("second retry → %+v, want nothing (already answered)", r)
	}
}

func TestRating(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.bot.Handle(ctx, channels.Inbound{Conversation: f.conv.ID, Kind: channels.KindRating, Score: 6}, nil)
	if !errors.Is(err, dialog.ErrBadScore) {
		t.Errorf("score 6 error = %v, want ErrBadScore", err)
	}
	if err := f.bot.Handle(ctx, channels.Inbound{Conversation: f.conv.ID, Kind: channels.KindRating, Score: 5}, nil); err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.store.Messages(ctx, f.conv.ID, 1, 10)
	if len(msgs) != 1 || msgs[0].Meta[dialog.MetaRating] != "5" {
		t.Errorf("after rating transcript = %+v, want one thank-you recording score 5", msgs)
	}
}

// TestMissesRecorded: questions the knowledge base can't answer are counted
// for its maintainers, without the phone numbers in them.
func TestMissesRecorded(t *testing.T) {
	f := newFixture(t)
	f.say(t, "1", "推荐一只股票，我电话13812345678")
	f.say(t, "2", "推荐一只股票，我电话13812345678")
	f.say(t, "3", "社保卡丢了怎么办")
	misses, err := f.store.Misses(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(misses) != 1 || misses[0].Count != 2 || misses[0].Query != "推荐一只股票，我电话[号码]" {
		t.Errorf("misses = %+v, want the stock question twice, masked, and not the answered one", misses)
	}
}

// TestEmergency: danger to life gets the number to call and what to do at
// once, and the conversation is flagged for top-priority hand-off, even in
// the middle of leaving a message.
func TestEmergency(t *testing.T) {
	f := newFixture(t)
	f.say(t, "0", "留言")
	r := f.say(t, "1", "厨房里煤气味特别大，好像漏气了")
	if len(r) != 1 || !strings.Contains(r[0].Text, "119") || !strings.Contains(r[0].Text, "不要开关电器") {
		t.Fatalf("gas leak → %+v, want 119 and what to do", r)
	}
	c, _ := f.store.Conversation(context.Background(), f.conv.ID)
	if c.Data[dialog.DataPriority] != "emergency" {
		t.Errorf("conversation priority = %q, want emergency", c.Data[dialog.DataPriority])
	}
	msgs, _ := f.store.Messages(context.Background(), f.conv.ID, 0, 100)
	var citizen store.Message
	for _, m := range msgs {
		if m.ID == "1" {
			citizen = m
		}
	}
	if citizen.Meta[dialog.MetaUrgency] != "emergency" {
		t.Errorf("the citizen's message meta = %v, want urgency emergency for the agents", citizen.Meta)
	}
}

// TestAppealTakenDown: a complaint the knowledge base does not answer is
// taken down for the staff, asking only for what is missing (the phone).
func TestAppealTakenDown(t *testing.T) {
	f := newFixture(t)
	r := f.say(t, "1", "我要投诉楼下烧烤店天天半夜还在营业，吵得人睡不着")
	if len(r) != 1 || !strings.Contains(r[0].Text, "联系电话") {
		t.Fatalf("complaint → %+v, want it taken down and the phone asked for", r)
	}
	r = f.say(t, "2", "13912345678")
	if len(r) != 2 || r[0].Meta[dialog.MetaCallback] != "open" || !strings.Contains(r[0].Text, "烧烤店") {
		t.Fatalf("phone → %+v, want the recorded appeal with the complaint text, then a confirmation", r)
	}
}

func TestTicketStatusAndUrgent(t *testing.T) {
	f := newFixture(t)
	if r := f.say(t, "1", "我上周反映的问题怎么还没人处理，帮我查下进度"); len(r) != 1 || !strings.Contains(r[0].Text, "工单") {
		t.Errorf("ticket status → %+v, want an honest answer about ticket lookup", r)
	}
	r := f.say(t, "2", "家里水管爆了，水漫到客厅了")
	if len(r) == 0 || !strings.Contains(r[0].Text, "优先") {
		t.Errorf("urgent → %+v, want the urgent notice first", r)
	}
	c, _ := f.store.Conversation(context.Background(), f.conv.ID)
	if c.Data[dialog.DataPriority] != "urgent" {
		t.Errorf("priority = %q, want urgent", c.Data[dialog.DataPriority])
	}
}
