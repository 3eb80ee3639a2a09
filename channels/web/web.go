// Package web is the website chat widget's channel: a WebSocket at
// /ws/chat speaking the JSON frame protocol in docs/PROTOCOL.md.
//
// Each connection has one reader (the handler's goroutine, which also runs
// the bot for the citizen's messages, so one connection's messages are
// handled in order) and one writer goroutine that owns every write. The
// writer does not queue transcript messages: an event on the bus only tells
// it that the transcript grew, and it reads what it has not sent yet from
// the store. So a resume, a lost event and a live message all go through
// one path, and nothing is sent twice or skipped.
package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/internal/wsgroup"
	"github.com/hotline12345/hotline/store"
)

// Name is the channel's name in conversations and metrics.
const Name = "web"

// Bot is what the channel needs from the dialog.
type Bot interface {
	Open(ctx context.Context, channel, user string) (store.Conversation, error)
	Handle(ctx context.Context, in channels.Inbound, stored func(m store.Message, duplicate bool)) error
}

// Store is what the channel needs from the store.
type Store interface {
	store.Sessions
	store.Transcripts
	store.Bus
}

// Config configures the channel. Zero fields take the defaults given.
type Config struct {
	Bot   Bot   // required
	Store Store // required
	// Logger receives operational logs, never message text. Default: discard.
	Logger *slog.Logger
	// Registerer receives the channel's metrics; nil: not exported.
	Registerer prometheus.Registerer
	// AllowedOrigins lists the origins (scheme://host[:port]) of pages that
	// may embed the widget. Empty allows any page: the widget is meant to be
	// embedded on many government sites, and the session token, not the
	// origin, authenticates a conversation.
	AllowedOrigins []string
	// MaxFrameBytes: larger frames close the connection (1009). Default 16 KiB.
	MaxFrameBytes int64
	// MaxTextRunes: longer texts get an error frame. Default 2,000.
	MaxTextRunes int
	// HelloWait is how long a new connection may take to send hello. Default 10 s.
	HelloWait time.Duration
	// PingInterval: the writer pings this often. Default 25 s, below common
	// proxy idle timeouts (60 s).
	PingInterval time.Duration
	// PongWait: a connection that shows no sign of life for this long is
	// dropped. Default 60 s.
	PongWait time.Duration
	// WriteWait bounds every write; a client that can't take a frame within
	// it is disconnected, not waited for. Default 10 s.
	WriteWait time.Duration
	// RateBurst and RatePerSecond limit the messages one connection may send:
	// a burst, then a steady rate. Defaults 10 and 1.
	RateBurst     int
	RatePerSecond float64
	// HandleTimeout bounds the handling of one message. Default 30 s.
	HandleTimeout time.Duration
	// QueueStatus, when set, says where a conversation waiting for an agent
	// stands, so that a client resuming while it waits gets a queue frame.
	QueueStatus func(ctx context.Context, conversation string) (channels.QueueStatus, bool)

	// Name is the channel's name in conversations and metrics. Default
	// "web"; the app channel serves the same protocol as "app".
	Name string
	// Session, when set, resolves a hello's token instead of the widget's
	// session tokens: it returns the conversation, the token to send back
	// in the session frame, and whether it is a resumed conversation. An
	// error wrapping ErrBadToken closes the connection with 4401.
	Session func(ctx context.Context, token string) (conv, tok string, resumed bool, err error)
	// Attach, when set, is told when a connection starts following a
	// conversation; the function it returns is called when the connection
	// ends (the app channel's device presence).
	Attach func(conversation string) (detach func())
}

// ErrBadToken is what a Session function wraps when the client's token is
// not acceptable: the connection is closed with status 4401.
var ErrBadToken = errors.New("web: token not accepted")

// CloseBadToken is the close status for a refused token.
const CloseBadToken = 4401

// Channel serves widget connections.
type Channel struct {
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader

	conns wsgroup.Group

	connections prometheus.Gauge
	messagesIn  prometheus.Counter
	messagesOut prometheus.Counter
}

