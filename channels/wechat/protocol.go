package wechat

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"
)

// The protocol errors. ParseCallback and VerifyURL wrap them with a short
// reason; none of them ever carries message content, so they are safe to
// log. Test with errors.Is.
var (
	// ErrSignature means the signature (plaintext mode, URL verification)
	// or msg_signature (AES mode) is missing or does not match the token:
	// the request is not from WeChat.
	ErrSignature = errors.New("wechat: bad signature")
	// ErrStale means the signed timestamp is further from now than the
	// allowed clock skew, in the past (a replay) or in the future.
	ErrStale = errors.New("wechat: timestamp outside the allowed clock skew")
	// ErrAppID means the ciphertext decrypted with our key names another
	// AppID: a message meant for another official account.
	ErrAppID = errors.New("wechat: ciphertext is for another AppID")
	// ErrMalformed means the callback is not what WeChat sends: not the
	// expected XML, a DOCTYPE or entity declaration, bad base64 or
	// padding, a missing field.
	ErrMalformed = errors.New("wechat: malformed callback")
	// ErrNoKey means an encrypted (encrypt_type=aes) callback arrived but
	// no EncodingAESKey is configured.
	ErrNoKey = errors.New("wechat: encrypted callback but no EncodingAESKey configured")
	// ErrTooLong means a passive reply's text is over TextLimit bytes;
	// split it with SplitText first.
	ErrTooLong = errors.New("wechat: reply text over the text limit")
)

// Crypto checks and opens WeChat's callbacks and seals the passive replies
// of one official account. It holds only configuration and is safe for
// concurrent use.
type Crypto struct {
	appID  string
	token  string
	aesKey string // the EncodingAESKey as configured; "" when plaintext only
	key    []byte // aesKey decoded: the 32-byte AES key; nil when plaintext only
}

// NewCrypto returns the protocol layer for the account appID with the
// server token set in the account's developer settings. encodingAESKey is
// optional: empty means plaintext mode only (an encrypted callback then
// fails with ErrNoKey); otherwise it must be the 43 characters of base64
// WeChat shows, decoding to a 32-byte AES key. The key's value never
// appears in the errors.
func NewCrypto(appID, token, encodingAESKey string) (*Crypto, error) {
	if appID == "" {
		return nil, errors.New("wechat: AppID is required")
	}
	if token == "" {
		// An empty token would let anyone compute the signatures.
		return nil, errors.New("wechat: token is required")
	}
	var key []byte
	if encodingAESKey != "" {
		if len(encodingAESKey) != 43 {
			return nil, fmt.Errorf("wechat: EncodingAESKey must be 43 characters of base64, got %d characters", len(encodingAESKey))
		}
		var err error
		key, err = base64.StdEncoding.DecodeString(encodingAESKey + "=")
		if err != nil {
			return nil, errors.New("wechat: EncodingAESKey is not valid base64")
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("wechat: EncodingAESKey must decode to 32 bytes, got %d", len(key))
		}
	}
	return &Crypto{appID: appID, token: token, aesKey: encodingAESKey, key: key}, nil
}

// VerifyURL answers WeChat's GET request that checks the server URL
// (signature, timestamp, nonce, echostr): it returns the echostr to write
// back as the response body. maxSkew bounds how far timestamp may be from
// now; zero (or negative) turns the check off. The verification is in
// plaintext whatever the account's message encryption mode.
func (c *Crypto) VerifyURL(q url.Values, now time.Time, maxSkew time.Duration) (echostr string, err error) {
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !c.signed(q.Get("signature"), ts, nonce) {
		return "", ErrSignature
	}
	if err := checkFresh(ts, now, maxSkew); err != nil {
		return "", err
	}
	echostr = q.Get("echostr")
	if echostr == "" {
		return "", fmt.Errorf("%w: no echostr", ErrMalformed)
	}
	return echostr, nil
}

