package workorder

import (
	"slices"
	"time"
)

// Status is where a work order is in its lifecycle. The values are stable
// codes kept in the store, the log and the API; Label gives the Chinese
// name the hotline uses.
type Status string

// The statuses of a work order; see the package doc for the transitions.
const (
	Accepted   Status = "accepted"    // 已受理: recorded, not yet sent anywhere
	Dispatched Status = "dispatched"  // 已派单: sent to a department
	InProgress Status = "in_progress" // 办理中: the department is working on it
	Finished   Status = "finished"    // 已办结: the department replied
	Visited    Status = "visited"     // 已回访: the citizen was asked and rated it
	Returned   Status = "returned"    // 退单: the department sent it back, with a reason
	Reopened   Status = "reopened"    // 重新办理: reopened after a 不满意 rating
)

var statusLabels = map[Status]string{
	Accepted:   "已受理",
	Dispatched: "已派单",
	InProgress: "办理中",
	Finished:   "已办结",
	Visited:    "已回访",
	Returned:   "退单",
	Reopened:   "重新办理",
}

// Label is the status's Chinese name, as shown to citizens and staff;
// empty for an unknown status.
func (s Status) Label() string { return statusLabels[s] }

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool { _, ok := statusLabels[s]; return ok }

// Open reports whether an order in this status still waits for the
// department's reply: its time limit runs and it can take duplicates.
// Finished and visited orders are closed (a reopened one is open again).
func (s Status) Open() bool { return s != Finished && s != Visited && s.Valid() }

// AppealType is the kind of appeal (诉求类型); it decides the time limit.
type AppealType string

// The appeal types.
const (
	Complaint  AppealType = "complaint"  // 投诉
	Report     AppealType = "report"     // 举报; the only type that may be anonymous
	Help       AppealType = "help"       // 求助
	Suggestion AppealType = "suggestion" // 建议
	Consult    AppealType = "consult"    // 咨询
)

var appealLabels = map[AppealType]string{
	Complaint:  "投诉",
	Report:     "举报",
	Help:       "求助",
	Suggestion: "建议",
	Consult:    "咨询",
}

// Label is the appeal type's Chinese name; empty for an unknown type.
func (a AppealType) Label() string { return appealLabels[a] }

// Valid reports whether a is one of the appeal types above.
func (a AppealType) Valid() bool { _, ok := appealLabels[a]; return ok }

// Rating is the citizen's satisfaction at the follow-up (回访).
type Rating int

// The ratings, worst first. Only RatingUnsatisfied reopens an order.
const (
	RatingUnsatisfied   Rating = 1 // 不满意
	RatingFair          Rating = 2 // 基本满意
	RatingSatisfied     Rating = 3 // 满意
	RatingVerySatisfied Rating = 4 // 非常满意
)

// Label is the rating's Chinese name; empty for 0 or out of range.
func (r Rating) Label() string {
	switch r {
	case RatingUnsatisfied:
		return "不满意"
	case RatingFair:
		return "基本满意"
	case RatingSatisfied:
		return "满意"
	case RatingVerySatisfied:
		return "非常满意"
	}
	return ""
}

// Valid reports whether r is 1..4.
func (r Rating) Valid() bool { return r >= RatingUnsatisfied && r <= RatingVerySatisfied }

// Contact is how the hotline reaches the citizen about the order.
type Contact struct {
	// Name is optional; it is not kept for anonymous reports.
	Name string `json:"name,omitempty"`
	// Phone is digits only (a mobile number, or a landline with or
	// without its area code); required unless Anonymous.
	Phone string `json:"phone,omitempty"`
	// Anonymous marks an anonymous report (匿名举报): no name is kept and
	// the phone is optional.
	Anonymous bool `json:"anonymous,omitempty"`
}

// Suggested is the department the NLU proposed for the appeal, kept
// beside the department actually chosen so that routing quality can be
// measured.
type Suggested struct {
	Department string `json:"department,omitempty"`
	// Confidence is the classifier's, 0..1.
	Confidence float64 `json:"confidence,omitempty"`
}

// Event is one entry of an order's history: a status it entered.
type Event struct {
	Time   time.Time `json:"time"`
	Status Status    `json:"status"`
	// By names who made the change: "bot", an agent's or a department
	// user's username, "system".
	By string `json:"by"`
	// Text is the note of the change: the department's reply when
	// finished, the reason when returned, the citizen's words at the
	// follow-up.
	Text string `json:"text,omitempty"`
	// Department is where the order went, for dispatched.
	Department string `json:"department,omitempty"`
	// Rating is the citizen's rating, for visited.
	Rating Rating `json:"rating,omitempty"`
}

// WorkOrder is one recorded appeal (工单), from acceptance to follow-up.
type WorkOrder struct {
	// Number is the order's public identifier: the local date it was
	// created and a per-day sequence, "20261127-000123".
	Number string `json:"number"`
	// Conversation is the chat the order came from; only that
	// conversation sees the order in status queries.
	Conversation string `json:"conversation,omitempty"`
	// Channel is the conversation's channel ("web", "wechat", "app").
	Channel    string     `json:"channel,omitempty"`
	AppealType AppealType `json:"appeal_type"`
	// Department is the responsible department; empty until an agent or
	// a dispatcher picks one (dispatching without one takes Suggested).
	Department string    `json:"department,omitempty"`
	Suggested  Suggested `json:"suggested,omitzero"`
	// Summary is what happened, as confirmed by the citizen.
	Summary string `json:"summary"`
	// Address is where it happened; optional.
	Address string `json:"address,omitempty"`
	// When is when it happened, as the citizen said it ("昨晚十点以后").
	When    string  `json:"when,omitempty"`
	Contact Contact `json:"contact"`
	Status  Status  `json:"status"`
	// Due is the promised reply time: the end (23:59:59 local) of the
	// last working day the appeal type's time limit allows.
	Due time.Time `json:"due"`
	// Reply is the department's latest reply (set on finished).
	Reply string `json:"reply,omitempty"`
	// Rating is the citizen's rating at the latest follow-up; 0 until
	// visited, and again after a reopening.
	Rating Rating `json:"rating,omitempty"`
	// Related are open orders that looked like the same matter when this
	// one was created (并单 suggestions for the dispatcher), most similar
	// first.
	Related []string  `json:"related,omitempty"`
	History []Event   `json:"history"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Overdue reports whether the order is still open after its due time.
// Closed orders are never overdue; whether one was finished late is in
// its history and the log.
func (o *WorkOrder) Overdue(now time.Time) bool {
	return o.Status.Open() && !o.Due.IsZero() && now.After(o.Due)
}

// Latest returns the newest history event, or the zero Event.
func (o *WorkOrder) Latest() Event {
	if len(o.History) == 0 {
		return Event{}
	}
	return o.History[len(o.History)-1]
}

// clone returns a copy sharing no slices with o.
func (o WorkOrder) clone() WorkOrder {
	o.Related = slices.Clone(o.Related)
	o.History = slices.Clone(o.History)
	return o
}

// department is where the order belongs for duplicate detection: the
// chosen department, else the suggested one.
func department(chosen string, s Suggested) string {
	if chosen != "" {
		return chosen
	}
	return s.Department
}
