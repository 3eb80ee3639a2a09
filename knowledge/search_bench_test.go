package knowledge

import (
	"context"
	"slices"
	"testing"
	"time"
)

// benchQueries mix answerable, ambiguous and off-topic questions.
var benchQueries = []string{
	"社保卡丢了怎么办",
	"公积金怎么提取",
	"驾照到期了在哪换",
	"我的社保卡昨天在公交车上丢了，现在要去哪里补办，需要带什么材料？",
	"明天会下雨吗",
	"社保卡",
}

// BenchmarkSearch measures Search on the real kb-data, in memory.
func BenchmarkSearch(b *testing.B) {
	base := openTest(b, realEntries(b), Config{Synonyms: realSynonyms(b)})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := base.Search(ctx, benchQueries[i%len(benchQueries)], SearchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchParallel measures Search from all Ps at once.
func BenchmarkSearchParallel(b *testing.B) {
	base := openTest(b, realEntries(b), Config{Synonyms: realSynonyms(b)})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := base.Search(ctx, benchQueries[i%len(benchQueries)], SearchOptions{}); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// TestSearchLatency reports the p50/p99 latency of Search on the real
// kb-data (go test -run SearchLatency -v). It only guards the median, and
// runs neither under -race nor -short: tails depend on the machine's load
// and on GC marking gse's ~200 MB dictionary.
func TestSearchLatency(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timings mean little under -race or -short")
	}
	base := openTest(t, realEntries(t), Config{Synonyms: realSynonyms(t)})
	ctx := context.Background()
	const n = 3000
	d := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		if _, err := base.Search(ctx, benchQueries[i%len(benchQueries)], SearchOptions{}); err != nil {
			t.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	p50, p99 := d[n/2], d[n*99/100]
	t.Logf("Search over %d entries: p50 %v, p99 %v", base.Len(), p50, p99)
	if p50 > time.Millisecond {
		t.Errorf("p50 %v, want under 1ms", p50)
	}
}
