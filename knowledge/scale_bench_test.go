package knowledge

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Synthetic knowledge bases for scale: entries assembled deterministically
// from hotline vocabulary (the same seed gives the same entries), sized
// like the real ones: a question, four paraphrases, keywords, tags and a
// four-step answer of about 150 characters.
var (
	synSubjects = []string{
		"社保卡", "医保", "公积金", "身份证", "驾驶证", "行驶证", "户口", "居住证", "营业执照", "房产证",
		"结婚证", "出生证", "护照", "港澳通行证", "残疾证", "老年证", "健康证", "学籍", "电动车", "车牌",
		"养老金", "失业金", "生育津贴", "低保", "公租房", "廉租房", "物业费", "燃气", "暖气", "自来水",
		"电费", "宽带", "噪音", "油烟", "违章", "停车", "占道经营", "垃圾分类", "井盖", "路灯",
		"校车", "学费", "幼儿园", "小学入学", "中考", "技能培训", "创业贷款", "工伤", "欠薪", "劳动合同",
		"个税", "发票", "社保补贴", "灵活就业", "退休", "异地就医", "慢特病", "门诊报销", "住院报销", "疫苗",
		"献血", "殡葬", "养老院", "婚姻登记", "收养", "流浪人员", "网约车", "出租车", "公交卡", "地铁",
	}
	synActions = []string{
		"补办", "挂失", "提取", "查询", "办理", "申请", "转移", "缴纳", "报销", "认证",
		"变更", "注销", "续期", "投诉", "举报", "预约", "领取", "激活", "更正", "迁移",
	}
	synModifiers = []string{
		"异地", "退休人员", "外地户口", "本市户籍", "新生儿", "老年人", "残疾人", "低保户", "在校学生", "个体户",
		"灵活就业人员", "农民工", "军人家属", "失业人员", "困难家庭", "独生子女", "随迁子女", "企业职工", "外籍人员", "未成年人",
	}
	synAsk   = []string{"怎么%s", "在哪里%s", "要什么材料%s", "多久能%s", "能不能网上%s", "%s要花钱吗", "%s的流程是什么", "如何%s"}
	synDepts = []string{
		"social_security", "medical_insurance", "housing_fund", "household", "traffic", "housing", "education", "employment",
		"market", "urban", "environment", "utilities", "health", "civil_affairs", "tax", "public_security", "other",
	}
	synSteps = []string{
		"携带本人身份证到就近的政务服务中心窗口办理", "登录本市政务服务App在线提交申请", "工作人员审核材料后即时办结",
		"材料齐全的五个工作日内办结", "办理不收取任何费用", "如有疑问可拨打12345热线咨询", "审核通过后短信通知领取",
		"可以委托他人代办，需要提供委托书", "逾期未办理的需要重新申请", "本市户籍和持居住证人员均可申请",
	}
)

// syntheticEntries returns n entries, the same for the same n.
func syntheticEntries(n int) []Entry {
	r := rand.New(rand.NewPCG(12345, uint64(n)))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	out := make([]Entry, n)
	for i := range out {
		subject, action, modifier := pick(synSubjects), pick(synActions), pick(synModifiers)
		ask := func() string { return fmt.Sprintf(pick(synAsk), action) }
		var answer strings.Builder
		for k := range 4 {
			fmt.Fprintf(&answer, "%d. %s%s：%s，第%d个工作日内办结；\n", k+1, modifier, subject, pick(synSteps), r.IntN(20)+1)
		}
		out[i] = Entry{
			ID:       fmt.Sprintf("synthetic-%06d", i),
			Question: fmt.Sprintf("%s%s%s？（%d）", modifier, subject, ask(), i),
			Similar: []string{
				subject + ask(), modifier + "的" + subject + ask(), "请问" + subject + action,
				fmt.Sprintf("%s%s问题%d", subject, action, i%997),
			},
			Answer:     answer.String(),
			Department: synDepts[i%len(synDepts)],
			Tags:       []string{subject, action},
			Keywords:   []string{subject, action, modifier},
			Source:     Source{Title: "示例办法"},
		}
		if i%50 == 0 {
			out[i].Expires = "2025-12-31" // some expired, never served
		}
	}
	return out
}

// syntheticQueries mixes paraphrase-like questions about random entries'
// topics with out-of-scope ones.
func syntheticQueries(n int) []string {
	r := rand.New(rand.NewPCG(54321, uint64(n)))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	out := make([]string, n)
	for i := range out {
		switch i % 4 {
		case 0:
			out[i] = pick(synModifiers) + pick(synSubjects) + fmt.Sprintf(pick(synAsk), pick(synActions))
		case 1:
			out[i] = "我的" + pick(synSubjects) + "想" + pick(synActions) + "，需要带什么"
		case 2:
			out[i] = pick(synSubjects) + pick(synActions)
		default:
			out[i] = pick([]string{"明天会下雨吗", "推荐一只股票", "红烧肉怎么做", "附近有好吃的火锅吗", "你叫什么名字"})
		}
	}
	return out
}

// syntheticSize is the size of the large base: 100,000, or
// HOTLINE_KB_SYNTHETIC.
func syntheticSize() int {
	if n, err := strconv.Atoi(os.Getenv("HOTLINE_KB_SYNTHETIC")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkLargeBase builds an in-memory base of 100,000 synthetic entries
// (the build time is logged) and measures Search on it, reporting the
// p50 and p99 latency of single searches. It runs only when asked:
//
//	go test ./knowledge -run XXX -bench LargeBase -benchtime 2000x
func BenchmarkLargeBase(b *testing.B) {
	n := syntheticSize()
	entries := syntheticEntries(n)
	seg := testSegmenter(b)
	runtime.GC()
	start := time.Now()
	base, err := Open(Config{Segmenter: seg, Now: fixedNow}, entries)
	if err != nil {
		b.Fatal(err)
	}
	defer base.Close()
	built := time.Since(start)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.Logf("%d synthetic entries: built in %v; heap after GC %d MiB", n, built.Round(time.Millisecond), ms.HeapAlloc>>20)

	queries := syntheticQueries(1000)
	ctx := context.Background()
	for _, q := range queries[:100] { // warm up
		if _, err := base.Search(ctx, q, SearchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s := time.Now()
		if _, err := base.Search(ctx, queries[i%len(queries)], SearchOptions{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(s))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkOpenExisting measures what Open costs at start-up when the
// index on disk matches the entries (the real kb-data): reading the index
// and preparing confidence, not the gse dictionary.
func BenchmarkOpenExisting(b *testing.B) {
	entries := realEntries(b)
	dir := filepath.Join(b.TempDir(), "index")
	cfg := Config{IndexDir: dir, Segmenter: testSegmenter(b), Synonyms: realSynonyms(b)}
	base, err := Open(cfg, entries)
	if err != nil {
		b.Fatal(err)
	}
	base.Close()
	b.ResetTimer()
	for b.Loop() {
		base, err := Open(cfg, entries)
		if err != nil {
			b.Fatal(err)
		}
		if base.Rebuilt() {
			b.Fatal("rebuilt an up-to-date index")
		}
		b.StopTimer() // Close waits for scorch's background work
		base.Close()
		b.StartTimer()
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	t.Parallel()
	a, b := syntheticEntries(50), syntheticEntries(50)
	for i := range a {
		if a[i].Question != b[i].Question || a[i].Answer != b[i].Answer {
			t.Fatalf("entry %d differs between runs", i)
		}
		if err := ValidateEntry(a[i]); err != nil {
			t.Fatal(err)
		}
	}
}
