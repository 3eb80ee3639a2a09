package stats_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// shanghai is the hotline's time zone in the tests.
var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}

// at is a local time in Shanghai: at("11-30 09:00:30") (year 2026).
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-"+s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// writer appends events to the three logs of a store, or, when st is
// nil, collects them in sink.
type writer struct {
	t    testing.TB
	st   store.Logs
	sink *[]logged
}

// logged is an event not yet appended: its log, time and JSON.
type logged struct {
	log  string
	at   time.Time
	data []byte
}

func (w writer) append(log string, v any) {
	w.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	if w.st == nil {
		var stamp struct{ Time time.Time }
		json.Unmarshal(data, &stamp)
		*w.sink = append(*w.sink, logged{log, stamp.Time, data})
		return
	}
	if _, err := w.st.AppendLog(context.Background(), log, data); err != nil {
		w.t.Fatalf("append to %s: %v", log, err)
	}
}

// msg writes a citizen message handled by the dialog.
func (w writer) msg(when, conv, channel, intent, dept, outcome string) {
	w.t.Helper()
	w.append(dialog.LogName, dialog.Event{Type: dialog.EventMessage, Time: at(when), Conversation: conv,
		Channel: channel, Intent: intent, Department: dept, Urgency: "normal", Outcome: outcome})
}

// ho writes a hand-off event.
func (w writer) ho(when string, e handoff.Event) {
	w.t.Helper()
	e.Time = at(when)
	w.append(handoff.LogName, e)
}

// wo writes a work order change.
func (w writer) wo(when string, c workorder.Change) {
	w.t.Helper()
	c.Time = at(when)
	w.append(workorder.LogName, c)
}

