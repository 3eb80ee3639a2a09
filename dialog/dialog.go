// Package dialog is the bot: it finds or opens the citizen's conversation,
// handles its messages one at a time, appends them to the transcript and
// decides what to do with each: answer from the knowledge base, ask which
// question was meant, say honestly that nothing was found, or take a
// message for a call back.
//
// Every message the bot writes goes through Post: appended to the transcript
// (which gives it its sequence number), announced on the bus for whichever
// instance holds the citizen's connection, and pushed through the channel's
// Sender where the channel has one.
package dialog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// Conversation states.
const (
	// StateBot: the bot answers.
	StateBot = "bot"
	// StateLeaveMessage: the next citizen message is a message for a call back.
	StateLeaveMessage = "leave_message"
)

// Meta keys the bot writes on transcript messages.
const (
	// MetaReplyTo is the Seq of the citizen message a bot message answers.
	MetaReplyTo = "reply_to"
	// MetaIntent is the intent the NLU found in a citizen message.
	MetaIntent = "intent"
	// MetaDecision is the knowledge base decision (answer, clarify, none).
	MetaDecision = "decision"
	// MetaEntry is the id of the knowledge base entry an answer came from.
	MetaEntry = "entry"
	// MetaCallback marks a citizen message recorded as a call-back request.
	MetaCallback = "callback_request"
	// MetaRating is the satisfaction score a rating message records.
	MetaRating = "rating"
	// MetaIntentConfidence, MetaDepartment and MetaUrgency carry the rest
	// of what the NLU understood of a citizen message.
	MetaIntentConfidence = "intent_confidence"
	MetaDepartment       = "department"
	MetaUrgency          = "urgency"
)

// DataPriority is the conversation data key flagging an urgent or emergency
// conversation for top-priority hand-off ("urgent", "emergency").
const DataPriority = "priority"

// dataDraft keeps a call-back message that still lacks a phone number.
const dataDraft = "message_draft"

// DataVerifiedPhone is the conversation data key of a phone number the
// channel vouches for (the city app's signed token): a message left for a
// call back needs no phone typed.
const DataVerifiedPhone = "verified_phone"

// dataUnanswered counts the bot's consecutive none/clarify outcomes; at
// two the citizen is handed to an agent.
const dataUnanswered = "unanswered"

// dataOrderSurvey is the number of the work order whose result the
// citizen was asked to rate.
const dataOrderSurvey = "order_survey"

// dataAppealType keeps the kind of appeal being taken down (complaint,
// report, help, suggestion) until its work order is created.
const dataAppealType = "appeal_type"

// WorkOrders records appeals as work orders and answers status queries.
type WorkOrders interface {
	Create(ctx context.Context, d workorder.Draft) (workorder.WorkOrder, error)
	// Lookup returns the order only to the conversation it came from.
	Lookup(ctx context.Context, conversation, number string) (workorder.WorkOrder, error)
	ForConversation(ctx context.Context, conversation string) ([]workorder.WorkOrder, error)
	// Visit records the citizen's rating of the result (回访).
	Visit(ctx context.Context, number string, rating workorder.Rating, by, text string) (workorder.WorkOrder, error)
	Transition(ctx context.Context, number string, to workorder.Status, by, text string) (workorder.WorkOrder, error)
}

// Handoff passes conversations to human agents.
type Handoff interface {
	// Request queues the conversation for an agent, unless none serve now.
	Request(ctx context.Context, conv store.Conversation, r handoff.Request) (handoff.Outcome, error)
	// Cancel takes a waiting conversation out of the queue.
	Cancel(ctx context.Context, conv string) (bool, error)
	// Rated records the satisfaction score for an agent's service.
	Rated(ctx context.Context, conv, agent string, score int)
	// RecordCallback shows a call-back request (留言) to the agents.
	RecordCallback(ctx context.Context, conv store.Conversation, m store.Message) error
}

// Store is what the bot needs from the store.
type Store interface {
	store.Conversations
	store.Transcripts
	store.Misses
	store.Logs
	store.Locker
	store.Bus
}

// Understander is what the bot needs from the NLU layer.
type Understander interface {
	Parse(text string, now time.Time) nlu.Result
	// Confident reports whether the intent and the department are above
	// the thresholds at which they are right 95% of the time.
	Confident(r nlu.Result) (intent, department bool)
}

// Searcher answers questions from the knowledge base.
type Searcher interface {
	Search(ctx context.Context, query string, opt knowledge.SearchOptions) (knowledge.Result, error)
}

// Config configures the bot.
type Config struct {
	// Store keeps conversations and transcripts. Required.
	Store Store
	// Knowledge answers questions. Required.
	Knowledge Searcher
	// NLU understands messages. Required.
	NLU Understander
	// Channels finds the Sender of channels that push; nil means none do.
	Channels *channels.Registry
	// Logger receives operational logs; never message text. Default: discard.
	Logger *slog.Logger
	// Registerer receives the bot's metrics; nil means they are not exported.
	Registerer prometheus.Registerer
}

