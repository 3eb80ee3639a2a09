package web

import "github.com/hotline12345/hotline/store"

// clientFrame is any frame a widget sends; Type says which fields count.
type clientFrame struct {
	Type  string `json:"type"`
	Token string `json:"token,omitempty"`
	After int64  `json:"after,omitempty"`
	ID    string `json:"id,omitempty"`
	Text  string `json:"text,omitempty"`
	Score int    `json:"score,omitempty"`
}

type sessionFrame struct {
	Type         string `json:"type"`
	Conversation string `json:"conversation"`
	Token        string `json:"token"`
}

type messageFrame struct {
	Type    string       `json:"type"`
	Seq     int64        `json:"seq"`
	From    store.Sender `json:"from"`
	Text    string       `json:"text"`
	Options []string     `json:"options,omitempty"`
}

type queueFrame struct {
	Type     string `json:"type"`
	Position int    `json:"position"`
	Wait     int    `json:"wait,omitempty"`
}

type typingFrame struct {
	Type string       `json:"type"`
	From store.Sender `json:"from"`
}

type ackFrame struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// errorFrame reports a problem with one frame; the connection stays open.
// Temporary says that sending the same frame again later makes sense. ID is
// the client id of the refused message, when it had one.
type errorFrame struct {
	Type      string `json:"type"`
	ID        string `json:"id,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Temporary bool   `json:"temporary,omitempty"`
}

// Error codes sent in error frames. Stable: clients may switch on them.
const (
	CodeBadFrame    = "bad_frame"      // not a JSON object with a type
	CodeUnknownType = "unknown_type"   // a type this server does not know
	CodeHelloFirst  = "hello_required" // a frame before hello, or hello twice
	CodeMissingID   = "missing_id"     // a message without its client id
	CodeEmptyText   = "empty_text"     // a message with no text
	CodeTextTooLong = "text_too_long"  // more than MaxTextRunes characters
	CodeBadScore    = "bad_score"      // a rating outside 1..5
	CodeRateLimited = "rate_limited"   // too many messages; temporary
	CodeUnavailable = "unavailable"    // storage unreachable; temporary
)

// The texts citizens see with each error code.
var errorTexts = map[string]string{
	CodeBadFrame:    "消息格式有误，请刷新页面后重试。",
	CodeUnknownType: "暂不支持该类型的消息。",
	CodeHelloFirst:  "连接尚未就绪，请稍候再试。",
	CodeMissingID:   "消息格式有误，请刷新页面后重试。",
	CodeEmptyText:   "请输入您要咨询的内容。",
	CodeTextTooLong: "您输入的内容过长，请精简到2000字以内后再发送。",
	CodeBadScore:    "评价分数应为1到5分。",
	CodeRateLimited: "您发送得太快了，请稍后再试。",
	CodeUnavailable: "系统暂时繁忙，请稍后再试，感谢您的耐心等待。",
}

func newError(code string) errorFrame {
	return errorFrame{
		Type:      "error",
		Code:      code,
		Message:   errorTexts[code],
		Temporary: code == CodeRateLimited || code == CodeUnavailable,
	}
}

func newMessage(m store.Message) messageFrame {
	return messageFrame{Type: "message", Seq: m.Seq, From: m.From, Text: m.Text, Options: m.Options}
}
