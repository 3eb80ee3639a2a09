package handoff

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/internal/wsgroup"
	"github.com/hotline12345/hotline/store"
)

// Profile is the signed-in agent a console connection belongs to.
type Profile struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Role     string   `json:"role"`
	Skills   []string `json:"skills"`
	MaxChats int      `json:"max_chats"`
}

// supervises reports whether the profile is a supervisor's or an admin's.
func (p Profile) supervises() bool { return p.Role == "supervisor" || p.Role == "admin" }

// Suggestion is a knowledge base entry offered to the agent for the
// citizen's latest message.
type Suggestion struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Source   string `json:"source,omitempty"`
}

// Department is one entry of the department catalogue (code and name).
type Department struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// ConsoleConfig configures the agent console's WebSocket endpoint.
type ConsoleConfig struct {
	Service *Service // required
	// Authenticate returns the agent a request comes from: a valid session
	// cookie, sent by the gateway's own pages (it must refuse requests whose
	// Origin is another site, or any site could ride an agent's cookie).
	// Required.
	Authenticate func(r *http.Request) (Profile, error)
	// Assist suggests knowledge base entries for a citizen message; nil
	// means no suggestions.
	Assist func(ctx context.Context, text string) []Suggestion
	// Understand returns the NLU view of a citizen message (any JSON
	// value); nil means none.
	Understand func(text string) any
	// Phrases, Departments and Intents are sent to the console on hello.
	Phrases     []Phrase
	Departments []Department
	Intents     []string
	// Orders registers work orders from the console (登记工单); nil: the
	// order_draft and order frames are refused as unknown_type.
	Orders OrderDesk
	// HotIssues finds the hot issues (热点) shown to supervisors; nil:
	// none. Run polls it.
	HotIssues HotIssueSource
	// HotIssuePoll is how often Run polls HotIssues while a supervisor is
	// connected. Default 30 s: a hot issue builds up over hours, and each
	// poll reads every work order (the server's source: 13 to 80 ms for
	// 2,000 orders on the embedded store, server's BenchmarkHotIssuePoll).
	HotIssuePoll time.Duration
	Logger       *slog.Logger
	// Limits, as the widget's. Defaults: 16 KiB, 2,000 characters, ping
	// every 25 s, 60 s without a pong, 10 s per write, 10 s per operation.
	MaxFrameBytes int64
	MaxTextRunes  int
	PingInterval  time.Duration
	PongWait      time.Duration
	WriteWait     time.Duration
	OpTimeout     time.Duration
	// Heartbeat is how often a connection refreshes its agent's presence.
	// Default 15 s (well under the board's Stale).
	Heartbeat time.Duration
}

// Console serves the agents' WebSocket connections (/ws/agent).
type Console struct {
	cfg      ConsoleConfig
	svc      *Service
	log      *slog.Logger
	upgrader websocket.Upgrader

	conns wsgroup.Group

	hot         *hotBoard
	supervisors atomic.Int32 // supervisors' consoles connected here
}

// NewConsole returns the console endpoint.
func NewConsole(cfg ConsoleConfig) (*Console, error) {
	if cfg.Service == nil || cfg.Authenticate == nil {
		return nil, errors.New("handoff: Service and Authenticate are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = 16 << 10
	}
	if cfg.MaxTextRunes <= 0 {
		cfg.MaxTextRunes = 2000
	}
	def(&cfg.PingInterval, 25*time.Second)
	def(&cfg.PongWait, 60*time.Second)
	def(&cfg.WriteWait, 10*time.Second)
	def(&cfg.OpTimeout, 10*time.Second)
	def(&cfg.Heartbeat, 15*time.Second)
	def(&cfg.HotIssuePoll, 30*time.Second)
	c := &Console{cfg: cfg, svc: cfg.Service, log: cfg.Logger, hot: newHotBoard()}
	// Authenticate has refused other sites' pages before the upgrade.
	c.upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024,
		CheckOrigin: func(*http.Request) bool { return true }}
	return c, nil
}

