package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/store"
)

// Conversation states the hand-off sets. The bot stays silent in both:
// Handle stores what the citizen writes and leaves the answer to the agent.
const (
	// StateQueued: the citizen waits for an agent.
	StateQueued = "queued"
	// StateAgent: an agent holds the chat.
	StateAgent = "agent"
	// StateBot: the bot answers (the state a closed or cancelled hand-off
	// returns to; dialog owns its meaning).
	StateBot = "bot"
)

// Conversation data keys the hand-off writes.
const (
	// DataAgent is the username of the agent holding the chat.
	DataAgent = "agent"
	// DataAgentName is that agent's display name.
	DataAgentName = "agent_name"
	// DataSurvey marks a conversation whose citizen was asked to rate the
	// agent's service; the value is the agent's username.
	DataSurvey = "survey"
)

// MetaAgent names the agent who wrote an agent message (transcript meta).
const MetaAgent = "agent"

// Topic is the bus topic announcing board changes to every console.
const Topic = "handoff"

// LogName is the store log of hand-off events, the raw data of the
// hotline's statistics.
const LogName = "handoff"

// boardKind and boardID locate the board among the store's records.
const (
	boardKind = "handoff"
	boardID   = "board"
)

// Store is what the hand-off needs from the store.
type Store interface {
	store.Conversations
	store.Transcripts
	store.Records
	store.Logs
	store.Keys
	store.Bus
}

// Poster delivers messages to citizens; dialog's Bot is one.
type Poster interface {
	// Post appends a message to the transcript and delivers it.
	Post(ctx context.Context, conv store.Conversation, m store.Message) (store.Message, error)
	// Deliver announces and pushes a message already in the transcript.
	Deliver(ctx context.Context, conv store.Conversation, m store.Message)
}

// Config configures the hand-off service.
type Config struct {
	Store  Store  // required
	Poster Poster // required
	// Schedule says when agents serve; nil means always.
	Schedule *Schedule
	// Rules are the timing rules; zero fields take DefaultRules' values.
	Rules Rules
	// Tick is how often the board's timing rules are applied. Default 1 s.
	Tick time.Duration
	// Logger receives operational logs, never message text.
	Logger *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
	// Registerer receives the hand-off's metrics; nil: not exported.
	Registerer prometheus.Registerer
}

// Service runs the hand-off: it queues conversations, offers them to
// agents, relays what agents write and records every state change.
type Service struct {
	store  Store
	poster Poster
	sched  *Schedule
	rules  Rules
	tick   time.Duration
	log    *slog.Logger
	now    func() time.Time

	last    atomic.Pointer[Board] // the board as last read or written, for the gauges
	metrics metrics

	// shared is the newest board this instance has seen, shared read-only
	// by every console connection so that a change announced to a hundred
	// consoles costs one read of the store; fetching serializes refreshes.
	shared   atomic.Pointer[Board]
	fetching sync.Mutex
}

// New returns a hand-off service. Call Run to apply its timing rules.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Poster == nil {
		return nil, errors.New("handoff: Store and Poster are required")
	}
	r := cfg.Rules
	if r.AcceptTimeout <= 0 {
		r.AcceptTimeout = DefaultRules.AcceptTimeout
	}
	if r.Grace <= 0 {
		r.Grace = DefaultRules.Grace
	}
	if r.Stale <= 0 {
		r.Stale = DefaultRules.Stale
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{store: cfg.Store, poster: cfg.Poster, sched: cfg.Schedule, rules: r,
		tick: cfg.Tick, log: cfg.Logger, now: cfg.Now}
	if err := s.register(cfg.Registerer); err != nil {
		return nil, fmt.Errorf("handoff: register metrics: %w", err)
	}
	return s, nil
}

// Bus payloads on Topic.
const (
	// boardPayload prefixes the version of a changed board.
	boardPayload = "board:"
	// callbacksPayload announces that the call-back requests changed.
	callbacksPayload = "callbacks"
)

// SharedBoard returns a board at least as new as version, read-only: the
// copy this instance already has when it is recent enough, otherwise one
// read of the store that concurrent callers share. version < 0 asks for
// a fresh read (after a lost connection to the bus).
func (s *Service) SharedBoard(ctx context.Context, version int64) (*Board, error) {
	if b := s.shared.Load(); b != nil && version >= 0 && b.Version >= version {
		return b, nil
	}
	s.fetching.Lock()
	defer s.fetching.Unlock()
	if b := s.shared.Load(); b != nil && version >= 0 && b.Version >= version {
		return b, nil // fetched while this caller waited
	}
	b, err := s.Board(ctx)
	if err != nil {
		return nil, err
	}
	s.share(b)
	return s.shared.Load(), nil
}

