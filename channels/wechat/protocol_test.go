package wechat

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// sign is WeChat's signature written out independently of the library
// under test: SHA-1 over the sorted, concatenated parts.
func sign(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

// Test account for round trips (not a real one).
const (
	testAppID = "wx0123456789abcdef"
	testToken = "hotline-test-token"
	testKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

func newTestCrypto(t testing.TB) *Crypto {
	t.Helper()
	c, err := NewCrypto(testAppID, testToken, testKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// plainCallback signs body the way WeChat does in plaintext mode.
func plainCallback(token string, ts int64, nonce string) url.Values {
	t := strconv.FormatInt(ts, 10)
	return url.Values{
		"signature": {sign(token, t, nonce)},
		"timestamp": {t},
		"nonce":     {nonce},
		"openid":    {"o-citizen"},
	}
}

// aesCallback encrypts inner for appID and signs it the way WeChat does in
// safe mode, returning the query and the envelope body.
func aesCallback(t testing.TB, token, appID, key string, ts int64, nonce string, inner []byte) (url.Values, []byte) {
	t.Helper()
	enc, err := util.EncryptMsg([]byte("0123456789abcdef"), inner, appID, key)
	if err != nil {
		t.Fatal(err)
	}
	tsStr := strconv.FormatInt(ts, 10)
	q := url.Values{
		"signature":     {sign(token, tsStr, nonce)},
		"msg_signature": {sign(token, tsStr, nonce, string(enc))},
		"timestamp":     {tsStr},
		"nonce":         {nonce},
		"encrypt_type":  {"aes"},
		"openid":        {"o-citizen"},
	}
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>", enc)
	return q, []byte(body)
}

const textXML = `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
<FromUserName><![CDATA[o-citizen]]></FromUserName>
<CreateTime>1700000000</CreateTime>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[小区门口的路灯坏了，请派人修理。]]></Content>
<MsgId>24371234567890123</MsgId>
</xml>`

var textMessage = Message{
	ToUserName:   "gh_0123456789ab",
	FromUserName: "o-citizen",
	CreateTime:   1700000000,
	MsgType:      "text",
	Content:      "小区门口的路灯坏了，请派人修理。",
	MsgID:        24371234567890123,
}

var now = time.Unix(1700000003, 0)

func TestNewCrypto(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, appID, token, key string
		ok                      bool
	}{
		{"plaintext only", testAppID, testToken, "", true},
		{"with key", testAppID, testToken, testKey, true},
		{"official sample key", "wx5823bf96d3bd56c7", "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", true},
		{"no AppID", "", testToken, testKey, false},
		{"no token", testAppID, "", testKey, false},
		{"key too short", testAppID, testToken, testKey[:42], false},
		{"key too long", testAppID, testToken, testKey + "H", false},
		{"key with padding", testAppID, testToken, testKey[:42] + "=", false},
		{"key not base64", testAppID, testToken, "abcdefghijklmnopqrstuvwxyz0123456789ABCDE-!", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewCrypto(tc.appID, tc.token, tc.key)
			if tc.ok != (err == nil) {
				t.Fatalf("NewCrypto: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && tc.key != "" && strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q shows the key", err)
			}
			if err == nil && c == nil {
				t.Fatal("nil Crypto without error")
			}
		})
	}
}

func TestVerifyURL(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	good := func() url.Values {
		q := plainCallback(testToken, now.Unix(), "1372623149")
		q.Set("echostr", "8416791447025916467")
		return q
	}
	echo, err := c.VerifyURL(good(), now, 5*time.Minute)
	if err != nil || echo != "8416791447025916467" {
		t.Fatalf("VerifyURL = %q, %v", echo, err)
	}
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		now    time.Time
		skew   time.Duration
		want   error
	}{
		{"bad signature", func(q url.Values) { q.Set("signature", sign("other-token", q.Get("timestamp"), q.Get("nonce"))) }, now, time.Minute, ErrSignature},
		{"no signature", func(q url.Values) { q.Del("signature") }, now, time.Minute, ErrSignature},
		{"upper-case signature", func(q url.Values) { q.Set("signature", strings.ToUpper(q.Get("signature"))) }, now, time.Minute, ErrSignature},
		{"nonce changed", func(q url.Values) { q.Set("nonce", "1") }, now, time.Minute, ErrSignature},
		{"stale", func(url.Values) {}, now.Add(10 * time.Minute), 5 * time.Minute, ErrStale},
		{"future", func(url.Values) {}, now.Add(-10 * time.Minute), 5 * time.Minute, ErrStale},
		{"no echostr", func(q url.Values) { q.Del("echostr") }, now, time.Minute, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := good()
			tc.change(q)
			if _, err := c.VerifyURL(q, tc.now, tc.skew); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyURL: %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("skew check off", func(t *testing.T) {
		t.Parallel()
		if _, err := c.VerifyURL(good(), now.Add(1000*time.Hour), 0); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseCallbackPlain(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	m, mode, err := c.ParseCallback(plainCallback(testToken, now.Unix(), "42"), []byte(textXML), now, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if mode != ModePlain || m != textMessage {
		t.Fatalf("got %v %+v", mode, m)
	}
	// A plaintext-only account parses plaintext callbacks too.
	plainOnly, err := NewCrypto(testAppID, testToken, "")
	if err != nil {
		t.Fatal(err)
	}
	q := plainCallback(testToken, now.Unix(), "42")
	q.Set("encrypt_type", "raw")
	if m, _, err := plainOnly.ParseCallback(q, []byte(textXML), now, 5*time.Minute); err != nil || m != textMessage {
		t.Fatalf("got %+v, %v", m, err)
	}
}

func TestParseCallbackAES(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	q, body := aesCallback(t, testToken, testAppID, testKey, now.Unix(), "42", []byte(textXML))
	m, mode, err := c.ParseCallback(q, body, now, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if mode != ModeAES || m != textMessage {
		t.Fatalf("got %v %+v", mode, m)
	}
}

// The message kinds the channel handles, with WeChat's documented XML.
func TestParseCallbackKinds(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	head := `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o-1]]></FromUserName><CreateTime>1700000000</CreateTime>`
	base := Message{ToUserName: "gh_1", FromUserName: "o-1", CreateTime: 1700000000}
	with := func(f func(*Message)) Message { m := base; f(&m); return m }
	for _, tc := range []struct {
		name, xml string
		want      Message
	}{
		{"image", `<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[media1]]></MediaId><MsgId>1</MsgId>`,
			with(func(m *Message) {
				m.MsgType, m.PicURL, m.MediaID, m.MsgID = "image", "http://mmbiz.qpic.cn/x", "media1", 1
			})},
		{"voice", `<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media2]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[我要投诉噪音]]></Recognition><MsgId>2</MsgId>`,
			with(func(m *Message) {
				m.MsgType, m.MediaID, m.Format, m.Recognition, m.MsgID = "voice", "media2", "amr", "我要投诉噪音", 2
			})},
		{"location", `<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[广州市天河区]]></Label><MsgId>3</MsgId>`,
			with(func(m *Message) {
				m.MsgType, m.LocationX, m.LocationY, m.Scale, m.Label, m.MsgID = "location", 23.134521, 113.358803, 20, "广州市天河区", 3
			})},
		{"link", `<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[标题]]></Title><Description><![CDATA[描述]]></Description><Url><![CDATA[https://example.org/a?b=1&c=2]]></Url><MsgId>4</MsgId>`,
			with(func(m *Message) {
				m.MsgType, m.Title, m.Description, m.URL, m.MsgID = "link", "标题", "描述", "https://example.org/a?b=1&c=2", 4
			})},
		{"escaped text", `<MsgType>text</MsgType><Content>a &lt;b&gt; &amp; &#20320;</Content><MsgId>5</MsgId>`,
			with(func(m *Message) { m.MsgType, m.Content, m.MsgID = "text", "a <b> & 你", 5 })},
		{"subscribe", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>`,
			with(func(m *Message) { m.MsgType, m.Event = "event", "subscribe" })},
		{"menu click", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[HANDOFF]]></EventKey>`,
			with(func(m *Message) { m.MsgType, m.Event, m.EventKey = "event", "CLICK", "HANDOFF" })},
		{"unknown fields ignored", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]></Event><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType></ScanCodeInfo>`,
			with(func(m *Message) { m.MsgType, m.Event = "event", "scancode_push" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(head + tc.xml + `</xml>`)
			m, _, err := c.ParseCallback(plainCallback(testToken, now.Unix(), "7"), body, now, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if m != tc.want {
				t.Fatalf("got  %+v\nwant %+v", m, tc.want)
			}
		})
	}
}

// The official WXBizMsgCrypt sample: Tencent's C# Sample.cs for the
// 公众平台 (also the example of WeCom's encryption page,
// developer.work.weixin.qq.com/document/path/90968). Its ciphertext
// carries the AppID wx5823bf96d3bd56c7.
func TestParseCallbackOfficialSample(t *testing.T) {
	t.Parallel()
	c, err := NewCrypto("wx5823bf96d3bd56c7", "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{
		"msg_signature": {"477715d11cdb4164915debcba66cb864d751f3e6"},
		"timestamp":     {"1409659813"},
		"nonce":         {"1372623149"},
		"encrypt_type":  {"aes"},
	}
	body := []byte("<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt></xml>")
	m, mode, err := c.ParseCallback(q, body, time.Unix(1409659813, 0), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := Message{
		ToUserName:   "wx5823bf96d3bd56c7",
		FromUserName: "mycreate",
		CreateTime:   1409659813,
		MsgType:      "text",
		Content:      "hello",
		MsgID:        4561255354251345929,
	}
	if mode != ModeAES || m != want {
		t.Fatalf("got %v %+v", mode, m)
	}
	// Years later the same signed callback is a replay.
	if _, _, err := c.ParseCallback(q, body, time.Now(), 5*time.Minute); !errors.Is(err, ErrStale) {
		t.Fatalf("replayed sample: %v, want ErrStale", err)
	}
	// Another account with the same key and token does not accept it.
	other, _ := NewCrypto("wx0000000000000000", "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
	if _, _, err := other.ParseCallback(q, body, time.Unix(1409659813, 0), 5*time.Minute); !errors.Is(err, ErrAppID) {
		t.Fatalf("other AppID: %v, want ErrAppID", err)
	}
}

// The official account's own sample, compatible mode (the plaintext fields
// and Encrypt side by side): Tencent's Python Sample.py of the 公众平台
// message encryption kit (token spamtest, AppID wx2c2769f8efd9abc2).
const officialCompatBody = `<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>`

func TestParseCallbackOfficialCompatibleSample(t *testing.T) {
	t.Parallel()
	c, err := NewCrypto("wx2c2769f8efd9abc2", "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1409735669, 0)
	want := Message{
		ToUserName:   "gh_10f6c3c3ac5a",
		FromUserName: "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
		CreateTime:   1409735668,
		MsgType:      "text",
		Content:      "abcdteT",
		MsgID:        6054768590064713728,
	}
	q := url.Values{
		"msg_signature": {"5d197aaffba7e9b25a30732f161a50dee96bd5fa"},
		"timestamp":     {"1409735669"},
		"nonce":         {"1320562132"},
		"encrypt_type":  {"aes"},
	}
	m, mode, err := c.ParseCallback(q, []byte(officialCompatBody), at, 5*time.Minute)
	if err != nil || mode != ModeAES || m != want {
		t.Fatalf("got %v %+v, %v", mode, m, err)
	}
	// Only the signed ciphertext counts: a forged plaintext copy is ignored.
	forged := strings.Replace(officialCompatBody, "abcdteT", "转账给我", 1)
	if m, _, err := c.ParseCallback(q, []byte(forged), at, 5*time.Minute); err != nil || m.Content != "abcdteT" {
		t.Fatalf("forged plaintext copy: %+v, %v", m, err)
	}
	// The same account in plaintext mode: the signature over token,
	// timestamp and nonce, computed here; the body's plaintext fields.
	plain := url.Values{"signature": {sign("spamtest", "1409735669", "1320562132")}, "timestamp": {"1409735669"}, "nonce": {"1320562132"}}
	if got := plain.Get("signature"); got != "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a" {
		t.Fatalf("signature %s", got)
	}
	if m, mode, err := c.ParseCallback(plain, []byte(officialCompatBody), at, 5*time.Minute); err != nil || mode != ModePlain || m != want {
		t.Fatalf("plain: %v %+v, %v", mode, m, err)
	}
}

// billionLaughs is the classic entity-expansion attack.
const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o-1]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>`

const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_1</ToUserName><FromUserName>o-1</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>`

func TestParseCallbackErrors(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	plainOnly, err := NewCrypto(testAppID, testToken, "")
	if err != nil {
		t.Fatal(err)
	}
	const skew = 5 * time.Minute
	plain := func(body string) func() (url.Values, []byte) {
		return func() (url.Values, []byte) { return plainCallback(testToken, now.Unix(), "9"), []byte(body) }
	}
	aes := func(inner string) func() (url.Values, []byte) {
		return func() (url.Values, []byte) {
			return aesCallback(t, testToken, testAppID, testKey, now.Unix(), "9", []byte(inner))
		}
	}
	// signedEnvelope signs whatever Encrypt holds, so the failure is past
	// the signature.
	signedEnvelope := func(encrypt string) func() (url.Values, []byte) {
		return func() (url.Values, []byte) {
			ts := strconv.FormatInt(now.Unix(), 10)
			q := url.Values{"msg_signature": {sign(testToken, ts, "9", encrypt)}, "timestamp": {ts}, "nonce": {"9"}, "encrypt_type": {"aes"}}
			return q, []byte("<xml><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>")
		}
	}
	for _, tc := range []struct {
		name   string
		crypto *Crypto
		req    func() (url.Values, []byte)
		now    time.Time
		want   error
	}{
		{"plain: bad signature", c, func() (url.Values, []byte) {
			q := plainCallback("not-the-token", now.Unix(), "9")
			return q, []byte(textXML)
		}, now, ErrSignature},
		{"plain: no signature", c, func() (url.Values, []byte) {
			q := plainCallback(testToken, now.Unix(), "9")
			q.Del("signature")
			return q, []byte(textXML)
		}, now, ErrSignature},
		{"plain: timestamp changed", c, func() (url.Values, []byte) {
			q := plainCallback(testToken, now.Unix(), "9")
			q.Set("timestamp", strconv.FormatInt(now.Unix()+1, 10))
			return q, []byte(textXML)
		}, now, ErrSignature},
		{"plain: stale", c, plain(textXML), now.Add(skew + time.Second), ErrStale},
		{"plain: future beyond skew", c, plain(textXML), now.Add(-skew - time.Second), ErrStale},
		{"plain: control, valid", c, func() (url.Values, []byte) {
			return plainCallback(testToken, now.Unix(), "9"), []byte(textXML)
		}, now, nil}, // control: the same request is fine
		{"plain: empty body", c, plain(""), now, ErrMalformed},
		{"plain: whitespace body", c, plain(" \n "), now, ErrMalformed},
		{"plain: not XML", c, plain(`{"MsgType":"text"}`), now, ErrMalformed},
		{"plain: truncated", c, plain(textXML[:len(textXML)-10]), now, ErrMalformed},
		{"plain: wrong root", c, plain(strings.ReplaceAll(textXML, "xml>", "msg>")), now, ErrMalformed},
		{"plain: two roots", c, plain(textXML + textXML), now, ErrMalformed},
		{"plain: text after root", c, plain(textXML + "junk"), now, ErrMalformed},
		{"plain: no FromUserName", c, plain(strings.Replace(textXML, "<FromUserName><![CDATA[o-citizen]]></FromUserName>", "", 1)), now, ErrMalformed},
		{"plain: no MsgType", c, plain(strings.Replace(textXML, "<MsgType><![CDATA[text]]></MsgType>", "", 1)), now, ErrMalformed},
		{"plain: no CreateTime", c, plain(strings.Replace(textXML, "<CreateTime>1700000000</CreateTime>", "", 1)), now, ErrMalformed},
		{"plain: CreateTime not a number", c, plain(strings.Replace(textXML, "1700000000", "yesterday", 1)), now, ErrMalformed},
		{"plain: event without Event", c, plain(strings.Replace(strings.Replace(textXML, "[text]", "[event]", 1), "<Content>", "<X>", 1)), now, ErrMalformed},
		{"plain: undeclared entity", c, plain(strings.Replace(textXML, "<![CDATA[小区", "&nbsp;<![CDATA[小区", 1)), now, ErrMalformed},
		{"plain: billion laughs", c, plain(billionLaughs), now, ErrMalformed},
		{"plain: external entity", c, plain(xxe), now, ErrMalformed},
		{"plain: DOCTYPE without entities", c, plain(`<!DOCTYPE xml>` + textXML), now, ErrMalformed},
		{"plain: DOCTYPE inside root", c, plain(strings.Replace(textXML, "<xml>", "<xml><!DOCTYPE x>", 1)), now, ErrMalformed},
		{"plain: GBK declared", c, plain(`<?xml version="1.0" encoding="GBK"?>` + textXML), now, ErrMalformed},
		{"unknown encrypt_type", c, func() (url.Values, []byte) {
			q := plainCallback(testToken, now.Unix(), "9")
			q.Set("encrypt_type", "des")
			return q, []byte(textXML)
		}, now, ErrMalformed},

		{"aes: no key configured", plainOnly, aes(textXML), now, ErrNoKey},
		{"aes: bad msg_signature", c, func() (url.Values, []byte) {
			return aesCallback(t, "not-the-token", testAppID, testKey, now.Unix(), "9", []byte(textXML))
		}, now, ErrSignature},
		{"aes: only the plaintext signature", c, func() (url.Values, []byte) {
			q, body := aesCallback(t, testToken, testAppID, testKey, now.Unix(), "9", []byte(textXML))
			q.Del("msg_signature")
			return q, body
		}, now, ErrSignature},
		{"aes: stale", c, aes(textXML), now.Add(skew + time.Second), ErrStale},
		{"aes: future beyond skew", c, aes(textXML), now.Add(-skew - time.Second), ErrStale},
		{"aes: wrong AppID", c, func() (url.Values, []byte) {
			return aesCallback(t, testToken, "wx_other_account", testKey, now.Unix(), "9", []byte(textXML))
		}, now, ErrAppID},
		{"aes: other key", c, func() (url.Values, []byte) {
			return aesCallback(t, testToken, testAppID, "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg", now.Unix(), "9", []byte(textXML))
		}, now, nil}, // checked below: ErrMalformed or, by chance, ErrAppID
		{"aes: empty body", c, func() (url.Values, []byte) {
			q, _ := aesCallback(t, testToken, testAppID, testKey, now.Unix(), "9", []byte(textXML))
			return q, nil
		}, now, ErrMalformed},
		{"aes: no Encrypt", c, signedEnvelope(""), now, ErrMalformed},
		{"aes: Encrypt not base64", c, signedEnvelope("not base64 at all!"), now, ErrMalformed},
		{"aes: Encrypt too short", c, signedEnvelope("AAAA"), now, ErrMalformed},
		{"aes: Encrypt not whole blocks", c, signedEnvelope(strings.Repeat("A", 64)), now, ErrMalformed},
		{"aes: bad padding", c, signedEnvelope(strings.Repeat("A", 44)), now, ErrMalformed},
		{"aes: envelope billion laughs", c, func() (url.Values, []byte) {
			q, _ := aesCallback(t, testToken, testAppID, testKey, now.Unix(), "9", []byte(textXML))
			return q, []byte(billionLaughs)
		}, now, ErrMalformed},
		{"aes: inner billion laughs", c, aes(billionLaughs), now, ErrMalformed},
		{"aes: inner external entity", c, aes(xxe), now, ErrMalformed},
		{"aes: inner not XML", c, aes("hello"), now, ErrMalformed},
		{"aes: inner empty", c, aes(""), now, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, body := tc.req()
			start := time.Now()
			_, _, err := tc.crypto.ParseCallback(q, body, tc.now, skew)
			if elapsed := time.Since(start); elapsed > 100*time.Millisecond {
				t.Errorf("took %v", elapsed)
			}
			switch {
			case tc.name == "aes: other key":
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrAppID) {
					t.Fatalf("err %v, want ErrMalformed or ErrAppID", err)
				}
			case tc.want == nil:
				if err != nil {
					t.Fatalf("err %v, want none", err)
				}
			case !errors.Is(err, tc.want):
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "小区") || strings.Contains(err.Error(), "lol")) {
				t.Errorf("error %q shows message content", err)
			}
		})
	}
}

func TestParseCallbackTimestampChecks(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	const skew = 5 * time.Minute
	for _, tc := range []struct {
		name string
		at   time.Time
		skew time.Duration
		want error
	}{
		{"exactly at skew, past", now.Add(skew), skew, nil},
		{"exactly at skew, future", now.Add(-skew), skew, nil},
		{"one second stale", now.Add(skew + time.Second), skew, ErrStale},
		{"one second early", now.Add(-skew - time.Second), skew, ErrStale},
		{"check off", now.Add(24 * 365 * time.Hour), 0, nil},
		{"check off, negative", now.Add(-24 * 365 * time.Hour), -1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := c.ParseCallback(plainCallback(testToken, now.Unix(), "1"), []byte(textXML), tc.at, tc.skew)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	// A signed but unusable timestamp.
	for _, ts := range []string{"", "soon", "99999999999999999999"} {
		q := url.Values{"signature": {sign(testToken, ts, "1")}, "timestamp": {ts}, "nonce": {"1"}}
		if _, _, err := c.ParseCallback(q, []byte(textXML), now, skew); !errors.Is(err, ErrMalformed) {
			t.Errorf("timestamp %q: %v, want ErrMalformed", ts, err)
		}
		if _, _, err := c.ParseCallback(q, []byte(textXML), now, 0); err != nil {
			t.Errorf("timestamp %q, check off: %v", ts, err)
		}
	}
	// Extreme timestamps neither overflow nor pass.
	for _, sec := range []int64{-1 << 62, 1 << 62} {
		q := plainCallback(testToken, sec, "1")
		if _, _, err := c.ParseCallback(q, []byte(textXML), now, skew); !errors.Is(err, ErrStale) {
			t.Errorf("timestamp %d: %v, want ErrStale", sec, err)
		}
	}
}

func TestBillionLaughsIsFast(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	// Deeper than the classic: expanded it would be 10^20 "lol"s.
	var b strings.Builder
	b.WriteString(`<!DOCTYPE lolz [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString(`]><xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol20;</Content></xml>`)
	body := []byte(b.String())
	start := time.Now()
	for range 100 {
		if _, _, err := c.ParseCallback(plainCallback(testToken, now.Unix(), "1"), body, now, time.Minute); !errors.Is(err, ErrMalformed) {
			t.Fatalf("err %v, want ErrMalformed", err)
		}
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("100 rejections took %v", elapsed)
	}
}

func TestErrorsCarryNoContent(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	const secret = "身份证号110101199003077777"
	bodies := []string{
		strings.Replace(textXML, "1700000000", secret, 1),                          // number field
		strings.Replace(textXML, "<MsgId>", "<"+secret+">", 1),                     // element name
		strings.Replace(textXML, "<MsgType><![CDATA[text]]></MsgType>", secret, 1), // stray text, missing field
		strings.Replace(textXML, "</xml>", "&"+secret+";</xml>", 1),                // entity
		"<xml>" + secret,
		"<!DOCTYPE " + secret + ">" + textXML,
	}
	for i, body := range bodies {
		for _, aes := range []bool{false, true} {
			var q url.Values
			var b []byte
			if aes {
				q, b = aesCallback(t, testToken, testAppID, testKey, now.Unix(), "1", []byte(body))
			} else {
				q, b = plainCallback(testToken, now.Unix(), "1"), []byte(body)
			}
			_, _, err := c.ParseCallback(q, b, now, time.Minute)
			if err == nil {
				t.Fatalf("body %d aes=%v: no error", i, aes)
			}
			if strings.Contains(err.Error(), "110101") {
				t.Errorf("body %d aes=%v: error %q shows content", i, aes, err)
			}
		}
	}
}

// replyEnvelope is the encrypted passive reply, read independently.
type replyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      string   `xml:"Encrypt"`
	MsgSignature string   `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        string   `xml:"Nonce"`
}

func TestTextReplyPlain(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	for _, text := range []string{
		"您好，已为您登记。",
		"CDATA end ]]> inside, twice ]]>]]> and <tags> & entities &amp;",
		"]]>",
		"多行\n第二行\r\n\t缩进",
	} {
		out, err := c.TextReply(ModePlain, textMessage, text, now)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out, []byte("<xml><ToUserName><![CDATA[o-citizen]]></ToUserName><FromUserName><![CDATA[gh_0123456789ab]]></FromUserName><CreateTime>1700000003</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[")) {
			t.Fatalf("reply %s", out)
		}
		var got struct {
			XMLName      xml.Name `xml:"xml"`
			ToUserName   string
			FromUserName string
			CreateTime   int64
			MsgType      string
			Content      string
		}
		if err := xml.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		want := strings.ReplaceAll(text, "\r\n", "\n") // as every XML parser reads it
		if got.ToUserName != "o-citizen" || got.FromUserName != "gh_0123456789ab" || got.CreateTime != now.Unix() || got.MsgType != "text" || got.Content != want {
			t.Fatalf("text %q: got %+v", text, got)
		}
	}
}

func TestTextReplyAES(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	in := textMessage
	text := "您好，路灯报修已受理，工单号 A-20240101-0001。]]>"
	out, err := c.TextReply(ModeAES, in, text, now)
	if err != nil {
		t.Fatal(err)
	}
	var env replyEnvelope
	if err := xml.Unmarshal(out, &env); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if env.TimeStamp != "1700000003" || env.Nonce == "" {
		t.Fatalf("envelope %+v", env)
	}
	if want := sign(testToken, env.TimeStamp, env.Nonce, env.Encrypt); env.MsgSignature != want {
		t.Fatalf("MsgSignature %s, want %s", env.MsgSignature, want)
	}
	_, inner, err := util.DecryptMsg(testAppID, env.Encrypt, testKey)
	if err != nil {
		t.Fatal(err)
	}
	// The decrypted reply is a message our own parser reads back.
	m, err := parseMessage(inner)
	if err != nil {
		t.Fatalf("%s: %v", inner, err)
	}
	want := Message{ToUserName: in.FromUserName, FromUserName: in.ToUserName, CreateTime: now.Unix(), MsgType: "text", Content: text}
	if m != want {
		t.Fatalf("got %+v", m)
	}
	// And the envelope passes as a callback: what WeChat does with it.
	q := url.Values{"msg_signature": {env.MsgSignature}, "timestamp": {env.TimeStamp}, "nonce": {env.Nonce}, "encrypt_type": {"aes"}}
	if m2, _, err := c.ParseCallback(q, out, now, time.Minute); err != nil || m2 != want {
		t.Fatalf("round trip %+v, %v", m2, err)
	}
	// A fresh nonce and random prefix every time.
	out2, err := c.TextReply(ModeAES, in, text, now)
	if err != nil {
		t.Fatal(err)
	}
	var env2 replyEnvelope
	if err := xml.Unmarshal(out2, &env2); err != nil {
		t.Fatal(err)
	}
	if env2.Nonce == env.Nonce || env2.Encrypt == env.Encrypt {
		t.Fatal("nonce or ciphertext repeated")
	}
}

func TestTextReplyErrors(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	plainOnly, _ := NewCrypto(testAppID, testToken, "")
	if _, err := plainOnly.TextReply(ModeAES, textMessage, "你好", now); !errors.Is(err, ErrNoKey) {
		t.Errorf("AES without key: %v", err)
	}
	if _, err := c.TextReply(ModePlain, textMessage, strings.Repeat("好", TextLimit/3+1), now); !errors.Is(err, ErrTooLong) {
		t.Errorf("too long: %v", err)
	}
	if _, err := c.TextReply(ModePlain, textMessage, strings.Repeat("好", TextLimit/3), now); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	for _, text := range []string{"", " \n", "\x00\x01"} {
		if _, err := c.TextReply(ModePlain, textMessage, text, now); err == nil {
			t.Errorf("text %q: no error", text)
		}
	}
	if _, err := c.TextReply(Mode(7), textMessage, "你好", now); err == nil {
		t.Error("unknown mode: no error")
	}
}

func TestTextReplyDropsWhatXMLCannotCarry(t *testing.T) {
	t.Parallel()
	c := newTestCrypto(t)
	out, err := c.TextReply(ModePlain, textMessage, "a\x00b\x1bc\xffd\uFFFEe好\t", now)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Content string
	}
	if err := xml.Unmarshal(out, &got); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if got.Content != "abcde好\t" {
		t.Fatalf("content %q", got.Content)
	}
}

// The official Java sample's encryption test (WXBizMsgCryptTest of the
// 公众平台 kit): a fixed random prefix gives a fixed ciphertext.
func TestSealOfficialSample(t *testing.T) {
	t.Parallel()
	c, err := NewCrypto("wxb11529c136998cb6", "pamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.seal([]byte("我是中文abcd123"), []byte("aaaabbbbccccdddd"), "1409304348", "xxxxxx")
	if err != nil {
		t.Fatal(err)
	}
	var env replyEnvelope
	if err := xml.Unmarshal(out, &env); err != nil {
		t.Fatal(err)
	}
	const want = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	if env.Encrypt != want {
		t.Fatalf("Encrypt %s, want %s", env.Encrypt, want)
	}
	if env.MsgSignature != sign("pamtest", "1409304348", "xxxxxx", want) || env.TimeStamp != "1409304348" || env.Nonce != "xxxxxx" {
		t.Fatalf("envelope %+v", env)
	}
	if !bytes.Equal(out, []byte("<xml><Encrypt><![CDATA["+want+"]]></Encrypt><MsgSignature><![CDATA["+env.MsgSignature+"]]></MsgSignature><TimeStamp>1409304348</TimeStamp><Nonce><![CDATA[xxxxxx]]></Nonce></xml>")) {
		t.Fatalf("envelope layout %s", out)
	}
}

func TestDedupeKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		m    Message
		want string
	}{
		{textMessage, "msg:24371234567890123"},
		{Message{FromUserName: "o-1", CreateTime: 1700000000, MsgType: "event", Event: "subscribe"}, "evt:o-1:1700000000:subscribe"},
		{Message{FromUserName: "o-1", CreateTime: 1700000000, MsgType: "event", Event: "CLICK", EventKey: "K"}, "evt:o-1:1700000000:CLICK"},
		{Message{FromUserName: "o-1", CreateTime: 1700000000, MsgType: "image"}, "msg:o-1:1700000000:image"},
	} {
		if got := DedupeKey(tc.m); got != tc.want {
			t.Errorf("DedupeKey(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
	// A retry is the same key; another citizen's event at the same second is not.
	a := Message{FromUserName: "o-1", CreateTime: 1, MsgType: "event", Event: "subscribe"}
	b := a
	b.FromUserName = "o-2"
	if DedupeKey(a) != DedupeKey(a) || DedupeKey(a) == DedupeKey(b) {
		t.Error("event keys")
	}
}

func TestModeString(t *testing.T) {
	t.Parallel()
	if ModePlain.String() != "plain" || ModeAES.String() != "aes" || Mode(9).String() != "Mode(9)" {
		t.Error(ModePlain, ModeAES, Mode(9))
	}
}

// FuzzParseCallback checks that no input panics and that every failure is
// one of the protocol errors. The requests are signed (and encrypted)
// properly so that the fuzzer reaches the XML and the decryption, not just
// the signature check.
func FuzzParseCallback(f *testing.F) {
	f.Add(uint8(0), []byte(textXML))
	f.Add(uint8(1), []byte(textXML))
	f.Add(uint8(2), []byte("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="))
	f.Add(uint8(3), []byte(officialCompatBody))
	f.Add(uint8(0), []byte(billionLaughs))
	f.Add(uint8(1), []byte(xxe))
	f.Add(uint8(0), []byte(`<xml><MsgType>event</MsgType></xml>`))
	f.Add(uint8(0), []byte(`<xml><CreateTime>1e9</CreateTime><Location_X>NaN</Location_X></xml>`))
	f.Add(uint8(2), []byte("AAAA"))
	f.Add(uint8(0), []byte(""))
	c := newTestCrypto(f)
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		ts := strconv.FormatInt(now.Unix(), 10)
		var q url.Values
		var body []byte
		switch kind % 4 {
		case 0: // plaintext body
			q, body = plainCallback(testToken, now.Unix(), "5"), data
		case 1: // a properly encrypted inner message
			q, body = aesCallback(t, testToken, testAppID, testKey, now.Unix(), "5", data)
		case 2: // Encrypt holds anything, signed
			enc := string(data)
			q = url.Values{"msg_signature": {sign(testToken, ts, "5", enc)}, "timestamp": {ts}, "nonce": {"5"}, "encrypt_type": {"aes"}}
			var b bytes.Buffer
			b.WriteString("<xml><Encrypt>")
			_ = xml.EscapeText(&b, data)
			b.WriteString("</Encrypt></xml>")
			body = b.Bytes()
		case 3: // the envelope itself, unsigned
			q, body = url.Values{"msg_signature": {"x"}, "timestamp": {ts}, "nonce": {"5"}, "encrypt_type": {"aes"}}, data
		}
		m, _, err := c.ParseCallback(q, body, now, time.Minute)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrAppID) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if m.FromUserName == "" || m.ToUserName == "" || m.MsgType == "" || m.CreateTime <= 0 {
			t.Fatalf("accepted incomplete message %+v", m)
		}
		if DedupeKey(m) == "" {
			t.Fatal("empty dedupe key")
		}
	})
}
