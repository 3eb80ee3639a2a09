package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hotline12345/hotline/store"
)

// callbackKind is the store record kind of call-back requests.
const callbackKind = "callback"

// Callback is a message a citizen left for a call back (留言) when no agent
// could take the chat. Agents see the open ones in the console and mark
// them done when they have called back.
type Callback struct {
	// ID is the conversation and the transcript seq of the request.
	ID           string    `json:"id"`
	Conversation string    `json:"conversation"`
	Seq          int64     `json:"seq"`
	Channel      string    `json:"channel"`
	Text         string    `json:"text"`
	Time         time.Time `json:"time"`
}

// ErrNoCallback is returned for a call-back request that does not exist.
var ErrNoCallback = errors.New("handoff: no such call-back request")

// RecordCallback keeps a call-back request (the transcript message m of
// conv) for the agents.
func (s *Service) RecordCallback(ctx context.Context, conv store.Conversation, m store.Message) error {
	c := Callback{ID: conv.ID + "-" + strconv.FormatInt(m.Seq, 10), Conversation: conv.ID, Seq: m.Seq,
		Channel: conv.Channel, Text: m.Text, Time: m.Time}
	data, _ := json.Marshal(c)
	if _, err := s.store.UpdateRecord(ctx, callbackKind, c.ID, func([]byte) ([]byte, error) { return data, nil }); err != nil {
		return fmt.Errorf("handoff: record call-back: %w", err)
	}
	s.record(ctx, Event{Type: EventCallback, Conversation: conv.ID, Time: s.now()})
	s.announce(ctx, callbacksPayload)
	return nil
}

// Callbacks returns the call-back requests not yet handled, oldest first.
func (s *Service) Callbacks(ctx context.Context) ([]Callback, error) {
	recs, err := s.store.Records(ctx, callbackKind)
	if err != nil {
		return nil, err
	}
	out := []Callback{}
	for _, r := range recs {
		var c Callback
		if json.Unmarshal(r.Value, &c) == nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Callback) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// CallbackDone closes a call-back request that agent has handled: it
// leaves the list, and the hand-off log records who closed it and when.
func (s *Service) CallbackDone(ctx context.Context, agent, id string) error {
	var c Callback
	_, err := s.store.UpdateRecord(ctx, callbackKind, id, func(cur []byte) ([]byte, error) {
		if cur == nil {
			return nil, ErrNoCallback
		}
		return nil, json.Unmarshal(cur, &c)
	})
	if err != nil {
		return err
	}
	s.record(ctx, Event{Type: EventCallbackDone, Conversation: c.Conversation, Agent: agent, Time: s.now()})
	s.announce(ctx, callbacksPayload)
	return nil
}

// announce tells every console that something it shows changed.
func (s *Service) announce(ctx context.Context, payload string) {
	if err := s.store.Publish(ctx, Topic, []byte(payload)); err != nil {
		s.log.Warn("handoff: announce failed", "err", err)
	}
}
