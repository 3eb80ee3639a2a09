package workorder

import (
	"context"
	"testing"
	"time"
)

// Summaries of one matter in two citizens' words, and of different
// matters of one department at one place: the evidence for
// DefaultSimilarity.
var (
	sameMatter = [][2]string{
		{"小区东门工地每天夜里施工，噪音很大，影响休息", "东门那个工地夜里施工，噪音吵得没法休息"},
		{"幸福路12号的路灯坏了一个星期了，晚上很黑", "幸福路12号路灯不亮，已经坏了一周，晚上走路很黑"},
		{"阳光花园小区门口的垃圾好几天没人清运，臭味很大", "阳光花园门口垃圾堆了好几天没清运，很臭"},
		{"人民路和解放路路口的红绿灯坏了，车辆乱行很危险", "人民路解放路路口红绿灯不亮，很危险"},
		{"楼下烧烤店油烟太大，每天晚上熏得开不了窗", "楼下烧烤店油烟很大，晚上没法开窗"},
	}
	otherMatter = [][2]string{
		{"小区东门工地每天夜里施工，噪音很大，影响休息", "楼下饭店晚上噪音扰民，空调外机声音很大"},
		{"幸福路12号的路灯坏了一个星期了，晚上很黑", "幸福路12号的井盖丢了，很危险"},
		{"阳光花园小区门口的垃圾好几天没人清运，臭味很大", "阳光花园小区门口有人乱停车，堵住了消防通道"},
		{"楼下烧烤店油烟太大，每天晚上熏得开不了窗", "楼下烧烤店占道经营，桌子摆到了人行道上"},
	}
)

func TestSimilarityThreshold(t *testing.T) {
	t.Parallel()
	for _, p := range sameMatter {
		if s := jaccard(textBigrams(p[0]), textBigrams(p[1])); s < DefaultSimilarity {
			t.Errorf("same matter scores %.2f < %.2f: %s | %s", s, DefaultSimilarity, p[0], p[1])
		}
	}
	for _, p := range otherMatter {
		if s := jaccard(textBigrams(p[0]), textBigrams(p[1])); s >= DefaultSimilarity {
			t.Errorf("different matters score %.2f ≥ %.2f: %s | %s", s, DefaultSimilarity, p[0], p[1])
		}
	}
	// Width, case, spaces and punctuation do not matter.
	if s := jaccard(textBigrams("ＡＢＣ 小区，噪音！"), textBigrams("abc小区噪音")); s != 1 {
		t.Errorf("folded texts score %.2f, want 1", s)
	}
	if s := jaccard(textBigrams(""), textBigrams("")); s != 0 {
		t.Errorf("empty texts score %.2f", s)
	}
}

