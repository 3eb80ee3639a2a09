package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/internal/wsgroup"
	"github.com/hotline12345/hotline/store"
)

// Name is the channel's name in conversations and metrics.
const Name = "wechat"

// Bot is what the channel needs from the dialog.
type Bot interface {
	Open(ctx context.Context, channel, user string) (store.Conversation, error)
	Handle(ctx context.Context, in channels.Inbound, stored func(m store.Message, duplicate bool)) error
}

// Leaver ends a hand-off when a citizen unsubscribes.
type Leaver interface {
	Leave(ctx context.Context, conv string) error
}

// Store is what the channel needs from the store.
type Store interface {
	store.Conversations
	store.Transcripts
	store.Sessions
	store.Keys
	store.Counters
	store.Records
	store.Bus
}

// Config configures the channel. The channel is on when AppID is set.
type Config struct {
	AppID  string
	Secret string
	// Token and AESKey (EncodingAESKey) are the server configuration of
	// the official account; without AESKey only plaintext mode works.
	Token  string
	AESKey string
	// MaxSkew is how far a callback's timestamp may be from now; 0 turns
	// the check off.
	MaxSkew time.Duration
	// APIBase is WeChat's API host (https://api.weixin.qq.com), or the
	// city's egress proxy, or a test's fake.
	APIBase string
	// ReplyBudget is how long a callback waits for the bot's answer before
	// answering "success" and sending the answer as a customer-service
	// message instead. Default 4 s (WeChat gives up at 5).
	ReplyBudget time.Duration
	// Menu maps menu CLICK keys to the text they stand for (转人工, 查询工单,
	// a knowledge base question…).
	Menu map[string]string
	// MaxBody limits a callback's body. Default 64 KiB.
	MaxBody int64

	Bot     Bot   // required
	Store   Store // required
	Handoff Leaver
	// Logger receives operational logs; never message text or OpenIDs.
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// Channel serves the official account's callback URL and pushes messages
// through the customer-service API.
type Channel struct {
	cfg    Config
	crypto *Crypto
	api    *api
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	waiting map[string]*collector // conversation (or user, before it is known) → the callback waiting
	wg      sync.WaitGroup        // background handling and sends

	callbacks *prometheus.CounterVec
	sends     *prometheus.CounterVec
}

// collector gathers what the hotline writes to a conversation while the
// citizen's callback is being handled: what is there when the answer is
// ready goes out as the callback's passive reply; the rest, and whatever
// the bot writes after the reply budget, is pushed in order by drain.
type collector struct {
	conv   store.Conversation
	openID string
	items  []item
}

// item is one message for the citizen: its transcript seq and its text as
// WeChat shows it (options as a numbered list).
type item struct {
	seq  int64
	text string
}

// New returns the channel.
func New(cfg Config) (*Channel, error) {
	if cfg.Bot == nil || cfg.Store == nil {
		return nil, errors.New("wechat: Bot and Store are required")
	}
	if cfg.AppID == "" || cfg.Token == "" {
		return nil, errors.New("wechat: AppID and Token are required")
	}
	crypto, err := NewCrypto(cfg.AppID, cfg.Token, cfg.AESKey)
	if err != nil {
		return nil, err
	}
	if cfg.ReplyBudget <= 0 {
		cfg.ReplyBudget = 4 * time.Second
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Channel{
		cfg: cfg, crypto: crypto, log: cfg.Logger, now: cfg.Now,
		waiting: map[string]*collector{},
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hotline", Name: "wechat_callbacks_total",
			Help: "WeChat callbacks by outcome: reply (passive), success (answered later), retry, refused.",
		}, []string{"outcome"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hotline", Name: "wechat_sends_total",
			Help: "Customer-service messages by outcome: sent, kept (window, quota or error), skipped.",
		}, []string{"outcome"}),
	}
	c.api, err = newAPI(cfg, cfg.Store, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if cfg.Registerer != nil {
		for _, col := range []prometheus.Collector{c.callbacks, c.sends} {
			if err := cfg.Registerer.Register(col); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// Wait waits until the channel's background work (answers over budget,
// pushes) has ended or ctx expires.
func (c *Channel) Wait(ctx context.Context) error { return wsgroup.Wait(ctx, &c.wg) }

// ServeHTTP answers WeChat's GET verification and POST callbacks.
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		echo, err := c.crypto.VerifyURL(r.URL.Query(), c.now(), c.cfg.MaxSkew)
		if err != nil {
			c.refuse(w, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, echo)
	case http.MethodPost:
		c.callback(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// refuse answers a callback that is not WeChat's, or not valid, with an
// HTTP error and a log line that carries no content.
func (c *Channel) refuse(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrSignature):
		status = http.StatusUnauthorized
	case errors.Is(err, ErrStale), errors.Is(err, ErrAppID):
		status = http.StatusForbidden
	}
	c.callbacks.WithLabelValues("refused").Inc()
	c.log.Warn("wechat callback refused", "status", status, "err", err)
	http.Error(w, http.StatusText(status), status)
}

func (c *Channel) callback(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.cfg.MaxBody))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		c.callbacks.WithLabelValues("refused").Inc()
		c.log.Warn("wechat callback refused", "status", http.StatusRequestEntityTooLarge)
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	msg, mode, err := c.crypto.ParseCallback(r.URL.Query(), body, c.now(), c.cfg.MaxSkew)
	if err != nil {
		c.refuse(w, err)
		return
	}
	reply, err := c.process(msg)
	if err != nil {
		// WeChat retries; the retry finds the de-duplication key and
		// gets "success": say so now rather than fail.
		c.log.Error("wechat callback failed", "err", err)
		reply = ""
	}
	c.respond(w, mode, msg, reply)
}

// respond writes the passive reply, or "success" when there is none (also
// in AES mode: an encrypted empty message would show the citizen an
// error).
func (c *Channel) respond(w http.ResponseWriter, mode Mode, in Message, text string) {
	if text == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "success")
		return
	}
	out, err := c.crypto.TextReply(mode, in, text, c.now())
	if err != nil {
		c.log.Error("wechat reply failed", "err", err)
		io.WriteString(w, "success")
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(out)
}

// dedupe values: what the first handling of a callback left for retries.
const (
	dedupePending = "pending"
	dedupeReply   = "reply:"
	dedupeTTL     = 30 * time.Minute // WeChat retries within about 15 s
)

// process handles one callback once, whatever the number of retries, and
// returns the passive reply ("" for success).
func (c *Channel) process(m Message) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := "wechat:dedupe:" + c.cfg.AppID + ":" + DedupeKey(m)
	added, current, err := c.cfg.Store.AddKey(ctx, key, []byte(dedupePending), dedupeTTL)
	if err != nil {
		return "", fmt.Errorf("dedupe: %w", err)
	}
	if !added {
		// A retry: the same answer if the first try has one, else success.
		c.callbacks.WithLabelValues("retry").Inc()
		if text, ok := strings.CutPrefix(string(current), dedupeReply); ok {
			return text, nil
		}
		return "", nil
	}
	reply, err := c.handle(ctx, m)
	value := dedupeReply + reply
	if err != nil || reply == "" {
		value = "done"
	}
	if err2 := c.cfg.Store.SetKey(ctx, key, []byte(value), dedupeTTL); err2 != nil {
		c.log.Warn("wechat dedupe update failed", "err", err2)
	}
	return reply, err
}