// ServeHTTP authenticates the agent, upgrades and serves the connection.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := c.cfg.Authenticate(r)
	if err != nil {
		http.Error(w, "sign in at /agent first", http.StatusUnauthorized)
		return
	}
	ws, err := c.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	cn := &agentConn{c: c, ws: ws, me: p, out: make(chan any, 64), done: make(chan struct{}), away: make(chan struct{})}
	leave, ok := c.conns.Join(func() { close(cn.away) })
	if !ok {
		cn.closeWith(websocket.CloseGoingAway, "server shutting down")
		return
	}
	defer leave()
	c.conns.Go(cn.writeLoop)
	cn.readLoop()
}

// Shutdown closes every console connection with going-away (1001); the
// consoles reconnect to another instance (or this one, restarted) within
// the agents' grace period.
func (c *Console) Shutdown(ctx context.Context) error { return c.conns.Shutdown(ctx) }

// Frames.

type agentIn struct {
	Type         string           `json:"type"`
	After        map[string]int64 `json:"after,omitempty"`
	Status       string           `json:"status,omitempty"`
	Conversation string           `json:"conversation,omitempty"`
	ID           string           `json:"id,omitempty"`
	Text         string           `json:"text,omitempty"`
	ToAgent      string           `json:"to_agent,omitempty"`
	ToSkill      string           `json:"to_skill,omitempty"`
	Note         string           `json:"note,omitempty"`
	Wrapup       *Wrapup          `json:"wrapup,omitempty"`
	// Callback is the call-back request a callback_done frame closes.
	Callback string `json:"callback,omitempty"`
	// Order is the work order of an order frame.
	Order *OrderForm `json:"order,omitempty"`
}

type sessionOut struct {
	Type        string       `json:"type"`
	Agent       Profile      `json:"agent"`
	Status      string       `json:"status"`
	Phrases     []Phrase     `json:"phrases"`
	Departments []Department `json:"departments"`
	Intents     []string     `json:"intents"`
	Timeout     int          `json:"accept_timeout"`
	// Chats are the conversations the agent holds now; their chat frames
	// follow. A chat the console showed that is not here has ended.
	Chats []string `json:"chats"`
}

type queueEntryOut struct {
	Conversation string    `json:"conversation"`
	Channel      string    `json:"channel"`
	Priority     string    `json:"priority"`
	Skill        string    `json:"skill,omitempty"`
	Reason       string    `json:"reason"`
	Since        time.Time `json:"since"`
	Position     int       `json:"position"`
	OfferedTo    string    `json:"offered_to,omitempty"`
	Preview      string    `json:"preview,omitempty"`
}

type agentOut struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Active   int      `json:"active"`
	MaxChats int      `json:"max_chats"`
	Skills   []string `json:"skills,omitempty"`
}

type chatSummaryOut struct {
	Conversation string    `json:"conversation"`
	Agent        string    `json:"agent"`
	Since        time.Time `json:"since"`
	Priority     string    `json:"priority"`
}

type queueOut struct {
	Type    string           `json:"type"`
	Entries []queueEntryOut  `json:"entries"`
	Agents  []agentOut       `json:"agents,omitempty"`
	Chats   []chatSummaryOut `json:"chats,omitempty"`
}

type callbacksOut struct {
	Type  string     `json:"type"`
	Items []Callback `json:"items"`
}

type offerOut struct {
	Type         string    `json:"type"`
	Conversation string    `json:"conversation"`
	Priority     string    `json:"priority"`
	Skill        string    `json:"skill,omitempty"`
	Reason       string    `json:"reason"`
	Channel      string    `json:"channel"`
	Preview      string    `json:"preview,omitempty"`
	Note         string    `json:"note,omitempty"`
	Expires      time.Time `json:"expires"`
	Timeout      int       `json:"timeout"`
}

type chatOut struct {
	Type         string    `json:"type"`
	Conversation string    `json:"conversation"`
	Channel      string    `json:"channel"`
	Priority     string    `json:"priority"`
	Skill        string    `json:"skill,omitempty"`
	Role         string    `json:"role"`
	Since        time.Time `json:"since"`
	Note         string    `json:"note,omitempty"`
}

