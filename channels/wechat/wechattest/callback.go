package wechattest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Mode is the message encryption mode set in the account's console.
type Mode int

// The three encryption modes.
const (
	// Plaintext (明文模式): the body is the message XML, signed by the
	// query's signature only.
	Plaintext Mode = iota
	// Compatible (兼容模式): the body carries the plaintext fields and
	// Encrypt; the query adds encrypt_type=aes and msg_signature.
	Compatible
	// Safe (安全模式): the body carries only ToUserName and Encrypt.
	Safe
)

func (m Mode) String() string {
	switch m {
	case Plaintext:
		return "plaintext"
	case Compatible:
		return "compatible"
	case Safe:
		return "safe"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Callback is one request WeChat's servers make to the account's server
// URL: a signed (and, outside plaintext mode, encrypted) message, or the
// URL verification GET. Its fields are what will be sent; a test may
// change Query or Body to craft a bad request (a malformed envelope, a
// missing parameter); an oversized body is just a Text of a few MiB.
// Sending the same Callback again sends the same bytes, as WeChat's
// retries do.
type Callback struct {
	Mode    Mode
	Method  string     // POST, or GET for URL verification
	Query   url.Values // signature, timestamp, nonce, openid, …
	Body    []byte     // nil for URL verification
	Message Message    // what the citizen sent; zero for URL verification
	Payload []byte     // the message XML that was signed and encrypted
	Encrypt string     // the Encrypt value; "" in plaintext mode
	Echo    string     // echostr of URL verification

	p    *Platform
	once sync.Once // records the interaction on first sending
}

// Option changes how a callback is built, mostly to make it wrong.
type Option func(*options)

type options struct {
	timestamp time.Time
	nonce     string
	token     string
	key       []byte
	appID     string
	random    *[16]byte
	payload   []byte
}

// WithTimestamp signs the callback with timestamp t instead of now (a
// stale or future timestamp, correctly signed).
func WithTimestamp(t time.Time) Option { return func(o *options) { o.timestamp = t } }

// WithNonce uses nonce n instead of a random one.
func WithNonce(n string) Option { return func(o *options) { o.nonce = n } }

// WithToken signs with token instead of the account's: every signature
// of the callback is wrong.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithAESKey encrypts with another EncodingAESKey: the channel cannot
// decrypt. It panics if encodingAESKey is not a valid key.
func WithAESKey(encodingAESKey string) Option {
	key, err := AESKey(encodingAESKey)
	if err != nil {
		panic(err)
	}
	return func(o *options) { o.key = key }
}

// WithAppID puts appID instead of the account's AppID at the end of the
// ciphertext (signatures stay right).
func WithAppID(appID string) Option { return func(o *options) { o.appID = appID } }

// WithRandom uses a fixed 16-byte random prefix in the ciphertext.
func WithRandom(r [16]byte) Option { return func(o *options) { o.random = &r } }

// WithPayload signs and encrypts payload instead of the message's XML:
// malformed XML, an entity bomb, anything. The message still decides the
// openid parameter and what the platform records.
func WithPayload(payload []byte) Option { return func(o *options) { o.payload = payload } }

func (p *Platform) options(opts []Option) options {
	o := options{token: p.cfg.Token, key: p.key, appID: p.cfg.AppID}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timestamp.IsZero() {
		o.timestamp = p.cfg.Now()
	}
	if o.nonce == "" {
		o.nonce = nonce()
	}
	if o.random == nil {
		var r [16]byte
		copy(r[:], randomBytes(16))
		o.random = &r
	}
	return o
}

// Callback is the POST WeChat makes for msg in the given mode. The query
// carries signature, timestamp, nonce and openid, and outside plaintext
// mode also encrypt_type=aes and msg_signature. The platform records the
// interaction (window opened, follower gone) when the callback is first
// sent or turned into a request, as WeChat does when the citizen sends.
func (p *Platform) Callback(mode Mode, msg Message, opts ...Option) *Callback {
	o := p.options(opts)
	payload := o.payload
	if payload == nil {
		payload = msg.XML()
	}
	ts := strconv.FormatInt(o.timestamp.Unix(), 10)
	q := url.Values{}
	q.Set("signature", Signature(o.token, ts, o.nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", o.nonce)
	q.Set("openid", msg.FromUserName)
	cb := &Callback{Mode: mode, Method: http.MethodPost, Query: q, Message: msg, Payload: payload, p: p}
	if mode == Plaintext {
		cb.Body = payload
		return cb
	}
	enc, err := Encrypt(o.key, *o.random, payload, o.appID)
	if err != nil {
		panic(err) // the key was checked by New or WithAESKey
	}
	cb.Encrypt = enc
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", Signature(o.token, ts, o.nonce, enc))
	if mode == Safe {
		var b bytes.Buffer
		b.WriteString("<xml>")
		b.WriteString("<ToUserName><![CDATA[" + msg.ToUserName + "]]></ToUserName>")
		b.WriteString("<Encrypt><![CDATA[" + enc + "]]></Encrypt>")
		b.WriteString("</xml>")
		cb.Body = b.Bytes()
		return cb
	}
	// Compatible: the plaintext fields, then Encrypt before </xml>.
	encElem := []byte("<Encrypt><![CDATA[" + enc + "]]></Encrypt>\n")
	trimmed := bytes.TrimRight(payload, " \t\r\n")
	if i := len(trimmed) - len("</xml>"); i >= 0 && bytes.Equal(trimmed[i:], []byte("</xml>")) {
		cb.Body = append(append(append([]byte{}, trimmed[:i]...), encElem...), "</xml>"...)
	} else {
		cb.Body = append(append([]byte{}, payload...), encElem...)
	}
	return cb
}

// Verification is the GET WeChat makes when the server URL is saved in
// the console: signature, timestamp, nonce and echostr, in every mode.
// The server must answer with echostr as the body.
func (p *Platform) Verification(echostr string, opts ...Option) *Callback {
	o := p.options(opts)
	ts := strconv.FormatInt(o.timestamp.Unix(), 10)
	q := url.Values{}
	q.Set("signature", Signature(o.token, ts, o.nonce))
	q.Set("echostr", echostr)
	q.Set("timestamp", ts)
	q.Set("nonce", o.nonce)
	return &Callback{Method: http.MethodGet, Query: q, Echo: echostr, p: p}
}

// Resigned is the same callback body with a new timestamp and nonce,
// signed again (with the account's token): a resend that differs only in
// its query.
func (c *Callback) Resigned() *Callback {
	o := c.p.options(nil)
	ts := strconv.FormatInt(o.timestamp.Unix(), 10)
	q := url.Values{}
	for k, v := range c.Query {
		q[k] = append([]string(nil), v...)
	}
	q.Set("timestamp", ts)
	q.Set("nonce", o.nonce)
	q.Set("signature", Signature(o.token, ts, o.nonce))
	if c.Encrypt != "" {
		q.Set("msg_signature", Signature(o.token, ts, o.nonce, c.Encrypt))
	}
	return &Callback{
		Mode: c.Mode, Method: c.Method, Query: q, Body: c.Body, Message: c.Message,
		Payload: c.Payload, Encrypt: c.Encrypt, Echo: c.Echo, p: c.p,
	}
}

func (c *Callback) record() {
	if c.Method == http.MethodPost {
		c.once.Do(func() { c.p.interact(c.Message) })
	}
}

// target is base with the callback's query.
func (c *Callback) target(base string) string {
	if c.Query == nil {
		return base
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + c.Query.Encode()
}

// Request is the callback as an incoming server request for calling a
// handler directly (handler.ServeHTTP(recorder, cb.Request("/wechat"))).
func (c *Callback) Request(target string) *http.Request {
	c.record()
	var body io.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	r := httptest.NewRequest(c.Method, c.target(target), body)
	if c.Body != nil {
		r.Header.Set("Content-Type", "text/xml")
	}
	return r
}

// Response is the server's answer to one callback request.
type Response struct {
	Status  int
	Body    []byte
	Elapsed time.Duration
}

// Send makes the callback request to url with client and reads the
// answer.
func (c *Callback) Send(ctx context.Context, client *http.Client, target string) (Response, error) {
	c.record()
	var body io.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.target(target), body)
	if err != nil {
		return Response{}, fmt.Errorf("wechattest: callback request: %w", err)
	}
	if c.Body != nil {
		req.Header.Set("Content-Type", "text/xml")
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Response{Elapsed: time.Since(start)}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Body: b, Elapsed: time.Since(start)}
	if err != nil {
		return out, fmt.Errorf("wechattest: read callback answer: %w", err)
	}
	return out, nil
}

// Attempt is one try of Deliver: the answer, or why there was none.
type Attempt struct {
	Response
	Err error // nil if the server answered in time
}

// Deliver sends the callback as WeChat does: if no answer comes within
// Config.ReplyTimeout, it drops the connection and sends the same request
// again, up to Config.Attempts tries in all. It stops at the first answer
// of any HTTP status and returns every attempt; the last one that has
// Err == nil is what the citizen's WeChat acts on.
func (c *Callback) Deliver(ctx context.Context, client *http.Client, target string) []Attempt {
	var attempts []Attempt
	for range c.p.cfg.Attempts {
		if ctx.Err() != nil {
			break
		}
		actx, cancel := context.WithTimeout(ctx, c.p.cfg.ReplyTimeout)
		resp, err := c.Send(actx, client, target)
		cancel()
		attempts = append(attempts, Attempt{Response: resp, Err: err})
		if err == nil {
			break
		}
	}
	return attempts
}

// ReadReply reads the server's answer to this callback as WeChat does
// (Platform.ReadReply in the callback's mode) and also checks that a
// reply goes back to the sender: ToUserName must be the sender's OpenID.
func (c *Callback) ReadReply(body []byte) (Reply, error) {
	r, err := c.p.ReadReply(c.Mode, body)
	if err != nil || r.None {
		return r, err
	}
	if r.ToUserName != c.Message.FromUserName {
		return r, fmt.Errorf("%w: ToUserName is %q, want the sender %q", ErrReply, r.ToUserName, c.Message.FromUserName)
	}
	return r, nil
}
