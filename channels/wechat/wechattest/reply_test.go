package wechattest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// textReply is a text reply from the account to openID, as the channel
// writes it.
func textReply(p *Platform, to, content string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content></xml>",
		to, p.Config().Account, content)
}

// seal wraps a reply in the encrypted envelope as WXBizMsgCrypt's
// EncryptMsg does, with the given token, AppID and key.
func seal(t testing.TB, token, appID string, key []byte, inner string) string {
	t.Helper()
	var r [16]byte
	copy(r[:], randomBytes(16))
	enc, err := Encrypt(key, r, []byte(inner), appID)
	if err != nil {
		t.Fatal(err)
	}
	const ts, nonce = "1700000000", "123456"
	return fmt.Sprintf("<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature>"+
		"<TimeStamp>%s</TimeStamp><Nonce><![CDATA[%s]]></Nonce></xml>", enc, Signature(token, ts, nonce, enc), ts, nonce)
}

func TestReadReply(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{MaxTextBytes: 60})
	cfg := p.Config()
	key, _ := AESKey(cfg.EncodingAESKey)
	otherKey, _ := AESKey(newPlatform(t, Config{}).Config().EncodingAESKey)
	good := textReply(p, "oA", "您好，请问有什么可以帮您？")
	sealed := seal(t, cfg.Token, cfg.AppID, key, good)

	type want struct {
		none, encrypted bool
		err             error
		mention         string // the error must name this
	}
	for _, c := range []struct {
		name string
		mode Mode
		body string
		want want
	}{
		{"success", Safe, "success", want{none: true}},
		{"empty", Plaintext, "", want{none: true}},
		{"plaintext", Plaintext, good, want{}},
		{"safe", Safe, sealed, want{encrypted: true}},
		{"compatible encrypted", Compatible, sealed, want{encrypted: true}},
		{"compatible plaintext", Compatible, good, want{}},
		{"success with newline", Plaintext, "success\n", want{err: ErrReply, mention: "not XML"}},
		{"plaintext in safe mode", Safe, good, want{err: ErrReply, mention: "no Encrypt"}},
		{"encrypted in plaintext mode", Plaintext, sealed, want{err: ErrReply, mention: "Encrypt envelope"}},
		{"wrong token", Safe, seal(t, "other", cfg.AppID, key, good), want{err: ErrSignature, mention: "MsgSignature"}},
		{"wrong AppID", Safe, seal(t, cfg.Token, "wxother", key, good), want{err: ErrAppID, mention: "wxother"}},
		{"wrong key", Safe, seal(t, cfg.Token, cfg.AppID, otherKey, good), want{err: ErrCiphertext}},
		{"tampered signature", Safe, strings.Replace(sealed, "<MsgSignature><![CDATA[", "<MsgSignature><![CDATA[0", 1), want{err: ErrSignature}},
		{"no nonce", Safe, strings.Replace(sealed, "<Nonce><![CDATA[123456]]></Nonce>", "", 1), want{err: ErrReply, mention: "Nonce"}},
		{"bad timestamp", Safe, strings.Replace(sealed, "<TimeStamp>1700000000", "<TimeStamp>x", 1), want{err: ErrReply, mention: "TimeStamp"}},
		{"safe envelope leaks plaintext", Safe, strings.Replace(sealed, "</xml>", "<Content>hi</Content></xml>", 1), want{err: ErrReply, mention: "plaintext Content"}},
		{"wrong FromUserName", Plaintext, strings.Replace(good, cfg.Account, "gh_other", 1), want{err: ErrReply, mention: "FromUserName"}},
		{"no ToUserName", Plaintext, strings.Replace(good, "<ToUserName><![CDATA[oA]]></ToUserName>", "", 1), want{err: ErrReply, mention: "ToUserName"}},
		{"bad CreateTime", Plaintext, strings.Replace(good, "1700000000", "soon", 1), want{err: ErrReply, mention: "CreateTime"}},
		{"empty text", Plaintext, textReply(p, "oA", ""), want{err: ErrReply, mention: "Content"}},
		{"text too long", Plaintext, textReply(p, "oA", strings.Repeat("长", 21)), want{err: ErrReply, mention: "63 bytes, limit 60"}},
		{"unknown MsgType", Plaintext, strings.Replace(good, "[text]", "[markdown]", 1), want{err: ErrReply, mention: "markdown"}},
		{"not XML", Plaintext, "OK", want{err: ErrReply, mention: "not XML"}},
		{"wrong root", Plaintext, strings.ReplaceAll(good, "xml>", "reply>"), want{err: ErrReply, mention: "<reply>"}},
		{"trailing content", Plaintext, good + "<xml/>", want{err: ErrReply, mention: "after </xml>"}},
		{"doctype", Plaintext, `<!DOCTYPE xml [<!ENTITY a "aaaa">]>` + good, want{err: ErrReply, mention: "DOCTYPE"}},
		{"undefined entity", Plaintext, strings.Replace(good, "<CreateTime>", "<CreateTime>&a;", 1), want{err: ErrReply}},
		{"encrypted empty message", Safe, seal(t, cfg.Token, cfg.AppID, key, ""), want{err: ErrReply, mention: "decrypted reply"}},
		{"encrypted DOCTYPE inside", Safe, seal(t, cfg.Token, cfg.AppID, key, `<!DOCTYPE x>`+good), want{err: ErrReply, mention: "DOCTYPE"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := p.ReadReply(c.mode, []byte(c.body))
			if c.want.err != nil {
				if !errors.Is(err, c.want.err) || !strings.Contains(fmt.Sprint(err), c.want.mention) {
					t.Fatalf("err = %v, want %v naming %q", err, c.want.err, c.want.mention)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.None != c.want.none || r.Encrypted != c.want.encrypted {
				t.Fatalf("reply = %+v", r)
			}
			if !r.None && (r.ToUserName != "oA" || r.FromUserName != cfg.Account || r.MsgType != "text" ||
				r.Content != "您好，请问有什么可以帮您？" || r.CreateTime != 1700000000 || string(r.XML) != good) {
				t.Fatalf("reply = %+v", r)
			}
		})
	}
}

func TestCallbackReadReplyChecksAddressee(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	cb := p.Callback(Plaintext, p.Text("oA", "x"))
	if _, err := cb.ReadReply([]byte(textReply(p, "oA", "ok"))); err != nil {
		t.Fatal(err)
	}
	if _, err := cb.ReadReply([]byte(textReply(p, "oB", "ok"))); !errors.Is(err, ErrReply) || !strings.Contains(err.Error(), "oB") {
		t.Fatalf("reply to someone else: err = %v", err)
	}
}

func FuzzReadReply(f *testing.F) {
	p, err := New(Config{Token: "t", EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", AppID: "wx1", Account: "gh_1"})
	if err != nil {
		f.Fatal(err)
	}
	key, _ := AESKey(p.Config().EncodingAESKey)
	good := textReply(p, "oA", "hi")
	f.Add(uint8(Plaintext), []byte(good))
	f.Add(uint8(Safe), []byte(seal(f, "t", "wx1", key, good)))
	f.Add(uint8(Compatible), []byte("success"))
	f.Fuzz(func(t *testing.T, mode uint8, body []byte) {
		r, err := p.ReadReply(Mode(mode%3), body)
		if err != nil {
			return
		}
		if !r.None && (r.FromUserName != "gh_1" || r.ToUserName == "" || r.MsgType == "") {
			t.Fatalf("accepted an incomplete reply: %+v", r)
		}
	})
}