func TestSimilar(t *testing.T) {
	t.Parallel()
	c := newClock(testNow)
	svc := newService(t, embeddedStore(t), c)
	ctx := context.Background()
	create := func(summary, address, dept string) WorkOrder {
		t.Helper()
		d := draftAt("c", summary, address)
		d.Suggested.Department = dept
		o, err := svc.Create(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	noise := sameMatter[0][0]
	old := create(noise, "幸福路12号", "城管局") // falls out of the window
	c.Add(8 * 24 * time.Hour)
	atAddress := create(noise, "幸福路 12 号", "城管局")
	noAddress := create(noise, "", "城管局")
	create(noise, "解放路3号", "城管局")              // another address
	create(noise, "幸福路12号", "生态环境局")           // another department
	create(otherMatter[1][1], "幸福路12号", "城管局") // another matter
	closed := create(noise, "幸福路12号", "城管局")
	for _, step := range []func() (WorkOrder, error){
		func() (WorkOrder, error) { return svc.Dispatch(ctx, closed.Number, "", "d", "") },
		func() (WorkOrder, error) { return svc.Transition(ctx, closed.Number, InProgress, "d", "") },
		func() (WorkOrder, error) { return svc.Transition(ctx, closed.Number, Finished, "d", "已处理") },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	returned := create(noise, "幸福路12号", "城管局")
	svc.Dispatch(ctx, returned.Number, "", "d", "")
	svc.Transition(ctx, returned.Number, Returned, "城管局", "非本单位职责")

	d := draftAt("c", sameMatter[0][1], "幸福路１２号") // another citizen's words
	d.Suggested.Department = "城管局"
	got, err := svc.Similar(ctx, d, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{atAddress.Number, noAddress.Number, returned.Number}
	if !sameSet(numbersOf(got), want) {
		t.Errorf("Similar = %v, want %v (not %s: too old; not %s: finished)", numbersOf(got), want, old.Number, closed.Number)
	}
	// Create lists them too.
	o, err := svc.Create(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(o.Related, want) {
		t.Errorf("Related = %v, want %v", o.Related, want)
	}

	// False cases: nothing similar.
	for name, edit := range map[string]func(*Draft){
		"no department":    func(d *Draft) { d.Suggested.Department = "" },
		"other department": func(d *Draft) { d.Department = "教育局" },
		"other matter":     func(d *Draft) { d.Summary = "小区门口的共享单车乱停乱放，挡住了盲道" },
	} {
		d := draftAt("c", sameMatter[0][1], "幸福路12号")
		d.Suggested.Department = "城管局"
		edit(&d)
		if got, _ := svc.Similar(ctx, d, 30*24*time.Hour); len(got) != 0 {
			t.Errorf("%s: Similar = %v, want none", name, numbersOf(got))
		}
	}
	d.Address = "解放路8号"
	if got, _ := svc.Similar(ctx, d, 7*24*time.Hour); !sameSet(numbersOf(got), []string{noAddress.Number}) {
		t.Errorf("another address: Similar = %v, want only the order without an address %s", numbersOf(got), noAddress.Number)
	}
	c.Add(2 * time.Hour)
	if got, _ := svc.Similar(ctx, d, time.Hour); len(got) != 0 {
		t.Errorf("short window: Similar = %v, want none", numbersOf(got))
	}
}

func TestHotIssues(t *testing.T) {
	t.Parallel()
	c := newClock(testNow)
	svc := newService(t, embeddedStore(t), c)
	ctx := context.Background()
	create := func(summary, address, dept string) {
		t.Helper()
		d := draftAt("c", summary, address)
		d.Suggested.Department = dept
		if _, err := svc.Create(ctx, d); err != nil {
			t.Fatal(err)
		}
		c.Add(10 * time.Minute)
	}
	// Three citizens about the street light, two about the noise, one
	// about a manhole at the street light's address.
	create(sameMatter[1][0], "幸福路12号", "城管局")
	create(sameMatter[0][0], "", "城管局")
	create(sameMatter[1][1], "", "城管局")
	create(otherMatter[1][1], "幸福路12号", "城管局")
	create(sameMatter[0][1], "", "城管局")
	create("幸福路12号路灯坏了一个星期，晚上很黑，请尽快修", "幸福路 12号", "城管局")

	hot, err := svc.HotIssues(ctx, 2*time.Hour, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hot) != 1 {
		t.Fatalf("%d hot issues, want 1: %+v", len(hot), hot)
	}
	h := hot[0]
	if h.Department != "城管局" || len(h.Orders) != 3 || h.Orders[0].Number != "20261127-000001" ||
		!h.First.Equal(testNow) || !h.Last.Equal(testNow.Add(50*time.Minute)) {
		t.Errorf("hot issue %s %v %s..%s", h.Department, numbersOf(h.Orders), h.First, h.Last)
	}
	if h.Orders[0].Contact.Phone != "138****5678" {
		t.Errorf("hot issue orders are not masked: %q", h.Orders[0].Contact.Phone)
	}

	if hot, _ := svc.HotIssues(ctx, 2*time.Hour, 2); len(hot) != 2 || len(hot[0].Orders) != 3 || len(hot[1].Orders) != 2 {
		t.Errorf("min 2: %d issues, want the street light (3) then the noise (2)", len(hot))
	}
	if hot, _ := svc.HotIssues(ctx, 2*time.Hour, 4); len(hot) != 0 {
		t.Errorf("min 4: %d issues, want none", len(hot))
	}
	// A window holding only the last three orders: one each.
	if hot, _ := svc.HotIssues(ctx, 35*time.Minute, 2); len(hot) != 0 {
		t.Errorf("short window: %d issues, want none", len(hot))
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s] == 0 {
			return false
		}
		seen[s]--
	}
	return true
}
