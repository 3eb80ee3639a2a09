// Package wstest is the WebSocket side of the test clients (widgettest,
// agenttest): send frames as JSON, read them back typed, wait for one.
package wstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Client is one WebSocket connection whose server frames decode into F.
type Client[F any] struct {
	T    testing.TB
	Conn *websocket.Conn
}

// Dial connects to url ("ws://…") with header and closes the connection
// when the test ends.
func Dial[F any](t testing.TB, url string, header http.Header) *Client[F] {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP status %d)", url, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return &Client[F]{T: t, Conn: conn}
}

// WSURL turns an http://host:port base into the ws:// URL of path.
func WSURL(base, path string) string { return "ws" + strings.TrimPrefix(base, "http") + path }

// Send writes one frame as JSON.
func (c *Client[F]) Send(v any) {
	c.T.Helper()
	c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.Conn.WriteJSON(v); err != nil {
		c.T.Fatalf("send %v: %v", v, err)
	}
}

// Read reads the next frame or returns the connection's error.
func (c *Client[F]) Read(timeout time.Duration) (F, error) {
	var f F
	c.Conn.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := c.Conn.ReadMessage()
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("server sent invalid JSON %q: %w", data, err)
	}
	return f, nil
}

// Next reads the next frame, failing the test after timeout.
func (c *Client[F]) Next(timeout time.Duration) F {
	c.T.Helper()
	f, err := c.Read(timeout)
	if err != nil {
		c.T.Fatalf("read frame: %v", err)
	}
	return f
}

// Until reads frames until one satisfies match and returns every frame
// read, the matching one last.
func (c *Client[F]) Until(timeout time.Duration, match func(F) bool) []F {
	c.T.Helper()
	deadline := time.Now().Add(timeout)
	var frames []F
	for {
		left := time.Until(deadline)
		if left <= 0 {
			c.T.Fatalf("no matching frame within %v; got %+v", timeout, frames)
		}
		f, err := c.Read(left)
		if err != nil {
			c.T.Fatalf("read frame: %v (frames so far %+v)", err, frames)
		}
		frames = append(frames, f)
		if match(f) {
			return frames
		}
	}
}
