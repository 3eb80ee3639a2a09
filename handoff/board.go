package handoff

import (
	"cmp"
	"errors"
	"slices"
	"time"
)

// Priority orders the queue: emergencies first, then urgent matters, then
// everything else.
type Priority int

// The priorities, lowest first.
const (
	PriorityNormal Priority = iota
	PriorityUrgent
	PriorityEmergency
)

func (p Priority) String() string {
	switch p {
	case PriorityEmergency:
		return "emergency"
	case PriorityUrgent:
		return "urgent"
	}
	return "normal"
}

// ParsePriority reads "emergency", "urgent" or anything else as normal.
func ParsePriority(s string) Priority {
	switch s {
	case "emergency":
		return PriorityEmergency
	case "urgent":
		return PriorityUrgent
	}
	return PriorityNormal
}

// Agent presence.
const (
	StatusOnline  = "online"
	StatusAway    = "away"
	StatusOffline = "offline"
)

// Event types: every state change of the hand-off, recorded with its time.
const (
	EventQueued      = "queued"
	EventOffered     = "offered"
	EventMissed      = "missed"   // an offer not accepted in time
	EventDeclined    = "declined" // an offer given back by the agent
	EventAccepted    = "accepted"
	EventTransferred = "transferred"
	EventReturned    = "returned" // the agent's connection was lost beyond the grace period
	EventCancelled   = "cancelled"
	EventClosed      = "closed"
	EventRated       = "rated"
	EventJoined      = "joined"
	EventTakenOver   = "taken_over"
	EventStatus      = "status"
	// EventCallback and EventCallbackDone: a call-back request (留言) was
	// left, and an agent closed it.
	EventCallback     = "callback"
	EventCallbackDone = "callback_done"
	// EventReplied is the agent's first message in a chat they accepted;
	// Wait is the seconds since they accepted it (first response time).
	EventReplied = "replied"
)

// Errors of board operations. Each says what the agent tried that the
// board does not allow; nothing was changed.
var (
	ErrNotQueued   = errors.New("handoff: conversation is not waiting for an agent")
	ErrNotOffered  = errors.New("handoff: conversation was not offered to this agent")
	ErrNotYours    = errors.New("handoff: chat is not held by this agent")
	ErrForbidden   = errors.New("handoff: only supervisors may do that")
	ErrBusy        = errors.New("handoff: conversation is already queued or with an agent")
	ErrUnknownUser = errors.New("handoff: no such agent online")
	ErrBadStatus   = errors.New("handoff: status must be online or away")
)

// Entry is a conversation waiting for an agent.
type Entry struct {
	Conversation string   `json:"conversation"`
	Channel      string   `json:"channel"`
	Priority     Priority `json:"priority"`
	// Skill is the department code whose agents should take it; empty or
	// "other" means any agent.
	Skill string `json:"skill,omitempty"`
	// Reason says why the citizen was handed off (human, emergency,
	// unanswered, complaint, transfer…).
	Reason string `json:"reason"`
	// Since is when the citizen started waiting; returned chats keep it.
	Since time.Time `json:"since"`
	// Front puts a chat that an agent lost or transferred ahead of the
	// others of its priority.
	Front bool `json:"front,omitempty"`
	// ToAgent restricts the offer to one agent (a transfer to a person).
	ToAgent string `json:"to_agent,omitempty"`
	// Note is the transferring agent's note for whoever accepts.
	Note string `json:"note,omitempty"`
	// From is the agent who transferred it.
	From string `json:"from,omitempty"`
	// Preview is the start of the citizen's latest message, for the queue.
	Preview string `json:"preview,omitempty"`
	// Offer is the pending offer, if any.
	Offer *Offer `json:"offer,omitempty"`
	// Missed lists the agents who let an offer of it lapse or declined it;
	// they are asked again only when nobody else can take it.
	Missed []string `json:"missed,omitempty"`
}