// Message is one callback from WeChat: a citizen's message (MsgType text,
// image, voice, video, shortvideo, location, link) or an event (MsgType
// event). Fields not used by the MsgType are empty. The xml tags are
// WeChat's element names.
type Message struct {
	ToUserName   string `xml:"ToUserName"`   // the official account's original ID (gh_…)
	FromUserName string `xml:"FromUserName"` // the citizen's OpenID
	CreateTime   int64  `xml:"CreateTime"`   // Unix seconds
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"` // text
	MsgID        int64  `xml:"MsgId"`   // every message type except events

	MediaID     string `xml:"MediaId"`     // image, voice, video, shortvideo
	PicURL      string `xml:"PicUrl"`      // image
	Format      string `xml:"Format"`      // voice: amr, speex…
	Recognition string `xml:"Recognition"` // voice: speech recognition, often empty

	LocationX float64 `xml:"Location_X"` // location: latitude
	LocationY float64 `xml:"Location_Y"` // location: longitude
	Scale     float64 `xml:"Scale"`      // location: map zoom
	Label     string  `xml:"Label"`      // location: place description

	Title       string `xml:"Title"`       // link
	Description string `xml:"Description"` // link
	URL         string `xml:"Url"`         // link

	Event    string `xml:"Event"`    // event: subscribe, unsubscribe, CLICK, VIEW, SCAN…
	EventKey string `xml:"EventKey"` // event: the menu key, or qrscene_… for a scan
}

// Mode is how a callback was protected, and so how its passive reply must
// be sent back.
type Mode int

const (
	// ModePlain is plaintext mode (明文模式): signed, not encrypted.
	ModePlain Mode = iota
	// ModeAES is safe or compatible mode (安全模式/兼容模式), announced by
	// encrypt_type=aes: the message is in the Encrypt element and the
	// reply is encrypted too.
	ModeAES
)

// String returns "plain" or "aes", for logs and metrics.
func (m Mode) String() string {
	switch m {
	case ModePlain:
		return "plain"
	case ModeAES:
		return "aes"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseCallback checks and opens the body of a POST callback. q is the
// request's query; the caller limits the body's size. In plaintext mode it
// verifies signature over token, timestamp and nonce. With encrypt_type=aes
// it verifies msg_signature over token, timestamp, nonce and the Encrypt
// element, decrypts that element and checks the AppID inside it; the
// plaintext copy of compatible mode is ignored, since nothing signs it.
// maxSkew bounds how far timestamp may be from now (replays, clocks);
// zero or negative turns the check off.
//
// The XML is parsed strictly; a DOCTYPE (and so any entity declaration) or
// an undeclared entity is ErrMalformed, without expanding anything.
func (c *Crypto) ParseCallback(q url.Values, body []byte, now time.Time, maxSkew time.Duration) (Message, Mode, error) {
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	switch q.Get("encrypt_type") {
	case "", "raw":
		if !c.signed(q.Get("signature"), ts, nonce) {
			return Message{}, ModePlain, ErrSignature
		}
		if err := checkFresh(ts, now, maxSkew); err != nil {
			return Message{}, ModePlain, err
		}
		m, err := parseMessage(body)
		return m, ModePlain, err
	case "aes":
		m, err := c.open(q, body, now, maxSkew)
		return m, ModeAES, err
	default:
		return Message{}, ModePlain, fmt.Errorf("%w: unknown encrypt_type", ErrMalformed)
	}
}

// envelope is the outer XML of an encrypted callback. Compatible mode also
// carries the plaintext fields, which are not read.
type envelope struct {
	XMLName xml.Name `xml:"xml"`
	Encrypt string   `xml:"Encrypt"`
}

// open handles an encrypt_type=aes callback.
func (c *Crypto) open(q url.Values, body []byte, now time.Time, maxSkew time.Duration) (Message, error) {
	if c.aesKey == "" {
		return Message{}, ErrNoKey
	}
	var env envelope
	if err := decodeXML(body, &env, "envelope"); err != nil {
		return Message{}, err
	}
	if env.Encrypt == "" {
		return Message{}, fmt.Errorf("%w: envelope has no Encrypt", ErrMalformed)
	}
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !c.signed(q.Get("msg_signature"), ts, nonce, env.Encrypt) {
		return Message{}, ErrSignature
	}
	if err := checkFresh(ts, now, maxSkew); err != nil {
		return Message{}, err
	}
	plain, err := c.decrypt(env.Encrypt)
	if err != nil {
		return Message{}, err
	}
	return parseMessage(plain)
}

// decrypt opens the Encrypt element: base64 of AES-256-CBC over
// random(16) | length(4, big endian) | message | AppID, PKCS#7-padded to
// 32 bytes. It uses silenceper's util.AESDecryptMsg, the step inside
// util.DecryptMsg that returns the AppID: DecryptMsg compares the AppID
// itself and reports a mismatch as an untyped error that a bad padding
// could not be told apart from.
func (c *Crypto) decrypt(encrypted string) ([]byte, error) {
	ciphertext, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("%w: Encrypt is not base64", ErrMalformed)
	}
	_, plain, appID, err := util.AESDecryptMsg(ciphertext, c.key)
	if err != nil {
		// Lengths and padding only; the library's text has no content.
		return nil, fmt.Errorf("%w: Encrypt does not decrypt (%v)", ErrMalformed, err)
	}
	if subtle.ConstantTimeCompare(appID, []byte(c.appID)) != 1 {
		return nil, ErrAppID
	}
	return plain, nil
}

// parseMessage decodes a message's XML and checks the fields every
// callback has.
func parseMessage(body []byte) (Message, error) {
	var w struct {
		XMLName xml.Name `xml:"xml"`
		Message
	}
	if err := decodeXML(body, &w, "message"); err != nil {
		return Message{}, err
	}
	m := w.Message
	switch {
	case m.ToUserName == "":
		return Message{}, fmt.Errorf("%w: message has no ToUserName", ErrMalformed)
	case m.FromUserName == "":
		return Message{}, fmt.Errorf("%w: message has no FromUserName", ErrMalformed)
	case m.MsgType == "":
		return Message{}, fmt.Errorf("%w: message has no MsgType", ErrMalformed)
	case m.CreateTime <= 0:
		return Message{}, fmt.Errorf("%w: message has no CreateTime", ErrMalformed)
	case m.MsgType == "event" && m.Event == "":
		return Message{}, fmt.Errorf("%w: event has no Event", ErrMalformed)
	}
	return m, nil
}

// decodeXML unmarshals one <xml> document into v after a strict first pass
// over its tokens: well-formed, one root element, no directive (<!DOCTYPE,
// <!ENTITY…) anywhere. encoding/xml never expands declared entities, but a
// DOCTYPE has no place in WeChat's messages and is refused outright. The
// errors name the stage and the line only: the decoder's own messages can
// quote the input.
func decodeXML(body []byte, v any, what string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: empty %s", ErrMalformed, what)
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				return fmt.Errorf("%w: %s is not well-formed XML (line %d)", ErrMalformed, what, syn.Line)
			}
			return fmt.Errorf("%w: %s is not well-formed XML", ErrMalformed, what)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return fmt.Errorf("%w: %s has a DOCTYPE or other directive", ErrMalformed, what)
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return fmt.Errorf("%w: %s has more than one root element", ErrMalformed, what)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("%w: %s has text outside the root element", ErrMalformed, what)
			}
		}
	}
	if roots == 0 {
		return fmt.Errorf("%w: %s has no root element", ErrMalformed, what)
	}
	d = xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		// Wrong root element name, or a number field that is not one.
		return fmt.Errorf("%w: %s does not have WeChat's fields", ErrMalformed, what)
	}
	return nil
}

