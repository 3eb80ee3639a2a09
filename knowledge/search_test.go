package knowledge

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixtureEntries is a small knowledge base for behaviour tests; the real
// kb-data is measured in eval_test.go.
func fixtureEntries() []Entry {
	src := Source{Title: "示例办法"}
	return []Entry{
		{ID: "social_security-card-lost", Question: "社保卡丢了怎么挂失和补办？",
			Similar: []string{"社保卡丢了怎么办", "社保卡不见了怎么办", "社保卡掉了咋补"},
			Answer:  "先打12345挂失，再带身份证到网点补办。", Department: "social_security",
			Tags: []string{"社保卡", "挂失"}, Keywords: []string{"社保卡", "挂失", "补办"}, Source: src},
		{ID: "social_security-card-activate", Question: "新领的社保卡怎么激活？",
			Similar: []string{"社保卡怎么激活", "社保卡激活要去哪"},
			Answer:  "在App刷脸激活，或到网点设置密码。", Department: "social_security",
			Tags: []string{"社保卡", "激活"}, Source: src},
		{ID: "social_security-card-fee-old", Question: "补办社保卡要多少钱？",
			Similar: []string{"社保卡补卡费用", "补社保卡收费吗"},
			Answer:  "工本费20元（旧规定）。", Department: "social_security",
			Tags: []string{"社保卡"}, Source: src, Expires: "2025-12-31"},
		{ID: "social_security-card-fee-new", Question: "补办社保卡还收工本费吗？",
			Similar: []string{"社保卡补卡免费吗", "补社保卡收费吗"},
			Answer:  "自2027年起免收工本费。", Department: "social_security",
			Tags: []string{"社保卡"}, Source: src, EffectiveFrom: "2027-01-01"},
		{ID: "housing_fund-rent-withdraw", Question: "租房可以提取公积金吗？",
			Similar: []string{"租房提取公积金怎么办理", "公积金能付房租吗"},
			Answer:  "连续足额缴存3个月以上可按月提取。", Department: "housing_fund",
			Tags: []string{"公积金", "提取"}, Source: src},
		{ID: "housing_fund-balance", Question: "公积金余额怎么查？",
			Similar: []string{"公积金余额在哪看", "怎么查公积金账户"},
			Answer:  "登录公积金App或拨打12329查询。", Department: "housing_fund",
			Tags: []string{"公积金"}, Source: src},
		{ID: "traffic-license-reissue", Question: "驾驶证丢了怎么补办？",
			Similar: []string{"驾照丢了怎么办", "驾驶证遗失补领"},
			Answer:  "在交管12123 App申请补领。", Department: "traffic",
			Tags: []string{"驾驶证", "补办"}, Source: src},
		// Two departments answer the same question: only the hint decides.
		{ID: "household-residence-proof", Question: "居住证明在哪里开？",
			Similar: []string{"居住证明去哪开", "开居住证明要带什么"},
			Answer:  "到户籍所在地派出所开具。", Department: "household", Source: src},
		{ID: "community-residence-proof", Question: "社区居住证明怎么开？",
			Similar: []string{"居住证明去哪开", "开居住证明要带什么材料"},
			Answer:  "到居住地社区居委会开具。", Department: "community", Source: src},
	}
}

func hitIDs(res Result) []string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.Entry.ID)
	}
	return ids
}

func TestSearchDecisions(t *testing.T) {
	t.Parallel()
	b := openTest(t, fixtureEntries(), Config{})
	tests := []struct {
		query    string
		decision Decision
		first    string // expected first hit, "" for any/none
	}{
		{"社保卡丢了怎么办", DecisionAnswer, "social_security-card-lost"},
		{"社保卡掉了，咋补？", DecisionAnswer, "social_security-card-lost"},
		{"社保卡怎么激活", DecisionAnswer, "social_security-card-activate"},
		{"驾照丢了怎么办", DecisionAnswer, "traffic-license-reissue"},
		{"公积金余额在哪看", DecisionAnswer, "housing_fund-balance"},
		{"居住证明去哪开", DecisionClarify, ""},
		{"明天会下雨吗", DecisionNone, ""},
		{"推荐一只股票", DecisionNone, ""},
		{"你会唱歌吗", DecisionNone, ""},
		{"红烧肉怎么做", DecisionNone, ""},
		{"？？？", DecisionNone, ""},
		{"", DecisionNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			res, err := b.Search(context.Background(), tt.query, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Decision != tt.decision {
				t.Errorf("Decision = %s, want %s (hits %v)", res.Decision, tt.decision, hitIDs(res))
			}
			if tt.first != "" && (len(res.Hits) == 0 || res.Hits[0].Entry.ID != tt.first) {
				t.Errorf("hits = %v, want %s first", hitIDs(res), tt.first)
			}
			for i, h := range res.Hits {
				if h.Confidence < 0 || h.Confidence > 1 {
					t.Errorf("hit %s: confidence %v outside 0..1", h.Entry.ID, h.Confidence)
				}
				if i > 0 && h.Confidence > res.Hits[i-1].Confidence {
					t.Errorf("hits not ranked by confidence: %v", hitIDs(res))
				}
			}
		})
	}
}