// writeScriptedDay writes a Monday at the hotline, 2026-11-30, with the
// late Sunday evening before it and the first hour of Tuesday after it,
// plus the work orders still open from the week before. The expected
// figures are in TestScriptedDay, computed by hand from this script.
func writeScriptedDay(w writer) {
	// c1 (web): a greeting, then two questions the knowledge base answers.
	// Its department becomes social_security at the second message.
	w.msg("11-30 09:00:00", "c1", "web", "greeting", "-", dialog.OutcomeSmallTalk) // the NLU's "no department"
	w.msg("11-30 09:00:30", "c1", "web", "consult", "social_security", dialog.OutcomeAnswer)
	w.msg("11-30 09:01:00", "c1", "web", "consult", "social_security", dialog.OutcomeAnswer)
	// c2 (wechat): a clarification, then an answer.
	w.msg("11-30 09:10:00", "c2", "wechat", "consult", "traffic", dialog.OutcomeClarify)
	w.msg("11-30 09:10:30", "c2", "wechat", "consult", "traffic", dialog.OutcomeAnswer)
	// c3 (web): a complaint handed off, accepted after 8 s, first reply
	// 30 s later, rated 非常满意.
	w.msg("11-30 10:00:00", "c3", "web", "complaint", "housing", dialog.OutcomeHandoff)
	w.ho("11-30 10:00:01", handoff.Event{Type: handoff.EventQueued, Conversation: "c3", Channel: "web", Skill: "housing", Priority: "normal", Reason: "complaint"})
	w.ho("11-30 10:00:02", handoff.Event{Type: handoff.EventOffered, Conversation: "c3", Agent: "li", Skill: "housing"})
	w.ho("11-30 10:00:09", handoff.Event{Type: handoff.EventAccepted, Conversation: "c3", Agent: "li", Skill: "housing", Wait: 8})
	w.ho("11-30 10:00:39", handoff.Event{Type: handoff.EventReplied, Conversation: "c3", Agent: "li", Wait: 30})
	w.ho("11-30 10:05:00", handoff.Event{Type: handoff.EventClosed, Conversation: "c3", Agent: "li", Duration: 291})
	w.ho("11-30 10:06:00", handoff.Event{Type: handoff.EventRated, Conversation: "c3", Agent: "li", Score: 4})
	// c4 (wechat): answered, then asks for a person (no department in
	// that message, no skill: the request takes the conversation's
	// traffic); accepted after 40 s, first reply after 60 s, 不满意.
	w.msg("11-30 11:00:00", "c4", "wechat", "consult", "traffic", dialog.OutcomeAnswer)
	w.msg("11-30 11:02:00", "c4", "wechat", "human", "-", dialog.OutcomeHandoff)
	w.ho("11-30 11:02:01", handoff.Event{Type: handoff.EventQueued, Conversation: "c4", Channel: "wechat", Priority: "normal", Reason: "human"})
	w.ho("11-30 11:02:16", handoff.Event{Type: handoff.EventMissed, Conversation: "c4", Agent: "li"})
	w.ho("11-30 11:02:41", handoff.Event{Type: handoff.EventAccepted, Conversation: "c4", Agent: "wang", Wait: 40})
	w.ho("11-30 11:03:41", handoff.Event{Type: handoff.EventReplied, Conversation: "c4", Agent: "wang", Wait: 60})
	w.ho("11-30 11:10:00", handoff.Event{Type: handoff.EventClosed, Conversation: "c4", Agent: "wang", Duration: 439})
	w.ho("11-30 11:11:00", handoff.Event{Type: handoff.EventRated, Conversation: "c4", Agent: "wang", Score: 1})
	// c5 (web): asks for help, gives up after a minute in the queue.
	w.msg("11-30 14:00:00", "c5", "web", "help", "housing", dialog.OutcomeHandoff)
	w.ho("11-30 14:00:01", handoff.Event{Type: handoff.EventQueued, Conversation: "c5", Channel: "web", Skill: "housing", Priority: "normal", Reason: "human"})
	w.ho("11-30 14:00:02", handoff.Event{Type: handoff.EventOffered, Conversation: "c5", Agent: "li"})
	w.ho("11-30 14:00:17", handoff.Event{Type: handoff.EventMissed, Conversation: "c5", Agent: "li"})
	w.ho("11-30 14:01:01", handoff.Event{Type: handoff.EventCancelled, Conversation: "c5", Wait: 60})
	// c6 (web): accepted after 12 s, replied after 10 s, transferred to
	// housing, accepted again (no second request, no second answer),
	// the second agent replies after 10 s; rated 满意.
	w.msg("11-30 15:00:00", "c6", "web", "complaint", "traffic", dialog.OutcomeHandoff)
	w.ho("11-30 15:00:01", handoff.Event{Type: handoff.EventQueued, Conversation: "c6", Channel: "web", Skill: "traffic", Priority: "normal", Reason: "complaint"})
	w.ho("11-30 15:00:13", handoff.Event{Type: handoff.EventAccepted, Conversation: "c6", Agent: "wang", Skill: "traffic", Wait: 12})
	w.ho("11-30 15:00:23", handoff.Event{Type: handoff.EventReplied, Conversation: "c6", Agent: "wang", Wait: 10})
	w.msg("11-30 15:01:00", "c6", "web", "other", "", dialog.OutcomeAgent)
	w.ho("11-30 15:03:00", handoff.Event{Type: handoff.EventTransferred, Conversation: "c6", Agent: "wang", To: "housing"})
	w.ho("11-30 15:03:20", handoff.Event{Type: handoff.EventAccepted, Conversation: "c6", Agent: "li", Skill: "housing", Wait: 199})
	w.ho("11-30 15:03:30", handoff.Event{Type: handoff.EventReplied, Conversation: "c6", Agent: "li", Wait: 10})
	w.ho("11-30 15:10:00", handoff.Event{Type: handoff.EventClosed, Conversation: "c6", Agent: "li", Duration: 400})
	w.ho("11-30 15:11:00", handoff.Event{Type: handoff.EventRated, Conversation: "c6", Agent: "li", Score: 3})
	// c7 (wechat): one answer just before midnight, one just after: a
	// conversation on Sunday and on Monday.
	w.msg("11-29 23:59:40", "c7", "wechat", "consult", "social_security", dialog.OutcomeAnswer)
	w.msg("11-30 00:00:10", "c7", "wechat", "consult", "social_security", dialog.OutcomeAnswer)
	// c8 (web): queued on Sunday at 23:59:55, accepted on Monday after
	// 10 s (Sunday's request), writes to the agent on Monday, 基本满意.
	w.msg("11-29 23:59:50", "c8", "web", "human", "", dialog.OutcomeHandoff)
	w.ho("11-29 23:59:55", handoff.Event{Type: handoff.EventQueued, Conversation: "c8", Channel: "web", Priority: "normal", Reason: "human"})
	w.ho("11-30 00:00:05", handoff.Event{Type: handoff.EventAccepted, Conversation: "c8", Agent: "li", Wait: 10})
	w.ho("11-30 00:00:35", handoff.Event{Type: handoff.EventReplied, Conversation: "c8", Agent: "li", Wait: 30})
	w.msg("11-30 00:01:00", "c8", "web", "other", "", dialog.OutcomeAgent)
	w.ho("11-30 00:05:00", handoff.Event{Type: handoff.EventClosed, Conversation: "c8", Agent: "li", Duration: 295})
	w.ho("11-30 00:06:00", handoff.Event{Type: handoff.EventRated, Conversation: "c8", Agent: "li", Score: 2})
	// c9 (web): Tuesday half past midnight, answered.
	w.msg("12-01 00:30:00", "c9", "web", "consult", "housing", dialog.OutcomeAnswer)
	// Agent presence: no conversation, not counted.
	w.ho("11-30 08:30:00", handoff.Event{Type: handoff.EventStatus, Agent: "li", Status: "online"})

	// Work orders.
	due := func(s string) time.Time { return at(s) }
	// o1 (web, department from the NLU's suggestion: housing): created on
	// Sunday, dispatched, finished Monday, rated 不满意, reopened with a
	// new time limit (Tuesday): never overdue.
	o1 := workorder.Change{Number: "20261129-000001", AppealType: workorder.Complaint, Channel: "web",
		Suggested: workorder.Suggested{Department: "housing", Confidence: 0.8}, Due: due("11-30 23:59:59")}
	w.wo("11-29 22:00:00", with(o1, "created", workorder.Accepted, ""))
	o1.Department = "housing"
	w.wo("11-30 09:00:00", with(o1, "status", workorder.Dispatched, workorder.Accepted))
	w.wo("11-30 16:00:00", with(o1, "status", workorder.Finished, workorder.Dispatched))
	v := with(o1, "status", workorder.Visited, workorder.Finished)
	v.Rating = workorder.RatingUnsatisfied
	w.wo("11-30 18:00:00", v)
	o1.Due = due("12-01 23:59:59")
	w.wo("11-30 18:05:00", with(o1, "status", workorder.Reopened, workorder.Visited))
	// o2 (wechat, traffic): due last Friday, still in progress: overdue
	// at the end of every day of the report.
	o2 := workorder.Change{Number: "20261125-000007", AppealType: workorder.Help, Channel: "wechat",
		Department: "traffic", Due: due("11-27 23:59:59")}
	w.wo("11-25 10:00:00", with(o2, "created", workorder.Accepted, ""))
	w.wo("11-25 11:00:00", with(o2, "status", workorder.Dispatched, workorder.Accepted))
	w.wo("11-26 09:00:00", with(o2, "status", workorder.InProgress, workorder.Dispatched))
	// o3 (web, social_security): due Saturday, finished late on Monday,
	// rated 非常满意: overdue at the end of Sunday only.
	o3 := workorder.Change{Number: "20261126-000002", AppealType: workorder.Consult, Channel: "web",
		Department: "social_security", Due: due("11-28 23:59:59")}
	w.wo("11-26 09:00:00", with(o3, "created", workorder.Accepted, ""))
	f := with(o3, "status", workorder.Finished, workorder.Accepted)
	f.Late = true
	w.wo("11-30 10:00:00", f)
	v = with(o3, "status", workorder.Visited, workorder.Finished)
	v.Rating = workorder.RatingVerySatisfied
	w.wo("11-30 12:00:00", v)
	// o4 (wechat, suggested traffic): created Monday, due Tuesday.
	o4 := workorder.Change{Number: "20261130-000001", AppealType: workorder.Complaint, Channel: "wechat",
		Suggested: workorder.Suggested{Department: "traffic"}, Due: due("12-01 23:59:59")}
	w.wo("11-30 11:30:00", with(o4, "created", workorder.Accepted, ""))
	// o5 (web, housing): due Monday 23:59:59, finished Tuesday 09:00:
	// overdue at the end of Monday (midnight), not now.
	o5 := workorder.Change{Number: "20261127-000003", AppealType: workorder.Report, Channel: "web",
		Department: "housing", Due: due("11-30 23:59:59")}
	w.wo("11-27 14:00:00", with(o5, "created", workorder.Accepted, ""))
	w.wo("12-01 09:00:00", with(o5, "status", workorder.Finished, workorder.Accepted))
	// o6 (wechat, social_security): due Saturday, extended on Monday
	// morning to Friday: overdue at the end of Sunday only.
	o6 := workorder.Change{Number: "20261126-000005", AppealType: workorder.Help, Channel: "wechat",
		Department: "social_security", Due: due("11-28 23:59:59")}
	w.wo("11-26 15:00:00", with(o6, "created", workorder.Accepted, ""))
	o6.Due = due("12-04 23:59:59")
	w.wo("11-30 09:00:00", with(o6, "updated", workorder.Accepted, ""))
}

// with returns the change c of kind, entering status from.
func with(c workorder.Change, kind string, status, from workorder.Status) workorder.Change {
	c.Kind, c.Status, c.From = kind, status, from
	return c
}

// scriptNow is when the scripted day's reports are asked for: Tuesday
// 10:00, so Tuesday's figures are "now".
var scriptNow = at("12-01 10:00:00")