// DefaultHandoffIntents are the intents handed to agents by default.
var DefaultHandoffIntents = []nlu.Intent{nlu.IntentComplaint, nlu.IntentReport, nlu.IntentHelp}

// Bot handles citizens' messages.
type Bot struct {
	store     Store
	kb        Searcher
	nlu       Understander
	channels  *channels.Registry
	log       *slog.Logger
	latency   *prometheus.HistogramVec
	decisions *prometheus.CounterVec

	handoff        Handoff
	handoffIntents []nlu.Intent
	workorders     WorkOrders
}

// New returns a bot.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil || cfg.Knowledge == nil || cfg.NLU == nil {
		return nil, errors.New("dialog: Store, Knowledge and NLU are required")
	}
	if cfg.Channels == nil {
		cfg.Channels = channels.NewRegistry()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Bot{
		handoffIntents: DefaultHandoffIntents,
		store:          cfg.Store,
		kb:             cfg.Knowledge,
		nlu:            cfg.NLU,
		channels:       cfg.Channels,
		log:            cfg.Logger,
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "hotline",
			Name:      "answer_seconds",
			Help:      "Time from a citizen message to the bot's reply being stored, by reply kind.",
			Buckets:   []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"kind"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hotline",
			Name:      "kb_searches_total",
			Help:      "Knowledge base searches by decision: answer (hit), clarify, none (miss).",
		}, []string{"decision"}),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{b.latency, b.decisions} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("dialog: register metrics: %w", err)
			}
		}
	}
	return b, nil
}

// SetHandoff connects the bot to the agents. intents are the appeals
// handed to an agent (when agents serve) rather than taken down as a
// message; nil keeps DefaultHandoffIntents, an empty slice hands none.
// The hand-off service posts through the bot, so it is built after it:
// call SetHandoff before the bot handles messages.
func (b *Bot) SetHandoff(h Handoff, intents []nlu.Intent) {
	b.handoff = h
	if intents != nil {
		b.handoffIntents = intents
	}
}

// SetWorkOrders makes the bot record what citizens leave for the staff
// as work orders and answer questions about them. Call it before the bot
// handles messages.
func (b *Bot) SetWorkOrders(w WorkOrders) { b.workorders = w }

// Open starts a new conversation for a channel user and greets them.
func (b *Bot) Open(ctx context.Context, channel, user string) (store.Conversation, error) {
	conv, err := b.store.CreateConversation(ctx, store.Conversation{
		ID:      NewID(),
		Channel: channel,
		User:    user,
		State:   StateBot,
	})
	if err != nil {
		return conv, fmt.Errorf("dialog: open conversation: %w", err)
	}
	if _, err := b.Post(ctx, conv, store.Message{From: store.FromBot, Text: textWelcome, Options: topics}); err != nil {
		return conv, err
	}
	b.log.Info("conversation opened", "conversation", conv.ID, "channel", channel)
	return conv, nil
}

// Post appends a message the hotline writes to the conversation's
// transcript, announces it on the bus and pushes it through the channel's
// Sender, if it has one. The message is in the transcript once Post returns
// without error, even when the push failed (the push error is logged).
func (b *Bot) Post(ctx context.Context, conv store.Conversation, m store.Message) (store.Message, error) {
	stored, _, err := b.store.Append(ctx, conv.ID, m)
	if err != nil {
		return stored, fmt.Errorf("dialog: append to %s: %w", conv.ID, err)
	}
	b.Deliver(ctx, conv, stored)
	return stored, nil
}

// Deliver announces a message already in the transcript on the bus and
// pushes it through the channel's Sender, if it has one. Failures are
// logged: the transcript has the message, and clients catch up from it.
func (b *Bot) Deliver(ctx context.Context, conv store.Conversation, m store.Message) {
	b.announce(ctx, conv.ID, m)
	if s, ok := b.channels.Sender(conv.Channel); ok {
		if err := s.Send(ctx, channels.Outbound{Conversation: conv, Message: m}); err != nil {
			b.log.Warn("push failed", "conversation", conv.ID, "seq", m.Seq, "channel", conv.Channel, "err", err)
		}
	}
}

func (b *Bot) announce(ctx context.Context, conv string, m store.Message) {
	if err := b.store.Publish(ctx, channels.Topic(conv), channels.EncodeEvent(m)); err != nil {
		// Delivery catches up from the transcript on the next event or resume.
		b.log.Warn("announce failed", "conversation", conv, "seq", m.Seq, "err", err)
	}
}