// signed reports whether sig is WeChat's SHA-1 signature of the token and
// parts, compared in constant time.
func (c *Crypto) signed(sig string, parts ...string) bool {
	if sig == "" {
		return false
	}
	want := util.Signature(append([]string{c.token}, parts...)...)
	return subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1
}

// checkFresh checks that the timestamp ts (Unix seconds) is within maxSkew
// of now; maxSkew ≤ 0 turns the check off.
func checkFresh(ts string, now time.Time, maxSkew time.Duration) error {
	if maxSkew <= 0 {
		return nil
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp is not a number", ErrMalformed)
	}
	d := now.Sub(time.Unix(sec, 0)) // saturates instead of overflowing
	if d > maxSkew || d < -maxSkew {
		return ErrStale
	}
	return nil
}

// TextReply returns the passive reply to in that shows text to the
// citizen, as the HTTP response body, in the callback's mode: the text
// message XML, and for ModeAES that XML encrypted in the
// Encrypt/MsgSignature/TimeStamp/Nonce envelope with a fresh random nonce.
// Text must be 1 to TextLimit bytes (ErrTooLong: split it with SplitText).
// Characters XML cannot carry (most C0 controls, invalid UTF-8) are
// dropped, since WeChat rejects the whole reply otherwise, and line ends
// become "\n", as any XML parser would read them.
//
// For no reply at all, answer "success" instead: in AES mode an encrypted
// empty message would show the citizen an error.
func (c *Crypto) TextReply(mode Mode, in Message, text string, now time.Time) ([]byte, error) {
	text = strings.ReplaceAll(xmlSafe(text), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	switch {
	case strings.TrimSpace(text) == "":
		return nil, errors.New("wechat: empty reply text")
	case len(text) > TextLimit:
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, len(text), TextLimit)
	}
	var b bytes.Buffer
	b.WriteString("<xml><ToUserName>")
	writeCDATA(&b, xmlSafe(in.FromUserName))
	b.WriteString("</ToUserName><FromUserName>")
	writeCDATA(&b, xmlSafe(in.ToUserName))
	b.WriteString("</FromUserName><CreateTime>")
	b.WriteString(strconv.FormatInt(now.Unix(), 10))
	b.WriteString("</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>")
	writeCDATA(&b, text)
	b.WriteString("</Content></xml>")

	switch mode {
	case ModePlain:
		return b.Bytes(), nil
	case ModeAES:
		if c.aesKey == "" {
			return nil, ErrNoKey
		}
		random, err := randomString(16, alphanumerics)
		if err != nil {
			return nil, err
		}
		nonce, err := randomString(10, digits)
		if err != nil {
			return nil, err
		}
		return c.seal(b.Bytes(), []byte(random), strconv.FormatInt(now.Unix(), 10), nonce)
	}
	return nil, fmt.Errorf("wechat: unknown reply mode %d", int(mode))
}