type messageOut struct {
	Type         string       `json:"type"`
	Conversation string       `json:"conversation"`
	Seq          int64        `json:"seq"`
	From         store.Sender `json:"from"`
	Text         string       `json:"text"`
	Options      []string     `json:"options,omitempty"`
	Time         time.Time    `json:"time"`
	Agent        string       `json:"agent,omitempty"`
	// ID is the console's id of this agent's own reply.
	ID  string `json:"id,omitempty"`
	NLU any    `json:"nlu,omitempty"`
	// Media is what a citizen's picture, link or location refers to.
	Media *mediaOut `json:"media,omitempty"`
}

type mediaOut struct {
	Kind string `json:"kind"`
	URL  string `json:"url,omitempty"`
	ID   string `json:"id,omitempty"`
}

type convOut struct {
	Type         string `json:"type"`
	Conversation string `json:"conversation"`
	Reason       string `json:"reason,omitempty"`
}

type suggestionsOut struct {
	Type         string       `json:"type"`
	Conversation string       `json:"conversation"`
	Seq          int64        `json:"seq"`
	Items        []Suggestion `json:"items"`
}

type ackOut struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type errorOut struct {
	Type         string `json:"type"`
	ID           string `json:"id,omitempty"`
	Conversation string `json:"conversation,omitempty"`
	Code         string `json:"code"`
	Message      string `json:"message"`
	Temporary    bool   `json:"temporary,omitempty"`
	// Field names the refused field of a bad_order.
	Field string `json:"field,omitempty"`
}

// Console error codes (besides the widget's bad_frame, unknown_type,
// hello_required, missing_id, empty_text, text_too_long, unavailable).
var consoleErrors = map[string]string{
	"bad_frame":        "消息格式有误，请刷新页面后重试。",
	"unknown_type":     "不支持的操作。",
	"hello_required":   "连接尚未就绪，请稍候再试。",
	"missing_id":       "消息格式有误，请刷新页面后重试。",
	"empty_text":       "请输入回复内容。",
	"text_too_long":    "回复内容过长，请精简到2000字以内。",
	"unavailable":      "系统暂时繁忙，请稍后再试。",
	"not_offered":      "该会话未分配给您，或已超时转给其他坐席。",
	"not_yours":        "该会话不在您的名下。",
	"forbidden":        "只有班长（值班长）可以执行此操作。",
	"bad_wrapup":       "请完整填写小结：诉求类型、承办部门和处理摘要。",
	"unknown_agent":    "找不到该坐席，或该坐席不在线。",
	"bad_status":       "状态只能是在线或小休。",
	"bad_transfer":     "请选择要转接的坐席或部门。",
	"unknown_callback": "该留言不存在或已处理。",
	"bad_order":        "工单信息有误，请检查后重新提交。",
}

func consoleError(code, id string) errorOut {
	return errorOut{Type: "error", ID: id, Code: code, Message: consoleErrors[code], Temporary: code == "unavailable"}
}

// codeFor maps a service error to a console error code.
func codeFor(err error) string {
	switch {
	case errors.Is(err, ErrNotOffered), errors.Is(err, ErrNotQueued):
		return "not_offered"
	case errors.Is(err, ErrNotYours):
		return "not_yours"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrUnknownUser):
		return "unknown_agent"
	case errors.Is(err, ErrBadStatus):
		return "bad_status"
	case errors.Is(err, ErrNoCallback):
		return "unknown_callback"
	}
	return "unavailable"
}

// agentConn is one console connection.
type agentConn struct {
	c  *Console
	ws *websocket.Conn
	me Profile

	out  chan any      // frames ([]byte), *start and refresh, for the writer only
	done chan struct{} // closed when the reader ends
	away chan struct{} // closed by Shutdown
}

// start tells the writer to begin, resuming from after.
type start struct{ after map[string]int64 }

// refresh tells the writer to read the board again (after an operation).
type refresh struct{}

