package workorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/redistest"
	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/store/redis"
)

// testNow is a Friday morning in Shanghai.
var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, cst)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// embeddedStore is a fresh embedded store, closed with the test.
func embeddedStore(t *testing.T) Store {
	t.Helper()
	s, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// serviceOn is a service on s whose clock stands at testNow.
func serviceOn(t *testing.T, s Store) *Service {
	t.Helper()
	return newService(t, s, newClock(testNow))
}

// phoneDraft is a complete complaint from conv.
func phoneDraft(conv string) Draft {
	return draft(conv, "小区东门工地每天夜里施工，噪音很大，影响休息")
}

func draft(conv, summary string) Draft { return draftAt(conv, summary, "") }

func draftAt(conv, summary, address string) Draft {
	return Draft{
		Conversation: conv,
		Channel:      "web",
		AppealType:   Complaint,
		Suggested:    Suggested{Department: "城管局", Confidence: 0.82},
		Summary:      summary,
		Address:      address,
		When:         "每天晚上十点以后",
		Contact:      Contact{Name: "张三", Phone: "138 1234 5678"},
	}
}

func newService(t *testing.T, s Store, c *clock) *Service {
	t.Helper()
	svc, err := New(Config{Store: s, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// testRedis opens two stores (two instances) on HOTLINE_TEST_REDIS under
// a fresh key prefix that is dropped when the test ends; without the
// variable the test is skipped.
func testRedis(t *testing.T) (a, b *redis.Store) {
	t.Helper()
	url := redistest.URL(t)
	prefix := redistest.Prefix(t, url, "workorder")
	return redistest.Open(t, url, prefix), redistest.Open(t, url, prefix)
}

func TestConcurrentNumbering(t *testing.T) {
	t.Parallel()
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		s := embeddedStore(t)
		testConcurrentNumbering(t, s, s)
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		a, b := testRedis(t)
		testConcurrentNumbering(t, a, b)
	})
}

// testConcurrentNumbering creates 50 orders at once through two services
// (two instances) and wants the numbers 000001 to 000050 of the day, each
// once, and every order stored under its number.
func testConcurrentNumbering(t *testing.T, a, b Store) {
	const n = 50
	c := newClock(testNow)
	services := []*Service{newService(t, a, c), newService(t, b, c)}
	ctx := context.Background()
	numbers := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, err := services[i%2].Create(ctx, draft(fmt.Sprintf("conv-%d", i), fmt.Sprintf("第%d件事情的经过", i)))
			numbers[i], errs[i] = o.Number, err
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for i, num := range numbers {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if prev, dup := seen[num]; dup {
			t.Fatalf("creates %d and %d both got %s", prev, i, num)
		}
		seen[num] = i
	}
	for i := 1; i <= n; i++ {
		num := fmt.Sprintf("20261127-%06d", i)
		if _, ok := seen[num]; !ok {
			t.Errorf("number %s missing: numbers are not consecutive", num)
		}
	}
	all, err := services[1].List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n {
		t.Fatalf("List has %d orders, want %d", len(all), n)
	}
	for _, o := range all {
		if want := fmt.Sprintf("conv-%d", seen[o.Number]); o.Conversation != want {
			t.Errorf("%s stored for %s, want %s", o.Number, o.Conversation, want)
		}
	}
}

func TestNumberingPerDay(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 11, 27, 23, 59, 0, 0, cst))
	svc := newService(t, embeddedStore(t), c)
	ctx := context.Background()
	first, err := svc.Create(ctx, phoneDraft("c1"))
	if err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Minute) // past midnight in Shanghai; still the 27th in UTC
	second, err := svc.Create(ctx, phoneDraft("c1"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Number != "20261127-000001" || second.Number != "20261128-000001" {
		t.Errorf("numbers %s, %s; want 20261127-000001 and 20261128-000001", first.Number, second.Number)
	}
}

// TestNumberTaken: when a day's counter is behind the stored orders (a
// store restored from a backup), Create skips the numbers in use.
func TestNumberTaken(t *testing.T) {
	t.Parallel()
	s := embeddedStore(t)
	svc := serviceOn(t, s)
	ctx := context.Background()
	if _, err := svc.Create(ctx, phoneDraft("c1")); err != nil {
		t.Fatal(err)
	}
	s.(*embedded.Store).Increment(ctx, seqCounter("20261127"), -1, 0)
	o, err := svc.Create(ctx, phoneDraft("c2"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Number != "20261127-000002" {
		t.Errorf("number %s, want 20261127-000002", o.Number)
	}
	first, _ := svc.Get(ctx, "20261127-000001")
	if first.Conversation != "c1" {
		t.Error("the first order was overwritten")
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	svc := serviceOn(t, embeddedStore(t))
	ctx := context.Background()
	o, err := svc.Create(ctx, draftAt("c1", "  小区东门工地每天夜里施工  ", " 幸福路 12 号 "))
	if err != nil {
		t.Fatal(err)
	}
	if o.Number != "20261127-000001" || o.Status != Accepted || o.Summary != "小区东门工地每天夜里施工" ||
		o.Address != "幸福路 12 号" || o.Contact.Phone != "13812345678" || o.Contact.Name != "张三" {
		t.Errorf("created %+v", o)
	}
	// Friday + 5 working days.
	if want := time.Date(2026, 12, 4, 23, 59, 59, 0, cst); !o.Due.Equal(want) {
		t.Errorf("Due %s, want %s", o.Due, want)
	}
	if len(o.History) != 1 || o.History[0].Status != Accepted || o.History[0].By != "bot" {
		t.Errorf("history %+v", o.History)
	}
	got, err := svc.Get(ctx, o.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != o.Number || got.Summary != o.Summary || !got.Due.Equal(o.Due) {
		t.Errorf("Get %+v, want %+v", got, o)
	}
	if _, err := svc.Get(ctx, "20261127-000099"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a wrong number: %v, want ErrNotFound", err)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	svc := serviceOn(t, embeddedStore(t))
	ctx := context.Background()
	tests := []struct {
		name string
		edit func(*Draft)
		ok   bool
	}{
		{"complete", func(d *Draft) {}, true},
		{"landline", func(d *Draft) { d.Contact.Phone = "0571-8765 4321" }, true},
		{"+86 mobile", func(d *Draft) { d.Contact.Phone = "+86 138-1234-5678" }, true},
		{"full-width digits", func(d *Draft) { d.Contact.Phone = "１３８１２３４５６７８" }, true},
		{"no name", func(d *Draft) { d.Contact.Name = "" }, true},
		{"summary of 2000 characters", func(d *Draft) { d.Summary = strings.Repeat("噪", 2000) }, true},
		{"anonymous report without phone", func(d *Draft) { d.AppealType, d.Contact = Report, Contact{Anonymous: true} }, true},
		{"no phone", func(d *Draft) { d.Contact.Phone = "" }, false},
		{"bad phone", func(d *Draft) { d.Contact.Phone = "12345" }, false},
		{"phone with letters", func(d *Draft) { d.Contact.Phone = "138abc45678" }, false},
		{"anonymous complaint", func(d *Draft) { d.Contact = Contact{Anonymous: true} }, false},
		{"report without phone, not anonymous", func(d *Draft) { d.AppealType, d.Contact.Phone = Report, "" }, false},
		{"empty summary", func(d *Draft) { d.Summary = " \n " }, false},
		{"summary of 2001 characters", func(d *Draft) { d.Summary = strings.Repeat("噪", 2001) }, false},
		{"unknown appeal type", func(d *Draft) { d.AppealType = "praise" }, false},
		{"no appeal type", func(d *Draft) { d.AppealType = "" }, false},
		{"address too long", func(d *Draft) { d.Address = strings.Repeat("路", 201) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := phoneDraft("c1")
			tt.edit(&d)
			o, err := svc.Create(ctx, d)
			if tt.ok && err != nil {
				t.Fatalf("Create: %v", err)
			}
			if !tt.ok {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Create: %v, want ErrInvalid", err)
				}
				if strings.Contains(err.Error(), "5678") {
					t.Errorf("error %q shows the phone", err)
				}
			}
			if tt.ok && o.Contact.Phone != "" && o.Contact.Phone != "13812345678" && o.Contact.Phone != "057187654321" {
				t.Errorf("phone stored as %q", o.Contact.Phone)
			}
		})
	}
	anon, err := svc.Create(ctx, Draft{AppealType: Report, Summary: "某餐馆使用地沟油", Contact: Contact{Name: "李四", Anonymous: true}})
	if err != nil {
		t.Fatal(err)
	}
	if anon.Contact.Name != "" {
		t.Errorf("anonymous report keeps the name %q", anon.Contact.Name)
	}
}

func TestServiceLifecycle(t *testing.T) {
	t.Parallel()
	s := embeddedStore(t)
	c := newClock(testNow)
	svc := newService(t, s, c)
	ctx := context.Background()
	o, err := svc.Create(ctx, phoneDraft("c1"))
	if err != nil {
		t.Fatal(err)
	}
	n := o.Number
	must := func(o WorkOrder, err error) WorkOrder {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if _, err := svc.Transition(ctx, n, Finished, "dept", "好了"); !errors.Is(err, ErrTransition) {
		t.Fatalf("accepted → finished: %v, want ErrTransition", err)
	}
	o = must(svc.Dispatch(ctx, n, "", "dispatcher", ""))
	if o.Department != "城管局" {
		t.Errorf("dispatch without a department went to %q, want the suggested 城管局", o.Department)
	}
	o = must(svc.Transition(ctx, n, Returned, "城管局", "不属于本单位职责"))
	o = must(svc.Dispatch(ctx, n, "住建局", "dispatcher", "改派住建局"))
	if o.Department != "住建局" || o.Suggested.Department != "城管局" {
		t.Errorf("re-dispatch: department %q, suggested %q", o.Department, o.Suggested.Department)
	}
	c.Add(24 * time.Hour)
	o = must(svc.Transition(ctx, n, InProgress, "住建局", ""))
	o = must(svc.Transition(ctx, n, Finished, "住建局", "已责令停止夜间施工"))
	if o.Reply != "已责令停止夜间施工" {
		t.Errorf("reply %q", o.Reply)
	}
	if _, err := svc.Visit(ctx, n, 0, "agent1", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Visit with rating 0: %v", err)
	}
	o = must(svc.Visit(ctx, n, RatingUnsatisfied, "agent1", "还在施工"))
	if o.Status != Visited || o.Rating != RatingUnsatisfied {
		t.Errorf("after visit: %s, rating %d", o.Status, o.Rating)
	}
	c.Add(10 * 24 * time.Hour) // Tuesday 2026-12-08: past the first due date
	before := o.Due
	o = must(svc.Transition(ctx, n, Reopened, "agent1", ""))
	if want := time.Date(2026, 12, 15, 23, 59, 59, 0, cst); !o.Due.Equal(want) || o.Due.Equal(before) {
		t.Errorf("Due after reopening %s, want a new limit %s", o.Due, want)
	}
	if o.Overdue(c.Now()) {
		t.Error("reopened order overdue at once")
	}
	o = must(svc.Dispatch(ctx, n, "", "dispatcher", "重新办理"))
	if o.Department != "住建局" {
		t.Errorf("re-dispatch after reopening went to %q", o.Department)
	}
	got := must(svc.Get(ctx, n))
	if len(got.History) != 9 || got.Status != Dispatched {
		t.Errorf("stored history has %d events, status %s", len(got.History), got.Status)
	}

	// The log: one change per step, no private data.
	entries, err := s.ReadLog(ctx, LogName, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		for _, secret := range []string{"13812345678", "5678", "工地", "张三", "施工"} {
			if strings.Contains(string(e.Data), secret) {
				t.Errorf("log entry %s contains %q", e.Data, secret)
			}
		}
		var ch Change
		if err := json.Unmarshal(e.Data, &ch); err != nil {
			t.Fatal(err)
		}
		if ch.Number != n || ch.AppealType != Complaint || ch.Channel != "web" {
			t.Errorf("change %+v", ch)
		}
		kinds = append(kinds, ch.Kind+":"+string(ch.From)+">"+string(ch.Status))
	}
	want := "created:>accepted status:accepted>dispatched status:dispatched>returned status:returned>dispatched " +
		"status:dispatched>in_progress status:in_progress>finished status:finished>visited status:visited>reopened " +
		"status:reopened>dispatched"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("log:\n%s\nwant\n%s", got, want)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	s := embeddedStore(t)
	svc := serviceOn(t, s)
	ctx := context.Background()
	o, err := svc.Create(ctx, phoneDraft("c1"))
	if err != nil {
		t.Fatal(err)
	}
	extended := o.Due.AddDate(0, 0, 7)
	o, err = svc.Update(ctx, o.Number, func(o *WorkOrder) error {
		o.Address = "幸福路12号"
		o.Due = extended
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Get(ctx, o.Number); got.Address != "幸福路12号" || !got.Due.Equal(extended) {
		t.Errorf("stored after update: %+v", got)
	}
	for name, fn := range map[string]func(*WorkOrder) error{
		"status":        func(o *WorkOrder) error { o.Status = Finished; return nil },
		"history":       func(o *WorkOrder) error { o.History = nil; return nil },
		"conversation":  func(o *WorkOrder) error { o.Conversation = "c2"; return nil },
		"number":        func(o *WorkOrder) error { o.Number = "x"; return nil },
		"empty summary": func(o *WorkOrder) error { o.Summary = ""; return nil },
		"no phone":      func(o *WorkOrder) error { o.Contact.Phone = ""; return nil },
	} {
		if _, err := svc.Update(ctx, o.Number, fn); !errors.Is(err, ErrInvalid) {
			t.Errorf("update of %s: %v, want ErrInvalid", name, err)
		}
	}
	boom := errors.New("boom")
	if _, err := svc.Update(ctx, o.Number, func(*WorkOrder) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("fn's error: %v", err)
	}
	if _, err := svc.Update(ctx, "20261127-000099", func(*WorkOrder) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of a wrong number: %v", err)
	}
	if got, _ := svc.Get(ctx, o.Number); got.Status != Accepted || len(got.History) != 1 || got.Summary == "" {
		t.Errorf("refused updates changed the order: %+v", got)
	}
}

func TestForConversation(t *testing.T) {
	t.Parallel()
	c := newClock(testNow)
	svc := newService(t, embeddedStore(t), c)
	ctx := context.Background()
	var mine []string
	for _, conv := range []string{"alice", "bob", "alice", ""} {
		o, err := svc.Create(ctx, phoneDraft(conv))
		if err != nil {
			t.Fatal(err)
		}
		if conv == "alice" {
			mine = append(mine, o.Number)
		}
		c.Add(time.Minute)
	}
	got, err := svc.ForConversation(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Number != mine[1] || got[1].Number != mine[0] {
		t.Errorf("alice sees %v, want %v newest first", numbersOf(got), mine)
	}
	bob, _ := svc.ForConversation(ctx, "bob")
	if len(bob) != 1 || bob[0].Conversation != "bob" {
		t.Errorf("bob sees %v", numbersOf(bob))
	}
	if none, _ := svc.ForConversation(ctx, ""); len(none) != 0 {
		t.Errorf("the empty conversation sees %v", numbersOf(none))
	}
	if o, err := svc.Lookup(ctx, "alice", mine[0]); err != nil || o.Number != mine[0] {
		t.Errorf("alice looks up her order: %v", err)
	}
	_, otherErr := svc.Lookup(ctx, "bob", mine[0])
	_, wrongErr := svc.Lookup(ctx, "bob", "20261127-000099")
	if !errors.Is(otherErr, ErrNotFound) || !errors.Is(wrongErr, ErrNotFound) ||
		strings.ReplaceAll(otherErr.Error(), mine[0], "N") != strings.ReplaceAll(wrongErr.Error(), "20261127-000099", "N") {
		t.Errorf("someone else's order: %v; a wrong number: %v; want the same answer", otherErr, wrongErr)
	}
	if _, err := svc.Lookup(ctx, "", "20261127-000004"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an order without a conversation is found from the empty one: %v", err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	c := newClock(testNow)
	svc := newService(t, embeddedStore(t), c)
	ctx := context.Background()
	var numbers []string
	for i := range 4 {
		o, err := svc.Create(ctx, phoneDraft("c"))
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, o.Number)
		if i%2 == 0 {
			if _, err := svc.Dispatch(ctx, o.Number, "住建局", "dispatcher", ""); err != nil {
				t.Fatal(err)
			}
		}
		c.Add(time.Hour)
	}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all", Filter{}, numbers},
		{"status", Filter{Status: Dispatched}, []string{numbers[0], numbers[2]}},
		{"department", Filter{Department: "住建局"}, []string{numbers[0], numbers[2]}},
		{"from", Filter{From: testNow.Add(time.Hour)}, numbers[1:]},
		{"to is exclusive", Filter{To: testNow.Add(2 * time.Hour)}, numbers[:2]},
		{"status and time", Filter{Status: Accepted, From: testNow.Add(2 * time.Hour)}, numbers[3:]},
		{"nothing", Filter{Department: "教育局"}, nil},
	}
	for _, tt := range tests {
		got, err := svc.List(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(numbersOf(got)) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, numbersOf(got), tt.want)
		}
	}
}

func numbersOf(os []WorkOrder) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Number)
	}
	return out
}

// TestTransitionIf: the check sees the order as it is when the change is
// made; a refusal changes nothing and logs nothing.
func TestTransitionIf(t *testing.T) {
	ctx := context.Background()
	svc := serviceOn(t, embeddedStore(t))
	o, err := svc.Create(ctx, phoneDraft("c1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Dispatch(ctx, o.Number, "urban", "dispatcher", ""); err != nil {
		t.Fatal(err)
	}
	// A supervisor takes it to another department before urban acts.
	if _, err := svc.Transition(ctx, o.Number, Returned, "urban", "不属于本部门职责"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Dispatch(ctx, o.Number, "housing", "dispatcher", ""); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("not urban's")
	urbans := func(o WorkOrder) error {
		if o.Department != "urban" {
			return refused
		}
		return nil
	}
	if _, err := svc.TransitionIf(ctx, o.Number, InProgress, "urban", "", urbans); !errors.Is(err, refused) {
		t.Fatalf("urban's change of housing's order: err %v, want the check's", err)
	}
	got, _ := svc.Get(ctx, o.Number)
	if got.Status != Dispatched || got.Department != "housing" || len(got.History) != 4 {
		t.Errorf("after a refused change the order is %s at %s with %d steps, want dispatched to housing, 4 steps",
			got.Status, got.Department, len(got.History))
	}
	if _, err := svc.TransitionIf(ctx, o.Number, InProgress, "housing", "", func(WorkOrder) error { return nil }); err != nil {
		t.Errorf("accepted change: %v", err)
	}
}