// Handle stores one citizen message and answers it. Messages of one
// conversation are handled one at a time, in order. stored, when not nil, is
// called as soon as the citizen's message is in the transcript (the moment a
// channel may acknowledge it), before the bot answers. A message whose ID
// was stored before is not stored again; it is answered only if the earlier
// attempt stopped before its answer was stored.
func (b *Bot) Handle(ctx context.Context, in channels.Inbound, stored func(m store.Message, duplicate bool)) error {
	start := time.Now()
	unlock, err := b.store.Lock(ctx, in.Conversation)
	if err != nil {
		return fmt.Errorf("dialog: lock %s: %w", in.Conversation, err)
	}
	defer unlock()

	conv, err := b.store.Conversation(ctx, in.Conversation)
	if err != nil {
		return fmt.Errorf("dialog: conversation %s: %w", in.Conversation, err)
	}
	if in.Kind == channels.KindRating {
		return b.rate(ctx, conv, in)
	}

	var (
		parse nlu.Result
		meta  = map[string]string{}
	)
	if in.Kind == channels.KindMedia {
		parse.Intent = nlu.IntentOther
	} else {
		parse = b.nlu.Parse(in.Text, time.Now())
		meta = map[string]string{
			MetaIntent:           string(parse.Intent),
			MetaIntentConfidence: strconv.FormatFloat(parse.IntentConfidence, 'f', 2, 64),
			MetaDepartment:       parse.Department,
			MetaUrgency:          string(parse.Urgency),
		}
	}
	for k, v := range in.Meta {
		meta[k] = v
	}
	msg, dup, err := b.store.Append(ctx, conv.ID, store.Message{
		ID:   in.ID,
		From: store.FromCitizen,
		Text: in.Text,
		Meta: meta,
	})
	if err != nil {
		return fmt.Errorf("dialog: append to %s: %w", conv.ID, err)
	}
	if stored != nil {
		stored(msg, dup)
	}
	if dup {
		answered, err := b.answered(ctx, conv.ID, msg.Seq)
		if err != nil || answered {
			return err
		}
	} else {
		b.announce(ctx, conv.ID, msg)
	}
	if b.silent(conv, msg, parse) {
		// An agent holds the chat, or the citizen waits for one: what
		// they write is for the agent. The bot says nothing.
		b.recordMessage(ctx, conv, msg, parse, OutcomeAgent)
		return nil
	}

	var (
		replies []store.Message
		kind    string
	)
	if in.Kind == channels.KindMedia {
		replies, kind = []store.Message{bot(mediaReply(in.Meta[channels.MetaMedia]))}, "media"
	} else if replies, kind, err = b.respond(ctx, &conv, msg, parse); err != nil {
		return err
	}
	for _, r := range replies {
		if r.Meta == nil {
			r.Meta = map[string]string{}
		}
		r.Meta[MetaReplyTo] = strconv.FormatInt(msg.Seq, 10)
		if _, err := b.Post(ctx, conv, r); err != nil {
			return err
		}
	}
	b.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	b.recordMessage(ctx, conv, msg, parse, outcomeOf(kind))
	return nil
}

// recordMessage appends a handled citizen message to the dialog log.
func (b *Bot) recordMessage(ctx context.Context, conv store.Conversation, msg store.Message, u nlu.Result, outcome string) {
	b.record(ctx, Event{Type: EventMessage, Time: msg.Time, Conversation: conv.ID, Channel: conv.Channel,
		Intent: string(u.Intent), Department: u.Department, Urgency: string(u.Urgency), Outcome: outcome})
}

// record appends e to the dialog log. The transcript is already stored,
// so a failure costs the statistics one event, not the citizen a message:
// it is logged, not returned.
func (b *Bot) record(ctx context.Context, e Event) {
	data, err := json.Marshal(e)
	if err == nil {
		_, err = b.store.AppendLog(ctx, LogName, data)
	}
	if err != nil {
		b.log.Warn("dialog: record event failed", "type", e.Type, "conversation", e.Conversation, "err", err)
	}
}

// outcomeOf maps a reply kind (the answer latency's label) to the outcome
// the statistics count.
func outcomeOf(kind string) string {
	switch kind {
	case OutcomeAnswer, OutcomeClarify, OutcomeNone, OutcomeHandoff, OutcomeHuman,
		OutcomeEmergency, OutcomeSmallTalk, OutcomeTicketStatus, OutcomeAppeal:
		return kind
	case "praise":
		return OutcomeSmallTalk
	case "leave_message", "intake":
		return OutcomeAppeal
	}
	return OutcomeOther
}

// silent reports whether the bot must leave a message to the agents: the
// conversation is with an agent, or waits for one and the message is
// neither a cancellation nor an emergency (danger to life is answered at
// once, whoever holds the chat later).
func (b *Bot) silent(conv store.Conversation, msg store.Message, u nlu.Result) bool {
	switch conv.State {
	case handoff.StateAgent:
		return true
	case handoff.StateQueued:
		return strings.TrimSpace(msg.Text) != optionCancelQueue && u.Urgency != nlu.UrgencyEmergency
	}
	return false
}