// declined tells the writer that the agent gave an offer back (one
// conversation, or all of them when going away), so that its offer_gone
// says declined rather than timeout.
type declined struct{ conversation string }

func (cn *agentConn) closeWith(code int, reason string) {
	_ = cn.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = cn.ws.Close()
}

func (cn *agentConn) send(v any) {
	switch v.(type) {
	case *start, refresh, declined:
	default:
		data, _ := json.Marshal(v)
		v = data
	}
	select {
	case cn.out <- v:
	default:
		cn.c.log.Warn("slow console disconnected", "agent", cn.me.Username)
		cn.closeWith(websocket.ClosePolicyViolation, "too slow")
	}
}

func (cn *agentConn) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), cn.c.cfg.OpTimeout)
}

// readLoop reads frames until the connection ends; it owns every read and
// the agent's presence.
func (cn *agentConn) readLoop() {
	defer close(cn.done)
	cfg := cn.c.cfg
	ws := cn.ws
	ws.SetReadLimit(cfg.MaxFrameBytes)
	ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(cfg.PongWait)) })

	connected := false
	defer func() {
		if connected {
			ctx, cancel := cn.ctx()
			defer cancel()
			if err := cn.c.svc.Disconnect(ctx, cn.me.Username); err != nil {
				cn.c.log.Warn("agent disconnect not recorded", "agent", cn.me.Username, "err", err)
			}
			cn.c.log.Info("agent disconnected", "agent", cn.me.Username)
		}
	}()
	beat := make(chan struct{})
	defer close(beat)
	go func() {
		t := time.NewTicker(cfg.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-beat:
				return
			case <-t.C:
				if !connected {
					continue
				}
				ctx, cancel := cn.ctx()
				if err := cn.c.svc.Heartbeat(ctx, cn.me.Username); err != nil {
					cn.c.log.Warn("agent heartbeat failed", "agent", cn.me.Username, "err", err)
				}
				cancel()
			}
		}
	}()

	for {
		kind, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
		if kind != websocket.TextMessage {
			cn.send(consoleError("bad_frame", ""))
			continue
		}
		if !utf8.Valid(data) {
			cn.closeWith(websocket.CloseInvalidFramePayloadData, "invalid UTF-8")
			return
		}
		var f agentIn
		if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
			cn.send(consoleError("bad_frame", ""))
			continue
		}
		if f.Type == "hello" {
			if connected {
				cn.send(consoleError("hello_required", ""))
				continue
			}
			ctx, cancel := cn.ctx()
			err := cn.c.svc.Connect(ctx, Presence{Username: cn.me.Username, Name: cn.me.Name, Role: cn.me.Role,
				Skills: cn.me.Skills, MaxChats: cn.me.MaxChats}, f.Status)
			cancel()
			if err != nil {
				cn.c.log.Warn("agent connect failed", "agent", cn.me.Username, "err", err)
				cn.send(consoleError("unavailable", ""))
				continue
			}
			connected = true
			cn.c.log.Info("agent connected", "agent", cn.me.Username)
			cn.send(&start{after: f.After})
			continue
		}
		if !connected {
			cn.send(consoleError("hello_required", f.ID))
			continue
		}
		cn.op(f)
	}
}