// share keeps b as the shared board if it is newer than the one kept. b
// must not be changed afterwards.
func (s *Service) share(b *Board) {
	for {
		cur := s.shared.Load()
		if cur != nil && cur.Version >= b.Version {
			return
		}
		if s.shared.CompareAndSwap(cur, b) {
			return
		}
	}
}

// Board reads the current board; the caller may change its copy.
func (s *Service) Board(ctx context.Context) (*Board, error) {
	data, err := s.store.Record(ctx, boardKind, boardID)
	if errors.Is(err, store.ErrNotFound) {
		return NewBoard(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("handoff: read board: %w", err)
	}
	return decodeBoard(data)
}

func decodeBoard(data []byte) (*Board, error) {
	b := NewBoard()
	if len(data) == 0 {
		return b, nil
	}
	if err := json.Unmarshal(data, b); err != nil {
		return nil, fmt.Errorf("handoff: decode board: %w", err)
	}
	b.init()
	return b, nil
}

// change applies op to the board atomically, records the events it caused
// and carries out their consequences. op may run more than once (the store
// retries on contention); only the last run's events count.
func (s *Service) change(ctx context.Context, op func(b *Board, now time.Time) ([]Event, error)) (*Board, []Event, error) {
	var (
		events []Event
		board  *Board
	)
	_, err := s.store.UpdateRecord(ctx, boardKind, boardID, func(cur []byte) ([]byte, error) {
		b, err := decodeBoard(cur)
		if err != nil {
			return nil, err
		}
		now := s.now()
		ev, err := op(b, now)
		if err != nil {
			return nil, err
		}
		// Time passes on every change, so the rules apply at once: an
		// enqueued citizen is offered to a free agent in the same write.
		ev = append(ev, b.Tick(now, s.rules)...)
		b.Version++
		events, board = ev, b
		return json.Marshal(b)
	})
	if err != nil {
		return nil, nil, err
	}
	s.last.Store(board)
	s.share(board)
	s.after(ctx, board, events)
	return board, events, nil
}

// after records events and carries out what they mean for citizens and
// consoles. A failure here is logged: the board is already changed, and
// consoles and citizens catch up from it and from the transcript.
func (s *Service) after(ctx context.Context, b *Board, events []Event) {
	if len(events) == 0 {
		return
	}
	for _, e := range events {
		s.record(ctx, e)
		if err := s.consequences(ctx, b, e); err != nil {
			s.log.Warn("handoff: event follow-up failed", "type", e.Type, "conversation", e.Conversation, "err", err)
		}
	}
	s.announce(ctx, boardPayload+strconv.FormatInt(b.Version, 10))
	// Everyone still waiting may have moved up.
	for _, e := range b.Ordered() {
		pos, _ := b.Position(e.Conversation)
		q := channels.QueueStatus{Position: pos, Wait: int(b.EstimatedWait(pos).Seconds())}
		_ = s.store.Publish(ctx, channels.Topic(e.Conversation), channels.EncodeQueue(q))
	}
}

// consequences changes the conversation and tells the citizen what an
// event means for them.
func (s *Service) consequences(ctx context.Context, b *Board, e Event) error {
	switch e.Type {
	case EventCancelled:
		return s.store.Publish(ctx, channels.Topic(e.Conversation), channels.EncodeQueue(channels.QueueStatus{}))
	case EventAccepted:
		name := e.Agent
		if a, ok := b.Agents[e.Agent]; ok && a.Name != "" {
			name = a.Name
		}
		conv, err := s.setState(ctx, e.Conversation, StateAgent, map[string]string{DataAgent: e.Agent, DataAgentName: name})
		if err != nil {
			return err
		}
		_ = s.store.Publish(ctx, channels.Topic(e.Conversation), channels.EncodeQueue(channels.QueueStatus{}))
		_, err = s.poster.Post(ctx, conv, system(fmt.Sprintf(textAccepted, name)))
		return err
	case EventTakenOver:
		name := e.Agent
		if a, ok := b.Agents[e.Agent]; ok && a.Name != "" {
			name = a.Name
		}
		_, err := s.setState(ctx, e.Conversation, StateAgent, map[string]string{DataAgent: e.Agent, DataAgentName: name})
		return err
	case EventTransferred, EventReturned:
		conv, err := s.setState(ctx, e.Conversation, StateQueued, map[string]string{DataAgent: "", DataAgentName: ""})
		if err != nil {
			return err
		}
		text := textTransferred
		if e.Type == EventReturned {
			text = textReturned
		}
		_, err = s.poster.Post(ctx, conv, system(text))
		return err
	case EventClosed:
		data := map[string]string{DataAgent: "", DataAgentName: "", DataSurvey: e.Agent}
		if e.Reason == "citizen_left" {
			data[DataSurvey] = ""
		}
		conv, err := s.setState(ctx, e.Conversation, StateBot, data)
		if err != nil || e.Reason == "citizen_left" {
			return err
		}
		_, err = s.poster.Post(ctx, conv, store.Message{From: store.FromBot, Text: textSurvey, Options: SurveyOptions[:]})
		return err
	}
	return nil
}

func (s *Service) setState(ctx context.Context, id, state string, data map[string]string) (store.Conversation, error) {
	return s.store.UpdateConversation(ctx, id, func(c *store.Conversation) error {
		if c.State == "closed" {
			return nil
		}
		c.State = state
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		for k, v := range data {
			if v == "" {
				delete(c.Data, k)
			} else {
				c.Data[k] = v
			}
		}
		return nil
	})
}

func system(text string) store.Message { return store.Message{From: store.FromSystem, Text: text} }

// Request is a citizen's hand-off to agents.
type Request struct {
	Priority Priority
	// Skill is the department code the matter belongs to, if known.
	Skill string
	// Reason says why: human, emergency, unanswered, complaint, report, help.
	Reason string
	// Preview is the citizen's latest message (shortened for the queue).
	Preview string
}

// Outcome says what became of a Request.
type Outcome struct {
	// Queued is true when the citizen now waits for an agent.
	Queued   bool
	Position int
	Wait     time.Duration
	// Closed is true outside service hours; NextOpen is when they begin
	// again (zero if not within two weeks), Hours describes them.
	Closed   bool
	NextOpen time.Time
	Hours    string
	// NoAgents is true within service hours when no agent is online.
	NoAgents bool
}

// Request queues a conversation for an agent, unless agents are not
// serving (outside service hours, or nobody online). An emergency is
// queued whenever any agent is online, in or out of hours.
func (s *Service) Request(ctx context.Context, conv store.Conversation, r Request) (Outcome, error) {
	now := s.now()
	var out Outcome
	if s.sched != nil && !s.sched.Open(now) && r.Priority != PriorityEmergency {
		out.Closed = true
		out.NextOpen, _ = s.sched.NextOpen(now)
		out.Hours = s.sched.Describe()
		return out, nil
	}
	preview := r.Preview
	if utf8.RuneCountInString(preview) > 60 {
		preview = string([]rune(preview)[:60]) + "…"
	}
	if _, err := s.setState(ctx, conv.ID, StateQueued, nil); err != nil {
		return out, fmt.Errorf("handoff: queue %s: %w", conv.ID, err)
	}
	b, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) {
		out.NoAgents = false // op may run more than once
		if !b.Online() {
			out.NoAgents = true
			return nil, nil
		}
		return b.Enqueue(Entry{Conversation: conv.ID, Channel: conv.Channel, Priority: r.Priority, Skill: r.Skill,
			Reason: r.Reason, Preview: preview}, now)
	})
	if err == nil && out.NoAgents {
		_, err = s.setState(ctx, conv.ID, StateBot, nil)
		return out, err
	}
	if errors.Is(err, ErrBusy) {
		err = nil
	}
	if err != nil {
		// Back to the bot: a citizen must never wait on a queue that
		// does not know them.
		if _, err2 := s.setState(ctx, conv.ID, StateBot, nil); err2 != nil {
			s.log.Error("handoff: conversation left queued", "conversation", conv.ID, "err", err2)
		}
		return out, fmt.Errorf("handoff: queue %s: %w", conv.ID, err)
	}
	out.Queued = true
	if pos, ok := b.Position(conv.ID); ok {
		out.Position, out.Wait = pos, b.EstimatedWait(pos)
	}
	return out, nil
}

