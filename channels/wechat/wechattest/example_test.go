package wechattest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/hotline12345/hotline/channels/wechat/wechattest"
)

// A channel test sends signed, encrypted callbacks to the channel's
// handler and reads its answers as WeChat would. The channel under test
// is configured with p.Config()'s credentials and api.URL as its API
// base; here a stand-in handler answers "success".
func Example() {
	p, err := wechattest.New(wechattest.Config{})
	if err != nil {
		panic(err)
	}
	api := p.Server()
	defer api.Close()

	channel := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "success")
	})
	cb := p.Callback(wechattest.Safe, p.Text("oCitizen", "路灯不亮了"))
	rec := httptest.NewRecorder()
	channel.ServeHTTP(rec, cb.Request("/wechat"))
	reply, err := cb.ReadReply(rec.Body.Bytes())
	fmt.Println(reply.None, err)

	// The citizen's message opened a customer-service window.
	_, used, _, ok := p.User("oCitizen")
	fmt.Println(ok, used)
	// Output:
	// true <nil>
	// true 0
}

func ExampleSignature() {
	// Sorted and joined: "123456789".
	fmt.Println(wechattest.Signature("789", "456", "123"))
	// Output: f7c3bc1d808e04732adf679965ccc34ca7ae3441
}