// user is the channel user id of an OpenID: a hash, so that logs and
// keys do not carry the OpenID itself.
func (c *Channel) user(openID string) string {
	sum := sha256.Sum256([]byte(c.cfg.AppID + ":" + openID))
	return hex.EncodeToString(sum[:16])
}

func sessionKey(user string) string { return "wechat:" + user }

// Conversation returns the id of the conversation of the citizen with
// openID (for operators and tests), or store.ErrNotFound.
func (c *Channel) Conversation(ctx context.Context, openID string) (string, error) {
	return c.cfg.Store.Session(ctx, sessionKey(c.user(openID)))
}

// conversation finds the citizen's open conversation or opens one (the
// bot greets a new one).
func (c *Channel) conversation(ctx context.Context, user, openID string) (store.Conversation, bool, error) {
	id, err := c.cfg.Store.Session(ctx, sessionKey(user))
	switch {
	case err == nil:
		conv, err := c.cfg.Store.Conversation(ctx, id)
		if err == nil && conv.State != stateClosed {
			return conv, false, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return conv, false, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return store.Conversation{}, false, err
	}
	// The OpenID first: the welcome may have to be pushed.
	conv, err := c.cfg.Bot.Open(withOpenID(ctx, openID), Name, user)
	if err != nil {
		return conv, false, err
	}
	if err := c.cfg.Store.SaveSession(ctx, sessionKey(user), conv.ID); err != nil {
		return conv, false, err
	}
	return conv, true, c.cfg.Store.SetKey(ctx, openIDKey(conv.ID), []byte(openID), 0)
}

// stateClosed is the state of a conversation whose citizen unsubscribed.
const stateClosed = "closed"

func openIDKey(conv string) string { return "wechat:openid:" + conv }

type openIDCtx struct{}

func withOpenID(ctx context.Context, openID string) context.Context {
	return context.WithValue(ctx, openIDCtx{}, openID)
}

// handle turns the callback into what the dialog understands and waits up
// to the reply budget for the answer.
func (c *Channel) handle(ctx context.Context, m Message) (string, error) {
	user := c.user(m.FromUserName)
	if m.MsgType == "event" && strings.EqualFold(m.Event, "unsubscribe") {
		return "", c.unsubscribe(ctx, user)
	}
	in, ok := c.inbound(m)
	subscribe := m.MsgType == "event" && strings.EqualFold(m.Event, "subscribe")
	if !ok && !subscribe {
		return "", nil // events that need nothing (VIEW, location reports…)
	}
	// The citizen wrote: a new customer-service window opens.
	if err := c.api.touched(ctx, user); err != nil {
		return "", err
	}

	col := &collector{openID: m.FromUserName}
	c.collect(user, col)
	conv, opened, err := c.conversation(ctx, user, m.FromUserName)
	c.collectFor(user, conv.ID, col, err == nil)
	if err != nil {
		return "", err
	}
	c.redeliver(conv, m.FromUserName)

	if subscribe && !ok {
		if opened {
			text := c.reply(col) // the welcome
			c.drain(col, nil)
			return text, nil
		}
		in = channels.Inbound{Kind: channels.KindText, Text: textFollowAgain}
	}
	if in.Kind == channels.KindText {
		if opts, err := c.options(ctx, conv.ID); err == nil {
			if text, ok := PickOption(in.Text, opts); ok {
				in.Text = text
			}
		}
	}
	in.Channel, in.Conversation, in.Time = Name, conv.ID, c.now()
	in.ID = DedupeKey(m)

	done := make(chan error, 1)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		hctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done <- c.cfg.Bot.Handle(hctx, in, nil)
	}()
	timer := time.NewTimer(c.cfg.ReplyBudget)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			c.drain(col, nil)
			return "", err
		}
		c.callbacks.WithLabelValues("reply").Inc()
		text := c.reply(col)
		c.drain(col, nil)
		return text, nil
	case <-timer.C:
		c.callbacks.WithLabelValues("success").Inc()
		c.log.Info("wechat answer over budget: pushing it", "conversation", conv.ID)
		c.drain(col, done)
		return "", nil
	}
}