// op carries out one agent operation.
func (cn *agentConn) op(f agentIn) {
	ctx, cancel := cn.ctx()
	defer cancel()
	svc, me := cn.c.svc, cn.me.Username
	fail := func(code string) {
		e := consoleError(code, cmp.Or(f.ID, f.Callback))
		e.Conversation = f.Conversation
		cn.send(e)
	}
	var err error
	switch f.Type {
	case "status":
		if f.Status == StatusAway {
			cn.send(declined{})
		}
		err = svc.SetStatus(ctx, me, f.Status)
	case "accept":
		err = svc.Accept(ctx, me, f.Conversation)
	case "decline":
		cn.send(declined{conversation: f.Conversation})
		err = svc.Decline(ctx, me, f.Conversation)
	case "join":
		err = svc.Join(ctx, me, f.Conversation)
	case "takeover":
		err = svc.Takeover(ctx, me, f.Conversation)
	case "transfer":
		if f.ToAgent == "" && !cn.knownDepartment(f.ToSkill) {
			fail("bad_transfer")
			return
		}
		err = svc.Transfer(ctx, me, f.Conversation, f.ToAgent, f.ToSkill, clip(f.Note, cn.c.cfg.MaxTextRunes))
	case "close":
		if !cn.validWrapup(f.Wrapup) {
			fail("bad_wrapup")
			return
		}
		err = svc.Close(ctx, me, f.Conversation, *f.Wrapup)
	case "callback_done":
		err = svc.CallbackDone(ctx, me, f.Callback)
	case "order_draft":
		cn.orderDraft(ctx, f, fail)
		return
	case "order":
		cn.order(ctx, f, fail)
		return
	case "typing":
		if svc.holds(ctx, me, f.Conversation) {
			_ = svc.store.Publish(ctx, channels.Topic(f.Conversation), channels.EncodeTyping(store.FromAgent))
		}
		return
	case "message":
		switch {
		case f.ID == "" || len(f.ID) > 128:
			fail("missing_id")
			return
		case strings.TrimSpace(f.Text) == "":
			fail("empty_text")
			return
		case utf8.RuneCountInString(f.Text) > cn.c.cfg.MaxTextRunes:
			fail("text_too_long")
			return
		}
		if _, err = svc.Say(ctx, me, cn.me.Name, f.Conversation, f.ID, f.Text); err == nil {
			cn.send(ackOut{Type: "ack", ID: f.ID})
		}
	default:
		fail("unknown_type")
		return
	}
	if err != nil {
		code := codeFor(err)
		if code == "unavailable" {
			cn.c.log.Warn("agent operation failed", "agent", me, "op", f.Type, "err", err)
		}
		fail(code)
	}
	cn.send(refresh{})
}

func (cn *agentConn) knownDepartment(code string) bool {
	return slices.ContainsFunc(cn.c.cfg.Departments, func(d Department) bool { return d.Code == code })
}

