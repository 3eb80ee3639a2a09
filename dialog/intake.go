package dialog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// StateIntake is the state of a conversation in which the bot collects the
// details of a complaint, report, request for help or suggestion for a
// work order: what happened, where, when, a contact phone and, optionally,
// a name; then the citizen confirms a summary.
const StateIntake = "intake"

// dataIntake keeps the intake's answers so far (an intake in JSON).
const dataIntake = "intake"

// The fields the intake asks for, in order, and its last two steps.
const (
	askWhat    = "what"
	askWhere   = "where"
	askWhen    = "when"
	askPhone   = "phone"
	askName    = "name"
	askConfirm = "confirm"
	askEdit    = "edit"
)

// minWhat is the shortest description worth sending to a department
// without asking for more (in characters).
const minWhat = 6

// intake is an appeal being taken down.
type intake struct {
	Type  workorder.AppealType `json:"type"`
	What  string               `json:"what"`
	Where string               `json:"where,omitempty"`
	When  string               `json:"when,omitempty"`
	Phone string               `json:"phone,omitempty"`
	// Verified marks a phone the channel vouched for (the app's).
	Verified  bool   `json:"verified,omitempty"`
	Name      string `json:"name,omitempty"`
	Anonymous bool   `json:"anonymous,omitempty"`
	// Skipped lists the optional fields the citizen chose to leave out.
	Skipped []string `json:"skipped,omitempty"`
	// Editing is set while the citizen changes a field from the summary:
	// the answer replaces the field instead of adding to it.
	Editing bool `json:"editing,omitempty"`
	// Asked is the step the next message answers.
	Asked string `json:"asked"`
	// Started is when the bot began taking the appeal down.
	Started time.Time `json:"started"`
}

// Intake texts. The citizen sees each of them.
const (
	textIntakeStart  = "您反映的问题需要登记为工单，转交有关部门办理。为便于办理，请您补充以下几项信息（随时回复“取消”可停止登记）。\n"
	textAskWhat      = "请您简要描述要反映的具体情况：发生了什么事？"
	textAskWhere     = "请问事情发生的具体地点在哪里？请写明区、街道（路）、小区或门牌号。如不涉及具体地点，请点击“不涉及”。"
	textAskWhen      = "请问是什么时间发生的？例如“今天上午”“每天夜里十点以后”。如不清楚，请点击“跳过”。"
	textAskPhone     = "请留下您的联系电话（手机或座机），方便承办单位向您反馈办理结果。"
	textAskPhoneAnon = "请留下您的联系电话（手机或座机），方便承办单位向您反馈办理结果。" +
		"举报也可以选择“匿名举报”，我们会为您保密，但承办单位将无法通过电话向您反馈。"
	textAskName         = "请问怎么称呼您？例如“张先生”“李女士”。也可以点击“跳过”。"
	textBadPhone        = "您输入的电话号码格式不正确，请输入11位手机号码，或带区号的座机号码（例如0571-87654321）。"
	textTooLong         = "您输入的内容过长（不超过%d字），请简要描述。"
	textConfirm         = "请您核对登记内容：\n%s\n确认无误请点击“确认提交”；需要更改请点击“修改”。"
	textAskEdit         = "请问要修改哪一项？"
	textIntakeCancelled = "已取消登记，您填写的内容未提交。请问还有什么可以帮您？"
	textIntakeFailed    = "抱歉，工单暂时未能提交，您填写的内容已保留。请稍后点击“确认提交”再试一次，或拨打12345热线电话反映。"
)

// Options of the intake.
const (
	optionNotApplicable = "不涉及"
	optionSkip          = "跳过"
	optionAnonymous     = "匿名举报"
	optionSubmit        = "确认提交"
	optionEdit          = "修改"
)

// editOptions name the fields the citizen may change, and the step each
// one asks again.
var editOptions = []struct{ label, ask string }{
	{"事项", askWhat}, {"地点", askWhere}, {"时间", askWhen}, {"联系电话", askPhone}, {"称呼", askName},
}

// startIntake begins taking down an appeal, with what the message already
// says: the description, and any address, time and phone in it.
func (b *Bot) startIntake(ctx context.Context, conv *store.Conversation, msg store.Message, u nlu.Result, appeal workorder.AppealType) ([]store.Message, string, error) {
	in := intake{Type: appeal, What: strings.TrimSpace(msg.Text), Started: msg.Time}
	where, when := nlu.PlaceAndTime(msg.Text, u.Entities)
	if specificPlace(where) {
		in.Where = where
	}
	in.When = when
	for _, e := range u.Entities {
		if e.Type == nlu.EntityPhone {
			in.Phone = e.Value
			break
		}
	}
	if p := conv.Data[DataVerifiedPhone]; p != "" && in.Phone == "" {
		in.Phone, in.Verified = p, true
	}
	replies, err := b.askNext(ctx, conv, &in, textIntakeStart)
	return replies, "intake", err
}

// intakeTTL is how long an unfinished intake waits for the citizen: one
// who comes back later starts afresh instead of answering a question
// asked the day before.
const intakeTTL = 24 * time.Hour