// mediaReply acknowledges something the bot cannot read.
func mediaReply(media string) string {
	if media == "voice" {
		return textVoice
	}
	return textMedia
}

// answered reports whether the transcript holds a reply to citizen message seq.
func (b *Bot) answered(ctx context.Context, conv string, seq int64) (bool, error) {
	later, err := b.store.Messages(ctx, conv, seq, 100)
	if err != nil {
		return false, fmt.Errorf("dialog: read %s: %w", conv, err)
	}
	want := strconv.FormatInt(seq, 10)
	for _, m := range later {
		if m.Meta[MetaReplyTo] == want {
			return true, nil
		}
	}
	return false, nil
}

// respond decides the replies to one citizen message and updates the
// conversation's state. kind labels the answer latency metric.
func (b *Bot) respond(ctx context.Context, conv *store.Conversation, msg store.Message, u nlu.Result) (replies []store.Message, kind string, err error) {
	text := strings.TrimSpace(msg.Text)
	// Danger to life comes first, whatever else the conversation is doing.
	if u.Urgency == nlu.UrgencyEmergency {
		if err := b.flag(ctx, conv, nlu.UrgencyEmergency); err != nil {
			return nil, "", err
		}
		b.log.Warn("emergency flagged", "conversation", conv.ID, "numbers", strings.Join(u.EmergencyNumbers, ","))
		replies := []store.Message{emergencyReply(u.EmergencyNumbers)}
		if b.handoff != nil && conv.State != handoff.StateQueued {
			// Top priority to a person, at once; if nobody can take it,
			// the advice above stands on its own.
			if out, err := b.handoff.Request(ctx, *conv, handoff.Request{Priority: handoff.PriorityEmergency,
				Skill: b.skill(u), Reason: "emergency", Preview: msg.Text}); err != nil {
				b.log.Error("emergency hand-off failed", "conversation", conv.ID, "err", err)
			} else if out.Queued {
				replies = append(replies, bot(textQueuedEmergency, optionCancelQueue))
			}
		}
		return replies, "emergency", nil
	}
	if conv.State == handoff.StateQueued { // the only thing the bot hears there
		return b.cancelQueue(ctx, conv)
	}
	if number := conv.Data[dataOrderSurvey]; number != "" && b.workorders != nil {
		if score := handoff.SurveyScore(text); score > 0 {
			return b.orderRated(ctx, conv, number, workorder.Rating(score))
		}
	}
	if agent := conv.Data[handoff.DataSurvey]; agent != "" {
		if score := handoff.SurveyScore(text); score > 0 {
			return b.surveyed(ctx, conv, agent, score)
		}
	}
	if conv.State == StateIntake {
		stale := intakeStale(*conv, msg.Time)
		if !stale && (text != optionHuman || b.handoff == nil) {
			return b.continueIntake(ctx, conv, msg)
		}
		// 转人工 in the middle (an agent takes the appeal down instead),
		// or a citizen back after a day: the message is read afresh.
		if err := b.endIntake(ctx, conv); err != nil {
			return nil, "", err
		}
	}
	if conv.State == StateLeaveMessage {
		return b.takeMessage(ctx, conv, msg)
	}
	if text == optionLeaveMessage || text == "我要留言" {
		if err := b.setState(ctx, conv, StateLeaveMessage, ""); err != nil {
			return nil, "", err
		}
		return []store.Message{bot(textLeaveMessage, optionCancel)}, "leave_message", nil
	}
	var urgent []store.Message
	if u.Urgency == nlu.UrgencyUrgent {
		if err := b.flag(ctx, conv, nlu.UrgencyUrgent); err != nil {
			return nil, "", err
		}
		urgent = []store.Message{bot(textUrgent)}
	}
	intentOK, deptOK := b.nlu.Confident(u)
	intent := u.Intent
	if !intentOK {
		intent = nlu.IntentConsult // not sure: try the knowledge base
	}
	if text == optionHuman {
		intent = nlu.IntentHuman
	}
	if b.workorders != nil {
		if number, ok := workorder.ParseNumber(text); ok {
			return append(urgent, b.orderStatus(ctx, conv, number)...), "ticket_status", nil
		}
	}
	dept := ""
	if deptOK && u.Department != nlu.NotApplicable {
		dept = u.Department
	}
	switch intent {
	case nlu.IntentGreeting:
		return append(urgent, bot(textGreeting, topics...)), "small_talk", nil
	case nlu.IntentThanks:
		return append(urgent, bot(textThanks)), "small_talk", nil
	case nlu.IntentGoodbye:
		return append(urgent, bot(textGoodbye)), "small_talk", nil
	case nlu.IntentHuman:
		taken, kind, err := b.escalate(ctx, conv, msg, u, "human", "")
		return append(urgent, taken...), kind, err
	case nlu.IntentTicketStatus:
		if b.workorders != nil {
			return append(urgent, b.orderStatus(ctx, conv, "")...), "ticket_status", nil
		}
		return append(urgent, bot(textTicketStatus, optionLeaveMessage)), "ticket_status", nil
	case nlu.IntentPraise:
		return append(urgent, bot(textPraise, optionLeaveMessage)), "praise", nil
	case nlu.IntentComplaint, nlu.IntentReport, nlu.IntentHelp, nlu.IntentSuggestion:
		// The knowledge base may say how such a matter is handled (欠薪
		// 怎么投诉); otherwise the appeal is taken down for the staff.
		answer, kind, err := b.answer(ctx, text, dept)
		if err != nil {
			return nil, "", err
		}
		if kind == "answer" {
			answer[0].Options = appendOption(answer[0].Options, optionLeaveMessage)
			return append(urgent, answer...), kind, err
		}
		if b.handoff != nil && slices.Contains(b.handoffIntents, intent) {
			taken, kind, err := b.escalate(ctx, conv, msg, u, string(intent), "")
			if err != nil || kind == "handoff" {
				return append(urgent, taken...), kind, err
			}
		}
		if b.workorders != nil {
			taken, kind, err := b.startIntake(ctx, conv, msg, u, workorder.AppealType(intent))
			return append(urgent, taken...), kind, err
		}
		taken, kind, err := b.takeAppeal(ctx, conv, msg, intent)
		return append(urgent, taken...), kind, err
	}
	answer, kind, err := b.answer(ctx, text, dept)
	if err != nil {
		return nil, "", err
	}
	if n, err := b.countUnanswered(ctx, conv, kind); err != nil {
		return nil, "", err
	} else if n >= 2 && b.handoff != nil {
		taken, hkind, err := b.escalate(ctx, conv, msg, u, "unanswered", textUnanswered)
		if err != nil || hkind == "handoff" {
			return append(urgent, taken...), hkind, err
		}
	}
	return append(urgent, answer...), kind, nil
}

