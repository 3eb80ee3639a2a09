package stats_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/redistest"
	"github.com/hotline12345/hotline/stats"
	"github.com/hotline12345/hotline/store/embedded"
)

func openEmbedded(t testing.TB) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newAggregator returns an aggregator over st whose clock says now.
func newAggregator(t testing.TB, st stats.Store, now time.Time, page int) *stats.Aggregator {
	t.Helper()
	a, err := stats.New(stats.Config{Store: st, Location: shanghai, Now: func() time.Time { return now }, PageSize: page})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func report(t testing.TB, a *stats.Aggregator, from, to, channel, department, granularity string) stats.Report {
	t.Helper()
	r, err := a.Report(context.Background(), stats.Query{From: at(from + " 12:00:00"), To: at(to + " 12:00:00"),
		Channel: channel, Department: department, Granularity: granularity})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sameFigures fails with the differing fields.
func sameFigures(t *testing.T, what string, got, want stats.Figures) {
	t.Helper()
	if got == want {
		return
	}
	var g, w map[string]any
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	json.Unmarshal(gb, &g)
	json.Unmarshal(wb, &w)
	for k, v := range w {
		if !reflect.DeepEqual(g[k], v) {
			t.Errorf("%s: %s = %v, want %v", what, k, g[k], v)
		}
	}
}

func sameRows(t *testing.T, what string, got, want []stats.Row) {
	t.Helper()
	if len(got) != len(want) {
		keys := func(rs []stats.Row) (out []string) {
			for _, r := range rs {
				out = append(out, r.Key)
			}
			return out
		}
		t.Errorf("%s: keys %v, want %v", what, keys(got), keys(want))
		return
	}
	for i := range want {
		if got[i].Key != want[i].Key {
			t.Errorf("%s[%d]: key %q, want %q", what, i, got[i].Key, want[i].Key)
			continue
		}
		sameFigures(t, what+" "+want[i].Key, got[i].Figures, want[i].Figures)
	}
}

// The figures of the scripted day (script_test.go), by hand. Days:
// Sunday 11-29 (S), Monday 11-30 (M), Tuesday 12-01 (T, until 10:00).
//
// Conversation-days: S c7 (wechat ss, answered), c8 (web other, handed
// off); M c1 (web ss, answered), c2 (wechat traffic, answered), c3 (web
// housing, h/o), c4 (wechat traffic, answered then h/o), c5 (web
// housing, h/o), c6 (web traffic, h/o), c7 (wechat ss, answered), c8
// (web other, only wrote to the agent); T c9 (web housing, answered).
//
// Requests: S c8 (web other: wait 10, reply 30); M c3 (web housing: wait
// 8, reply 30), c4 (wechat traffic: wait 40, reply 60), c5 (web housing:
// abandoned), c6 (web traffic: wait 12, replies 10 and 10 — the
// acceptance after the transfer is not counted).
//
// Ratings, all on Monday: chats c3 4 (web housing), c4 1 (wechat
// traffic), c6 3 (web traffic), c8 2 (web other); orders o1 1 (web
// housing), o3 4 (web ss) → [不满意 2, 基本 1, 满意 1, 非常 2].
//
// Overdue: end of S: o2, o3, o6 = 3; end of M: o2, o5 = 2; now (T
// 10:00): o2 = 1.
var (
	sunday = stats.Figures{
		Conversations: 2, Messages: 2, // c7, c8
		BotAnswered: 1, BotAnswerRate: 1.0 / 2, // c7
		Handoffs: 1, HandoffRate: 1.0 / 2, // c8
		Accepted: 1, AnswerRate: 1, AcceptedIn15s: 1, AcceptedIn15Rate: 1,
		WaitP50: 10, WaitP90: 10,
		FirstResponseP50: 30, FirstResponseP90: 30,
		OrdersCreated: 1, // o1
		OrdersOverdue: 3, // o2, o3, o6
	}
	monday = stats.Figures{
		Conversations: 8, // c1…c8
		// c1 3 + c2 2 + c3 1 + c4 2 + c5 1 + c6 2 + c7 1 + c8 1
		Messages:    13,
		BotAnswered: 3, BotAnswerRate: 3.0 / 8, // c1, c2, c7 (c4 was handed off)
		Handoffs: 4, HandoffRate: 4.0 / 8, // c3, c4, c5, c6
		Accepted: 3, AnswerRate: 3.0 / 4, // c3, c4, c6
		AcceptedIn15s: 2, AcceptedIn15Rate: 2.0 / 4, // c3 8 s, c6 12 s
		// waits 8, 12, 40: rank ceil(0.5·3)=2 → 12, ceil(0.9·3)=3 → 40
		WaitP50: 12, WaitP90: 40,
		Abandoned: 1, AbandonmentRate: 1.0 / 4, // c5
		// replies 10, 10, 30, 60: rank 2 → 10, rank ceil(3.6)=4 → 60
		FirstResponseP50: 10, FirstResponseP90: 60,
		OrdersCreated: 1, OrdersFinished: 2, OrdersOverdue: 2, // o4; o1, o3; o2, o5
		Satisfaction: [4]int{2, 1, 1, 2}, Rated: 6, SatisfactionRate: 4.0 / 6,
	}
	tuesday = stats.Figures{
		Conversations: 1, Messages: 1, BotAnswered: 1, BotAnswerRate: 1, // c9
		OrdersFinished: 1, // o5
		OrdersOverdue:  1, // o2, now
	}
	totals = stats.Figures{
		Conversations: 11, Messages: 16, // 2+8+1, 2+13+1
		BotAnswered: 5, BotAnswerRate: 5.0 / 11, // 1+3+1
		Handoffs: 5, HandoffRate: 5.0 / 11,
		Accepted: 4, AnswerRate: 4.0 / 5,
		AcceptedIn15s: 3, AcceptedIn15Rate: 3.0 / 5, // 10, 8, 12
		// waits 8, 10, 12, 40: rank 2 → 10, rank ceil(3.6)=4 → 40
		WaitP50: 10, WaitP90: 40,
		Abandoned: 1, AbandonmentRate: 1.0 / 5,
		// replies 10, 10, 30, 30, 60: rank ceil(2.5)=3 → 30, rank ceil(4.5)=5 → 60
		FirstResponseP50: 30, FirstResponseP90: 60,
		OrdersCreated: 2, OrdersFinished: 3, OrdersOverdue: 1, // o1, o4; o1, o3, o5; o2 now
		Satisfaction: [4]int{2, 1, 1, 2}, Rated: 6, SatisfactionRate: 4.0 / 6,
	}
)

func TestScriptedDayEmbedded(t *testing.T) {
	testScriptedDay(t, openEmbedded(t))
}

func TestScriptedDayRedis(t *testing.T) {
	url := redistest.URL(t)
	testScriptedDay(t, redistest.Open(t, url, redistest.Prefix(t, url, "stats")))
}

func testScriptedDay(t *testing.T, st stats.Store) {
	ctx := context.Background()
	writeScriptedDay(writer{t: t, st: st})
	for range 3 {
		st.RecordMiss(ctx, "怎么办理居住证 电话[号码]", "none")
	}
	st.RecordMiss(ctx, "公积金能不能取", "clarify")
	a := newAggregator(t, st, scriptNow, 7) // small pages: many reads
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("days", func(t *testing.T) {
		r := report(t, a, "11-29", "12-01", "", "", "")
		if r.From != "2026-11-29" || r.To != "2026-12-01" || r.Granularity != "day" || !r.Generated.Equal(scriptNow) {
			t.Errorf("header %s..%s %s %v", r.From, r.To, r.Granularity, r.Generated)
		}
		sameFigures(t, "totals", r.Totals, totals)
		sameRows(t, "series", r.Series, []stats.Row{
			{Key: "2026-11-29", Figures: sunday}, {Key: "2026-11-30", Figures: monday}, {Key: "2026-12-01", Figures: tuesday}})
		sameRows(t, "by channel", r.ByChannel, []stats.Row{
			{Key: "web", Figures: stats.Figures{
				// S c8; M c1 c3 c5 c6 c8; T c9 and S 1 + M (3+1+1+2+1) + T 1
				Conversations: 7, Messages: 10,
				BotAnswered: 2, BotAnswerRate: 2.0 / 7, // c1, c9
				Handoffs: 4, HandoffRate: 4.0 / 7, // c8, c3, c5, c6
				Accepted: 3, AnswerRate: 3.0 / 4, AcceptedIn15s: 3, AcceptedIn15Rate: 3.0 / 4,
				WaitP50: 10, WaitP90: 12, // 8, 10, 12
				Abandoned: 1, AbandonmentRate: 1.0 / 4,
				FirstResponseP50: 10, FirstResponseP90: 30, // 10, 10, 30, 30
				OrdersCreated: 1, OrdersFinished: 3, // o1; o1, o3, o5
				// c8 2, c6 3, c3 4, o1 1, o3 4
				Satisfaction: [4]int{1, 1, 1, 2}, Rated: 5, SatisfactionRate: 4.0 / 5,
			}},
			{Key: "wechat", Figures: stats.Figures{
				Conversations: 4, Messages: 6, // S c7; M c2 c4 c7 and 1 + 2+2+1
				BotAnswered: 3, BotAnswerRate: 3.0 / 4, // c7 twice, c2
				Handoffs: 1, HandoffRate: 1.0 / 4, Accepted: 1, AnswerRate: 1, // c4
				WaitP50: 40, WaitP90: 40, FirstResponseP50: 60, FirstResponseP90: 60,
				OrdersCreated: 1, OrdersOverdue: 1, // o4; o2
				Satisfaction: [4]int{1, 0, 0, 0}, Rated: 1,
			}},
		})
		sameRows(t, "by department", r.ByDepartment, []stats.Row{
			{Key: "social_security", Figures: stats.Figures{
				Conversations: 3, Messages: 4, // c7 S, c1, c7 M and 1 + 2 + 1
				BotAnswered: 3, BotAnswerRate: 1,
				OrdersFinished: 1, // o3
				Satisfaction:   [4]int{0, 0, 0, 1}, Rated: 1, SatisfactionRate: 1,
			}},
			{Key: "traffic", Figures: stats.Figures{
				Conversations: 3, Messages: 4, // c2, c4, c6 and 2 + 1 + 1
				BotAnswered: 1, BotAnswerRate: 1.0 / 3, // c2
				Handoffs: 2, HandoffRate: 2.0 / 3, Accepted: 2, AnswerRate: 1, // c4, c6
				AcceptedIn15s: 1, AcceptedIn15Rate: 1.0 / 2,
				WaitP50: 12, WaitP90: 40, // 12, 40
				FirstResponseP50: 10, FirstResponseP90: 60, // 10, 10, 60
				OrdersCreated: 1, OrdersOverdue: 1, // o4, o2
				Satisfaction: [4]int{1, 0, 1, 0}, Rated: 2, SatisfactionRate: 1.0 / 2, // c4 1, c6 3
			}},
			{Key: "housing", Figures: stats.Figures{
				Conversations: 3, Messages: 3, // c3, c5, c9
				BotAnswered: 1, BotAnswerRate: 1.0 / 3, // c9
				Handoffs: 2, HandoffRate: 2.0 / 3, Accepted: 1, AnswerRate: 1.0 / 2, // c3, c5
				AcceptedIn15s: 1, AcceptedIn15Rate: 1.0 / 2,
				WaitP50: 8, WaitP90: 8, FirstResponseP50: 30, FirstResponseP90: 30,
				Abandoned: 1, AbandonmentRate: 1.0 / 2, // c5
				OrdersCreated: 1, OrdersFinished: 2, // o1; o1, o5
				Satisfaction: [4]int{1, 0, 0, 1}, Rated: 2, SatisfactionRate: 1.0 / 2, // o1 1, c3 4
			}},
			{Key: "other", Figures: stats.Figures{
				// c8 S and M; c8 ×2, c1 greeting, c4 转人工, c6 to the agent
				Conversations: 2, Messages: 5,
				Handoffs: 1, HandoffRate: 1.0 / 2, Accepted: 1, AnswerRate: 1,
				AcceptedIn15s: 1, AcceptedIn15Rate: 1,
				WaitP50: 10, WaitP90: 10, FirstResponseP50: 30, FirstResponseP90: 30,
				Satisfaction: [4]int{0, 1, 0, 0}, Rated: 1, SatisfactionRate: 1, // c8 2
			}},
		})
		wantIntents := []stats.Count{{Key: "consult", Count: 8}, {Key: "complaint", Count: 2}, {Key: "human", Count: 2},
			{Key: "other", Count: 2}, {Key: "greeting", Count: 1}, {Key: "help", Count: 1}}
		if !reflect.DeepEqual(r.TopIntents, wantIntents) {
			t.Errorf("top intents %v, want %v", r.TopIntents, wantIntents)
		}
		wantDepts := []stats.Count{{Key: "other", Count: 5}, {Key: "social_security", Count: 4}, {Key: "traffic", Count: 4}, {Key: "housing", Count: 3}}
		if !reflect.DeepEqual(r.TopDepartments, wantDepts) {
			t.Errorf("top departments %v, want %v", r.TopDepartments, wantDepts)
		}
		wantMisses := []stats.Miss{{Query: "怎么办理居住证 电话[号码]", Decision: "none", Count: 3}, {Query: "公积金能不能取", Decision: "clarify", Count: 1}}
		if !reflect.DeepEqual(r.TopMisses, wantMisses) {
			t.Errorf("top misses %v, want %v", r.TopMisses, wantMisses)
		}
	})

	t.Run("weeks", func(t *testing.T) {
		r := report(t, a, "11-29", "12-01", "", "", "week")
		sameFigures(t, "totals", r.Totals, totals)
		sameRows(t, "series", r.Series, []stats.Row{
			{Key: "2026-W48", Figures: sunday}, // Sunday only: the range starts there
			{Key: "2026-W49", Figures: stats.Figures{
				Conversations: 9, Messages: 14, BotAnswered: 4, BotAnswerRate: 4.0 / 9, // M + T
				Handoffs: 4, HandoffRate: 4.0 / 9, Accepted: 3, AnswerRate: 3.0 / 4,
				AcceptedIn15s: 2, AcceptedIn15Rate: 2.0 / 4, WaitP50: 12, WaitP90: 40,
				Abandoned: 1, AbandonmentRate: 1.0 / 4, FirstResponseP50: 10, FirstResponseP90: 60,
				OrdersCreated: 1, OrdersFinished: 3,
				OrdersOverdue: 1, // the week's end is after now: o2 now
				Satisfaction:  [4]int{2, 1, 1, 2}, Rated: 6, SatisfactionRate: 4.0 / 6,
			}},
		})
	})

	t.Run("months", func(t *testing.T) {
		r := report(t, a, "11-29", "12-01", "", "", "month")
		sameRows(t, "series", r.Series, []stats.Row{
			{Key: "2026-11", Figures: stats.Figures{
				Conversations: 10, Messages: 15, BotAnswered: 4, BotAnswerRate: 4.0 / 10, // S + M
				Handoffs: 5, HandoffRate: 5.0 / 10, Accepted: 4, AnswerRate: 4.0 / 5,
				AcceptedIn15s: 3, AcceptedIn15Rate: 3.0 / 5, WaitP50: 10, WaitP90: 40,
				Abandoned: 1, AbandonmentRate: 1.0 / 5, FirstResponseP50: 30, FirstResponseP90: 60,
				OrdersCreated: 2, OrdersFinished: 2,
				OrdersOverdue: 2, // at the end of November 30: o2, o5
				Satisfaction:  [4]int{2, 1, 1, 2}, Rated: 6, SatisfactionRate: 4.0 / 6,
			}},
			{Key: "2026-12", Figures: tuesday},
		})
	})

	t.Run("channel", func(t *testing.T) {
		r := report(t, a, "11-29", "12-01", "wechat", "", "")
		if r.Channel != "wechat" {
			t.Errorf("channel echoed as %q", r.Channel)
		}
		sameFigures(t, "totals", r.Totals, stats.Figures{
			Conversations: 4, Messages: 6, BotAnswered: 3, BotAnswerRate: 3.0 / 4,
			Handoffs: 1, HandoffRate: 1.0 / 4, Accepted: 1, AnswerRate: 1,
			WaitP50: 40, WaitP90: 40, FirstResponseP50: 60, FirstResponseP90: 60,
			OrdersCreated: 1, OrdersOverdue: 1, Satisfaction: [4]int{1, 0, 0, 0}, Rated: 1,
		})
		if len(r.ByChannel) != 1 || r.ByChannel[0].Key != "wechat" {
			t.Errorf("by channel %v, want wechat only", r.ByChannel)
		}
		// wechat: traffic c2, c4 (messages 2 + 1), social_security c7 ×2,
		// other: c4's 转人工.
		var keys []string
		for _, row := range r.ByDepartment {
			keys = append(keys, row.Key)
		}
		if want := []string{"traffic", "social_security", "other"}; !reflect.DeepEqual(keys, want) {
			t.Errorf("departments of wechat %v, want %v", keys, want)
		}
		sameFigures(t, "wechat other", r.ByDepartment[2].Figures, stats.Figures{Messages: 1})
	})

	t.Run("department", func(t *testing.T) {
		r := report(t, a, "11-29", "12-01", "", "housing", "")
		sameFigures(t, "totals", r.Totals, stats.Figures{
			Conversations: 3, Messages: 3, BotAnswered: 1, BotAnswerRate: 1.0 / 3,
			Handoffs: 2, HandoffRate: 2.0 / 3, Accepted: 1, AnswerRate: 1.0 / 2,
			AcceptedIn15s: 1, AcceptedIn15Rate: 1.0 / 2, WaitP50: 8, WaitP90: 8,
			Abandoned: 1, AbandonmentRate: 1.0 / 2, FirstResponseP50: 30, FirstResponseP90: 30,
			OrdersCreated: 1, OrdersFinished: 2, Satisfaction: [4]int{1, 0, 0, 1}, Rated: 2, SatisfactionRate: 1.0 / 2,
		})
		// Monday's overdue in housing: o5, at midnight.
		if got := r.Series[1].OrdersOverdue; got != 1 {
			t.Errorf("housing overdue at the end of Monday = %d, want 1 (o5)", got)
		}
	})

	t.Run("agreement", func(t *testing.T) {
		// Another instance reading the same logs in other page sizes
		// reports the same.
		b := newAggregator(t, st, scriptNow, 1000)
		if err := b.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if x, y := report(t, a, "11-29", "12-01", "", "", ""), report(t, b, "11-29", "12-01", "", "", ""); !reflect.DeepEqual(x, y) {
			t.Errorf("two aggregators disagree:\n%+v\n%+v", x.Totals, y.Totals)
		}
	})

	t.Run("live orders", func(t *testing.T) {
		// Open now: o1 (reopened, housing), o2 (traffic, overdue), o4
		// (traffic), o6 (social_security).
		want := []stats.OrderLoad{{Department: "housing", Open: 1}, {Department: "social_security", Open: 1},
			{Department: "traffic", Open: 2, Overdue: 1}}
		if got := a.OpenOrders(); !reflect.DeepEqual(got, want) {
			t.Errorf("open orders %v, want %v", got, want)
		}
	})
}

func TestBadQuery(t *testing.T) {
	a := newAggregator(t, openEmbedded(t), scriptNow, 0)
	for name, q := range map[string]stats.Query{
		"reversed":    {From: at("12-01 00:00:00"), To: at("11-30 00:00:00")},
		"too long":    {From: at("01-01 00:00:00"), To: at("01-01 00:00:00").AddDate(1, 0, 1)},
		"granularity": {From: at("12-01 00:00:00"), To: at("12-01 00:00:00"), Granularity: "hour"},
	} {
		if _, err := a.Report(context.Background(), q); !errors.Is(err, stats.ErrBadQuery) {
			t.Errorf("%s: err %v, want ErrBadQuery", name, err)
		}
	}
	// 366 days is allowed.
	if _, err := a.Report(context.Background(), stats.Query{From: at("01-01 00:00:00"), To: at("01-01 00:00:00").AddDate(0, 0, 365)}); err != nil {
		t.Errorf("366 days: %v", err)
	}
}
