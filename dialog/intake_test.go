package dialog_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// withOrders gives the fixture's bot a work order service on its store.
func withOrders(t *testing.T, f *fixture) *workorder.Service {
	t.Helper()
	orders, err := workorder.New(workorder.Config{Store: f.store})
	if err != nil {
		t.Fatal(err)
	}
	f.bot.SetWorkOrders(orders)
	return orders
}

// reply is the last reply to a message; it fails the test when there is none.
func reply(t *testing.T, f *fixture, id, text string) store.Message {
	t.Helper()
	r := f.say(t, id, text)
	if len(r) == 0 {
		t.Fatalf("%q got no reply", text)
	}
	return r[len(r)-1]
}

var orderNumber = regexp.MustCompile(`\d{8}-\d{6}`)

// TestIntakeComplaint walks a complaint from the first message to the
// order: the bot asks what is missing, refuses a bad phone, shows the
// summary, lets the citizen change a field, and records exactly what was
// confirmed.
func TestIntakeComplaint(t *testing.T) {
	f := newFixture(t)
	orders := withOrders(t, f)
	ctx := context.Background()

	steps := []struct {
		say, want string
		option    string // an option the reply must offer
	}{
		{"我要投诉楼下烧烤店每天夜里油烟熏得家里没法开窗", "具体地点", "不涉及"},
		{"青山区建设路18号", "什么时间", "跳过"},
		{"跳过", "联系电话", "取消"},
		{"138123", "格式不正确", "取消"}, // refused, asked again
		{"138 1234 5678", "怎么称呼", "跳过"},
		{"张先生", "请您核对登记内容", "确认提交"},
		{"修改", "要修改哪一项", "地点"},
		{"地点", "具体地点", "不涉及"},
		{"青山区建设路20号", "请您核对登记内容", "确认提交"},
	}
	var last store.Message
	for i, s := range steps {
		last = reply(t, f, "c"+string(rune('a'+i)), s.say)
		if !strings.Contains(last.Text, s.want) || !slices.Contains(last.Options, s.option) {
			t.Fatalf("%q → %q %v, want %q with option %q", s.say, last.Text, last.Options, s.want, s.option)
		}
	}
	for _, want := range []string{"投诉", "油烟", "青山区建设路20号", "13812345678", "张先生", "未填写"} {
		if !strings.Contains(last.Text, want) {
			t.Errorf("summary lacks %q:\n%s", want, last.Text)
		}
	}
	if all, _ := orders.List(ctx, workorder.Filter{}); len(all) != 0 {
		t.Fatalf("%d orders before the citizen confirmed, want none", len(all))
	}

	done := reply(t, f, "submit", "确认提交")
	number := orderNumber.FindString(done.Text)
	if number == "" || !strings.Contains(done.Text, "前答复您") {
		t.Fatalf("确认提交 → %q, want the number and the promised date", done.Text)
	}
	o, err := orders.Get(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if o.AppealType != workorder.Complaint || !strings.Contains(o.Summary, "烧烤店") || o.Address != "青山区建设路20号" ||
		o.When != "" || o.Contact.Phone != "13812345678" || o.Contact.Name != "张先生" || o.Conversation != f.conv.ID {
		t.Errorf("order = %+v", o)
	}
	if c, _ := f.store.Conversation(ctx, f.conv.ID); c.State != dialog.StateBot || c.Data["intake"] != "" {
		t.Errorf("after submitting the conversation is %q with intake %q, want back to the bot", c.State, c.Data["intake"])
	}
	// A retried 确认提交 after the order was made creates no second one.
	f.say(t, "submit", "确认提交")
	if all, _ := orders.List(ctx, workorder.Filter{}); len(all) != 1 {
		t.Errorf("%d orders after a retried submit, want 1", len(all))
	}
}

// TestIntakeAnonymousReport: a report may be anonymous; details the first
// message already holds are not asked again.
func TestIntakeAnonymousReport(t *testing.T) {
	f := newFixture(t)
	orders := withOrders(t, f)
	r := reply(t, f, "1", "我要举报青山区滨江路28号有家工厂昨天晚上往河里偷排污水")
	if strings.Contains(r.Text, "具体地点") {
		t.Errorf("the address in the first message was asked again: %q", r.Text)
	}
	// Whatever is still missing is asked until the phone question comes.
	for i := 0; !strings.Contains(r.Text, "联系电话") && i < 3; i++ {
		r = reply(t, f, "skip"+string(rune('0'+i)), "跳过")
	}
	if !slices.Contains(r.Options, "匿名举报") {
		t.Fatalf("phone question of a report = %q %v, want the 匿名举报 option", r.Text, r.Options)
	}
	r = reply(t, f, "anon", "匿名举报")
	if !strings.Contains(r.Text, "匿名举报") || strings.Contains(r.Text, "称呼") {
		t.Fatalf("after 匿名举报 → %q, want the summary without a name", r.Text)
	}
	done := reply(t, f, "ok", "确认提交")
	o, err := orders.Get(context.Background(), orderNumber.FindString(done.Text))
	if err != nil {
		t.Fatalf("确认提交 → %q: %v", done.Text, err)
	}
	if o.AppealType != workorder.Report || !o.Contact.Anonymous || o.Contact.Phone != "" || o.Contact.Name != "" ||
		!strings.Contains(o.Address, "滨江路") {
		t.Errorf("anonymous report = %+v", o)
	}
}

// TestIntakeCancel: 取消 at any step drops the draft and records nothing;
// a complaint is not anonymous.
func TestIntakeCancel(t *testing.T) {
	f := newFixture(t)
	orders := withOrders(t, f)
	ctx := context.Background()
	reply(t, f, "1", "我要投诉小区物业乱收停车费，已经好几个月了")
	reply(t, f, "2", "不涉及")
	r := reply(t, f, "3", "跳过")
	if slices.Contains(r.Options, "匿名举报") {
		t.Errorf("a complaint's phone question offers 匿名举报: %v", r.Options)
	}
	if r := reply(t, f, "4", "匿名举报"); !strings.Contains(r.Text, "格式不正确") {
		t.Errorf("匿名举报 on a complaint → %q, want the phone asked again", r.Text)
	}
	if r := reply(t, f, "5", "取消"); !strings.Contains(r.Text, "已取消登记") {
		t.Fatalf("取消 → %q", r.Text)
	}
	if all, _ := orders.List(ctx, workorder.Filter{}); len(all) != 0 {
		t.Errorf("%d orders after 取消, want none", len(all))
	}
	if r := reply(t, f, "6", "社保卡丢了怎么办"); !strings.Contains(r.Text, "挂失") {
		t.Errorf("after 取消 the bot does not answer questions: %q", r.Text)
	}
}

// TestDialogEvents: the statistics' log gets one event per handled citizen
// message, without what was written.
func TestDialogEvents(t *testing.T) {
	f := newFixture(t)
	f.say(t, "1", "社保卡丢了怎么办")
	f.say(t, "2", "推荐一只股票，我电话13812345678")
	entries, err := f.store.ReadLog(context.Background(), dialog.LogName, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []dialog.Event
	for _, e := range entries {
		if strings.Contains(string(e.Data), "13812345678") || strings.Contains(string(e.Data), "社保卡") {
			t.Errorf("log entry holds what the citizen wrote: %s", e.Data)
		}
		var ev dialog.Event
		if err := json.Unmarshal(e.Data, &ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if len(got) != 2 {
		t.Fatalf("events = %+v, want one per message", got)
	}
	if got[0].Type != dialog.EventMessage || got[0].Outcome != dialog.OutcomeAnswer || got[0].Conversation != f.conv.ID || got[0].Channel != "test" {
		t.Errorf("answered question's event = %+v", got[0])
	}
	if got[1].Outcome != dialog.OutcomeNone {
		t.Errorf("unanswered question's event = %+v, want outcome none", got[1])
	}
}

// TestIntakeExpires: a citizen who comes back a day later is not asked to
// go on with yesterday's questions; their message is read afresh.
func TestIntakeExpires(t *testing.T) {
	f := newFixture(t)
	withOrders(t, f)
	ctx := context.Background()
	if r := reply(t, f, "1", "我要投诉小区物业乱收停车费，已经好几个月了"); !strings.Contains(r.Text, "具体地点") {
		t.Fatalf("intake did not start: %q", r.Text)
	}
	// Yesterday's intake, as the store would hold it a day later.
	_, err := f.store.UpdateConversation(ctx, f.conv.ID, func(c *store.Conversation) error {
		var in map[string]any
		json.Unmarshal([]byte(c.Data["intake"]), &in)
		in["started"] = time.Now().Add(-25 * time.Hour)
		data, _ := json.Marshal(in)
		c.Data["intake"] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := reply(t, f, "2", "社保卡丢了怎么办"); !strings.Contains(r.Text, "挂失") {
		t.Errorf("a day later a question → %q, want the answer, not the intake", r.Text)
	}
	if c, _ := f.store.Conversation(ctx, f.conv.ID); c.State != dialog.StateBot || c.Data["intake"] != "" {
		t.Errorf("the stale intake is still there: state %q", c.State)
	}
}

func TestSpecificPlace(t *testing.T) {
	for s, want := range map[string]bool{
		"青山区建设路18号": true, "滨江路": true, "幸福村": true, "3栋": true, "青山区": true,
		"投诉小区": false, "小区": false, "楼下": false,
	} {
		if got := dialog.SpecificPlace(s); got != want {
			t.Errorf("SpecificPlace(%q) = %v, want %v", s, got, want)
		}
	}
}