// skill is the department an agent should know for this message, when
// the NLU is sure of it.
func (b *Bot) skill(u nlu.Result) string {
	if _, deptOK := b.nlu.Confident(u); deptOK && u.Department != nlu.NotApplicable {
		return u.Department
	}
	return ""
}

// escalate hands the conversation to an agent. kind is "handoff" when the
// citizen now waits for one; otherwise the replies say why not and offer
// to leave a message. lead, if any, starts the reply.
func (b *Bot) escalate(ctx context.Context, conv *store.Conversation, msg store.Message, u nlu.Result, reason, lead string) ([]store.Message, string, error) {
	if b.handoff == nil {
		return []store.Message{bot(lead+textHuman, optionLeaveMessage)}, "human", nil
	}
	out, err := b.handoff.Request(ctx, *conv, handoff.Request{
		Priority: handoff.ParsePriority(conv.Data[DataPriority]),
		Skill:    b.skill(u),
		Reason:   reason,
		Preview:  msg.Text,
	})
	if err != nil {
		b.log.Error("hand-off failed", "conversation", conv.ID, "err", err)
		return []store.Message{bot(textBusy, optionLeaveMessage)}, "error", nil
	}
	if c, err := b.store.Conversation(ctx, conv.ID); err == nil {
		*conv = c
	}
	switch {
	case out.Queued:
		b.log.Info("handed off", "conversation", conv.ID, "reason", reason, "position", out.Position)
		return []store.Message{bot(lead+textQueued, optionCancelQueue)}, "handoff", nil
	case out.Closed:
		text := lead + fmt.Sprintf(textAgentsClosed, out.Hours)
		if !out.NextOpen.IsZero() {
			text += fmt.Sprintf(textAgentsReopen, out.NextOpen.Format("1月2日 15:04"))
		}
		return []store.Message{bot(text, optionLeaveMessage)}, "human", nil
	default:
		return []store.Message{bot(lead+textNoAgents, optionLeaveMessage)}, "human", nil
	}
}

// cancelQueue takes a waiting citizen back to the bot.
func (b *Bot) cancelQueue(ctx context.Context, conv *store.Conversation) ([]store.Message, string, error) {
	if b.handoff == nil {
		if err := b.setState(ctx, conv, StateBot, ""); err != nil {
			return nil, "", err
		}
	} else if _, err := b.handoff.Cancel(ctx, conv.ID); err != nil {
		return nil, "", fmt.Errorf("dialog: cancel queue of %s: %w", conv.ID, err)
	}
	if c, err := b.store.Conversation(ctx, conv.ID); err == nil {
		*conv = c
	}
	return []store.Message{bot(textQueueCancelled, topics...)}, "cancel_queue", nil
}

