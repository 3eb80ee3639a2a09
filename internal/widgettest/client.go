// Package widgettest is a widget client for tests: it speaks the /ws/chat
// frame protocol over a real WebSocket, as the browser widget does.
package widgettest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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
	t    testing.TB
	Conn *websocket.Conn
	// Token and Conversation are set by Hello.
	Token        string
	Conversation string
}

// Dial connects to base (http://host:port) + /ws/chat.
func Dial(t testing.TB, base string) *Client {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws/chat"
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c := &Client{t: t, Conn: conn}
	t.Cleanup(func() { conn.Close() })
	return c
}

// Send writes one frame as JSON.
func (c *Client) Send(v any) {
	c.t.Helper()
	c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.Conn.WriteJSON(v); err != nil {
		c.t.Fatalf("send %v: %v", v, err)
	}
}

// Hello starts or resumes a session and returns the session frame.
func (c *Client) Hello(token string, after int64) Frame {
	c.t.Helper()
	hello := map[string]any{"type": "hello"}
	if token != "" {
		hello["token"] = token
		hello["after"] = after
	}
	c.Send(hello)
	f := c.Next(10 * time.Second)
	if f.Type != "session" || f.Token == "" || f.Conversation == "" {
		c.t.Fatalf("hello answered with %+v, want a session frame", f)
	}
	c.Token, c.Conversation = f.Token, f.Conversation
	return f
}

// Ask sends a text message with a client id.
func (c *Client) Ask(id, text string) {
	c.t.Helper()
	c.Send(map[string]any{"type": "message", "id": id, "text": text})
}

// Next reads the next frame, failing the test after timeout.
func (c *Client) Next(timeout time.Duration) Frame {
	c.t.Helper()
	f, err := c.Read(timeout)
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	return f
}

// Read reads the next frame or returns the connection's error.
func (c *Client) Read(timeout time.Duration) (Frame, error) {
	c.Conn.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := c.Conn.ReadMessage()
	if err != nil {
		return Frame{}, err
	}
	var f Frame
	if err := json.Unmarshal(data, &f); err != nil {
		return Frame{}, fmt.Errorf("server sent invalid JSON %q: %w", data, err)
	}
	return f, nil
}

// Until reads frames until one satisfies match and returns every frame read,
// the matching one last.
func (c *Client) Until(timeout time.Duration, match func(Frame) bool) []Frame {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var frames []Frame
	for {
		left := time.Until(deadline)
		if left <= 0 {
			c.t.Fatalf("no matching frame within %v; got %+v", timeout, frames)
		}
		f, err := c.Read(left)
		if err != nil {
			c.t.Fatalf("read frame: %v (frames so far %+v)", err, frames)
		}
		frames = append(frames, f)
		if match(f) {
			return frames
		}
	}
}

// BotReplyTo reads until the bot's reply after the citizen message with
// text, and returns every frame read.
func (c *Client) BotReplyTo(timeout time.Duration, text string) []Frame {
	c.t.Helper()
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