// seal encrypts plain for WeChat and wraps it in the reply envelope, with
// silenceper's util.EncryptMsg and util.Signature. random is the 16 bytes
// that lead the plaintext; tests pass fixed ones to compare with the
// official samples.
func (c *Crypto) seal(plain, random []byte, timestamp, nonce string) ([]byte, error) {
	encrypted, err := util.EncryptMsg(random, plain, c.appID, c.aesKey)
	if err != nil {
		return nil, fmt.Errorf("wechat: encrypt reply: %w", err)
	}
	sig := util.Signature(c.token, timestamp, nonce, string(encrypted))
	var b bytes.Buffer
	b.WriteString("<xml><Encrypt>")
	writeCDATA(&b, string(encrypted))
	b.WriteString("</Encrypt><MsgSignature>")
	writeCDATA(&b, sig)
	b.WriteString("</MsgSignature><TimeStamp>")
	b.WriteString(timestamp)
	b.WriteString("</TimeStamp><Nonce>")
	writeCDATA(&b, nonce)
	b.WriteString("</Nonce></xml>")
	return b.Bytes(), nil
}

// writeCDATA writes s as CDATA, the way WeChat's documentation shows its
// XML. A "]]>" inside s would end the section, so the section is closed
// between "]]" and ">" and reopened.
func writeCDATA(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}

// xmlSafe drops what XML 1.0 cannot carry even in CDATA: invalid UTF-8 and
// the characters outside its Char production (C0 controls other than tab,
// newline and carriage return; U+FFFE, U+FFFF).
func xmlSafe(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' ||
			(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
	}
	clean := true
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				clean = false
				break
			}
		}
		if !ok(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				continue
			}
		}
		if ok(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

const (
	alphanumerics = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	digits        = "0123456789"
)

// randomString returns n characters drawn uniformly from alphabet with
// crypto/rand, like the random prefix and nonce of WeChat's samples.
func randomString(n int, alphabet string) (string, error) {
	size := big.NewInt(int64(len(alphabet)))
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, size)
		if err != nil {
			return "", fmt.Errorf("wechat: random: %w", err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b), nil
}

// DedupeKey returns the key under which a callback is de-duplicated
// against WeChat's retries, as WeChat's documentation recommends:
// "msg:<MsgId>" for messages, "evt:<FromUserName>:<CreateTime>:<Event>"
// for events (they have no MsgId). A message without a MsgId (none is
// documented) falls back to "msg:<FromUserName>:<CreateTime>:<MsgType>"
// rather than colliding on "msg:0".
func DedupeKey(m Message) string {
	ct := strconv.FormatInt(m.CreateTime, 10)
	switch {
	case m.MsgType == "event":
		return "evt:" + m.FromUserName + ":" + ct + ":" + m.Event
	case m.MsgID != 0:
		return "msg:" + strconv.FormatInt(m.MsgID, 10)
	default:
		return "msg:" + m.FromUserName + ":" + ct + ":" + m.MsgType
	}
}