// countUnanswered keeps the count of consecutive none/clarify outcomes
// and returns it.
func (b *Bot) countUnanswered(ctx context.Context, conv *store.Conversation, kind string) (int, error) {
	n, _ := strconv.Atoi(conv.Data[dataUnanswered])
	next := 0
	if kind == "none" || kind == "clarify" {
		next = n + 1
	}
	if next == n {
		return n, nil
	}
	c, err := b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		if next == 0 || next >= 2 {
			delete(c.Data, dataUnanswered) // counted again after a hand-off
		} else {
			c.Data[dataUnanswered] = strconv.Itoa(next)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("dialog: update %s: %w", conv.ID, err)
	}
	*conv = c
	return next, nil
}

// surveyed records the citizen's answer to the satisfaction survey that
// follows an agent's service.
func (b *Bot) surveyed(ctx context.Context, conv *store.Conversation, agent string, score int) ([]store.Message, string, error) {
	c, err := b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
		delete(c.Data, handoff.DataSurvey)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("dialog: update %s: %w", conv.ID, err)
	}
	*conv = c
	if b.handoff != nil {
		b.handoff.Rated(ctx, conv.ID, agent, score)
	}
	m := bot(textRated)
	m.Meta = map[string]string{MetaRating: strconv.Itoa(score), handoff.MetaAgent: agent}
	return []store.Message{m}, "rating", nil
}

// emergencyReply tells the citizen whom to call and what to do.
func emergencyReply(numbers []string) store.Message {
	advice := textEmergencyAny
	if len(numbers) > 0 {
		if a, ok := emergencyAdvice[numbers[0]]; ok {
			advice = a
		}
	}
	m := bot(textEmergencyLead + advice + "\n" + textEmergencyTail)
	m.Meta = map[string]string{MetaUrgency: string(nlu.UrgencyEmergency)}
	return m
}

// flag marks the conversation for priority hand-off; an emergency is never
// lowered to urgent.
func (b *Bot) flag(ctx context.Context, conv *store.Conversation, level nlu.Urgency) error {
	if conv.Data[DataPriority] == string(nlu.UrgencyEmergency) {
		return nil
	}
	c, err := b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		if c.Data[DataPriority] != string(nlu.UrgencyEmergency) {
			c.Data[DataPriority] = string(level)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dialog: flag %s: %w", conv.ID, err)
	}
	*conv = c
	return nil
}

// takeAppeal starts recording a complaint, report, request for help or
// suggestion as a message for the staff, with what the citizen just wrote
// as its first part.
func (b *Bot) takeAppeal(ctx context.Context, conv *store.Conversation, msg store.Message, intent nlu.Intent) ([]store.Message, string, error) {
	c, err := b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		c.Data[dataAppealType] = string(intent)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("dialog: update %s: %w", conv.ID, err)
	}
	*conv = c
	if len(nlu.Phones(msg.Text)) > 0 || conv.Data[DataVerifiedPhone] != "" {
		// Everything is there already.
		if err := b.setState(ctx, conv, StateLeaveMessage, ""); err != nil {
			return nil, "", err
		}
		return b.takeMessage(ctx, conv, msg)
	}
	if err := b.setState(ctx, conv, StateLeaveMessage, strings.TrimSpace(msg.Text)); err != nil {
		return nil, "", err
	}
	return []store.Message{bot(textAppeal, optionCancel)}, "appeal", nil
}

func appendOption(options []string, o string) []string {
	for _, x := range options {
		if x == o {
			return options
		}
	}
	if len(options) >= 3 {
		options = options[:2]
	}
	return append(options, o)
}

// answer searches the knowledge base; department is a ranking hint.
func (b *Bot) answer(ctx context.Context, question, department string) ([]store.Message, string, error) {
	res, err := b.kb.Search(ctx, question, knowledge.SearchOptions{Department: department})
	if err != nil {
		b.log.Error("knowledge search failed", "err", err)
		return []store.Message{bot(textBusy)}, "error", nil
	}
	b.decisions.WithLabelValues(string(res.Decision)).Inc()
	if res.Decision != knowledge.DecisionAnswer {
		if err := b.store.RecordMiss(ctx, maskPrivate(question), string(res.Decision)); err != nil {
			b.log.Warn("record miss failed", "err", err)
		}
	}
	meta := map[string]string{MetaDecision: string(res.Decision)}
	switch res.Decision {
	case knowledge.DecisionAnswer:
		e := res.Hits[0].Entry
		meta[MetaEntry] = e.ID
		var related []string
		for _, r := range res.Related {
			if len(related) == 3 {
				break
			}
			related = append(related, r.Question)
		}
		m := bot(e.Answer+sourceLine(e.Source.Title, e.Source.Number), related...)
		m.Meta = meta
		return []store.Message{m}, "answer", nil
	case knowledge.DecisionClarify:
		var options []string
		for _, h := range res.Hits {
			if len(options) == 3 {
				break
			}
			options = append(options, h.Entry.Question)
		}
		m := bot(textClarify, options...)
		m.Meta = meta
		return []store.Message{m}, "clarify", nil
	default:
		m := bot(textNone, append(append([]string(nil), topics[:2]...), optionLeaveMessage)...)
		m.Meta = meta
		return []store.Message{m}, "none", nil
	}
}

