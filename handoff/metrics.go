package handoff

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the hand-off's Prometheus metrics. The gauges read the
// board as this instance last saw it (every tick, so at most a second
// old); the counters and the histogram count what this instance did.
type metrics struct {
	events *prometheus.CounterVec
	wait   prometheus.Histogram
}

func (s *Service) register(reg prometheus.Registerer) error {
	s.metrics = metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "hotline", Name: "handoff_events_total",
			Help: "Hand-off state changes by type (queued, offered, missed, accepted, closed, rated…).",
		}, []string{"type"}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "hotline", Name: "handoff_wait_seconds",
			Help:    "Time from queueing to an agent accepting the chat (the 15-second answer norm).",
			Buckets: []float64{5, 10, 15, 20, 30, 60, 120, 300, 600, 1800},
		}),
	}
	if reg == nil {
		return nil
	}
	board := func() *Board {
		if b := s.last.Load(); b != nil {
			return b
		}
		return NewBoard()
	}
	waiting := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "hotline", Name: "handoff_waiting", Help: "Citizens waiting for an agent.",
	}, func() float64 { return float64(len(board().Queue)) })
	chats := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "hotline", Name: "handoff_chats", Help: "Chats held by agents.",
	}, func() float64 { return float64(len(board().Chats)) })
	online := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "hotline", Name: "agents_online", Help: "Agents signed in and online (not away).",
	}, func() float64 {
		n := 0
		for _, a := range board().Agents {
			if a.Status == StatusOnline && a.Conns > 0 {
				n++
			}
		}
		return float64(n)
	})
	for _, c := range []prometheus.Collector{s.metrics.events, s.metrics.wait, waiting, chats, online} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m metrics) observe(e Event) {
	m.events.WithLabelValues(e.Type).Inc()
	if e.Type == EventAccepted {
		m.wait.Observe(e.Wait)
	}
}