// Cancel takes a waiting citizen out of the queue, back to the bot. It
// returns false when the citizen was not waiting (an agent took the chat
// in the meantime).
func (s *Service) Cancel(ctx context.Context, conv string) (bool, error) {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.Cancel(conv, now) })
	if errors.Is(err, ErrNotQueued) {
		c, err := s.store.Conversation(ctx, conv)
		if err == nil && c.State == StateQueued {
			// Queued in the conversation but not on the board (a crash
			// between the two writes): repair.
			_, err = s.setState(ctx, conv, StateBot, nil)
			return err == nil, err
		}
		return false, err
	}
	if err != nil {
		return false, err
	}
	_, err = s.setState(ctx, conv, StateBot, nil)
	return err == nil, err
}

// Leave ends whatever the hand-off holds for a conversation whose citizen
// has gone (unsubscribed): no survey follows.
func (s *Service) Leave(ctx context.Context, conv string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.End(conv, now), nil })
	return err
}

// Rated records the citizen's satisfaction with an agent's service.
func (s *Service) Rated(ctx context.Context, conv, agent string, score int) {
	s.record(ctx, Event{Type: EventRated, Conversation: conv, Agent: agent, Time: s.now(), Score: score})
}

// record appends an event to the hand-off log and counts it.
func (s *Service) record(ctx context.Context, e Event) {
	s.metrics.observe(e)
	data, _ := json.Marshal(e)
	if _, err := s.store.AppendLog(ctx, LogName, data); err != nil {
		s.log.Warn("handoff: record event failed", "type", e.Type, "conversation", e.Conversation, "err", err)
	}
}