// New returns a channel.
func New(cfg Config) (*Channel, error) {
	if cfg.Bot == nil || cfg.Store == nil {
		return nil, errors.New("web: Bot and Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&cfg.Name, Name)
	setDefault(&cfg.MaxFrameBytes, 16<<10)
	setDefault(&cfg.MaxTextRunes, 2000)
	setDefault(&cfg.HelloWait, 10*time.Second)
	setDefault(&cfg.PingInterval, 25*time.Second)
	setDefault(&cfg.PongWait, 60*time.Second)
	setDefault(&cfg.WriteWait, 10*time.Second)
	setDefault(&cfg.RateBurst, 10)
	setDefault(&cfg.RatePerSecond, 1)
	setDefault(&cfg.HandleTimeout, 30*time.Second)

	c := &Channel{
		cfg: cfg,
		log: cfg.Logger,
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "hotline", Name: "connections", Help: "Open widget connections.",
			ConstLabels: prometheus.Labels{"channel": cfg.Name},
		}),
		messagesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "hotline", Name: "messages_in_total", Help: "Citizen messages received and stored.",
			ConstLabels: prometheus.Labels{"channel": cfg.Name},
		}),
		messagesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "hotline", Name: "messages_out_total", Help: "Transcript messages delivered to clients.",
			ConstLabels: prometheus.Labels{"channel": cfg.Name},
		}),
	}
	if cfg.Registerer != nil {
		for _, col := range []prometheus.Collector{c.connections, c.messagesIn, c.messagesOut} {
			if err := cfg.Registerer.Register(col); err != nil {
				return nil, err
			}
		}
	}
	c.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     c.checkOrigin,
	}
	return c, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func (c *Channel) checkOrigin(r *http.Request) bool {
	if len(c.cfg.AllowedOrigins) == 0 {
		return true
	}
	origin := r.Header.Get("Origin")
	for _, o := range c.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// ServeHTTP upgrades the request and serves the connection until it ends.
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := c.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	cn := newConn(c, ws)
	leave, ok := c.conns.Join(cn.goAway)
	if !ok {
		cn.closeWith(websocket.CloseGoingAway, "server shutting down")
		return
	}
	defer leave()
	c.connections.Inc()
	defer c.connections.Dec()
	c.conns.Go(cn.writeLoop)
	cn.readLoop()
}

// Shutdown closes every connection with a going-away frame (1001), so that
// widgets reconnect, and waits for their goroutines to end or ctx to expire.
func (c *Channel) Shutdown(ctx context.Context) error { return c.conns.Shutdown(ctx) }

// session resolves a hello to a conversation: the one bound to the token,
// or a new one (with a new token) when there is no token or it is unknown.
func (c *Channel) session(ctx context.Context, token string) (conv, tok string, resumed bool, err error) {
	if c.cfg.Session != nil {
		return c.cfg.Session(ctx, token)
	}
	if token != "" {
		conv, err = c.cfg.Store.Session(ctx, hashToken(token))
		switch {
		case err == nil:
			return conv, token, true, nil
		case !errors.Is(err, store.ErrNotFound):
			return "", "", false, err
		}
	}
	tok = newToken()
	// The channel user is the session itself: the widget has no other
	// identity for the citizen.
	cv, err := c.cfg.Bot.Open(ctx, c.cfg.Name, hashToken(tok)[:16])
	if err != nil {
		return "", "", false, err
	}
	if err := c.cfg.Store.SaveSession(ctx, hashToken(tok), cv.ID); err != nil {
		return "", "", false, err
	}
	return cv.ID, tok, false, nil
}

// newToken returns a session token: 256 random bits, URL-safe.
func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken is what the store keeps instead of the token, so that a copy of
// the database does not let anyone resume citizens' conversations.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validText checks a message text; it returns an error code or "".
func (c *Channel) validText(text string) string {
	switch {
	case strings.TrimSpace(text) == "":
		return CodeEmptyText
	case utf8.RuneCountInString(text) > c.cfg.MaxTextRunes:
		return CodeTextTooLong
	}
	return ""
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // frames are plain structs
	}
	return data
}
