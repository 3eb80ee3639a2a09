package web

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/store"
)

// outQueue bounds the frames (acks, errors, session) waiting for the writer.
// A client that lets it fill up is not reading and is disconnected.
const outQueue = 32

// pageSize is how many transcript messages the writer reads at a time.
const pageSize = 200

// conn is one widget connection.
type conn struct {
	ch *Channel
	ws *websocket.Conn

	out    chan any      // []byte frames and *attach, consumed by the writer only
	done   chan struct{} // closed when the reader ends
	away   chan struct{} // closed by Shutdown
	bucket tokenBucket

	conversation string    // set by the reader on hello, before attach is sent
	typed        time.Time // last typing announcement; reader only
}

// attach tells the writer which conversation to follow, from which seq.
type attach struct {
	conversation string
	after        int64
	sub          store.Subscription
}

func newConn(ch *Channel, ws *websocket.Conn) *conn {
	return &conn{
		ch:     ch,
		ws:     ws,
		out:    make(chan any, outQueue),
		done:   make(chan struct{}),
		away:   make(chan struct{}),
		bucket: tokenBucket{burst: float64(ch.cfg.RateBurst), rate: ch.cfg.RatePerSecond},
	}
}

func (cn *conn) goAway() {
	select {
	case <-cn.away:
	default:
		close(cn.away)
	}
}

// closeWith sends a close frame and closes the socket. WriteControl may run
// concurrently with the writer.
func (cn *conn) closeWith(code int, reason string) {
	_ = cn.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = cn.ws.Close()
}

// send queues a frame (a frame struct, or *attach) for the writer; a full
// queue disconnects the client.
func (cn *conn) send(v any) {
	if _, ok := v.(*attach); !ok {
		v = mustJSON(v)
	}
	select {
	case cn.out <- v:
	default:
		cn.ch.log.Warn("slow client disconnected", "conversation", cn.conversation)
		cn.closeWith(websocket.ClosePolicyViolation, "too slow")
	}
}

// readLoop reads frames until the connection ends. It owns every read.
func (cn *conn) readLoop() {
	defer close(cn.done)
	var sub store.Subscription
	defer func() {
		if sub != nil {
			sub.Close()
		}
	}()
	ws := cn.ws
	ws.SetReadLimit(cn.ch.cfg.MaxFrameBytes)
	ws.SetReadDeadline(time.Now().Add(cn.ch.cfg.HelloWait))
	ws.SetPongHandler(func(string) error {
		return ws.SetReadDeadline(time.Now().Add(cn.ch.cfg.PongWait))
	})
	for {
		kind, data, err := ws.ReadMessage()
		if err != nil {
			// Includes frames over the limit: gorilla has answered 1009.
			return
		}
		if sub != nil {
			ws.SetReadDeadline(time.Now().Add(cn.ch.cfg.PongWait))
		}
		if kind != websocket.TextMessage {
			cn.send(newError(CodeBadFrame))
			continue
		}
		if !utf8.Valid(data) {
			cn.closeWith(websocket.CloseInvalidFramePayloadData, "invalid UTF-8")
			return
		}
		var f clientFrame
		if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
			cn.send(newError(CodeBadFrame))
			continue
		}
		switch f.Type {
		case "hello":
			if sub != nil {
				cn.send(newError(CodeHelloFirst))
				continue
			}
			sub, err = cn.hello(f)
			if errors.Is(err, ErrBadToken) {
				cn.ch.log.Warn("hello refused", "channel", cn.ch.cfg.Name, "err", err)
				cn.closeWith(CloseBadToken, "token not accepted")
				return
			}
			if err != nil {
				cn.ch.log.Warn("hello failed", "err", err)
				cn.send(newError(CodeUnavailable))
				continue
			}
			if cn.ch.cfg.Attach != nil {
				defer cn.ch.cfg.Attach(cn.conversation)()
			}
			ws.SetReadDeadline(time.Now().Add(cn.ch.cfg.PongWait))
		case "message", "rating":
			if sub == nil {
				cn.send(newError(CodeHelloFirst))
				continue
			}
			cn.handle(f)
		case "typing":
			if sub == nil {
				cn.send(newError(CodeHelloFirst))
				continue
			}
			cn.typing()
		default:
			cn.send(newError(CodeUnknownType))
		}
	}
}

// hello resolves the session, tells the client, and starts delivery.
func (cn *conn) hello(f clientFrame) (store.Subscription, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cn.ch.cfg.HandleTimeout)
	defer cancel()
	conv, token, resumed, err := cn.ch.session(ctx, strings.TrimSpace(f.Token))
	if err != nil {
		return nil, err
	}
	// Subscribe before reading the transcript, so that nothing appended in
	// between is missed.
	sub, err := cn.ch.cfg.Store.Subscribe(ctx, channels.Topic(conv))
	if err != nil {
		return nil, err
	}
	after := f.After
	if !resumed || after < 0 {
		after = 0
	}
	cn.conversation = conv
	cn.send(sessionFrame{Type: "session", Conversation: conv, Token: token})
	cn.send(&attach{conversation: conv, after: after, sub: sub})
	cn.ch.log.Info("widget connected", "conversation", conv, "resumed", resumed, "after", after)
	return sub, nil
}