// QueueStatus says where a waiting conversation stands.
func (s *Service) QueueStatus(ctx context.Context, conv string) (channels.QueueStatus, bool) {
	if c, err := s.store.Conversation(ctx, conv); err != nil || c.State != StateQueued {
		return channels.QueueStatus{}, false // most connections: no board to read
	}
	b, err := s.SharedBoard(ctx, 0)
	if err != nil {
		return channels.QueueStatus{}, false
	}
	pos, ok := b.Position(conv)
	if !ok {
		return channels.QueueStatus{}, false
	}
	return channels.QueueStatus{Position: pos, Wait: int(b.EstimatedWait(pos).Seconds())}, true
}

// Run applies the board's timing rules until ctx ends: lapsed offers,
// agents gone beyond their grace period, new offers. Every instance runs
// it; the store makes their changes atomic, and a tick that finds nothing
// to do writes nothing.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("handoff: tick failed", "err", err)
			}
		}
	}
}

// Tick applies the timing rules once.
func (s *Service) Tick(ctx context.Context) error {
	b, err := s.Board(ctx)
	if err != nil {
		return err
	}
	events := b.Tick(s.now(), s.rules)
	s.last.Store(b) // not changed after this: the gauges may read it
	if len(events) == 0 {
		return nil
	}
	_, _, err = s.change(ctx, func(*Board, time.Time) ([]Event, error) { return nil, nil })
	return err
}

// Connect records a console connection of an agent. status, when
// "online" or "away", is the presence the console asks for (the one the
// agent chose before a reconnect); otherwise the board's stands.
func (s *Service) Connect(ctx context.Context, p Presence, status string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) {
		events := b.Connect(p, now)
		if status == StatusOnline || status == StatusAway {
			more, err := b.SetStatus(p.Username, status, now)
			if err != nil {
				return nil, err
			}
			events = append(events, more...)
		}
		return events, nil
	})
	return err
}

// Disconnect records that a console connection closed.
func (s *Service) Disconnect(ctx context.Context, agent string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.Disconnect(agent, now), nil })
	return err
}

// Heartbeat keeps an agent's presence fresh.
func (s *Service) Heartbeat(ctx context.Context, agent string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) {
		b.Heartbeat(agent, now)
		return nil, nil
	})
	return err
}

// SetStatus switches an agent between online and away.
func (s *Service) SetStatus(ctx context.Context, agent, status string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.SetStatus(agent, status, now) })
	return err
}

// Accept gives an offered (or, for supervisors, any waiting) chat to agent.
func (s *Service) Accept(ctx context.Context, agent, conv string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.Accept(agent, conv, now) })
	return err
}

// Decline gives an offer back.
func (s *Service) Decline(ctx context.Context, agent, conv string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.Decline(agent, conv, now) })
	return err
}

