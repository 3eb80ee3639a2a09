package wechat

import (
	"testing"
	"time"

	"github.com/hotline12345/hotline/channels/wechat/wechattest"
)

// BenchmarkCallbackAES is the protocol work of one safe-mode callback:
// verify, decrypt, parse, and build the encrypted passive reply.
func BenchmarkCallbackAES(b *testing.B) {
	p, err := wechattest.New(wechattest.Config{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := p.Config()
	c, err := NewCrypto(cfg.AppID, cfg.Token, cfg.EncodingAESKey)
	if err != nil {
		b.Fatal(err)
	}
	cb := p.Callback(wechattest.Safe, p.Text("o-bench", "社保卡丢了怎么补办"))
	answer := "请携带本人有效身份证件到任一社保经办网点或合作银行网点办理补卡，也可在“本市人社”App申请邮寄。"
	for b.Loop() {
		m, mode, err := c.ParseCallback(cb.Query, cb.Body, time.Now(), 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.TextReply(mode, m, answer, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
