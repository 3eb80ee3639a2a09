package wechattest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// WeChat's published WXBizMsgCrypt samples. They fix token, key, AppID,
// timestamp, nonce, signature and ciphertext, so they pin Signature,
// Encrypt and Decrypt to WeChat's own code byte for byte. The random
// prefixes are not in the samples: they are what decrypting the sample
// ciphertexts gives (ASCII digits and letters, as the samples' generators
// make them), and encrypting again with them must give the sample back.
var samples = []struct {
	name, source                     string
	token, encodingAESKey, appID     string
	timestamp, nonce, signature, enc string
	random                           string
	plain                            string
}{
	{
		// The official account platform's message encryption sample code
		// (公众平台 消息加解密 示例代码, Python Sample.py, Tencent 2014),
		// decryption test of a compatible-mode text message; copied in many
		// public repositories, e.g. charlesXu86/Chatbot_CN
		// Chatbot_Web/impl/weixin/Sample.py. The plaintext is as the sample's
		// decryptor prints it.
		name:           "official account Sample.py",
		token:          "spamtest",
		encodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		appID:          "wx2c2769f8efd9abc2",
		timestamp:      "1409735669",
		nonce:          "1320562132",
		signature:      "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
		enc:            "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=",
		random:         "89465c840c5f116f",
		plain: "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n" +
			"<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n" +
			"<CreateTime>1409735668</CreateTime>\n" +
			"<MsgType><![CDATA[text]]></MsgType>\n" +
			"<Content><![CDATA[abcdteT]]></Content>\n" +
			"<MsgId>6054768590064713728</MsgId>\n" +
			"</xml>",
	},
	{
		// WXBizMsgCrypt sample code with token "QDG6eK" (C# Sample.cs, Go
		// sample.go in Tencent's sbzhu/weworkapi_golang, and the encryption
		// guide developer.work.weixin.qq.com/document/path/90968, which also
		// prints this plaintext): DecryptMsg of a POSTed message. The scheme
		// is the official account's; "wx5823bf96d3bd56c7" is the AppID
		// (receiveid) the ciphertext ends with.
		name:           "WXBizMsgCrypt DecryptMsg sample",
		token:          "QDG6eK",
		encodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
		appID:          "wx5823bf96d3bd56c7",
		timestamp:      "1409659813",
		nonce:          "1372623149",
		signature:      "477715d11cdb4164915debcba66cb864d751f3e6",
		enc:            "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==",
		random:         "0960688932c47ef1",
		plain: "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n" +
			"<FromUserName><![CDATA[mycreate]]></FromUserName>\n" +
			"<CreateTime>1409659813</CreateTime>\n" +
			"<MsgType><![CDATA[text]]></MsgType>\n" +
			"<Content><![CDATA[hello]]></Content>\n" +
			"<MsgId>4561255354251345929</MsgId>\n" +
			"<AgentID>218</AgentID>\n" +
			"</xml>",
	},
	{
		// The same sample code's VerifyURL example (sample.go above): the
		// signed, encrypted echostr decrypts to "1616140317555161061".
		name:           "WXBizMsgCrypt VerifyURL sample",
		token:          "QDG6eK",
		encodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
		appID:          "wx5823bf96d3bd56c7",
		timestamp:      "1409659589",
		nonce:          "263014780",
		signature:      "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
		enc:            "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
		random:         "c41b64491c2468d0",
		plain:          "1616140317555161061",
	},
}

func TestWXBizMsgCryptSamples(t *testing.T) {
	t.Parallel()
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			if got := Signature(s.token, s.timestamp, s.nonce, s.enc); got != s.signature {
				t.Errorf("Signature = %s, want %s", got, s.signature)
			}
			key, err := AESKey(s.encodingAESKey)
			if err != nil {
				t.Fatal(err)
			}
			random, msg, appID, err := Decrypt(key, s.enc)
			if err != nil {
				t.Fatal(err)
			}
			if string(random[:]) != s.random || string(msg) != s.plain || appID != s.appID {
				t.Errorf("Decrypt = %q, %q, %q; want %q, %q, %q", random, msg, appID, s.random, s.plain, s.appID)
			}
			var r [16]byte
			copy(r[:], s.random)
			enc, err := Encrypt(key, r, []byte(s.plain), s.appID)
			if err != nil {
				t.Fatal(err)
			}
			if enc != s.enc {
				t.Errorf("Encrypt with the sample's random prefix =\n%s\nwant\n%s", enc, s.enc)
			}
		})
	}
}