// Offer is an entry offered to one agent until Expires.
type Offer struct {
	Agent   string    `json:"agent"`
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires"`
}

// Chat is a conversation an agent holds.
type Chat struct {
	Conversation string    `json:"conversation"`
	Channel      string    `json:"channel"`
	Agent        string    `json:"agent"`
	Priority     Priority  `json:"priority"`
	Skill        string    `json:"skill,omitempty"`
	Since        time.Time `json:"since"`  // accepted at
	Queued       time.Time `json:"queued"` // started waiting at
	Note         string    `json:"note,omitempty"`
	// Observers are supervisors who joined the chat.
	Observers []string `json:"observers,omitempty"`
}

// Presence is what the board knows of an agent who signed in.
type Presence struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Role     string   `json:"role"`
	Skills   []string `json:"skills,omitempty"`
	MaxChats int      `json:"max_chats"`
	Status   string   `json:"status"`
	// Conns counts the agent's open console connections (several tabs).
	Conns int `json:"conns"`
	// Seen is the last heartbeat of any of them.
	Seen time.Time `json:"seen"`
	// Dropped is when the last connection went away; zero while connected.
	Dropped time.Time `json:"dropped,omitzero"`
	// Assigned is when the agent last got a chat, to share work fairly.
	Assigned time.Time `json:"assigned,omitzero"`
}

// Supervisor reports whether the agent may supervise.
func (p *Presence) Supervisor() bool { return p.Role == "supervisor" || p.Role == "admin" }

// Wrapup is what an agent records when closing a chat.
type Wrapup struct {
	AppealType string `json:"appeal_type"`
	Department string `json:"department"`
	Summary    string `json:"summary"`
	Resolved   bool   `json:"resolved"`
}

