package server

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline12345/hotline/internal/nlutest"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/store/embedded"
	"github.com/hotline12345/hotline/workorder"
)

// benchDesk is the console's order desk on an embedded store in dir, with
// the repository's NLU models.
func benchDesk(b *testing.B) (*consoleOrders, *embedded.Store) {
	b.Helper()
	seg, err := nlu.NewSegmenter("../kb-data/dict.txt")
	if err != nil {
		b.Fatal(err)
	}
	st, err := embedded.Open(embedded.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	orders, err := workorder.New(workorder.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	return &consoleOrders{orders: orders, store: st, parser: nlutest.Parser(b, seg),
		log: slog.New(slog.DiscardHandler), now: time.Now}, st
}

// BenchmarkPrefill drafts an order from a long chat: 300 messages, half
// of them the citizen's (the most the prefill reads).
func BenchmarkPrefill(b *testing.B) {
	d, st := benchDesk(b)
	ctx := context.Background()
	conv, err := st.CreateConversation(ctx, store.Conversation{ID: "bench", Channel: "web", User: "u"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 150 {
		if _, _, err := st.Append(ctx, conv.ID, store.Message{From: store.FromCitizen,
			Text: fmt.Sprintf("幸福路%d号的路灯坏了一个星期了，晚上很黑，我的电话是13812345678", i)}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := st.Append(ctx, conv.ID, store.Message{From: store.FromAgent, Text: "请问具体是哪个位置？"}); err != nil {
			b.Fatal(err)
		}
	}
	conv, _ = st.Conversation(ctx, conv.ID)
	b.ReportAllocs()
	for b.Loop() {
		f, err := d.Prefill(ctx, conv)
		if err != nil || f.Phone == "" {
			b.Fatalf("prefill = %+v, %v", f, err)
		}
	}
}

// BenchmarkHotIssuePoll is one instance's poll for the supervisors'
// hot issues with 2,000 orders in the store, about 570 of them within the
// default 24-hour window.
func BenchmarkHotIssuePoll(b *testing.B) {
	d, st := benchDesk(b)
	ctx := context.Background()
	now := time.Now()
	var clock time.Time
	orders, err := workorder.New(workorder.Config{Store: st, DuplicateWindow: -1, Now: func() time.Time { return clock }})
	if err != nil {
		b.Fatal(err)
	}
	depts := []string{"urban", "housing", "traffic", "environment", "utilities"}
	for i := range 2000 {
		// 1,500 orders over the previous weeks, then 500 within the last
		// three hours.
		clock = now.Add(-3*time.Hour - time.Duration(1500-i)*20*time.Minute)
		if i >= 1500 {
			clock = now.Add(-time.Duration(2000-i) * 20 * time.Second)
		}
		if _, err := orders.Create(ctx, workorder.Draft{AppealType: workorder.Complaint, Department: depts[i%len(depts)],
			Summary: fmt.Sprintf("%d号楼附近的问题反映第%d件，情况比较紧急，请尽快处理", i%37, i),
			Contact: workorder.Contact{Phone: "13812345678"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.HotIssues(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