// intakeStale reports whether the conversation's intake was begun more
// than intakeTTL before now.
func intakeStale(conv store.Conversation, now time.Time) bool {
	var in intake
	if err := json.Unmarshal([]byte(conv.Data[dataIntake]), &in); err != nil {
		return true
	}
	return now.Sub(in.Started) > intakeTTL
}

// specificPlace reports whether an address the NLU found names a place a
// department could go to (a road, a number, a village, a district), not
// just 小区 or 楼下: only such an address is taken without asking.
func specificPlace(s string) bool {
	if strings.ContainsAny(s, "0123456789０１２３４５６７８９路街巷道号镇村弄栋幢") {
		return true
	}
	return strings.Contains(strings.ReplaceAll(s, "小区", ""), "区")
}

// continueIntake takes the citizen's answer to the intake's last question.
func (b *Bot) continueIntake(ctx context.Context, conv *store.Conversation, msg store.Message) ([]store.Message, string, error) {
	var in intake
	if err := json.Unmarshal([]byte(conv.Data[dataIntake]), &in); err != nil || !in.Type.Valid() {
		// Nothing usable to continue: start over as an ordinary message.
		if err := b.endIntake(ctx, conv); err != nil {
			return nil, "", err
		}
		return []store.Message{bot(textIntakeCancelled, topics...)}, "intake", nil
	}
	text := strings.TrimSpace(msg.Text)
	if text == optionCancel {
		if err := b.endIntake(ctx, conv); err != nil {
			return nil, "", err
		}
		return []store.Message{bot(textIntakeCancelled, topics...)}, "intake", nil
	}
	switch in.Asked {
	case askWhat:
		if n := utf8.RuneCountInString(text); n > maxWhat {
			return []store.Message{bot(fmt.Sprintf(textTooLong, maxWhat), optionCancel)}, "intake", nil
		}
		if in.What != "" && !in.Editing {
			in.What += "\n" + text
		} else {
			in.What = text
		}
	case askWhere:
		if text == optionNotApplicable || text == optionSkip {
			in.Where, in.Skipped = "", appendSkip(in.Skipped, askWhere)
		} else if n := utf8.RuneCountInString(text); n > maxWhere {
			return []store.Message{bot(fmt.Sprintf(textTooLong, maxWhere), optionNotApplicable, optionCancel)}, "intake", nil
		} else {
			in.Where = text
		}
	case askWhen:
		if text == optionSkip || text == optionNotApplicable {
			in.When, in.Skipped = "", appendSkip(in.Skipped, askWhen)
		} else if n := utf8.RuneCountInString(text); n > maxWhen {
			return []store.Message{bot(fmt.Sprintf(textTooLong, maxWhen), optionSkip, optionCancel)}, "intake", nil
		} else {
			in.When = text
		}
	case askPhone:
		if text == optionAnonymous && in.Type == workorder.Report {
			in.Anonymous, in.Phone, in.Name, in.Verified = true, "", "", false
			break
		}
		phone, ok := workorder.NormalizePhone(text)
		if !ok {
			if phones := nlu.Phones(text); len(phones) > 0 {
				phone, ok = workorder.NormalizePhone(phones[0])
			}
		}
		if !ok {
			return []store.Message{bot(textBadPhone, in.phoneOptions()...)}, "intake", nil
		}
		in.Phone, in.Verified, in.Anonymous = phone, false, false
	case askName:
		if text == optionSkip {
			in.Name, in.Skipped = "", appendSkip(in.Skipped, askName)
		} else if n := utf8.RuneCountInString(text); n > maxName {
			return []store.Message{bot(fmt.Sprintf(textTooLong, maxName), optionSkip, optionCancel)}, "intake", nil
		} else {
			in.Name = text
		}
	case askEdit:
		for _, o := range editOptions {
			if text == o.label {
				in.Skipped = slices.DeleteFunc(in.Skipped, func(s string) bool { return s == o.ask })
				in.Editing = true
				return b.ask(ctx, conv, &in, o.ask, "")
			}
		}
		return b.ask(ctx, conv, &in, askEdit, "")
	case askConfirm:
		switch text {
		case optionSubmit:
			return b.submitIntake(ctx, conv, in)
		case optionEdit:
			return b.ask(ctx, conv, &in, askEdit, "")
		}
		return b.ask(ctx, conv, &in, askConfirm, "")
	}
	replies, err := b.askNext(ctx, conv, &in, "")
	return replies, "intake", err
}

// Field limits of the intake, in characters; the work order's own.
const (
	maxWhat  = 2000
	maxWhere = 200
	maxWhen  = 100
	maxName  = 50
)

// next is the first step still open: a missing field, or the summary.
func (in intake) next() string {
	skipped := func(f string) bool { return slices.Contains(in.Skipped, f) }
	switch {
	case utf8.RuneCountInString(in.What) < minWhat:
		return askWhat
	case in.Where == "" && !skipped(askWhere):
		return askWhere
	case in.When == "" && !skipped(askWhen):
		return askWhen
	case in.Phone == "" && !in.Anonymous:
		return askPhone
	case in.Name == "" && !in.Anonymous && !skipped(askName):
		return askName
	}
	return askConfirm
}

