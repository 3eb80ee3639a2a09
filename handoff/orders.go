package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hotline12345/hotline/store"
)

// This file is the console's part of work orders (工单): an agent
// registers an order from the chat, prefilled from what the citizen wrote,
// and supervisors see hot issues (热点), many similar appeals in a short
// time. The work orders themselves live in package workorder, which
// imports this package (for the holiday calendar): the console reaches
// them through the small interfaces below, which the server implements.

// OrderForm is a work order as the console's 登记工单 dialog shows and
// submits it. AppealType is one of complaint, report, help, suggestion,
// consult; Department a department code, or empty to leave it to the
// dispatcher; Anonymous is for a report (举报) only.
type OrderForm struct {
	AppealType string `json:"appeal_type"`
	Department string `json:"department,omitempty"`
	Summary    string `json:"summary"`
	Address    string `json:"address,omitempty"`
	When       string `json:"when,omitempty"`
	Name       string `json:"name,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Anonymous  bool   `json:"anonymous,omitempty"`
}

// OrderDesk registers work orders for agents.
type OrderDesk interface {
	// Prefill drafts an order from the conversation: what the citizen
	// wrote, the phone the channel verified or the citizen gave, the
	// place and time the NLU found, and the appeal type and department
	// when the NLU is confident. Fields it cannot fill stay empty.
	Prefill(ctx context.Context, conv store.Conversation) (OrderForm, error)
	// Create validates the form and records the order for the
	// conversation, by agent (and dispatches it when the form names a
	// department). A refused form is a *BadOrderError; nothing is created
	// then.
	Create(ctx context.Context, agent string, conv store.Conversation, f OrderForm) (number string, due time.Time, err error)
}

// HotIssue is a group of similar appeals in a short time (热点), as the
// supervisors' consoles show it.
type HotIssue struct {
	Department string `json:"department"`
	// Count is how many orders the group has; Numbers lists at most
	// MaxHotNumbers of them, oldest first.
	Count   int      `json:"count"`
	Numbers []string `json:"numbers"`
	// Example is the first order's summary, masked (no phone or ID
	// numbers) and clipped.
	Example string `json:"example"`
	// Since is when the first order of the group was created.
	Since time.Time `json:"since"`
}

// MaxHotNumbers bounds the order numbers a hot issue lists.
const MaxHotNumbers = 20

// HotIssueSource finds the current hot issues, largest first.
type HotIssueSource interface {
	HotIssues(ctx context.Context) ([]HotIssue, error)
}

// ErrBadOrder is matched by every *BadOrderError.
var ErrBadOrder = errors.New("handoff: bad work order")

// BadOrderError is an order form refused for one field: the console marks
// it. Field is one of appeal_type, department, summary, address, when,
// name, phone, anonymous.
type BadOrderError struct {
	Field   string
	Problem string
}

func (e *BadOrderError) Error() string {
	return fmt.Sprintf("handoff: bad work order: %s: %s", e.Field, e.Problem)
}

// Is makes errors.Is(err, ErrBadOrder) true.
func (e *BadOrderError) Is(target error) bool { return target == ErrBadOrder }

// textOrderCreated tells the citizen the order's number and reply date;
// textOrderCreatedAnonymous is for an anonymous report without a phone.
const (
	textOrderCreated          = "已为您登记工单，编号%s，我们将在%s前答复您，请保持电话畅通。您可随时发送工单编号查询办理进度。"
	textOrderCreatedAnonymous = "已为您登记工单，编号%s，我们将在%s前办理完毕。您可随时发送工单编号查询办理进度。"
)

// orderFieldTexts are the console's words for a refused field.
var orderFieldTexts = map[string]string{
	"appeal_type": "请选择诉求类型。",
	"department":  "请选择有效的承办部门，或选择“由派单员分派”。",
	"summary":     "请填写反映事项（不超过2000字）。",
	"address":     "发生地点不能超过200字。",
	"when":        "发生时间不能超过100字。",
	"name":        "联系人不能超过50字。",
	"phone":       "请填写正确的联系电话：11位手机号码，或带区号的座机号码。",
	"anonymous":   "只有举报可以匿名。",
}

// Order frames.

type orderDraftOut struct {
	Type         string    `json:"type"`
	Conversation string    `json:"conversation"`
	Draft        OrderForm `json:"draft"`
}

type orderCreatedOut struct {
	Type         string    `json:"type"`
	ID           string    `json:"id"`
	Conversation string    `json:"conversation"`
	Number       string    `json:"number"`
	Due          time.Time `json:"due"`
}

type hotIssuesOut struct {
	Type  string     `json:"type"`
	Items []HotIssue `json:"items"`
}

// Idempotency of the order frame: the first frame with an id claims
// orderKey(conv, id) as pending, and stores the result there once the
// order exists; a retry finds it and gets the same answer. A claim whose
// holder died before storing the result (a crash between the two) lapses
// after orderPendingTTL, the result is kept orderDoneTTL.
const (
	orderPendingTTL = time.Minute
	orderDoneTTL    = 24 * time.Hour
	orderPending    = "pending"
)

func orderKey(conv, id string) string { return "handoff:order:" + conv + ":" + id }

type orderResult struct {
	Number string    `json:"number"`
	Due    time.Time `json:"due"`
}

// mayOrder reports whether the agent may register orders for conv: the
// agent holding it, or a supervisor (who usually joined it, but may also
// register one for a chat they only watch on the board).
func (cn *agentConn) mayOrder(ctx context.Context, conv string) bool {
	return cn.me.supervises() || cn.c.svc.holds(ctx, cn.me.Username, conv)
}

// orderConversation reads the conversation of an order frame, answering
// not_yours for one the agent may not touch (or that does not exist) and
// unavailable when the store fails.
func (cn *agentConn) orderConversation(ctx context.Context, f agentIn, fail func(string)) (store.Conversation, bool) {
	if f.Conversation == "" || !cn.mayOrder(ctx, f.Conversation) {
		fail("not_yours")
		return store.Conversation{}, false
	}
	conv, err := cn.c.svc.store.Conversation(ctx, f.Conversation)
	if errors.Is(err, store.ErrNotFound) {
		fail("not_yours")
		return store.Conversation{}, false
	}
	if err != nil {
		cn.c.log.Warn("order: read conversation", "agent", cn.me.Username, "conversation", f.Conversation, "err", err)
		fail("unavailable")
		return store.Conversation{}, false
	}
	return conv, true
}

// orderDraft answers order_draft with the order prefilled from the chat.
func (cn *agentConn) orderDraft(ctx context.Context, f agentIn, fail func(string)) {
	desk := cn.c.cfg.Orders
	if desk == nil {
		fail("unknown_type")
		return
	}
	conv, ok := cn.orderConversation(ctx, f, fail)
	if !ok {
		return
	}
	draft, err := desk.Prefill(ctx, conv)
	if err != nil {
		cn.c.log.Warn("order: prefill", "agent", cn.me.Username, "conversation", conv.ID, "err", err)
		fail("unavailable")
		return
	}
	if draft.Department != "" && !cn.knownDepartment(draft.Department) {
		draft.Department = ""
	}
	cn.send(orderDraftOut{Type: "order_draft", Conversation: conv.ID, Draft: draft})
}

// order registers the order of an order frame, once per id.
func (cn *agentConn) order(ctx context.Context, f agentIn, fail func(string)) {
	desk := cn.c.cfg.Orders
	switch {
	case desk == nil:
		fail("unknown_type")
		return
	case f.ID == "" || len(f.ID) > 128:
		fail("missing_id")
		return
	case f.Order == nil:
		fail("bad_frame")
		return
	}
	conv, ok := cn.orderConversation(ctx, f, fail)
	if !ok {
		return
	}
	form := *f.Order
	form.Department = strings.TrimSpace(form.Department)
	if form.Department != "" && !cn.knownDepartment(form.Department) {
		cn.badOrder(f, "department")
		return
	}
	if strings.TrimSpace(form.Summary) == "" || utf8.RuneCountInString(form.Summary) > cn.c.cfg.MaxTextRunes {
		cn.badOrder(f, "summary")
		return
	}

	st, key := cn.c.svc.store, orderKey(conv.ID, f.ID)
	added, current, err := st.AddKey(ctx, key, []byte(orderPending), orderPendingTTL)
	if err != nil {
		cn.c.log.Warn("order: claim", "agent", cn.me.Username, "conversation", conv.ID, "err", err)
		fail("unavailable")
		return
	}
	if !added {
		var done orderResult
		if string(current) == orderPending || json.Unmarshal(current, &done) != nil || done.Number == "" {
			fail("unavailable") // the first try is still under way: try again shortly
			return
		}
		cn.send(orderCreatedOut{Type: "order_created", ID: f.ID, Conversation: conv.ID, Number: done.Number, Due: done.Due})
		return
	}
	number, due, err := desk.Create(ctx, cn.me.Username, conv, form)
	if err != nil {
		_ = st.DeleteKey(context.WithoutCancel(ctx), key) // nothing was created: the id may be used again
		var bad *BadOrderError
		if errors.As(err, &bad) {
			cn.badOrder(f, bad.Field)
			return
		}
		cn.c.log.Warn("order: create", "agent", cn.me.Username, "conversation", conv.ID, "err", err)
		fail("unavailable")
		return
	}
	cn.c.log.Info("work order registered from the console", "agent", cn.me.Username, "conversation", conv.ID, "number", number)
	done, _ := json.Marshal(orderResult{Number: number, Due: due})
	if err := st.SetKey(ctx, key, done, orderDoneTTL); err != nil {
		cn.c.log.Warn("order: keep result", "agent", cn.me.Username, "number", number, "err", err)
	}
	cn.tellOrder(ctx, conv, number, due, form)
	cn.send(orderCreatedOut{Type: "order_created", ID: f.ID, Conversation: conv.ID, Number: number, Due: due})
	cn.c.hot.wake() // the new order may make or grow a hot issue
}

// tellOrder tells the citizen the order's number and reply date, once
// (the message's id is the number's).
func (cn *agentConn) tellOrder(ctx context.Context, conv store.Conversation, number string, due time.Time, f OrderForm) {
	text := textOrderCreated
	if f.Anonymous && strings.TrimSpace(f.Phone) == "" {
		text = textOrderCreatedAnonymous
	}
	m := system(fmt.Sprintf(text, number, due.Format("2006年1月2日")))
	m.ID = "workorder:" + number
	m.Meta = map[string]string{"workorder": number}
	if _, err := cn.c.svc.poster.Post(ctx, conv, m); err != nil {
		cn.c.log.Warn("order: citizen not told", "number", number, "conversation", conv.ID, "err", err)
	}
}

func (cn *agentConn) badOrder(f agentIn, field string) {
	e := consoleError("bad_order", f.ID)
	e.Conversation, e.Field = f.Conversation, field
	if text, ok := orderFieldTexts[field]; ok {
		e.Message = text
	}
	cn.send(e)
}

// hotBoard is the hot issues as this instance last found them, shared by
// its supervisors' consoles: one poll of the work orders serves them all.
type hotBoard struct {
	mu      sync.Mutex
	frame   []byte        // the hot_issues frame; nil until polled
	changed chan struct{} // closed when frame changes
	wakeC   chan struct{} // asks Run to poll now
}

func newHotBoard() *hotBoard {
	return &hotBoard{changed: make(chan struct{}), wakeC: make(chan struct{}, 1)}
}

// current returns the frame (nil when not polled yet) and a channel closed
// at its next change.
func (h *hotBoard) current() ([]byte, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.frame, h.changed
}

// set keeps frame and tells the waiting consoles when it changed.
func (h *hotBoard) set(frame []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if string(frame) == string(h.frame) {
		return // nil and nil too: frames are never empty
	}
	h.frame = frame
	close(h.changed)
	h.changed = make(chan struct{})
}

// wake asks for a poll soon, without waiting.
func (h *hotBoard) wake() {
	select {
	case h.wakeC <- struct{}{}:
	default:
	}
}

// Run polls the hot issues every HotIssuePoll while a supervisor's console
// is connected to this instance, and at once when one connects before the
// first poll or an agent registered an order here; it returns when ctx is
// done. Without a HotIssues source it returns at once. A poll costs what
// the source costs (the server's reads every work order, see
// workorder.Service.HotIssues): one poll per instance per period, whatever
// the number of supervisors, and none at all while no supervisor is
// connected.
func (c *Console) Run(ctx context.Context) {
	if c.cfg.HotIssues == nil {
		return
	}
	t := time.NewTicker(c.cfg.HotIssuePoll)
	defer t.Stop()
	for {
		if c.supervisors.Load() > 0 {
			c.pollHot(ctx)
		} else {
			c.hot.set(nil) // stale by the time a supervisor comes back
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.hot.wakeC:
		}
	}
}

func (c *Console) pollHot(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.OpTimeout)
	defer cancel()
	items, err := c.cfg.HotIssues.HotIssues(ctx)
	if err != nil {
		c.log.Warn("hot issues not read", "err", err)
		return
	}
	if items == nil {
		items = []HotIssue{}
	}
	for i := range items {
		if len(items[i].Numbers) > MaxHotNumbers {
			items[i].Numbers = items[i].Numbers[:MaxHotNumbers]
		}
	}
	frame, _ := json.Marshal(hotIssuesOut{Type: "hot_issues", Items: items})
	c.hot.set(frame)
}
