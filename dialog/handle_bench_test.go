package dialog_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/internal/nlutest"
	"github.com/hotline12345/hotline/knowledge"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store/embedded"
)

// BenchmarkHandle measures one citizen question end to end through the bot:
// lock, store the question (fsync), search the real knowledge base, store
// the answer (fsync). Sequential: this is the latency one citizen sees.
func BenchmarkHandle(b *testing.B) {
	benchHandle(b, false)
}

// BenchmarkHandleParallel measures throughput with many conversations at
// once, where the embedded store commits concurrent writes together.
func BenchmarkHandleParallel(b *testing.B) {
	benchHandle(b, true)
}

func benchHandle(b *testing.B, parallel bool) {
	segOnce.Do(func() { seg, segErr = nlu.NewSegmenter("../kb-data/dict.txt") })
	if segErr != nil {
		b.Fatal(segErr)
	}
	entries, err := knowledge.LoadDir("../kb-data")
	if err != nil {
		b.Fatal(err)
	}
	kb, err := knowledge.Open(knowledge.Config{Segmenter: seg}, entries)
	if err != nil {
		b.Fatal(err)
	}
	defer kb.Close()
	st, err := embedded.Open(embedded.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	bot, err := dialog.New(dialog.Config{Store: st, Knowledge: kb, NLU: nlutest.Parser(b, seg)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := func(conv string, i int) {
		err := bot.Handle(ctx, channels.Inbound{Conversation: conv, ID: strconv.Itoa(i), Kind: channels.KindText, Text: "社保卡丢了怎么办"}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	if !parallel {
		conv, _ := bot.Open(ctx, "bench", "u")
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			run(conv.ID, i)
		}
		return
	}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conv, _ := bot.Open(ctx, "bench", "u")
		for i := 0; pb.Next(); i++ {
			run(conv.ID, i)
		}
	})
}
