package wechattest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// Config describes the official account the fake platform plays. Zero
// fields take the defaults given, so Config{} is a working account with
// random credentials; read them back with Platform.Config.
type Config struct {
	// AppID is the account's AppID. Default: "wx" and 16 random hex digits.
	AppID string
	// Secret is the AppSecret the token endpoint wants. Default: 32 random
	// hex digits.
	Secret string
	// Token is the token callbacks are signed with. Default: random.
	Token string
	// EncodingAESKey is the 43-character key of safe and compatible mode.
	// Default: random.
	EncodingAESKey string
	// Account is the account's original ID ("gh_…"), the ToUserName of
	// every callback and the FromUserName a reply must carry. Default:
	// "gh_" and 12 random hex digits.
	Account string

	// Now is the wall clock that callbacks are stamped with (timestamp,
	// CreateTime); it should be the clock the channel under test checks
	// them against. Default: time.Now. The platform's own rules run on
	// Now plus what Advance added.
	Now func() time.Time

	// TokenTTL is expires_in of issued access tokens; after it a token
	// gets 42001. Default: 7200 s, as WeChat.
	TokenTTL time.Duration
	// TokenOverlap is how long a token stays valid after a newer one was
	// issued; then it gets 40001. Default: 5 min, as WeChat.
	TokenOverlap time.Duration
	// Window is how long after a citizen's last message (or follow, or
	// menu click) customer-service messages may be sent. Default: 48 h.
	Window time.Duration
	// WindowLimit is how many customer-service messages one window allows
	// (45047 after that). Default: 5.
	WindowLimit int
	// MaxTextBytes is the longest text, in bytes, of a passive reply or a
	// customer-service text message (45002 after that). Default: 2048,
	// the limit WeChat documents for text replies.
	MaxTextBytes int
	// ReplyTimeout is how long Deliver waits for the callback's answer
	// before WeChat gives up on an attempt. Default: 5 s, as WeChat.
	ReplyTimeout time.Duration
	// Attempts is how many times Deliver sends a callback that gets no
	// answer in time. Default: 3, as WeChat.
	Attempts int
}

// Platform is a fake WeChat platform for one official account.
type Platform struct {
	cfg Config
	key []byte

	mu      sync.Mutex
	offset  time.Duration         // added to cfg.Now by Advance
	msgID   int64                 // last MsgId issued
	users   map[string]*userState // by OpenID
	tokens  map[string]*tokenState
	current string // newest token of the token endpoint
	stable  string // newest token of the stable_token endpoint
	fetches int
	delay   time.Duration
	faults  []Fault
	sent    []CustomMessage
	refused []CustomMessage
	typings []Typing
}

// userState is what the platform knows about one follower.
type userState struct {
	last         time.Time // last window-opening interaction, platform clock
	sent         int       // customer-service messages since then
	unsubscribed bool
}

// tokenState is one issued access token.
type tokenState struct {
	issued     time.Time
	superseded time.Time // zero while newest
	revoked    bool
}

// New returns a platform for the account cfg describes. It fails only on
// an EncodingAESKey that is not a valid 43-character key.
func New(cfg Config) (*Platform, error) {
	if cfg.AppID == "" {
		cfg.AppID = "wx" + randomHex(8)
	}
	if cfg.Secret == "" {
		cfg.Secret = randomHex(16)
	}
	if cfg.Token == "" {
		cfg.Token = "tok" + randomHex(8)
	}
	if cfg.EncodingAESKey == "" {
		cfg.EncodingAESKey = randomKey()
	}
	if cfg.Account == "" {
		cfg.Account = "gh_" + randomHex(6)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 7200 * time.Second
	}
	if cfg.TokenOverlap <= 0 {
		cfg.TokenOverlap = 5 * time.Minute
	}
	if cfg.Window <= 0 {
		cfg.Window = 48 * time.Hour
	}
	if cfg.WindowLimit <= 0 {
		cfg.WindowLimit = 5
	}
	if cfg.MaxTextBytes <= 0 {
		cfg.MaxTextBytes = 2048
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = 5 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	key, err := AESKey(cfg.EncodingAESKey)
	if err != nil {
		return nil, err
	}
	return &Platform{
		cfg:    cfg,
		key:    key,
		msgID:  24_000_000_000_000_000 + time.Now().UnixNano()%1_000_000_000_000,
		users:  make(map[string]*userState),
		tokens: make(map[string]*tokenState),
	}, nil
}

// Config returns the configuration with the defaults filled in: the
// credentials to give the channel under test.
func (p *Platform) Config() Config { return p.cfg }

// Now is the platform's clock: Config.Now plus everything Advance added.
func (p *Platform) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now()
}

func (p *Platform) now() time.Time { return p.cfg.Now().Add(p.offset) }

// Advance moves the platform's clock forward by d: tokens expire and
// customer-service windows close as if d had passed. It does not move
// the timestamps callbacks are signed with, which the channel checks
// against its own clock.
func (p *Platform) Advance(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.offset += d
}

// interact records what a callback tells the platform about its sender,
// on the platform clock: a message, a follow or a menu click opens a new
// customer-service window; an unfollow closes it for good.
func (p *Platform) interact(m Message) {
	if m.FromUserName == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u := p.users[m.FromUserName]
	if u == nil {
		u = &userState{}
		p.users[m.FromUserName] = u
	}
	if m.MsgType == "event" {
		switch m.Event {
		case EventUnsubscribe:
			u.unsubscribed = true
			return
		case EventSubscribe, EventClick, "SCAN", "scancode_push", "scancode_waitmsg":
		default:
			return
		}
	}
	u.unsubscribed = false
	u.last = p.now()
	u.sent = 0
}

// User reports what the platform knows about a follower: when the current
// customer-service window opened (platform clock), how many messages it
// has used, and whether they unfollowed. ok is false for an OpenID the
// platform has had no callback from.
func (p *Platform) User(openID string) (opened time.Time, used int, unsubscribed, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u := p.users[openID]
	if u == nil {
		return time.Time{}, 0, false, false
	}
	return u.last, u.sent, u.unsubscribed, true
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// randomKey is an EncodingAESKey as the WeChat console generates them:
// 43 letters and digits.
func randomKey() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := randomBytes(43)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// nonce is a nonce as WeChat makes them: a decimal number.
func nonce() string {
	b := randomBytes(4)
	return fmt.Sprint(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
}
