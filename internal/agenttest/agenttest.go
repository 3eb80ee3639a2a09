// Package agenttest is an agent console client for tests: it signs in
// through POST /api/v1/login and speaks the /ws/agent frame protocol over a
// real WebSocket, as the console page does.
package agenttest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/wstest"
)

// Frame is any frame the server sends to a console.
type Frame struct {
	Type         string          `json:"type"`
	Conversation string          `json:"conversation,omitempty"`
	Seq          int64           `json:"seq,omitempty"`
	From         string          `json:"from,omitempty"`
	Text         string          `json:"text,omitempty"`
	Options      []string        `json:"options,omitempty"`
	Agent        json.RawMessage `json:"agent,omitempty"`
	ID           string          `json:"id,omitempty"`
	Code         string          `json:"code,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Role         string          `json:"role,omitempty"`
	Priority     string          `json:"priority,omitempty"`
	Entries      []QueueEntry    `json:"entries,omitempty"`
	Items        []Suggestion    `json:"items,omitempty"`
	NLU          *NLU            `json:"nlu,omitempty"`
	Expires      time.Time       `json:"expires,omitzero"`
	// Number and Due are an order_created frame's; Field names the
	// refused field of a bad_order error; Draft is an order_draft's.
	Number string     `json:"number,omitempty"`
	Due    time.Time  `json:"due,omitzero"`
	Field  string     `json:"field,omitempty"`
	Draft  *OrderForm `json:"draft,omitempty"`
	// HotIssues are a hot_issues frame's items (its "items", which
	// suggestions frames use for Items).
	HotIssues []HotIssue      `json:"-"`
	Raw       json.RawMessage `json:"-"` // the frame as sent
}

// OrderForm is a work order as the console's dialog holds it.
type OrderForm struct {
	AppealType string `json:"appeal_type,omitempty"`
	Department string `json:"department,omitempty"`
	Summary    string `json:"summary,omitempty"`
	Address    string `json:"address,omitempty"`
	When       string `json:"when,omitempty"`
	Name       string `json:"name,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Anonymous  bool   `json:"anonymous,omitempty"`
}

// HotIssue is one item of a hot_issues frame.
type HotIssue struct {
	Department string    `json:"department"`
	Count      int       `json:"count"`
	Example    string    `json:"example"`
	Numbers    []string  `json:"numbers"`
	Since      time.Time `json:"since"`
}

// QueueEntry is one waiting conversation of a queue frame.
type QueueEntry struct {
	Conversation string `json:"conversation"`
	Priority     string `json:"priority"`
	Position     int    `json:"position"`
	OfferedTo    string `json:"offered_to"`
}

// Suggestion is one knowledge base suggestion.
type Suggestion struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// NLU is the NLU view of a citizen message.
type NLU struct {
	Intent     string `json:"intent"`
	Department string `json:"department"`
	Urgency    string `json:"urgency"`
}

// Login signs in and returns the session cookie.
func Login(t testing.TB, base, username, password string) *http.Cookie {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: status %d", username, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "hotline_agent" {
			return c
		}
	}
	t.Fatal("login set no hotline_agent cookie")
	return nil
}

// Client is one console connection.
type Client struct{ *wstest.Client[Frame] }

// Dial connects to base + /ws/agent with the session cookie.
func Dial(t testing.TB, base string, cookie *http.Cookie) *Client {
	t.Helper()
	h := http.Header{}
	h.Set("Cookie", cookie.String())
	return &Client{wstest.Dial[Frame](t, wstest.WSURL(base, "/ws/agent"), h)}
}

// Hello sends hello with the seqs already shown and returns the session frame.
func (c *Client) Hello(after map[string]int64) Frame {
	c.T.Helper()
	c.Send(map[string]any{"type": "hello", "after": after})
	frames := c.Until(10*time.Second, func(f Frame) bool { return f.Type == "session" })
	return frames[len(frames)-1]
}

// UnmarshalJSON decodes a frame and keeps its raw JSON, for assertions
// on fields Frame does not name and for failure messages.
func (f *Frame) UnmarshalJSON(data []byte) error {
	type plain Frame
	if err := json.Unmarshal(data, (*plain)(f)); err != nil {
		return err
	}
	if f.Type == "hot_issues" {
		var hot struct {
			Items []HotIssue `json:"items"`
		}
		if err := json.Unmarshal(data, &hot); err != nil {
			return err
		}
		f.HotIssues, f.Items = hot.Items, nil
	}
	f.Raw = append(json.RawMessage(nil), data...)
	return nil
}

// String shows a frame as the server sent it.
func (f Frame) String() string { return string(f.Raw) }