// takeMessage records a call-back request. It needs a phone number; a
// message without one is kept as a draft and the citizen is asked for it.
func (b *Bot) takeMessage(ctx context.Context, conv *store.Conversation, msg store.Message) ([]store.Message, string, error) {
	text := strings.TrimSpace(msg.Text)
	if text == optionCancel {
		if err := b.setState(ctx, conv, StateBot, ""); err != nil {
			return nil, "", err
		}
		return []store.Message{bot(textCancelled, topics...)}, "leave_message", nil
	}
	draft := strings.TrimSpace(conv.Data[dataDraft] + "\n" + text)
	if phone := conv.Data[DataVerifiedPhone]; phone != "" && len(nlu.Phones(draft)) == 0 {
		draft += "\n联系电话：" + phone + "（已验证）"
	}
	if len(nlu.Phones(draft)) == 0 {
		if err := b.setState(ctx, conv, StateLeaveMessage, draft); err != nil {
			return nil, "", err
		}
		return []store.Message{bot(textNeedPhone, optionCancel)}, "leave_message", nil
	}
	if err := b.setState(ctx, conv, StateBot, ""); err != nil {
		return nil, "", err
	}
	// The request itself is a system entry in the transcript, so that the
	// agents' console and the work order system find it in one place.
	request, err := b.Post(ctx, *conv, store.Message{
		From: store.FromSystem,
		Text: "留言：" + draft,
		Meta: map[string]string{MetaCallback: "open"},
	})
	if err != nil {
		return nil, "", err
	}
	if b.handoff != nil {
		if err := b.handoff.RecordCallback(ctx, *conv, request); err != nil {
			// It stays in the transcript, flagged; log for the operators.
			b.log.Error("call-back request not listed for agents", "conversation", conv.ID, "err", err)
		}
	}
	if b.workorders != nil {
		if o, err := b.createOrder(ctx, conv, draft); err == nil {
			b.log.Info("work order created", "conversation", conv.ID, "number", o.Number)
			return []store.Message{bot(fmt.Sprintf(textOrderTaken, o.Number, o.Due.Format("2006年1月2日")))}, "leave_message", nil
		} else {
			// The request is in the transcript and the agents' list.
			b.log.Error("work order not created", "conversation", conv.ID, "err", err)
		}
	}
	b.log.Info("call-back request recorded", "conversation", conv.ID)
	return []store.Message{bot(textMessageTaken)}, "leave_message", nil
}

// createOrder records a message left for the staff as a work order: the
// kind of appeal the citizen started with (a plain 留言 is a consultation),
// the department the NLU suggests, the first phone number in it (or the
// one the channel vouched for).
func (b *Bot) createOrder(ctx context.Context, conv *store.Conversation, text string) (workorder.WorkOrder, error) {
	appeal := workorder.AppealType(conv.Data[dataAppealType])
	if !appeal.Valid() {
		appeal = workorder.Consult
	}
	phone := conv.Data[DataVerifiedPhone]
	if phones := nlu.Phones(text); len(phones) > 0 {
		phone = phones[0]
	}
	u := b.nlu.Parse(text, time.Now())
	d := workorder.Draft{
		Conversation: conv.ID,
		Channel:      conv.Channel,
		AppealType:   appeal,
		Summary:      text,
		Contact:      workorder.Contact{Phone: phone},
		By:           "bot",
	}
	if _, deptOK := b.nlu.Confident(u); deptOK && u.Department != nlu.NotApplicable {
		d.Suggested = workorder.Suggested{Department: u.Department, Confidence: u.DepartmentConfidence}
	}
	o, err := b.workorders.Create(ctx, d)
	if err == nil {
		_, err = b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
			delete(c.Data, dataAppealType)
			return nil
		})
	}
	return o, err
}

