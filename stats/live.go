package stats

import (
	"cmp"
	"slices"
)

// OrderLoad is the open work orders of one department now.
type OrderLoad struct {
	Department string
	// Open orders, and those of them past their due time.
	Open, Overdue int
}

// OpenOrders returns the open work orders per department as of the
// events applied so far, by department code; the live gauges of
// /metrics read it.
func (a *Aggregator) OpenOrders() []OrderLoad {
	now := a.cfg.Now()
	a.mu.RLock()
	byDept := map[string]*OrderLoad{}
	for _, o := range a.orders {
		l := byDept[o.key.department]
		if l == nil {
			l = &OrderLoad{Department: o.key.department}
			byDept[o.key.department] = l
		}
		l.Open++
		if o.overdueLive(now) {
			l.Overdue++
		}
	}
	a.mu.RUnlock()
	out := make([]OrderLoad, 0, len(byDept))
	for _, l := range byDept {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(x, y OrderLoad) int { return cmp.Compare(x.Department, y.Department) })
	return out
}
