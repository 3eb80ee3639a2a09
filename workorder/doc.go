// Package workorder records the appeals the hotline cannot settle in the
// chat as work orders (工单) and tracks each to the end: numbering,
// time limits on a working-day calendar, the lifecycle, status queries,
// duplicate (并单) and hot-issue (热点) detection, and masked copies for
// dashboards and exports.
//
// # The model
//
// A WorkOrder is created from a Draft, by the bot after the citizen
// confirms the collected details or by an agent in the console. It holds
// the appeal type (投诉 complaint, 举报 report, 求助 help, 建议
// suggestion, 咨询 consult), what happened, where and when, the contact
// (a phone is required, except for an anonymous report), the responsible
// department beside the one the NLU suggested with its confidence, the
// department's reply, the citizen's rating, and the history of every
// status it entered, by whom and why.
//
// Its Number, "20261127-000123", is the local date (Asia/Shanghai) and a
// six-digit sequence from a per-day store counter shared by every
// instance: unique, printable in one line, told to the citizen with the
// promised reply time, Due. Due is the end of the last working day of the
// appeal type's time limit (by default consult 1, help 3, complaint and
// report 5, suggestion 10 working days), counted from the day after
// acceptance on the holiday calendar hand-off uses: weekends and holidays
// (closed) do not count, weekend days worked (调休上班) do. An open order
// past Due is Overdue.
//
// # The lifecycle
//
// The usual path is 已受理 → 已派单 → 办理中 → 已办结 → 已回访. In full:
//
//	from                    to
//	accepted    已受理      dispatched
//	dispatched  已派单      in_progress, returned
//	in_progress 办理中      finished (with the department's reply), returned (with a reason)
//	returned    退单        dispatched (again, possibly to another department)
//	finished    已办结      visited (with the citizen's rating, 1 不满意 … 4 非常满意)
//	visited     已回访      reopened (only after 不满意)
//	reopened    重新办理    dispatched (with a new time limit)
//
// Exactly these moves are allowed; Transition refuses any other with a
// *TransitionError (ErrTransition). A returned order is dispatched again,
// possibly to another department; a reopened one is dispatched again with
// a new time limit, and followed up a second time.
//
// # Storage and statistics
//
// Orders are store records of kind "workorder" keyed by number, changed
// only through atomic record updates, so instances sharing a store never
// lose each other's changes. Every change is appended to the store log
// "workorder" as a Change (number, status, type, channel, department,
// rating, due, time — never the phone or the citizen's words): the raw
// data of the hotline's statistics.
//
// # Privacy
//
// Only the agent handling an order and admins see it whole. Dashboards,
// exports, hot-issue lists and logs use Masked copies: 138****5678, 张*,
// and long numbers in free text replaced by [号码]. Status queries from a
// chat see only that conversation's orders (ForConversation, Lookup);
// someone else's number is answered like a wrong one.
package workorder