// collect registers col for what is posted to user's conversation before
// its id is known (the welcome of a new one).
func (c *Channel) collect(user string, col *collector) {
	c.mu.Lock()
	c.waiting[user] = col
	c.mu.Unlock()
}

// collectFor moves col from the user to the conversation.
func (c *Channel) collectFor(user, conv string, col *collector, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.waiting, user)
	if ok {
		col.conv.ID = conv
		c.waiting[conv] = col
	}
}

// reply takes the passive reply out of the collector: as many of the
// collected messages as fit in one WeChat text (at least the first part of
// the first). The rest stays for drain to push.
func (c *Channel) reply(col *collector) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(col.items) > 0 && strings.TrimSpace(col.items[0].text) == "" {
		col.items = col.items[1:]
	}
	if len(col.items) == 0 {
		return ""
	}
	parts := SplitText(col.items[0].text, TextLimit)
	text := parts[0]
	if len(parts) > 1 {
		col.items[0].text = strings.Join(parts[1:], "")
		return text
	}
	i := 1
	for ; i < len(col.items) && len(text)+2+len(col.items[i].text) <= TextLimit; i++ {
		text += "\n\n" + col.items[i].text
	}
	col.items = col.items[i:]
	return text
}

// drain pushes, in order and in the background, what the collector holds
// and what is still added to it until handled (the dialog's work for the
// callback) is done; then the conversation's messages go out one by one
// through Send again.
func (c *Channel) drain(col *collector, handled <-chan error) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if handled != nil {
			<-handled
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for {
			c.mu.Lock()
			items := col.items
			col.items = nil
			if len(items) == 0 {
				if c.waiting[col.conv.ID] == col {
					delete(c.waiting, col.conv.ID)
				}
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			conv, err := c.cfg.Store.Conversation(ctx, col.conv.ID)
			if err != nil {
				c.log.Error("wechat push: read conversation", "conversation", col.conv.ID, "err", err)
				conv = col.conv
			}
			for _, it := range items {
				c.push(ctx, conv, col.openID, it)
			}
		}
	}()
}

// Send is the channel's Sender: every message the hotline writes to a
// WeChat conversation comes here. While the citizen's callback waits for
// its answer, the message is collected for the passive reply; otherwise it
// goes out through the customer-service API, within its limits.
func (c *Channel) Send(ctx context.Context, out channels.Outbound) error {
	m := out.Message
	if m.Meta[channels.MetaInternal] != "" {
		return nil // notes for agents only
	}
	if len(m.Options) > 0 {
		if err := c.saveOptions(ctx, out.Conversation.ID, m.Options); err != nil {
			c.log.Warn("wechat: options not kept", "conversation", out.Conversation.ID, "err", err)
		}
	}
	it := item{seq: m.Seq, text: WithOptions(m.Text, m.Options)}
	c.mu.Lock()
	col := c.waiting[out.Conversation.ID]
	if col == nil {
		col = c.waiting[out.Conversation.User]
	}
	if col != nil {
		col.items = append(col.items, it)
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	if out.Conversation.State == stateClosed {
		c.sends.WithLabelValues("skipped").Inc()
		return nil
	}
	openID, _ := ctx.Value(openIDCtx{}).(string)
	c.push(ctx, out.Conversation, openID, it)
	return nil
}

// options returns the options of the last message sent to the citizen.
func (c *Channel) options(ctx context.Context, conv string) ([]string, error) {
	data, err := c.cfg.Store.Key(ctx, "wechat:options:"+conv)
	if err != nil {
		return nil, err
	}
	var opts []string
	return opts, json.Unmarshal(data, &opts)
}

func (c *Channel) saveOptions(ctx context.Context, conv string, opts []string) error {
	data, _ := json.Marshal(opts)
	return c.cfg.Store.SetKey(ctx, "wechat:options:"+conv, data, 48*time.Hour)
}
