// Package widgettest is a widget client for tests: it speaks the /ws/chat
// frame protocol over a real WebSocket, as the browser widget does.
package widgettest

import (
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/wstest"
)

// Frame is any frame the server sends.
type Frame struct {
	Type         string   `json:"type"`
	Conversation string   `json:"conversation,omitempty"`
	Token        string   `json:"token,omitempty"`
	Seq          int64    `json:"seq,omitempty"`
	From         string   `json:"from,omitempty"`
	Text         string   `json:"text,omitempty"`
	Options      []string `json:"options,omitempty"`
	ID           string   `json:"id,omitempty"`
	Code         string   `json:"code,omitempty"`
	Message      string   `json:"message,omitempty"`
	Temporary    bool     `json:"temporary,omitempty"`
	Position     int      `json:"position,omitempty"`
}

// Client is one widget connection.
type Client struct {
	*wstest.Client[Frame]
	// Token and Conversation are set by Hello.
	Token        string
	Conversation string
}

// Dial connects to base (http://host:port) + /ws/chat.
func Dial(t testing.TB, base string) *Client {
	t.Helper()
	return &Client{Client: wstest.Dial[Frame](t, wstest.WSURL(base, "/ws/chat"), nil)}
}

// Hello starts or resumes a session and returns the session frame.
func (c *Client) Hello(token string, after int64) Frame {
	c.T.Helper()
	hello := map[string]any{"type": "hello"}
	if token != "" {
		hello["token"] = token
		hello["after"] = after
	}
	c.Send(hello)
	f := c.Next(10 * time.Second)
	if f.Type != "session" || f.Token == "" || f.Conversation == "" {
		c.T.Fatalf("hello answered with %+v, want a session frame", f)
	}
	c.Token, c.Conversation = f.Token, f.Conversation
	return f
}

// Ask sends a text message with a client id.
func (c *Client) Ask(id, text string) {
	c.T.Helper()
	c.Send(map[string]any{"type": "message", "id": id, "text": text})
}

// BotReplyTo reads until the bot's reply after the citizen message with
// text, and returns every frame read.
func (c *Client) BotReplyTo(timeout time.Duration, text string) []Frame {
	c.T.Helper()
	seenCitizen := false
	return c.Until(timeout, func(f Frame) bool {
		if f.Type == "message" && f.From == "citizen" && f.Text == text {
			seenCitizen = true
		}
		return seenCitizen && f.Type == "message" && f.From == "bot"
	})
}

// Messages returns the message frames among frames.
func Messages(frames []Frame) []Frame {
	var out []Frame
	for _, f := range frames {
		if f.Type == "message" {
			out = append(out, f)
		}
	}
	return out
}