// The official account sample, end to end through Callback: the message
// built from the sample's fields renders the sample's plaintext exactly,
// and the compatible-mode callback carries the sample's msg_signature and
// Encrypt.
func TestCallbackReproducesOfficialSample(t *testing.T) {
	t.Parallel()
	s := samples[0]
	p, err := New(Config{Token: s.token, EncodingAESKey: s.encodingAESKey, AppID: s.appID, Account: "gh_10f6c3c3ac5a"})
	if err != nil {
		t.Fatal(err)
	}
	m := Message{
		ToUserName: "gh_10f6c3c3ac5a", FromUserName: "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
		CreateTime: 1409735668, MsgType: "text", Content: "abcdteT", MsgID: 6054768590064713728,
	}
	if got := string(m.XML()); got != s.plain {
		t.Fatalf("XML =\n%s\nwant\n%s", got, s.plain)
	}
	var r [16]byte
	copy(r[:], s.random)
	for _, mode := range []Mode{Compatible, Safe} {
		cb := p.Callback(mode, m, WithTimestamp(unix(1409735669)), WithNonce(s.nonce), WithRandom(r))
		if cb.Encrypt != s.enc {
			t.Errorf("%v: Encrypt = %s, want the sample's", mode, cb.Encrypt)
		}
		if got := cb.Query.Get("msg_signature"); got != s.signature {
			t.Errorf("%v: msg_signature = %s, want %s", mode, got, s.signature)
		}
		if !bytes.Contains(cb.Body, []byte("<Encrypt><![CDATA["+s.enc+"]]></Encrypt>")) {
			t.Errorf("%v: body does not carry the sample's Encrypt:\n%s", mode, cb.Body)
		}
	}
}

func TestSignatureKnownAnswers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		parts []string
		want  string
	}{
		// Sorted and joined this is "123456789", whose SHA-1 is the
		// standard check value f7c3bc1d…; wechatpy's tests use it for the
		// callback signature.
		{[]string{"789", "456", "123"}, "f7c3bc1d808e04732adf679965ccc34ca7ae3441"},
		// SHA-1 of "" (no parts).
		{nil, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		// Sorting is bytewise: "Q" (0x51) sorts before "R" and after digits,
		// as in the QDG6eK sample's worked example.
		{[]string{"QDG6eK", "1409659813", "1372623149"}, sha1Hex("13726231491409659813QDG6eK")},
	} {
		if got := Signature(c.parts...); got != c.want {
			t.Errorf("Signature(%q) = %s, want %s", c.parts, got, c.want)
		}
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	t.Parallel()
	key, err := AESKey("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	if err != nil {
		t.Fatal(err)
	}
	// Lengths around the 32-byte padding boundary: 20 + len(msg) + len(appID).
	appID := "wx0123456789abcdef" // 18 bytes
	for n := range 100 {
		msg := bytes.Repeat([]byte("消"), n)[:n]
		var r [16]byte
		copy(r[:], randomBytes(16))
		enc, err := Encrypt(key, r, msg, appID)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(enc)
		total := 20 + n + len(appID)
		if want := total + 32 - total%32; len(raw) != want {
			t.Fatalf("n=%d: ciphertext %d bytes, want %d (PKCS#7 to 32)", n, len(raw), want)
		}
		gotR, gotMsg, gotApp, err := Decrypt(key, enc)
		if err != nil || gotR != r || !bytes.Equal(gotMsg, msg) || gotApp != appID {
			t.Fatalf("n=%d: round trip = %x %q %q %v", n, gotR, gotMsg, gotApp, err)
		}
	}
}

func TestDecryptRejects(t *testing.T) {
	t.Parallel()
	key, _ := AESKey("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	other, _ := AESKey("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
	good, _ := Encrypt(key, [16]byte{}, []byte("<xml/>"), "wx1")
	raw, _ := base64.StdEncoding.DecodeString(good)
	// A 16-byte-padded ciphertext: valid AES, but not WeChat's padding.
	short := base64.StdEncoding.EncodeToString(raw[:16])
	for name, enc := range map[string]string{
		"not base64":     "not base64!",
		"empty":          "",
		"16-byte blocks": short,
		"wrong key":      mustEncrypt(t, other, "<xml/>"),
		"truncated":      base64.StdEncoding.EncodeToString(raw[:len(raw)-32]),
	} {
		if _, _, _, err := Decrypt(key, enc); !errors.Is(err, ErrCiphertext) {
			t.Errorf("%s: err = %v, want ErrCiphertext", name, err)
		}
	}
}

func TestAESKeyRejects(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"", "short", strings.Repeat("a", 44), strings.Repeat("!", 43)} {
		if _, err := AESKey(k); err == nil {
			t.Errorf("AESKey(%q) succeeded", k)
		}
	}
	if _, err := New(Config{EncodingAESKey: "short"}); err == nil {
		t.Error("New accepted a short EncodingAESKey")
	}
}

func FuzzDecrypt(f *testing.F) {
	key, _ := AESKey("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	for _, s := range samples {
		f.Add(s.enc)
	}
	f.Add(mustEncrypt(f, key, "<xml><Content><![CDATA[x]]></Content></xml>"))
	f.Fuzz(func(t *testing.T, enc string) {
		r, msg, appID, err := Decrypt(key, enc)
		if err != nil {
			return
		}
		// Whatever decrypts must encrypt back to itself.
		again, err := Encrypt(key, r, msg, appID)
		if err != nil {
			t.Fatal(err)
		}
		if _, msg2, appID2, err := Decrypt(key, again); err != nil || !bytes.Equal(msg, msg2) || appID != appID2 {
			t.Fatalf("re-encryption does not round-trip: %v", err)
		}
	})
}
