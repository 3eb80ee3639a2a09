package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/channels/web"
	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/store"
)

// Name is the channel's name in conversations and metrics.
const Name = "app"

// DataVerifiedPhone is the conversation data key of the phone number the
// app's backend vouched for (the token's phone claim).
const DataVerifiedPhone = dialog.DataVerifiedPhone

// Store is what the channel needs from the store.
type Store interface {
	web.Store
	store.Conversations
	store.Records
	store.Keys
}

// Config configures the channel; it is on when Keys holds a key.
type Config struct {
	Keys  Keys
	Bot   web.Bot // required
	Store Store   // required
	// Pusher, when set, pushes what finds none of the user's devices
	// connected.
	Pusher *Pusher
	// QueueStatus tells a resuming device where the user stands in the
	// queue for an agent.
	QueueStatus func(ctx context.Context, conversation string) (channels.QueueStatus, bool)
	// MaxMedia limits an uploaded image. Default 5 MiB.
	MaxMedia   int64
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// Channel serves the app's users: the WebSocket (the widget's protocol
// with the app's token), the REST API and the push.
type Channel struct {
	cfg Config
	ws  *web.Channel
	log *slog.Logger
	now func() time.Time

	instance string // this process, among the devices' records

	mu       sync.Mutex
	attached map[string]int // conversation → devices connected to this instance
	stop     chan struct{}
	stopped  chan struct{}
}

// devicesKind keeps, per conversation, the instances with a device of the
// user connected and until when that holds without a refresh.
const devicesKind = "app-devices"

// presenceTTL is how long a device record lives without a refresh (an
// instance that dies leaves records that expire).
const presenceTTL = 90 * time.Second

// New returns the channel and starts its presence refresher; call Close.
func New(cfg Config) (*Channel, error) {
	if cfg.Bot == nil || cfg.Store == nil {
		return nil, errors.New("app: Bot and Store are required")
	}
	if cfg.Keys.Len() == 0 {
		return nil, errors.New("app: at least one token key is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxMedia <= 0 {
		cfg.MaxMedia = 5 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var id [8]byte
	rand.Read(id[:])
	c := &Channel{cfg: cfg, log: cfg.Logger, now: cfg.Now, instance: hex.EncodeToString(id[:]),
		attached: map[string]int{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	ws, err := web.New(web.Config{
		Name:        Name,
		Bot:         cfg.Bot,
		Store:       cfg.Store,
		Logger:      cfg.Logger,
		Registerer:  cfg.Registerer,
		QueueStatus: cfg.QueueStatus,
		Session:     c.session,
		Attach:      c.attach,
	})
	if err != nil {
		return nil, err
	}
	c.ws = ws
	go c.refresh()
	return c, nil
}

// ServeWS serves /ws/app.
func (c *Channel) ServeWS(w http.ResponseWriter, r *http.Request) { c.ws.ServeHTTP(w, r) }

// Shutdown closes the devices' connections (1001) and stops the presence
// refresher.
func (c *Channel) Shutdown(ctx context.Context) error {
	err := c.ws.Shutdown(ctx)
	select {
	case <-c.stop:
	default:
		close(c.stop)
		<-c.stopped
	}
	return err
}

// session resolves a hello's token: the app user's conversation, opened
// on first contact. The token goes back unchanged in the session frame.
func (c *Channel) session(ctx context.Context, token string) (conv, tok string, resumed bool, err error) {
	id, err := c.cfg.Keys.Verify(token, c.now())
	if err != nil {
		return "", "", false, fmt.Errorf("%w: %w", web.ErrBadToken, err)
	}
	cv, opened, err := c.conversation(ctx, id)
	if err != nil {
		return "", "", false, err
	}
	return cv.ID, token, !opened, nil
}

// conversation finds or opens the user's conversation (one per app user,
// shared by their devices) and keeps the verified phone on it.
func (c *Channel) conversation(ctx context.Context, id Identity) (store.Conversation, bool, error) {
	key := "app:" + id.User
	convID, err := c.cfg.Store.Session(ctx, key)
	var cv store.Conversation
	opened := false
	switch {
	case err == nil:
		cv, err = c.cfg.Store.Conversation(ctx, convID)
		if err != nil {
			return cv, false, err
		}
	case errors.Is(err, store.ErrNotFound):
		cv, err = c.cfg.Bot.Open(ctx, Name, id.User)
		if err != nil {
			return cv, false, err
		}
		if err := c.cfg.Store.SaveSession(ctx, key, cv.ID); err != nil {
			return cv, false, err
		}
		opened = true
	default:
		return cv, false, err
	}
	if id.Phone != "" && cv.Data[DataVerifiedPhone] != id.Phone {
		cv, err = c.cfg.Store.UpdateConversation(ctx, cv.ID, func(conv *store.Conversation) error {
			if conv.Data == nil {
				conv.Data = map[string]string{}
			}
			conv.Data[DataVerifiedPhone] = id.Phone
			return nil
		})
	}
	return cv, opened, err
}

// attach records a device connected to this instance.
func (c *Channel) attach(conv string) func() {
	c.mu.Lock()
	c.attached[conv]++
	first := c.attached[conv] == 1
	c.mu.Unlock()
	if first {
		c.mark(conv, true)
	}
	return func() {
		c.mu.Lock()
		c.attached[conv]--
		last := c.attached[conv] == 0
		if last {
			delete(c.attached, conv)
		}
		c.mu.Unlock()
		if last {
			c.mark(conv, false)
		}
	}
}

// mark sets or clears this instance in the conversation's devices record.
func (c *Channel) mark(conv string, on bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := c.now()
	_, err := c.cfg.Store.UpdateRecord(ctx, devicesKind, conv, func(cur []byte) ([]byte, error) {
		until := map[string]int64{}
		if cur != nil {
			if err := json.Unmarshal(cur, &until); err != nil {
				return nil, err
			}
		}
		for inst, t := range until {
			if time.Unix(t, 0).Before(now) {
				delete(until, inst) // an instance that died
			}
		}
		if on {
			until[c.instance] = now.Add(presenceTTL).Unix()
		} else {
			delete(until, c.instance)
		}
		if len(until) == 0 {
			return nil, nil
		}
		return json.Marshal(until)
	})
	if err != nil {
		c.log.Warn("app: device presence not recorded", "conversation", conv, "err", err)
	}
}

// refresh keeps this instance's device records alive.
func (c *Channel) refresh() {
	defer close(c.stopped)
	t := time.NewTicker(presenceTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.mu.Lock()
		convs := make([]string, 0, len(c.attached))
		for conv := range c.attached {
			convs = append(convs, conv)
		}
		c.mu.Unlock()
		for _, conv := range convs {
			c.mark(conv, true)
		}
	}
}

// connected reports whether any device of the conversation's user is
// connected to any instance.
func (c *Channel) connected(ctx context.Context, conv string) (bool, error) {
	data, err := c.cfg.Store.Record(ctx, devicesKind, conv)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	until := map[string]int64{}
	if err := json.Unmarshal(data, &until); err != nil {
		return false, err
	}
	now := c.now().Unix()
	for _, t := range until {
		if t > now {
			return true, nil
		}
	}
	return false, nil
}

// Send is the channel's Sender: a message the hotline writes to an app
// user reaches their connected devices over the bus; when none is
// connected, it is pushed.
func (c *Channel) Send(ctx context.Context, out channels.Outbound) error {
	if c.cfg.Pusher == nil || out.Message.From == store.FromCitizen {
		return nil
	}
	on, err := c.connected(ctx, out.Conversation.ID)
	if err != nil {
		c.log.Warn("app: device presence not read; pushing", "conversation", out.Conversation.ID, "err", err)
	}
	if on {
		return nil
	}
	m := out.Message
	return c.cfg.Pusher.Enqueue(ctx, Push{User: out.Conversation.User, Conversation: out.Conversation.ID,
		Seq: m.Seq, From: string(m.From), Text: m.Text, Time: m.Time})
}