// handle stores and answers one message or rating.
func (cn *conn) handle(f clientFrame) {
	in := channels.Inbound{Channel: cn.ch.cfg.Name, Conversation: cn.conversation, Time: time.Now()}
	refuse := func(code string) {
		e := newError(code)
		e.ID = f.ID
		cn.send(e)
	}
	switch f.Type {
	case "message":
		if f.ID == "" || len(f.ID) > 128 {
			refuse(CodeMissingID)
			return
		}
		if code := cn.ch.validText(f.Text); code != "" {
			refuse(code)
			return
		}
		in.Kind, in.ID, in.Text = channels.KindText, f.ID, f.Text
	case "rating":
		if f.Score < 1 || f.Score > 5 {
			refuse(CodeBadScore)
			return
		}
		in.Kind, in.Score = channels.KindRating, f.Score
	}
	if !cn.bucket.take(time.Now()) {
		refuse(CodeRateLimited)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cn.ch.cfg.HandleTimeout)
	defer cancel()
	err := cn.ch.cfg.Bot.Handle(ctx, in, func(m store.Message, duplicate bool) {
		if in.ID != "" {
			cn.send(ackFrame{Type: "ack", ID: in.ID})
		}
		if !duplicate {
			cn.ch.messagesIn.Inc()
		}
	})
	switch {
	case errors.Is(err, dialog.ErrBadScore):
		refuse(CodeBadScore)
	case err != nil:
		cn.ch.log.Error("handle message failed", "conversation", cn.conversation, "err", err)
		refuse(CodeUnavailable)
	}
}

// typing tells whoever follows the conversation (an agent) that the
// citizen is typing; at most one announcement every two seconds.
func (cn *conn) typing() {
	now := time.Now()
	if now.Sub(cn.typed) < 2*time.Second {
		return
	}
	cn.typed = now
	ctx, cancel := context.WithTimeout(context.Background(), cn.ch.cfg.WriteWait)
	defer cancel()
	_ = cn.ch.cfg.Store.Publish(ctx, channels.Topic(cn.conversation), channels.EncodeTyping(store.FromCitizen))
}

// writeLoop owns every write to the socket.
func (cn *conn) writeLoop() {
	ping := time.NewTicker(cn.ch.cfg.PingInterval)
	defer ping.Stop()
	defer cn.ws.Close() // ends the reader too

	var (
		events <-chan []byte
		conv   string
		sent   int64 // seq of the last transcript message written
	)
	// catchUp writes every transcript message after sent.
	catchUp := func() error {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), cn.ch.cfg.WriteWait)
			msgs, err := cn.ch.cfg.Store.Messages(ctx, conv, sent, pageSize)
			cancel()
			if err != nil {
				// Try again on the next event; tell the client meanwhile.
				cn.ch.log.Warn("read transcript failed", "conversation", conv, "err", err)
				return cn.write(mustJSON(newError(CodeUnavailable)))
			}
			for _, m := range msgs {
				if err := cn.writeMessage(m, &sent); err != nil {
					return err
				}
			}
			if len(msgs) < pageSize {
				return nil
			}
		}
	}
	for {
		var err error
		select {
		case v := <-cn.out:
			switch v := v.(type) {
			case []byte:
				err = cn.write(v)
			case *attach:
				conv, sent, events = v.conversation, v.after, v.sub.C()
				err = catchUp()
				if err == nil {
					err = cn.queueStatus(conv)
				}
			}
		case payload, ok := <-events:
			if !ok {
				events = nil // store closing; the reader ends soon
				continue
			}
			ev, derr := channels.DecodeEvent(payload)
			switch {
			case derr != nil:
				err = catchUp()
			case ev.Message != nil && ev.Message.Seq == sent+1:
				err = cn.writeMessage(*ev.Message, &sent)
			case ev.Message != nil && ev.Message.Seq > sent:
				err = catchUp()
			case ev.Queue != nil:
				err = cn.write(mustJSON(queueFrame{Type: "queue", Position: ev.Queue.Position, Wait: ev.Queue.Wait}))
			case ev.Typing == store.FromAgent:
				err = cn.write(mustJSON(typingFrame{Type: "typing", From: ev.Typing}))
			}
		case <-ping.C:
			err = cn.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(cn.ch.cfg.WriteWait))
		case <-cn.away:
			cn.closeWith(websocket.CloseGoingAway, "server restarting")
			return
		case <-cn.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// queueStatus tells a client that resumes while waiting for an agent
// where it stands.
func (cn *conn) queueStatus(conv string) error {
	if cn.ch.cfg.QueueStatus == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), cn.ch.cfg.WriteWait)
	q, ok := cn.ch.cfg.QueueStatus(ctx, conv)
	cancel()
	if !ok {
		return nil
	}
	return cn.write(mustJSON(queueFrame{Type: "queue", Position: q.Position, Wait: q.Wait}))
}

func (cn *conn) writeMessage(m store.Message, sent *int64) error {
	if m.Meta[channels.MetaInternal] != "" {
		*sent = m.Seq // a note for the agents: skipped, not shown
		return nil
	}
	if err := cn.write(mustJSON(newMessage(m))); err != nil {
		return err
	}
	*sent = m.Seq
	if m.From != store.FromCitizen {
		cn.ch.messagesOut.Inc()
	}
	return nil
}

func (cn *conn) write(frame []byte) error {
	cn.ws.SetWriteDeadline(time.Now().Add(cn.ch.cfg.WriteWait))
	return cn.ws.WriteMessage(websocket.TextMessage, frame)
}

// tokenBucket limits one connection's message rate. Only the reader uses it.
type tokenBucket struct {
	burst, rate float64
	tokens      float64
	last        time.Time
}

func (b *tokenBucket) take(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens = b.burst
	} else {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
