package workorder

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
)

// DefaultSimilarity is the bigram Jaccard similarity from which two
// summaries count as the same matter.
//
// Why 0.25: Chinese appeals have no spaces, so summaries are compared as
// sets of overlapping character pairs (施工, 工噪, 噪音…), which needs no
// dictionary and tolerates different word choices; Jaccard is the share of
// pairs the two sets have in common. On the pairs in similar_test.go, two
// citizens describing one matter in their own words ("小区东门工地每天夜里
// 施工，噪音很大，影响休息" and "东门那个工地夜里施工，噪音吵得没法休息")
// score 0.28 to 0.38, while different matters of one department at one
// place (a broken street light and a missing manhole cover on 幸福路12号)
// score 0.09 to 0.23: short texts of one place share its name. 0.25 sits
// in the gap. It errs towards suggesting, because a match is only a
// suggestion a dispatcher confirms (a wrong one costs a glance, a missed
// one a second inspection), and the department, time window and address
// gates remove most false matches before the text is compared.
const DefaultSimilarity = 0.25

// DefaultDuplicateWindow is how far back Create looks for open orders
// about the same matter: a week, the span over which repeated appeals
// about one problem usually come in.
const DefaultDuplicateWindow = 7 * 24 * time.Hour

// bigrams is the set of a text's overlapping character pairs, after
// dropping everything but letters and digits, folding full-width ASCII
// and case. A text of one character is its own set.
type bigrams map[string]struct{}

func textBigrams(s string) bigrams {
	rs := []rune(foldText(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }))
	set := make(bigrams, len(rs))
	if len(rs) == 1 {
		set[string(rs)] = struct{}{}
	}
	for i := 0; i+1 < len(rs); i++ {
		set[string(rs[i:i+2])] = struct{}{}
	}
	return set
}

// jaccard is |a ∩ b| / |a ∪ b|; 0 when both are empty.
func jaccard(a, b bigrams) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	common := 0
	for k := range a {
		if _, ok := b[k]; ok {
			common++
		}
	}
	union := len(a) + len(b) - common
	if union == 0 {
		return 0
	}
	return float64(common) / float64(union)
}

// foldText folds full-width ASCII to half-width and case to lower, and
// keeps the runes keep accepts.
func foldText(s string, keep func(rune) bool) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '！' && r <= '～' {
			r -= '！' - '!'
		}
		r = unicode.ToLower(r)
		if keep(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalizeAddress drops all whitespace (full-width too) and folds width
// and case, so that "幸福路 12 号" and "幸福路１２号" are one address.
func normalizeAddress(s string) string {
	return foldText(s, func(r rune) bool { return !unicode.IsSpace(r) })
}

// matter is what duplicate detection compares of an order or a draft.
type matter struct {
	dept    string
	address string
	text    bigrams
}

func newMatter(dept string, s Suggested, summary, address string) matter {
	return matter{dept: department(dept, s), address: normalizeAddress(address), text: textBigrams(summary)}
}

// similarity is the summaries' similarity when a and b can be the same
// matter (same department; the same address when both have one), else 0.
func (a matter) similarity(b matter) float64 {
	if a.dept == "" || a.dept != b.dept {
		return 0
	}
	if a.address != "" && b.address != "" && a.address != b.address {
		return 0
	}
	return jaccard(a.text, b.text)
}

// Similar returns the open orders created within window before now that
// look like the same matter as d (并单 suggestions): the same department
// (chosen, else suggested), summaries at least the configured similarity
// apart, and the same address when both have one. The most similar come
// first. A draft without a department has no duplicates.
func (s *Service) Similar(ctx context.Context, d Draft, window time.Duration) ([]WorkOrder, error) {
	all, err := s.all(ctx)
	if err != nil {
		return nil, err
	}
	return s.similar(all, newMatter(d.Department, d.Suggested, d.Summary, d.Address), window, ""), nil
}

// similar picks Similar's orders out of all, leaving out the order
// numbered skip.
func (s *Service) similar(all []WorkOrder, m matter, window time.Duration, skip string) []WorkOrder {
	since := s.now().Add(-window)
	type scored struct {
		o     WorkOrder
		score float64
	}
	var found []scored
	for _, o := range all {
		if o.Number == skip || !o.Status.Open() || o.Created.Before(since) {
			continue
		}
		if score := m.similarity(newMatter(o.Department, o.Suggested, o.Summary, o.Address)); score >= s.threshold {
			found = append(found, scored{o, score})
		}
	}
	slices.SortStableFunc(found, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	out := make([]WorkOrder, len(found))
	for i, f := range found {
		out[i] = f.o
	}
	return out
}

// HotIssue is a group of similar appeals in a short time (热点): many
// citizens reporting one matter, for supervisors to act on at once.
type HotIssue struct {
	Department string `json:"department"`
	// Orders are the group's orders, masked, oldest first; the first is
	// the one the others were found similar to.
	Orders []WorkOrder `json:"orders"`
	// First and Last are the creation times of the oldest and newest.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// Hot returns the hot issues under the service's own rule (HotWindow,
// HotMinOrders; kb-data/workorder/rules.yaml in the server).
func (s *Service) Hot(ctx context.Context) ([]HotIssue, error) {
	return s.HotIssues(ctx, s.hotWindow, s.hotMin)
}

// HotIssues groups the orders created within window before now (open or
// not: a hot issue is about how many came in) by matter, and returns the
// groups of at least minOrders orders (and at least two), largest first.
// An order joins the group of the first older order it is similar to (the
// same rule as Similar), so groups do not drift through chains of loosely
// similar texts.
func (s *Service) HotIssues(ctx context.Context, window time.Duration, minOrders int) ([]HotIssue, error) {
	all, err := s.all(ctx)
	if err != nil {
		return nil, err
	}
	since := s.now().Add(-window)
	recent := slices.DeleteFunc(all, func(o WorkOrder) bool { return o.Created.Before(since) })
	slices.SortStableFunc(recent, func(a, b WorkOrder) int { return a.Created.Compare(b.Created) })

	type group struct {
		seed   matter
		orders []WorkOrder
	}
	var groups []*group
	for _, o := range recent {
		m := newMatter(o.Department, o.Suggested, o.Summary, o.Address)
		if m.dept == "" {
			continue
		}
		var home *group
		for _, g := range groups {
			if g.seed.similarity(m) >= s.threshold {
				home = g
				break
			}
		}
		if home == nil {
			home = &group{seed: m}
			groups = append(groups, home)
		}
		home.orders = append(home.orders, o)
	}

	var hot []HotIssue
	for _, g := range groups {
		if len(g.orders) < max(minOrders, 2) {
			continue
		}
		h := HotIssue{Department: g.seed.dept, First: g.orders[0].Created, Last: g.orders[len(g.orders)-1].Created}
		for _, o := range g.orders {
			h.Orders = append(h.Orders, o.Masked())
		}
		hot = append(hot, h)
	}
	slices.SortStableFunc(hot, func(a, b HotIssue) int {
		return cmp.Or(cmp.Compare(len(b.Orders), len(a.Orders)), b.Last.Compare(a.Last))
	})
	return hot, nil
}
