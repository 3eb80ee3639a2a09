package wechattest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// receive checks a callback request as a server following WeChat's
// documentation must, independently of Callback's own fields, and returns
// the message XML.
func receive(p *Platform, r *http.Request) ([]byte, error) {
	cfg := p.Config()
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if q.Get("signature") != sha1Hex(sorted(cfg.Token, ts, nonce)) {
		return nil, fmt.Errorf("signature")
	}
	body, _ := io.ReadAll(r.Body)
	if q.Get("encrypt_type") != "aes" {
		if q.Has("msg_signature") {
			return nil, fmt.Errorf("msg_signature in plaintext mode")
		}
		return body, nil
	}
	var env struct {
		ToUserName string
		Encrypt    string
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	if env.ToUserName != cfg.Account {
		return nil, fmt.Errorf("envelope ToUserName %q", env.ToUserName)
	}
	if q.Get("msg_signature") != sha1Hex(sorted(cfg.Token, ts, nonce, env.Encrypt)) {
		return nil, fmt.Errorf("msg_signature")
	}
	key, _ := AESKey(cfg.EncodingAESKey)
	_, msg, appID, err := Decrypt(key, env.Encrypt)
	if err != nil {
		return nil, err
	}
	if appID != cfg.AppID {
		return nil, fmt.Errorf("appid %q", appID)
	}
	return msg, nil
}

// sorted joins parts in byte order, written out rather than calling
// Signature's code.
func sorted(parts ...string) string {
	for i := range parts {
		for j := i + 1; j < len(parts); j++ {
			if parts[j] < parts[i] {
				parts[i], parts[j] = parts[j], parts[i]
			}
		}
	}
	var b bytes.Buffer
	for _, s := range parts {
		b.WriteString(s)
	}
	return b.String()
}

func TestCallbackModes(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	msg := p.Text("oCitizen", "噪音扰民怎么投诉？")
	for _, mode := range []Mode{Plaintext, Compatible, Safe} {
		t.Run(mode.String(), func(t *testing.T) {
			cb := p.Callback(mode, msg)
			r := cb.Request("/wechat")
			if r.Method != http.MethodPost || r.URL.Query().Get("openid") != "oCitizen" {
				t.Errorf("request %s %s", r.Method, r.URL)
			}
			got, err := receive(p, r)
			if err != nil {
				t.Fatalf("receiver refuses the callback: %v\n%s", err, cb.Body)
			}
			if !bytes.Equal(got, msg.XML()) {
				t.Errorf("message = %s, want %s", got, msg.XML())
			}
			fields := parse(t, cb.Body)
			switch mode {
			case Plaintext:
				if cb.Encrypt != "" || r.URL.Query().Has("encrypt_type") {
					t.Error("plaintext callback is encrypted")
				}
			case Compatible:
				if fields.Content != msg.Content || fields.MsgID != msg.MsgID {
					t.Errorf("compatible body lacks the plaintext fields:\n%s", cb.Body)
				}
			case Safe:
				if fields.Content != "" || fields.FromUserName != "" {
					t.Errorf("safe body leaks plaintext:\n%s", cb.Body)
				}
			}
			// The same callback again is the same request.
			again := cb.Request("/wechat")
			if again.URL.String() != r.URL.String() {
				t.Error("resending changed the query")
			}
			if b, _ := io.ReadAll(again.Body); !bytes.Equal(b, cb.Body) {
				t.Error("resending changed the body")
			}
			// A resigned resend: same body, new nonce, still valid.
			re := cb.Resigned()
			rr := re.Request("/wechat")
			if re.Query.Get("nonce") == cb.Query.Get("nonce") || !bytes.Equal(re.Body, cb.Body) {
				t.Error("Resigned kept the nonce or changed the body")
			}
			if _, err := receive(p, rr); err != nil {
				t.Errorf("resigned callback refused: %v", err)
			}
		})
	}
}

func TestCallbackTampering(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	msg := p.Text("oCitizen", "hi")
	other := newPlatform(t, Config{}).Config().EncodingAESKey

	if _, err := receive(p, p.Callback(Safe, msg, WithToken("wrong")).Request("/")); err == nil {
		t.Error("WithToken: receiver accepted")
	}
	if _, err := receive(p, p.Callback(Plaintext, msg, WithToken("wrong")).Request("/")); err == nil {
		t.Error("WithToken plaintext: receiver accepted")
	}
	if _, err := receive(p, p.Callback(Safe, msg, WithAESKey(other)).Request("/")); err == nil {
		t.Error("WithAESKey: receiver accepted")
	}
	_, err := receive(p, p.Callback(Safe, msg, WithAppID("wxsomeoneelse")).Request("/"))
	if err == nil || err.Error() != `appid "wxsomeoneelse"` {
		t.Errorf("WithAppID: err = %v", err)
	}
	stale := time.Now().Add(-time.Hour)
	cb := p.Callback(Safe, msg, WithTimestamp(stale), WithNonce("42"))
	if cb.Query.Get("timestamp") != strconv.FormatInt(stale.Unix(), 10) || cb.Query.Get("nonce") != "42" {
		t.Errorf("query = %v", cb.Query)
	}
	if _, err := receive(p, cb.Request("/")); err != nil {
		t.Errorf("stale but correctly signed callback: %v", err)
	}
	bad := []byte("<xml><Content>unclosed")
	if cb := p.Callback(Compatible, msg, WithPayload(bad)); xml.Unmarshal(cb.Body, new(parsed)) == nil {
		t.Errorf("compatible body with a malformed payload parses:\n%s", cb.Body)
	}
	got, err := receive(p, p.Callback(Safe, msg, WithPayload(bad)).Request("/"))
	if err != nil || !bytes.Equal(got, bad) {
		t.Errorf("WithPayload: got %q, %v", got, err)
	}
}

func TestVerification(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	cb := p.Verification("8315412539781623441")
	r := cb.Request("/wechat")
	q := r.URL.Query()
	if r.Method != http.MethodGet || q.Get("echostr") != "8315412539781623441" || q.Has("encrypt_type") {
		t.Fatalf("request %s %s", r.Method, r.URL)
	}
	if q.Get("signature") != Signature(p.Config().Token, q.Get("timestamp"), q.Get("nonce")) {
		t.Error("bad signature")
	}
	if _, _, _, ok := p.User(""); ok {
		t.Error("verification recorded a user")
	}
}

func TestCallbackRecordsInteractionOnFirstSend(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	cb := p.Callback(Safe, p.Text("oA", "x"))
	if _, _, _, ok := p.User("oA"); ok {
		t.Fatal("built but unsent callback recorded")
	}
	cb.Request("/")
	opened, used, unsub, ok := p.User("oA")
	if !ok || opened.IsZero() || used != 0 || unsub {
		t.Fatalf("User = %v %d %v %v", opened, used, unsub, ok)
	}
	p.Advance(time.Hour)
	cb.Request("/") // a retry is not a new message
	if again, _, _, _ := p.User("oA"); !again.Equal(opened) {
		t.Error("a resend moved the window")
	}
	p.Callback(Plaintext, p.Unsubscribe("oA")).Request("/")
	if _, _, unsub, _ := p.User("oA"); !unsub {
		t.Error("unsubscribe not recorded")
	}
	p.Callback(Plaintext, p.Subscribe("oA")).Request("/")
	if o, _, unsub, _ := p.User("oA"); unsub || !o.After(opened) {
		t.Error("subscribe did not reopen the window")
	}
}

func TestSendAndDeliver(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{ReplyTimeout: 100 * time.Millisecond})
	var calls atomic.Int32
	var slow atomic.Int32 // how many first calls are too slow
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if _, err := receive(p, r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if n <= slow.Load() {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		_, _ = io.WriteString(w, "success")
	}))
	defer srv.Close()
	ctx := context.Background()

	resp, err := p.Callback(Safe, p.Text("oA", "x")).Send(ctx, srv.Client(), srv.URL+"/wechat")
	if err != nil || resp.Status != 200 || string(resp.Body) != "success" {
		t.Fatalf("Send = %+v, %v", resp, err)
	}

	calls.Store(0)
	slow.Store(2)
	attempts := p.Callback(Safe, p.Text("oA", "y")).Deliver(ctx, srv.Client(), srv.URL+"/wechat")
	if len(attempts) != 3 || attempts[0].Err == nil || attempts[1].Err == nil || attempts[2].Err != nil ||
		string(attempts[2].Body) != "success" {
		t.Fatalf("Deliver = %+v", attempts)
	}

	calls.Store(0)
	slow.Store(5)
	attempts = p.Callback(Safe, p.Text("oA", "z")).Deliver(ctx, srv.Client(), srv.URL+"/wechat")
	if len(attempts) != 3 || attempts[2].Err == nil {
		t.Fatalf("Deliver to a server that never answers = %+v", attempts)
	}

	calls.Store(0)
	slow.Store(0)
	attempts = p.Callback(Safe, p.Text("oA", "w"), WithToken("bad")).Deliver(ctx, srv.Client(), srv.URL+"/wechat")
	if len(attempts) != 1 || attempts[0].Status != http.StatusForbidden {
		t.Fatalf("an error status is an answer; Deliver = %+v", attempts)
	}
}

func TestOversizedCallback(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, Config{})
	msg := p.Text("oA", string(bytes.Repeat([]byte("长"), 1<<20)))
	cb := p.Callback(Safe, msg)
	if len(cb.Body) < 4<<20 {
		t.Fatalf("body is %d bytes", len(cb.Body))
	}
	got, err := receive(p, cb.Request("/"))
	if err != nil || !bytes.Equal(got, msg.XML()) {
		t.Fatalf("oversized callback does not decrypt: %v", err)
	}
}