func (cn *agentConn) validWrapup(w *Wrapup) bool {
	if w == nil {
		return false
	}
	w.Summary = strings.TrimSpace(w.Summary)
	return w.Summary != "" && utf8.RuneCountInString(w.Summary) <= cn.c.cfg.MaxTextRunes &&
		(len(cn.c.cfg.Intents) == 0 || slices.Contains(cn.c.cfg.Intents, w.AppealType)) &&
		(len(cn.c.cfg.Departments) == 0 || cn.knownDepartment(w.Department))
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// busEvent is one payload from one of the connection's subscriptions; conv
// is empty for the board's topic.
type busEvent struct {
	conv    string
	payload []byte
}

// held is a chat the console shows live.
type held struct {
	role string
	sent int64 // seq of the last message written
	sub  store.Subscription
}

// writeLoop owns every write to the socket and every subscription.
func (cn *agentConn) writeLoop() {
	cfg := cn.c.cfg
	ping := time.NewTicker(cfg.PingInterval)
	defer ping.Stop()
	defer cn.ws.Close()

	events := make(chan busEvent, 64)
	chats := map[string]*held{}
	offers := map[string]bool{}   // offers shown
	gaveBack := map[string]bool{} // offers the agent declined
	var (
		boardSub      store.Subscription
		lastQueue     []byte
		lastCallbacks []byte
		after         map[string]int64
		started       bool
		watchingHot   bool            // a supervisor's console, counted in Console.supervisors
		hotC          <-chan struct{} // closed at the hot issues' next change
		lastHot       []byte
	)
	// hotIssues sends a supervisor the hot issues when they changed, and
	// asks for a poll when this instance has none yet.
	hotIssues := func() error {
		frame, next := cn.c.hot.current()
		hotC = next
		if frame == nil {
			cn.c.hot.wake()
			return nil
		}
		if string(frame) == string(lastHot) {
			return nil
		}
		lastHot = frame
		return cn.write(frame)
	}
	defer func() {
		if watchingHot {
			cn.c.supervisors.Add(-1)
		}
		if boardSub != nil {
			boardSub.Close()
		}
		for _, h := range chats {
			h.sub.Close()
		}
	}()
	forward := func(conv string, sub store.Subscription) {
		go func() {
			for p := range sub.C() {
				select {
				case events <- busEvent{conv: conv, payload: p}:
				case <-cn.done:
					return
				}
			}
		}()
	}
	write := func(v any) error {
		data, _ := json.Marshal(v)
		return cn.write(data)
	}

	// catchUp writes a held chat's transcript after what was sent, and
	// suggestions for the newest citizen message among it.
	catchUp := func(conv string, h *held) error {
		var newest *store.Message
		for {
			ctx, cancel := context.WithTimeout(context.Background(), cfg.WriteWait)
			msgs, err := cn.c.svc.store.Messages(ctx, conv, h.sent, 200)
			cancel()
			if err != nil {
				return write(consoleError("unavailable", ""))
			}
			for i := range msgs {
				m := msgs[i]
				out := messageOut{Type: "message", Conversation: conv, Seq: m.Seq, From: m.From, Text: m.Text,
					Options: m.Options, Time: m.Time, Agent: m.Meta[MetaAgent]}
				if id, ok := strings.CutPrefix(m.ID, agentMessagePrefix(cn.me.Username)); ok {
					out.ID = id
				}
				if kind := m.Meta[channels.MetaMedia]; kind != "" {
					out.Media = &mediaOut{Kind: kind, URL: m.Meta[channels.MetaMediaURL], ID: m.Meta[channels.MetaMediaID]}
				}
				if m.From == store.FromCitizen && cfg.Understand != nil {
					out.NLU = cfg.Understand(m.Text)
					newest = &msgs[i]
				}
				if err := write(out); err != nil {
					return err
				}
				h.sent = m.Seq
			}
			if len(msgs) < 200 {
				break
			}
		}
		if newest != nil && cfg.Assist != nil && h.role == "owner" {
			ctx, cancel := context.WithTimeout(context.Background(), cfg.WriteWait)
			items := cfg.Assist(ctx, newest.Text)
			cancel()
			return write(suggestionsOut{Type: "suggestions", Conversation: conv, Seq: newest.Seq, Items: items})
		}
		return nil
	}

	// callbacks sends the call-back requests when they changed.
	callbacks := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.WriteWait)
		cbs, err := cn.c.svc.Callbacks(ctx)
		cancel()
		if err != nil {
			return write(consoleError("unavailable", ""))
		}
		if q, _ := json.Marshal(callbacksOut{Type: "callbacks", Items: cbs}); string(q) != string(lastCallbacks) {
			if err := cn.write(q); err != nil {
				return err
			}
			lastCallbacks = q
		}
		return nil
	}

	// reconcile brings the console in line with the board b (shared:
	// read only).
	reconcile := func(b *Board) error {
		me := cn.me.Username
		if q, _ := json.Marshal(cn.queueFrame(b)); string(q) != string(lastQueue) {
			if err := cn.write(q); err != nil {
				return err
			}
			lastQueue = q
		}
		// Offers.
		for _, e := range b.Queue {
			if e.Offer == nil || e.Offer.Agent != me || offers[e.Conversation] {
				continue
			}
			offers[e.Conversation] = true
			if err := write(offerOut{Type: "offer", Conversation: e.Conversation, Priority: e.Priority.String(),
				Skill: e.Skill, Reason: e.Reason, Channel: e.Channel, Preview: e.Preview, Note: e.Note,
				Expires: e.Offer.Expires, Timeout: int(e.Offer.Expires.Sub(e.Offer.At).Seconds())}); err != nil {
				return err
			}
		}
		for conv := range offers {
			if e, ok := b.Entry(conv); ok && e.Offer != nil && e.Offer.Agent == me {
				continue
			}
			delete(offers, conv)
			reason := "timeout"
			if gaveBack[conv] {
				reason = "declined"
			}
			delete(gaveBack, conv)
			if c, ok := b.Chats[conv]; ok {
				reason = "taken"
				if c.Agent == me {
					reason = "accepted"
				}
			} else if _, queued := b.Entry(conv); !queued {
				reason = "cancelled"
			}
			if err := write(convOut{Type: "offer_gone", Conversation: conv, Reason: reason}); err != nil {
				return err
			}
		}
		// Chats held.
		for conv, h := range chats {
			role := ""
			if c, ok := b.Chats[conv]; ok {
				if c.Agent == me {
					role = "owner"
				} else if slices.Contains(c.Observers, me) {
					role = "observer"
				}
			}
			if role == h.role {
				continue
			}
			if role != "" { // observer became owner (take-over)
				h.role = role
				c := b.Chats[conv]
				if err := write(chatOut{Type: "chat", Conversation: conv, Channel: c.Channel, Priority: c.Priority.String(),
					Skill: c.Skill, Role: role, Since: c.Since, Note: c.Note}); err != nil {
					return err
				}
				continue
			}
			reason := "closed"
			if e, ok := b.Entry(conv); ok && e.From == me {
				reason = "transferred"
			} else if _, ok := b.Chats[conv]; ok {
				reason = "taken_over"
			}
			h.sub.Close()
			delete(chats, conv)
			if err := write(convOut{Type: "chat_end", Conversation: conv, Reason: reason}); err != nil {
				return err
			}
		}
		for _, conv := range sortedChats(b) {
			c := b.Chats[conv]
			if _, ok := chats[conv]; ok || !b.Holds(me, conv) {
				continue
			}
			role := "observer"
			if c.Agent == me {
				role = "owner"
			}
			ctx, cancel := context.WithTimeout(context.Background(), cfg.WriteWait)
			sub, err := cn.c.svc.store.Subscribe(ctx, channels.Topic(conv))
			cancel()
			if err != nil {
				return write(consoleError("unavailable", ""))
			}
			h := &held{role: role, sent: after[conv], sub: sub}
			chats[conv] = h
			forward(conv, sub)
			if err := write(chatOut{Type: "chat", Conversation: conv, Channel: c.Channel, Priority: c.Priority.String(),
				Skill: c.Skill, Role: role, Since: c.Since, Note: c.Note}); err != nil {
				return err
			}
			if err := catchUp(conv, h); err != nil {
				return err
			}
		}
		return nil
	}

	// readBoard reads a board at least as new as version (-1: fresh from
	// the store), or tells the console it can't.
	readBoard := func(version int64) (*Board, error) {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.WriteWait)
		defer cancel()
		b, err := cn.c.svc.SharedBoard(ctx, version)
		if err != nil {
			return nil, write(consoleError("unavailable", ""))
		}
		return b, nil
	}
	resync := func(version int64) error {
		b, err := readBoard(version)
		if b == nil {
			return err
		}
		return reconcile(b)
	}

	for {
		var err error
		select {
		case v := <-cn.out:
			switch v := v.(type) {
			case []byte:
				err = cn.write(v)
			case *start:
				if started {
					continue
				}
				started, after = true, v.after
				ctx, cancel := context.WithTimeout(context.Background(), cfg.WriteWait)
				boardSub, err = cn.c.svc.store.Subscribe(ctx, Topic)
				cancel()
				if err != nil {
					// Without the board's announcements the console would
					// go stale: let it reconnect.
					cn.c.log.Warn("console subscribe failed", "agent", cn.me.Username, "err", err)
					_ = write(consoleError("unavailable", ""))
					return
				}
				forward("", boardSub)
				// One snapshot for both: the session's chats are exactly
				// those whose chat frames follow.
				var b *Board
				if b, err = readBoard(-1); b != nil {
					if err = cn.writeSession(b); err == nil {
						if err = reconcile(b); err == nil {
							err = callbacks()
						}
					}
				}
				if b != nil && err == nil && cn.me.supervises() && cn.c.cfg.HotIssues != nil {
					watchingHot = true
					cn.c.supervisors.Add(1)
					err = hotIssues()
				}
			case refresh:
				if started {
					// After this console's own operation: the instance
					// shared the board it wrote.
					err = resync(0)
				}
			case declined:
				if v.conversation != "" {
					gaveBack[v.conversation] = true
				} else {
					for conv := range offers {
						gaveBack[conv] = true
					}
				}
			}
		case ev := <-events:
			h, ok := chats[ev.conv]
			if ev.conv == "" {
				p := string(ev.payload)
				switch v, isBoard := strings.CutPrefix(p, boardPayload); {
				case p == callbacksPayload:
					err = callbacks()
				case isBoard:
					version, _ := strconv.ParseInt(v, 10, 64)
					err = resync(version)
				default: // resync after a lost bus connection: everything
					if err = resync(-1); err == nil {
						err = callbacks()
					}
				}
				break
			}
			if !ok {
				continue
			}
			e, derr := channels.DecodeEvent(ev.payload)
			switch {
			case derr != nil || (e.Message != nil && e.Message.Seq > h.sent):
				err = catchUp(ev.conv, h)
			case e.Typing == store.FromCitizen:
				err = write(convOut{Type: "typing", Conversation: ev.conv})
			}
		case <-hotC:
			err = hotIssues()
		case <-ping.C:
			err = cn.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteWait))
		case <-cn.away:
			cn.closeWith(websocket.CloseGoingAway, "server restarting")
			return
		case <-cn.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func sortedChats(b *Board) []string {
	out := make([]string, 0, len(b.Chats))
	for conv := range b.Chats {
		out = append(out, conv)
	}
	slices.Sort(out)
	return out
}