func (in intake) phoneOptions() []string {
	if in.Type == workorder.Report {
		return []string{optionAnonymous, optionCancel}
	}
	return []string{optionCancel}
}

// askNext asks for the next open step, after lead.
func (b *Bot) askNext(ctx context.Context, conv *store.Conversation, in *intake, lead string) ([]store.Message, error) {
	in.Editing = false
	replies, _, err := b.ask(ctx, conv, in, in.next(), lead)
	return replies, err
}

// ask stores the intake with step as the question asked and returns the
// question.
func (b *Bot) ask(ctx context.Context, conv *store.Conversation, in *intake, step, lead string) ([]store.Message, string, error) {
	in.Asked = step
	var m store.Message
	switch step {
	case askWhat:
		m = bot(lead+textAskWhat, optionCancel)
	case askWhere:
		m = bot(lead+textAskWhere, optionNotApplicable, optionCancel)
	case askWhen:
		m = bot(lead+textAskWhen, optionSkip, optionCancel)
	case askPhone:
		text := textAskPhone
		if in.Type == workorder.Report {
			text = textAskPhoneAnon
		}
		m = bot(lead+text, in.phoneOptions()...)
	case askName:
		m = bot(lead+textAskName, optionSkip, optionCancel)
	case askEdit:
		var labels []string
		for _, o := range editOptions {
			if o.ask == askName && in.Anonymous {
				continue
			}
			labels = append(labels, o.label)
		}
		m = bot(lead+textAskEdit, append(labels, optionCancel)...)
	default:
		m = bot(lead+fmt.Sprintf(textConfirm, in.summary()), optionSubmit, optionEdit, optionCancel)
	}
	data, err := json.Marshal(in)
	if err != nil {
		return nil, "", err
	}
	c, err := b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
		c.State = StateIntake
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		c.Data[dataIntake] = string(data)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("dialog: update %s: %w", conv.ID, err)
	}
	*conv = c
	return []store.Message{m}, "intake", nil
}

// summary is what the citizen confirms, one line per field.
func (in intake) summary() string {
	or := func(v, none string) string {
		if v == "" {
			return none
		}
		return v
	}
	lines := []string{
		"诉求类型：" + in.Type.Label(),
		"反映事项：" + in.What,
		"发生地点：" + or(in.Where, "不涉及"),
		"发生时间：" + or(in.When, "未填写"),
	}
	switch {
	case in.Anonymous:
		lines = append(lines, "联系电话：匿名举报，不留电话")
	case in.Verified:
		lines = append(lines, "联系电话："+in.Phone+"（已验证）")
	default:
		lines = append(lines, "联系电话："+in.Phone)
	}
	if !in.Anonymous {
		lines = append(lines, "称呼："+or(in.Name, "未填写"))
	}
	return strings.Join(lines, "\n")
}

// submitIntake creates the work order the citizen confirmed.
func (b *Bot) submitIntake(ctx context.Context, conv *store.Conversation, in intake) ([]store.Message, string, error) {
	d := workorder.Draft{
		Conversation: conv.ID,
		Channel:      conv.Channel,
		AppealType:   in.Type,
		Summary:      in.What,
		Address:      in.Where,
		When:         in.When,
		Contact:      workorder.Contact{Name: in.Name, Phone: in.Phone, Anonymous: in.Anonymous},
		By:           "bot",
	}
	u := b.nlu.Parse(strings.TrimSpace(in.What+" "+in.Where), time.Now())
	if _, deptOK := b.nlu.Confident(u); deptOK && u.Department != nlu.NotApplicable {
		d.Suggested = workorder.Suggested{Department: u.Department, Confidence: u.DepartmentConfidence}
	}
	o, err := b.workorders.Create(ctx, d)
	if err != nil {
		b.log.Error("work order not created", "conversation", conv.ID, "err", err)
		return []store.Message{bot(textIntakeFailed, optionSubmit, optionCancel)}, "intake", nil
	}
	b.log.Info("work order created", "conversation", conv.ID, "number", o.Number)
	if err := b.endIntake(ctx, conv); err != nil {
		return nil, "", err
	}
	return []store.Message{bot(fmt.Sprintf(textOrderTaken, o.Number, o.Due.Format("2006年1月2日")))}, "intake", nil
}

// endIntake returns the conversation to the bot and forgets the intake.
func (b *Bot) endIntake(ctx context.Context, conv *store.Conversation) error {
	c, err := b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
		c.State = StateBot
		delete(c.Data, dataIntake)
		return nil
	})
	if err != nil {
		return fmt.Errorf("dialog: update %s: %w", conv.ID, err)
	}
	*conv = c
	return nil
}

func appendSkip(skipped []string, field string) []string {
	if slices.Contains(skipped, field) {
		return skipped
	}
	return append(skipped, field)
}