func TestSearchRealKB(t *testing.T) {
	t.Parallel()
	b := openTest(t, realEntries(t), Config{})
	tests := []struct {
		query    string
		decision Decision
		first    string
	}{
		{"社保卡丢了怎么办", DecisionAnswer, "social_security-card-lost"},
		{"明天会下雨吗", DecisionNone, ""},
		{"推荐一只股票", DecisionNone, ""},
		{"你会唱歌吗", DecisionNone, ""},
		{"红烧肉怎么做", DecisionNone, ""},
	}
	for _, tt := range tests {
		res, err := b.Search(context.Background(), tt.query, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Decision != tt.decision || (tt.first != "" && res.Hits[0].Entry.ID != tt.first) {
			t.Errorf("Search(%q) = %s %v, want %s %s", tt.query, res.Decision, hitIDs(res), tt.decision, tt.first)
		}
	}
}

func TestSearchNotInForce(t *testing.T) {
	t.Parallel()
	const (
		old = "social_security-card-fee-old" // expires 2025-12-31
		neu = "social_security-card-fee-new" // effective from 2027-01-01
	)
	tests := []struct {
		name      string
		now       time.Time
		available []string
		gone      []string
	}{
		{"today: old expired, new not yet", fixedNow(), nil, []string{old, neu}},
		{"last day of the old rules", time.Date(2025, 12, 31, 23, 59, 0, 0, time.Local), []string{old}, []string{neu}},
		{"first day of the new rules", time.Date(2027, 1, 1, 0, 1, 0, 0, time.Local), []string{neu}, []string{old}},
	}
	queries := []string{"补办社保卡要多少钱", "补社保卡收费吗", "社保卡补卡免费吗", "社保卡丢了怎么办", "社保卡"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := tt.now
			b := openTest(t, fixtureEntries(), Config{Now: func() time.Time { return now }})
			seen := map[string]bool{}
			for _, q := range queries {
				res, err := b.Search(context.Background(), q, SearchOptions{Limit: 20})
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range res.Hits {
					seen[h.Entry.ID] = true
				}
				for _, e := range res.Related {
					if slices.Contains(tt.gone, e.ID) {
						t.Errorf("%q: related has %s, not in force", q, e.ID)
					}
				}
			}
			for _, id := range tt.gone {
				if seen[id] {
					t.Errorf("%s returned, not in force", id)
				}
				if _, ok := b.Entry(id); ok {
					t.Errorf("Entry(%s) served, not in force", id)
				}
			}
			for _, id := range tt.available {
				if !seen[id] {
					t.Errorf("%s never returned, but in force", id)
				}
				if _, ok := b.Entry(id); !ok {
					t.Errorf("Entry(%s) not served, but in force", id)
				}
			}
		})
	}
}

func TestSearchDepartmentHint(t *testing.T) {
	t.Parallel()
	b := openTest(t, fixtureEntries(), Config{})
	ctx := context.Background()
	tests := []struct {
		query, department, first string
		alsoHas                  string // must still be among the hits: a hint never filters
	}{
		{"居住证明去哪开", "household", "household-residence-proof", "community-residence-proof"},
		{"居住证明去哪开", "community", "community-residence-proof", "household-residence-proof"},
		// A hint for a department without a match changes nothing.
		{"社保卡丢了怎么办", "traffic", "social_security-card-lost", ""},
		{"驾照丢了怎么办", "social_security", "traffic-license-reissue", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query+"/"+tt.department, func(t *testing.T) {
			t.Parallel()
			res, err := b.Search(ctx, tt.query, SearchOptions{Department: tt.department})
			if err != nil {
				t.Fatal(err)
			}
			ids := hitIDs(res)
			if len(ids) == 0 || ids[0] != tt.first {
				t.Fatalf("hits = %v, want %s first", ids, tt.first)
			}
			if tt.alsoHas != "" && !slices.Contains(ids, tt.alsoHas) {
				t.Errorf("hits = %v, want %s too", ids, tt.alsoHas)
			}
		})
	}
}

