package stats

import "time"

// Report is the answer of GET /api/v1/stats: every figure of the issue for
// one period, filtered by channel and department, with the same figures
// per day/week/month (Series), per channel and per department. Its JSON
// form is a public contract (docs/API.md, the /admin dashboard, the CSV).
type Report struct {
	// From and To are the period's first and last day (inclusive), in the
	// hotline's time zone, as 2006-01-02.
	From string `json:"from"`
	To   string `json:"to"`
	// Channel and Department echo the filters; empty means all.
	Channel    string `json:"channel"`
	Department string `json:"department"`
	// Granularity is the width of Series' periods: "day", "week" (ISO
	// weeks, starting on Monday) or "month".
	Granularity string `json:"granularity"`
	// Generated is when the report was computed.
	Generated time.Time `json:"generated"`

	// Totals are the whole period's figures.
	Totals Figures `json:"totals"`
	// Series are the figures per period, oldest first, one per period of
	// the range even when nothing happened in it.
	Series []Row `json:"series"`
	// ByChannel and ByDepartment are the period's figures per channel and
	// per department, most conversations (then messages) first. Messages
	// without a department count under "other".
	ByChannel    []Row `json:"by_channel"`
	ByDepartment []Row `json:"by_department"`

	// TopIntents and TopDepartments count citizen messages per intent and
	// per department (the NLU's), most first, at most 20.
	TopIntents     []Count `json:"top_intents"`
	TopDepartments []Count `json:"top_departments"`
	// TopMisses are the questions the knowledge base could not answer,
	// most asked first, masked, at most 20 (all time: the store keeps
	// them as counts, not by day).
	TopMisses []Miss `json:"top_misses"`
}

// Row is one line of a breakdown: a period ("2026-11-27", "2026-W48",
// "2026-11"), a channel or a department code, and its figures.
type Row struct {
	Key string `json:"key"`
	Figures
}

// Count is how many times a key occurred.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Miss is a question the knowledge base did not answer.
type Miss struct {
	Query    string `json:"query"`
	Decision string `json:"decision"`
	Count    int    `json:"count"`
}

// Figures are the hotline's figures for one slice of time and traffic.
// Rates are 0..1 and 0 when their denominator is 0; durations are in
// seconds.
type Figures struct {
	// Conversations counts conversation-days: a conversation counts once
	// on each local day its citizen wrote in it (an app or WeChat
	// citizen keeps one conversation for months; a widget opened without
	// a word is not a conversation). Messages written by citizens.
	Conversations int `json:"conversations"`
	Messages      int `json:"messages"`
	// BotAnswered counts those conversation-days in which the knowledge
	// base answered at least once and that were not handed off that day;
	// BotAnswerRate divides it by Conversations (the bot's direct-answer
	// rate).
	BotAnswered   int     `json:"bot_answered"`
	BotAnswerRate float64 `json:"bot_answer_rate"`
	// Handoffs are hand-off requests (a conversation queued for an agent;
	// a transfer or a return to the queue is not a new request);
	// HandoffRate divides them by Conversations. The figures of a request
	// (accepted, waits, abandoned, first response) count on the day and
	// under the channel and department it was queued with.
	Handoffs    int     `json:"handoffs"`
	HandoffRate float64 `json:"handoff_rate"`
	// Accepted hand-offs, AnswerRate = Accepted / Handoffs, and the share
	// of Handoffs accepted within 15 seconds of queueing.
	Accepted         int     `json:"accepted"`
	AnswerRate       float64 `json:"answer_rate"`
	AcceptedIn15s    int     `json:"accepted_in_15s"`
	AcceptedIn15Rate float64 `json:"accepted_in_15s_rate"`
	// Queue wait of accepted hand-offs, median and 90th percentile.
	WaitP50 float64 `json:"wait_p50"`
	WaitP90 float64 `json:"wait_p90"`
	// Abandoned hand-offs (the citizen cancelled or left before any agent
	// accepted) and Abandoned / Handoffs.
	Abandoned       int     `json:"abandoned"`
	AbandonmentRate float64 `json:"abandonment_rate"`
	// First response: seconds from an agent accepting a chat to their
	// first message in it, median and 90th percentile.
	FirstResponseP50 float64 `json:"first_response_p50"`
	FirstResponseP90 float64 `json:"first_response_p90"`
	// Work orders created and finished in the period (an order finished
	// again after a reopening counts again), and those open at the
	// period's end (or now, if sooner) past their due time.
	OrdersCreated  int `json:"orders_created"`
	OrdersFinished int `json:"orders_finished"`
	OrdersOverdue  int `json:"orders_overdue"`
	// Satisfaction: the citizens' ratings of finished work orders (回访)
	// and of agents' chats, together. Index 0 is 不满意, 1 基本满意,
	// 2 满意, 3 非常满意. SatisfactionRate is the share of ratings that
	// are not 不满意 (the 12345 满意率 counts 基本满意 as satisfied).
	Satisfaction     [4]int  `json:"satisfaction"`
	Rated            int     `json:"rated"`
	SatisfactionRate float64 `json:"satisfaction_rate"`
}