func (cn *agentConn) write(frame []byte) error {
	cn.ws.SetWriteDeadline(time.Now().Add(cn.c.cfg.WriteWait))
	return cn.ws.WriteMessage(websocket.TextMessage, frame)
}

func (cn *agentConn) writeSession(b *Board) error {
	status := StatusOnline
	if p, ok := b.Agents[cn.me.Username]; ok {
		status = p.Status
	}
	chats := []string{}
	for _, conv := range sortedChats(b) {
		if b.Holds(cn.me.Username, conv) {
			chats = append(chats, conv)
		}
	}
	data, _ := json.Marshal(sessionOut{Type: "session", Agent: cn.me, Status: status, Phrases: cn.c.cfg.Phrases,
		Departments: cn.c.cfg.Departments, Intents: cn.c.cfg.Intents,
		Timeout: int(cn.c.svc.rules.AcceptTimeout.Seconds()), Chats: chats})
	return cn.write(data)
}

// queueFrame is what this agent sees of the board: the queue, and for
// supervisors the agents and every live chat.
func (cn *agentConn) queueFrame(b *Board) queueOut {
	q := queueOut{Type: "queue", Entries: []queueEntryOut{}}
	for i, e := range b.Ordered() {
		out := queueEntryOut{Conversation: e.Conversation, Channel: e.Channel, Priority: e.Priority.String(),
			Skill: e.Skill, Reason: e.Reason, Since: e.Since, Position: i + 1, Preview: e.Preview}
		if e.Offer != nil {
			out.OfferedTo = e.Offer.Agent
		}
		q.Entries = append(q.Entries, out)
	}
	if p, ok := b.Agents[cn.me.Username]; !ok || !p.Supervisor() {
		return q
	}
	q.Agents = []agentOut{}
	for _, name := range b.agentNames() {
		a := b.Agents[name]
		active, _ := b.load(name)
		status := a.Status
		if a.Conns == 0 && status != StatusOffline {
			status = "reconnecting"
		}
		q.Agents = append(q.Agents, agentOut{Username: name, Name: a.Name, Status: status, Active: active,
			MaxChats: a.MaxChats, Skills: a.Skills})
	}
	q.Chats = []chatSummaryOut{}
	for _, conv := range sortedChats(b) {
		c := b.Chats[conv]
		q.Chats = append(q.Chats, chatSummaryOut{Conversation: conv, Agent: c.Agent, Since: c.Since, Priority: c.Priority.String()})
	}
	return q
}