func TestSearchRelated(t *testing.T) {
	t.Parallel()
	b := openTest(t, fixtureEntries(), Config{})
	res, err := b.Search(context.Background(), "社保卡丢了怎么办", SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision != DecisionAnswer {
		t.Fatalf("Decision = %s", res.Decision)
	}
	var ids []string
	for _, e := range res.Related {
		ids = append(ids, e.ID)
	}
	if len(ids) == 0 || len(ids) > maxRelated {
		t.Fatalf("related = %v, want 1..%d", ids, maxRelated)
	}
	if slices.Contains(ids, "social_security-card-lost") {
		t.Errorf("related %v has the answered entry", ids)
	}
	if !slices.Contains(ids, "social_security-card-activate") {
		t.Errorf("related %v lacks the entry sharing tag 社保卡", ids)
	}
}

func TestSearchLimit(t *testing.T) {
	t.Parallel()
	b := openTest(t, fixtureEntries(), Config{})
	res, err := b.Search(context.Background(), "社保卡", SearchOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 {
		t.Fatalf("got %d hits, want 1", len(res.Hits))
	}
}

func TestSearchConcurrent(t *testing.T) {
	t.Parallel()
	b := openTest(t, fixtureEntries(), Config{})
	queries := []string{"社保卡丢了怎么办", "公积金余额在哪看", "明天会下雨吗", "居住证明去哪开"}
	want := make([]Result, len(queries))
	for i, q := range queries {
		var err error
		if want[i], err = b.Search(context.Background(), q, SearchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 20 {
				i := (g + n) % len(queries)
				res, err := b.Search(context.Background(), queries[i], SearchOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				if res.Decision != want[i].Decision || !slices.Equal(hitIDs(res), hitIDs(want[i])) {
					t.Errorf("%q: concurrent result differs", queries[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestSearchLongQuery(t *testing.T) {
	t.Parallel()
	b := openTest(t, fixtureEntries(), Config{})
	q := strings.Repeat("社保卡丢了怎么办？", 500)
	res, err := b.Search(context.Background(), q, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Query != q {
		t.Error("Result.Query is not the query as given")
	}
	if res.Decision != DecisionAnswer || res.Hits[0].Entry.ID != "social_security-card-lost" {
		t.Errorf("Search(long) = %s %v", res.Decision, hitIDs(res))
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	th := Thresholds{Answer: 0.5, Margin: 0.12, Sure: 0.8, Clarify: 0.3}
	hits := func(conf ...float64) []Hit {
		var out []Hit
		for _, c := range conf {
			out = append(out, Hit{Confidence: c})
		}
		return out
	}
	tests := []struct {
		name string
		hits []Hit
		want Decision
	}{
		{"no hits", nil, DecisionNone},
		{"one confident hit", hits(0.6), DecisionAnswer},
		{"clearly ahead", hits(0.6, 0.45), DecisionAnswer},
		{"too close", hits(0.6, 0.5), DecisionClarify},
		{"clearly confident beats a close second", hits(0.97, 0.77), DecisionAnswer},
		{"two clearly confident: ask", hits(0.95, 0.9), DecisionClarify},
		{"weak best, weak second", hits(0.45, 0.35), DecisionClarify},
		{"weak best, no second", hits(0.45), DecisionNone},
		{"below clarify", hits(0.29, 0.28), DecisionNone},
	}
	for _, tt := range tests {
		if got := th.Decide(tt.hits); got != tt.want {
			t.Errorf("%s: Decide = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestSearchRelatedReal: related questions of an answer come from its own
// department and share its topic.
func TestSearchRelatedReal(t *testing.T) {
	t.Parallel()
	b := openTest(t, realEntries(t), Config{Synonyms: realSynonyms(t)})
	for _, q := range []string{"社保卡丢了怎么办", "租房怎么提取公积金", "身份证丢了怎么补办"} {
		res, err := b.Search(context.Background(), q, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Decision != DecisionAnswer {
			t.Errorf("%q: %s %v", q, res.Decision, hitIDs(res))
			continue
		}
		answer := res.Hits[0].Entry
		for _, e := range res.Related {
			shared := false
			for _, t := range append(slices.Clone(e.Tags), e.Keywords...) {
				shared = shared || slices.Contains(answer.Tags, t) || slices.Contains(answer.Keywords, t)
			}
			if e.Department != answer.Department || !shared {
				t.Errorf("%q answered by %s: related %s (%s) is not of its department and topic", q, answer.ID, e.ID, e.Question)
			}
		}
	}
}