// OrderChanged tells the citizen when their work order is finished: the
// department's reply and the satisfaction question (回访). It is the work
// orders' change hook.
func (b *Bot) OrderChanged(ctx context.Context, o workorder.WorkOrder, c workorder.Change) {
	if c.Kind != "status" || c.Status != workorder.Finished || o.Conversation == "" {
		return
	}
	conv, err := b.store.UpdateConversation(ctx, o.Conversation, func(conv *store.Conversation) error {
		if conv.Data == nil {
			conv.Data = map[string]string{}
		}
		conv.Data[dataOrderSurvey] = o.Number
		return nil
	})
	if err != nil {
		b.log.Error("work order result not told", "number", o.Number, "err", err)
		return
	}
	if conv.State == "closed" {
		return // the citizen left the channel (unfollowed)
	}
	text := fmt.Sprintf(textOrderFinished, o.Number, o.Reply)
	if _, err := b.Post(ctx, conv, bot(text, handoff.SurveyOptions[:]...)); err != nil {
		b.log.Error("work order result not told", "number", o.Number, "err", err)
	}
}

// orderRated records the citizen's rating of a finished order; 不满意
// sends it back to the department (重新办理).
func (b *Bot) orderRated(ctx context.Context, conv *store.Conversation, number string, rating workorder.Rating) ([]store.Message, string, error) {
	c, err := b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
		delete(c.Data, dataOrderSurvey)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("dialog: update %s: %w", conv.ID, err)
	}
	*conv = c
	if _, err := b.workorders.Visit(ctx, number, rating, "citizen", ""); err != nil {
		b.log.Error("work order rating not recorded", "number", number, "err", err)
		return []store.Message{bot(textBusy)}, "rating", nil
	}
	m := bot(textRated)
	if rating == workorder.RatingUnsatisfied {
		if _, err := b.workorders.Transition(ctx, number, workorder.Reopened, "citizen", "市民对办理结果不满意"); err != nil {
			b.log.Error("work order not reopened", "number", number, "err", err)
		} else {
			m = bot(fmt.Sprintf(textOrderReopened, number))
		}
	}
	m.Meta = map[string]string{MetaRating: strconv.Itoa(int(rating)), "workorder": number}
	return []store.Message{m}, "rating", nil
}

// orderStatus answers a question about a work order: the one numbered
// number, or the conversation's own orders. Someone else's number gets
// the answer a wrong number gets.
func (b *Bot) orderStatus(ctx context.Context, conv *store.Conversation, number string) []store.Message {
	var orders []workorder.WorkOrder
	if number != "" {
		o, err := b.workorders.Lookup(ctx, conv.ID, number)
		if err != nil {
			if !errors.Is(err, workorder.ErrNotFound) {
				b.log.Error("work order lookup failed", "conversation", conv.ID, "err", err)
				return []store.Message{bot(textBusy)}
			}
			return []store.Message{bot(textOrderUnknown, optionLeaveMessage)}
		}
		orders = []workorder.WorkOrder{o}
	} else {
		all, err := b.workorders.ForConversation(ctx, conv.ID)
		if err != nil {
			b.log.Error("work order lookup failed", "conversation", conv.ID, "err", err)
			return []store.Message{bot(textBusy)}
		}
		if len(all) == 0 {
			return []store.Message{bot(textOrderNone, optionLeaveMessage)}
		}
		orders = all[max(0, len(all)-3):]
	}
	var lines []string
	for _, o := range orders {
		line := fmt.Sprintf(textOrderLine, o.Number, o.AppealType.Label(), o.Status.Label(), o.Due.Format("2006年1月2日"))
		if o.Reply != "" {
			line += "\n办理结果：" + o.Reply
		}
		lines = append(lines, line)
	}
	return []store.Message{bot(strings.Join(lines, "\n\n"))}
}

// rate records a satisfaction score (1..5).
func (b *Bot) rate(ctx context.Context, conv store.Conversation, in channels.Inbound) error {
	if in.Score < 1 || in.Score > 5 {
		return ErrBadScore
	}
	if agent := conv.Data[handoff.DataSurvey]; agent != "" {
		// The answer to the survey after an agent's service: four levels,
		// 4 非常满意 … 1 不满意.
		replies, _, err := b.surveyed(ctx, &conv, agent, min(in.Score, len(handoff.SurveyOptions)))
		if err != nil {
			return err
		}
		_, err = b.Post(ctx, conv, replies[0])
		return err
	}
	_, err := b.Post(ctx, conv, store.Message{
		From: store.FromBot,
		Text: textRated,
		Meta: map[string]string{MetaRating: strconv.Itoa(in.Score)},
	})
	return err
}

func (b *Bot) setState(ctx context.Context, conv *store.Conversation, state, draft string) error {
	c, err := b.store.UpdateConversation(ctx, conv.ID, func(c *store.Conversation) error {
		c.State = state
		if c.Data == nil {
			c.Data = map[string]string{}
		}
		if draft == "" {
			delete(c.Data, dataDraft)
		} else {
			c.Data[dataDraft] = draft
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dialog: update %s: %w", conv.ID, err)
	}
	*conv = c
	return nil
}

func bot(text string, options ...string) store.Message {
	return store.Message{From: store.FromBot, Text: text, Options: options}
}

// NewID returns a new unguessable identifier (128 random bits, hex).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}