// Event is one recorded state change.
type Event struct {
	Type         string `json:"type"`
	Conversation string `json:"conversation,omitempty"`
	// Channel is the citizen's channel, on queued events.
	Channel  string    `json:"channel,omitempty"`
	Agent    string    `json:"agent,omitempty"`
	Time     time.Time `json:"time"`
	Priority string    `json:"priority,omitempty"`
	Skill    string    `json:"skill,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	To       string    `json:"to,omitempty"`
	Note     string    `json:"note,omitempty"`
	Status   string    `json:"status,omitempty"`
	// Wait is how long the citizen waited, in seconds (accepted).
	Wait float64 `json:"wait,omitempty"`
	// Duration is how long the agent held the chat, in seconds (closed).
	Duration float64 `json:"duration,omitempty"`
	Wrapup   *Wrapup `json:"wrapup,omitempty"`
	Score    int     `json:"score,omitempty"`
}

// Rules are the timing rules of the board.
type Rules struct {
	// AcceptTimeout is how long an agent has to accept an offer.
	AcceptTimeout time.Duration
	// Grace is how long an agent whose connection dropped keeps their chats.
	Grace time.Duration
	// Stale is how old a heartbeat may get before the agent counts as
	// disconnected (their instance died without saying so).
	Stale time.Duration
}

// DefaultRules are the issue's defaults: accept within 15 s ("three
// rings"), keep chats for 60 s after a drop.
var DefaultRules = Rules{AcceptTimeout: 15 * time.Second, Grace: 60 * time.Second, Stale: 45 * time.Second}

// defaultHandle is the assumed mean chat length before any chat closed.
const defaultHandle = 180.0

// Board is the whole hand-off state: who waits, who holds what, who is
// there. It is one document in the store, changed atomically; its methods
// are pure (time comes in as an argument) and return the events they cause.
type Board struct {
	// Version increases with every change stored; the bus announces it,
	// so an instance knows whether the copy it has is recent enough.
	Version int64                `json:"version"`
	Queue   []*Entry             `json:"queue"`
	Chats   map[string]*Chat     `json:"chats"`
	Agents  map[string]*Presence `json:"agents"`
	// AvgHandle is a moving average of chat length in seconds, for the
	// citizens' estimated wait.
	AvgHandle float64 `json:"avg_handle"`
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{Chats: map[string]*Chat{}, Agents: map[string]*Presence{}}
}

func (b *Board) init() {
	if b.Chats == nil {
		b.Chats = map[string]*Chat{}
	}
	if b.Agents == nil {
		b.Agents = map[string]*Presence{}
	}
}

// entry returns the queued entry of a conversation.
func (b *Board) entry(conv string) (int, *Entry) {
	for i, e := range b.Queue {
		if e.Conversation == conv {
			return i, e
		}
	}
	return -1, nil
}

// Entry returns the queued entry of a conversation, if it waits.
func (b *Board) Entry(conv string) (*Entry, bool) {
	_, e := b.entry(conv)
	return e, e != nil
}

func (b *Board) remove(i int) { b.Queue = slices.Delete(b.Queue, i, i+1) }

// Ordered returns the queue in the order it is served: priority, then
// returned chats, then waiting time.
func (b *Board) Ordered() []*Entry {
	q := slices.Clone(b.Queue)
	slices.SortStableFunc(q, func(x, y *Entry) int {
		if c := cmp.Compare(y.Priority, x.Priority); c != 0 {
			return c
		}
		if x.Front != y.Front {
			if x.Front {
				return -1
			}
			return 1
		}
		return x.Since.Compare(y.Since)
	})
	return q
}

// Position returns the 1-based place of a conversation in the queue.
func (b *Board) Position(conv string) (int, bool) {
	for i, e := range b.Ordered() {
		if e.Conversation == conv {
			return i + 1, true
		}
	}
	return 0, false
}

// EstimatedWait guesses how long the citizen at position waits: the chats
// ahead share the online agents' free capacity at the average chat length.
func (b *Board) EstimatedWait(position int) time.Duration {
	slots := 0
	for _, a := range b.Agents {
		if a.Status == StatusOnline && a.Conns > 0 {
			slots += max(a.MaxChats, 1)
		}
	}
	if slots == 0 {
		return 0
	}
	handle := b.AvgHandle
	if handle <= 0 {
		handle = defaultHandle
	}
	rounds := (position + slots - 1) / slots
	return time.Duration(float64(rounds) * handle * float64(time.Second))
}

// Online reports whether any agent is signed in, online or on a short
// break (away): then citizens may queue for them.
func (b *Board) Online() bool {
	for _, a := range b.Agents {
		if a.Status != StatusOffline && a.Conns > 0 {
			return true
		}
	}
	return false
}

// load counts the chats an agent holds plus the offers pending for them.
func (b *Board) load(agent string) (chats, offers int) {
	for _, c := range b.Chats {
		if c.Agent == agent {
			chats++
		}
	}
	for _, e := range b.Queue {
		if e.Offer != nil && e.Offer.Agent == agent {
			offers++
		}
	}
	return chats, offers
}

// Enqueue puts a conversation in the queue.
func (b *Board) Enqueue(e Entry, now time.Time) ([]Event, error) {
	b.init()
	if _, q := b.entry(e.Conversation); q != nil {
		return nil, ErrBusy
	}
	if _, ok := b.Chats[e.Conversation]; ok {
		return nil, ErrBusy
	}
	if e.Since.IsZero() {
		e.Since = now
	}
	e.Offer, e.Missed = nil, nil
	b.Queue = append(b.Queue, &e)
	return []Event{{Type: EventQueued, Conversation: e.Conversation, Channel: e.Channel, Time: now,
		Priority: e.Priority.String(), Skill: e.Skill, Reason: e.Reason}}, nil
}

// Cancel takes a waiting conversation out of the queue (the citizen went
// back to the bot or left).
func (b *Board) Cancel(conv string, now time.Time) ([]Event, error) {
	i, e := b.entry(conv)
	if e == nil {
		return nil, ErrNotQueued
	}
	b.remove(i)
	ev := Event{Type: EventCancelled, Conversation: conv, Time: now, Priority: e.Priority.String(),
		Wait: now.Sub(e.Since).Seconds()}
	if e.Offer != nil {
		ev.Agent = e.Offer.Agent
	}
	return []Event{ev}, nil
}

// Connect records an agent's console connection.
func (b *Board) Connect(p Presence, now time.Time) []Event {
	b.init()
	cur, ok := b.Agents[p.Username]
	if !ok {
		p.Status = StatusOnline
		p.Conns = 0
		cur = &p
		b.Agents[p.Username] = cur
	} else {
		// The account may have changed since the last sign-in.
		cur.Name, cur.Role, cur.Skills, cur.MaxChats = p.Name, p.Role, p.Skills, p.MaxChats
	}
	var events []Event
	if cur.Status == StatusOffline {
		cur.Status = StatusOnline
	}
	if cur.Conns == 0 {
		events = append(events, Event{Type: EventStatus, Agent: p.Username, Time: now, Status: cur.Status})
	}
	cur.Conns++
	cur.Seen = now
	cur.Dropped = time.Time{}
	return events
}

// Heartbeat records that an agent's console is still there.
func (b *Board) Heartbeat(agent string, now time.Time) bool {
	a, ok := b.Agents[agent]
	if !ok || a.Conns == 0 {
		return false
	}
	a.Seen = now
	return true
}

// Disconnect records that one of an agent's connections closed. Their
// chats stay theirs for the grace period.
func (b *Board) Disconnect(agent string, now time.Time) []Event {
	a, ok := b.Agents[agent]
	if !ok || a.Conns == 0 {
		return nil
	}
	a.Conns--
	if a.Conns > 0 {
		return nil
	}
	a.Dropped = now
	// An offer to someone who is gone goes to the next agent at once.
	var events []Event
	for _, e := range b.Queue {
		if e.Offer != nil && e.Offer.Agent == agent {
			events = append(events, b.lapse(e, EventMissed, now))
		}
	}
	return events
}

// SetStatus switches an agent between online and away.
func (b *Board) SetStatus(agent, status string, now time.Time) ([]Event, error) {
	if status != StatusOnline && status != StatusAway {
		return nil, ErrBadStatus
	}
	a, ok := b.Agents[agent]
	if !ok {
		return nil, ErrUnknownUser
	}
	if a.Status == status {
		return nil, nil
	}
	a.Status = status
	events := []Event{{Type: EventStatus, Agent: agent, Time: now, Status: status}}
	if status == StatusAway {
		for _, e := range b.Queue {
			if e.Offer != nil && e.Offer.Agent == agent {
				events = append(events, b.lapse(e, EventDeclined, now))
			}
		}
	}
	return events, nil
}

// lapse withdraws an entry's offer (missed, declined) and remembers who.
func (b *Board) lapse(e *Entry, kind string, now time.Time) Event {
	agent := e.Offer.Agent
	e.Offer = nil
	if !slices.Contains(e.Missed, agent) {
		e.Missed = append(e.Missed, agent)
	}
	return Event{Type: kind, Conversation: e.Conversation, Agent: agent, Time: now, Priority: e.Priority.String()}
}

// Decline gives an offer back.
func (b *Board) Decline(agent, conv string, now time.Time) ([]Event, error) {
	_, e := b.entry(conv)
	if e == nil || e.Offer == nil || e.Offer.Agent != agent {
		return nil, ErrNotOffered
	}
	return []Event{b.lapse(e, EventDeclined, now)}, nil
}

// Accept gives the chat to the agent it was offered to. A supervisor may
// also take any waiting conversation.
func (b *Board) Accept(agent, conv string, now time.Time) ([]Event, error) {
	a, ok := b.Agents[agent]
	if !ok {
		return nil, ErrUnknownUser
	}
	i, e := b.entry(conv)
	if e == nil {
		return nil, ErrNotOffered
	}
	offered := e.Offer != nil && e.Offer.Agent == agent
	if !offered && !a.Supervisor() {
		return nil, ErrNotOffered
	}
	var events []Event
	if e.Offer != nil && !offered {
		// A supervisor picked it while it rang elsewhere.
		events = append(events, Event{Type: EventMissed, Conversation: conv, Agent: e.Offer.Agent, Time: now, Reason: "taken"})
	}
	b.remove(i)
	b.Chats[conv] = &Chat{Conversation: conv, Channel: e.Channel, Agent: agent, Priority: e.Priority,
		Skill: e.Skill, Since: now, Queued: e.Since, Note: e.Note}
	a.Assigned = now
	return append(events, Event{Type: EventAccepted, Conversation: conv, Agent: agent, Time: now,
		Priority: e.Priority.String(), Skill: e.Skill, Reason: e.Reason, Wait: now.Sub(e.Since).Seconds()}), nil
}

// holder checks that agent may act on a chat: its owner, or a supervisor.
func (b *Board) holder(agent, conv string) (*Chat, error) {
	c, ok := b.Chats[conv]
	if !ok {
		return nil, ErrNotYours
	}
	if c.Agent == agent {
		return c, nil
	}
	if a, ok := b.Agents[agent]; ok && a.Supervisor() {
		return c, nil
	}
	return nil, ErrNotYours
}

// Holds reports whether agent owns or observes a chat.
func (b *Board) Holds(agent, conv string) bool {
	c, ok := b.Chats[conv]
	return ok && (c.Agent == agent || slices.Contains(c.Observers, agent))
}

// Transfer puts a chat back in the queue, at the front, for another agent
// (toAgent) or skill group (toSkill).
func (b *Board) Transfer(agent, conv, toAgent, toSkill, note string, now time.Time) ([]Event, error) {
	c, err := b.holder(agent, conv)
	if err != nil {
		return nil, err
	}
	if toAgent != "" {
		if _, ok := b.Agents[toAgent]; !ok {
			return nil, ErrUnknownUser
		}
	}
	skill := cmp.Or(toSkill, c.Skill)
	delete(b.Chats, conv)
	b.Queue = append(b.Queue, &Entry{Conversation: conv, Channel: c.Channel, Priority: c.Priority, Skill: skill,
		Reason: "transfer", Since: c.Queued, Front: true, ToAgent: toAgent, Note: note, From: c.Agent})
	return []Event{{Type: EventTransferred, Conversation: conv, Agent: c.Agent, Time: now,
		To: cmp.Or(toAgent, skill), Note: note, Priority: c.Priority.String()}}, nil
}

// Close ends a chat with its wrap-up.
func (b *Board) Close(agent, conv string, w Wrapup, now time.Time) ([]Event, error) {
	c, err := b.holder(agent, conv)
	if err != nil {
		return nil, err
	}
	delete(b.Chats, conv)
	d := now.Sub(c.Since).Seconds()
	if b.AvgHandle <= 0 {
		b.AvgHandle = defaultHandle
	}
	b.AvgHandle = 0.9*b.AvgHandle + 0.1*d
	return []Event{{Type: EventClosed, Conversation: conv, Agent: c.Agent, Time: now,
		Priority: c.Priority.String(), Duration: d, Wrapup: &w}}, nil
}

// End removes a chat the citizen left (unsubscribed, closed the channel).
func (b *Board) End(conv string, now time.Time) []Event {
	if c, ok := b.Chats[conv]; ok {
		delete(b.Chats, conv)
		return []Event{{Type: EventClosed, Conversation: conv, Agent: c.Agent, Time: now, Reason: "citizen_left",
			Duration: now.Sub(c.Since).Seconds()}}
	}
	if ev, err := b.Cancel(conv, now); err == nil {
		return ev
	}
	return nil
}

// supervised returns a live chat a supervisor wants to act on.
func (b *Board) supervised(agent, conv string) (*Chat, error) {
	if a, ok := b.Agents[agent]; !ok || !a.Supervisor() {
		return nil, ErrForbidden
	}
	c, ok := b.Chats[conv]
	if !ok {
		return nil, ErrNotYours
	}
	return c, nil
}

// Join adds a supervisor to a live chat.
func (b *Board) Join(agent, conv string, now time.Time) ([]Event, error) {
	c, err := b.supervised(agent, conv)
	if err != nil {
		return nil, err
	}
	if c.Agent == agent || slices.Contains(c.Observers, agent) {
		return nil, nil
	}
	c.Observers = append(c.Observers, agent)
	return []Event{{Type: EventJoined, Conversation: conv, Agent: agent, Time: now}}, nil
}

// Takeover gives a live chat to a supervisor.
func (b *Board) Takeover(agent, conv string, now time.Time) ([]Event, error) {
	c, err := b.supervised(agent, conv)
	if err != nil {
		return nil, err
	}
	if c.Agent == agent {
		return nil, nil
	}
	from := c.Agent
	c.Agent = agent
	c.Observers = slices.DeleteFunc(c.Observers, func(o string) bool { return o == agent })
	return []Event{{Type: EventTakenOver, Conversation: conv, Agent: agent, Time: now, To: agent, Note: from}}, nil
}

// Tick applies the rules of time: offers that lapsed, agents gone beyond
// the grace period, and new offers for whoever waits.
func (b *Board) Tick(now time.Time, r Rules) []Event {
	b.init()
	var events []Event
	for _, e := range b.Queue {
		if e.Offer != nil && !now.Before(e.Offer.Expires) {
			events = append(events, b.lapse(e, EventMissed, now))
		}
	}
	for _, name := range b.agentNames() {
		a := b.Agents[name]
		if a.Conns > 0 && r.Stale > 0 && now.Sub(a.Seen) > r.Stale {
			// The instance holding the connection died without a word.
			a.Conns = 0
			a.Dropped = a.Seen
		}
		if a.Conns > 0 || a.Dropped.IsZero() || now.Sub(a.Dropped) < r.Grace {
			continue
		}
		a.Dropped = time.Time{}
		a.Status = StatusOffline
		events = append(events, Event{Type: EventStatus, Agent: name, Time: now, Status: StatusOffline})
		for _, conv := range b.chatsOf(name) {
			c := b.Chats[conv]
			delete(b.Chats, conv)
			b.Queue = append(b.Queue, &Entry{Conversation: conv, Channel: c.Channel, Priority: c.Priority,
				Skill: c.Skill, Reason: "returned", Since: c.Queued, Front: true, Note: c.Note, From: name})
			events = append(events, Event{Type: EventReturned, Conversation: conv, Agent: name, Time: now,
				Priority: c.Priority.String()})
		}
		for _, e := range b.Queue {
			if e.Offer != nil && e.Offer.Agent == name {
				events = append(events, b.lapse(e, EventMissed, now))
			}
		}
		for _, c := range b.Chats {
			c.Observers = slices.DeleteFunc(c.Observers, func(o string) bool { return o == name })
		}
		delete(b.Agents, name)
	}
	return append(events, b.assign(now, r)...)
}

func (b *Board) agentNames() []string {
	names := make([]string, 0, len(b.Agents))
	for n := range b.Agents {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (b *Board) chatsOf(agent string) []string {
	var out []string
	for conv, c := range b.Chats {
		if c.Agent == agent {
			out = append(out, conv)
		}
	}
	slices.Sort(out)
	return out
}

// assign offers every waiting conversation without an offer to the best
// agent free for it, in queue order.
func (b *Board) assign(now time.Time, r Rules) []Event {
	// Count each agent's chats and ringing offers once: a busy board has
	// hundreds of entries and agents.
	loads := make(map[string]*agentLoad, len(b.Agents))
	for name := range b.Agents {
		loads[name] = &agentLoad{}
	}
	for _, c := range b.Chats {
		if l, ok := loads[c.Agent]; ok {
			l.chats++
		}
	}
	for _, e := range b.Queue {
		if e.Offer != nil {
			if l, ok := loads[e.Offer.Agent]; ok {
				l.offers++
			}
		}
	}
	names := b.agentNames()
	// free counts the agents who could take a normal chat now; when there
	// is none, only emergencies need a look (the usual state of a queue).
	free := 0
	for _, name := range names {
		a, l := b.Agents[name], loads[name]
		if a.Status == StatusOnline && a.Conns > 0 && l.offers == 0 && l.chats < max(a.MaxChats, 1) {
			free++
		}
	}
	var events []Event
	for _, e := range b.Ordered() {
		if e.Offer != nil || (free == 0 && e.Priority != PriorityEmergency) {
			continue
		}
		a := b.pick(e, names, loads)
		if a == nil {
			continue
		}
		if l := loads[a.Username]; l.chats < max(a.MaxChats, 1) {
			free-- // was free, now ringing
		}
		loads[a.Username].offers++
		e.Offer = &Offer{Agent: a.Username, At: now, Expires: now.Add(r.AcceptTimeout)}
		events = append(events, Event{Type: EventOffered, Conversation: e.Conversation, Agent: a.Username,
			Time: now, Priority: e.Priority.String(), Skill: e.Skill})
	}
	return events
}

// agentLoad is what an agent has on their hands.
type agentLoad struct{ chats, offers int }

// pick chooses the agent to offer e to: online, not already ringing, with
// room under their maximum (an emergency goes to the least loaded agent
// even when everyone is full), with the entry's skill when anyone online
// has it, preferring agents who have not let it lapse, then the fewest
// active chats, then the longest since their last chat.
func (b *Board) pick(e *Entry, names []string, loads map[string]*agentLoad) *Presence {
	var avail []*Presence
	for _, name := range names {
		a := b.Agents[name]
		if a.Status != StatusOnline || a.Conns == 0 || loads[name].offers > 0 {
			continue // away, gone, or already ringing: one offer at a time
		}
		avail = append(avail, a)
	}
	if e.ToAgent != "" {
		i := slices.IndexFunc(avail, func(a *Presence) bool { return a.Username == e.ToAgent })
		switch a, ok := b.Agents[e.ToAgent]; {
		case i >= 0:
			avail = avail[i : i+1]
		case ok && a.Status != StatusOffline:
			return nil // the agent is there but busy: wait for them
		default:
			e.ToAgent = "" // gone: any agent of the skill will do
		}
	}
	if e.Skill != "" && e.Skill != "other" && e.ToAgent == "" && b.skilledOnline(e.Skill) {
		avail = slices.DeleteFunc(avail, func(a *Presence) bool { return !slices.Contains(a.Skills, e.Skill) })
	}
	var best *Presence
	bestLoad, bestMissed := 0, false
	for _, a := range avail {
		chats := loads[a.Username].chats
		if chats >= max(a.MaxChats, 1) && e.Priority != PriorityEmergency {
			continue
		}
		missed := slices.Contains(e.Missed, a.Username)
		better := best == nil ||
			(!missed && bestMissed) ||
			(missed == bestMissed && (chats < bestLoad || (chats == bestLoad && a.Assigned.Before(best.Assigned))))
		if better {
			best, bestLoad, bestMissed = a, chats, missed
		}
	}
	return best
}

// skilledOnline reports whether an agent with the skill is online (even if
// busy): then the entry waits for them rather than going to anyone.
func (b *Board) skilledOnline(skill string) bool {
	for _, a := range b.Agents {
		if a.Status == StatusOnline && a.Conns > 0 && slices.Contains(a.Skills, skill) {
			return true
		}
	}
	return false
}
