package dialog

import "time"

// LogName is the store log of the dialog's events, the raw data of the
// statistics: one entry per citizen message handled, as an Event in JSON.
// It holds no text and no private data.
const LogName = "dialog"

// EventMessage is the type of every Event: a citizen message was handled.
// (The type leaves room for other kinds of events.)
const EventMessage = "message"

// The outcomes of a citizen message (Event.Outcome): what the hotline did
// with it.
const (
	OutcomeAnswer       = "answer"        // the knowledge base answered
	OutcomeClarify      = "clarify"       // the bot asked "您是想问…"
	OutcomeNone         = "none"          // the knowledge base had nothing
	OutcomeHandoff      = "handoff"       // the citizen now waits for an agent
	OutcomeHuman        = "human"         // asked for a person who could not be queued (closed, nobody online)
	OutcomeAppeal       = "appeal"        // an appeal taken down (work order or 留言)
	OutcomeEmergency    = "emergency"     // emergency advice given
	OutcomeSmallTalk    = "small_talk"    // greeting, thanks, goodbye, praise
	OutcomeTicketStatus = "ticket_status" // a work order status query
	OutcomeAgent        = "agent"         // written to an agent, or while waiting for one: the bot kept silent
	OutcomeOther        = "other"         // anything else (media, survey answers, a cancelled queue…)
)

// Event is one entry of LogName.
type Event struct {
	Type         string    `json:"type"`
	Time         time.Time `json:"time"`
	Conversation string    `json:"conversation"`
	Channel      string    `json:"channel"`
	// For EventMessage: what the NLU made of it and what was done.
	Intent     string `json:"intent,omitempty"`
	Department string `json:"department,omitempty"`
	Urgency    string `json:"urgency,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
}