// Transfer hands a chat to another agent or skill group.
func (s *Service) Transfer(ctx context.Context, agent, conv, toAgent, toSkill, note string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) {
		return b.Transfer(agent, conv, toAgent, toSkill, note, now)
	})
	return err
}

// Close ends a chat with its wrap-up; the citizen gets the survey.
func (s *Service) Close(ctx context.Context, agent, conv string, w Wrapup) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.Close(agent, conv, w, now) })
	return err
}

// Join adds a supervisor to a live chat.
func (s *Service) Join(ctx context.Context, agent, conv string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.Join(agent, conv, now) })
	return err
}

// Takeover gives a live chat to a supervisor.
func (s *Service) Takeover(ctx context.Context, agent, conv string) error {
	_, _, err := s.change(ctx, func(b *Board, now time.Time) ([]Event, error) { return b.Takeover(agent, conv, now) })
	return err
}

// Say stores an agent's reply and delivers it to the citizen. id is the
// console's message id: a reply sent again after a reconnect is stored
// once. The agent must hold the chat (own it or have joined it).
func (s *Service) Say(ctx context.Context, agent, name, conv, id, text string) (store.Message, error) {
	if !s.holds(ctx, agent, conv) {
		return store.Message{}, ErrNotYours
	}
	c, err := s.store.Conversation(ctx, conv)
	if err != nil {
		return store.Message{}, err
	}
	m, dup, err := s.store.Append(ctx, conv, store.Message{
		ID:   agentMessagePrefix(agent) + id,
		From: store.FromAgent,
		Text: strings.TrimSpace(text),
		Meta: map[string]string{MetaAgent: agent, DataAgentName: name},
	})
	if err != nil {
		return m, err
	}
	if !dup {
		s.poster.Deliver(ctx, c, m)
		s.firstReply(ctx, agent, conv, m.Time)
	}
	return m, nil
}

// firstReply records EventReplied for the agent's first message in a chat
// they accepted: the first response time of the statistics. The first of
// any instance to claim the chat's acceptance wins; the claim expires with
// the statistics' interest in it.
func (s *Service) firstReply(ctx context.Context, agent, conv string, at time.Time) {
	chat := s.chatOf(ctx, agent, conv)
	if chat == nil || chat.Since.IsZero() {
		return // a supervisor who joined, or a chat that just moved
	}
	key := "handoff:replied:" + conv + ":" + strconv.FormatInt(chat.Since.UnixNano(), 36)
	if first, _, err := s.store.AddKey(ctx, key, []byte(agent), repliedTTL); err != nil || !first {
		return
	}
	s.record(ctx, Event{Type: EventReplied, Conversation: conv, Agent: agent, Time: at,
		Wait: max(0, at.Sub(chat.Since).Seconds())})
}

// chatOf returns agent's chat conv from the shared board, or from the
// store when the shared copy predates it; nil when the agent does not hold
// it.
func (s *Service) chatOf(ctx context.Context, agent, conv string) *Chat {
	for _, version := range []int64{0, -1} {
		if b, err := s.SharedBoard(ctx, version); err == nil {
			if c, ok := b.Chats[conv]; ok && c.Agent == agent {
				return c
			}
		}
	}
	return nil
}

// repliedTTL keeps the first-reply claim of a chat; a chat is not held
// longer than this.
const repliedTTL = 48 * time.Hour

// holds reports whether agent holds conv, from the shared board when it
// says so and from the store otherwise (the shared copy may predate a
// take-over or a transfer to the agent on another instance).
func (s *Service) holds(ctx context.Context, agent, conv string) bool {
	if b, err := s.SharedBoard(ctx, 0); err == nil && b.Holds(agent, conv) {
		return true
	}
	b, err := s.SharedBoard(ctx, -1)
	return err == nil && b.Holds(agent, conv)
}

// agentMessagePrefix starts the transcript id of an agent's reply, so that
// the console's ids never meet the citizen's.
func agentMessagePrefix(agent string) string { return "agent:" + agent + ":" }

// Events reads the recorded state changes after seq.
func (s *Service) Events(ctx context.Context, after int64, limit int) ([]Event, int64, error) {
	entries, err := s.store.ReadLog(ctx, LogName, after, limit)
	if err != nil {
		return nil, after, err
	}
	out := make([]Event, 0, len(entries))
	for _, e := range entries {
		var ev Event
		if err := json.Unmarshal(e.Data, &ev); err == nil {
			out = append(out, ev)
		}
		after = e.Seq
	}
	return out, after, nil
}
