package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/handoff"
	"github.com/hotline12345/hotline/nlu"
	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// Limits of the prefilled order.
const (
	// orderSummaryRunes is the work order's limit on a summary.
	orderSummaryRunes = 2000
	// prefillMessages is how far back the prefill reads the transcript.
	prefillMessages = 300
	// hotExampleRunes clips a hot issue's example summary.
	hotExampleRunes = 80
	// noiseRunes is the longest message that may be mere noise (转人工,
	// 你好, 好的谢谢您).
	noiseRunes = 12
)

// consoleOrders is the agents' console's work order desk: it drafts orders
// from conversations with the NLU, creates them in the work orders and
// finds the hot issues for supervisors.
type consoleOrders struct {
	orders *workorder.Service
	store  store.Transcripts
	parser *nlu.Parser
	log    *slog.Logger
	now    func() time.Time
}

var (
	_ handoff.OrderDesk      = (*consoleOrders)(nil)
	_ handoff.HotIssueSource = (*consoleOrders)(nil)
)

// appealIntents are the NLU intents that are appeal types of a work order.
var appealIntents = []nlu.Intent{nlu.IntentComplaint, nlu.IntentReport, nlu.IntentHelp, nlu.IntentSuggestion, nlu.IntentConsult}

// noise are the intents of citizen messages that say nothing about the
// matter (转人工, 你好, 谢谢): left out of the summary.
var noise = []nlu.Intent{nlu.IntentHuman, nlu.IntentGreeting, nlu.IntentThanks, nlu.IntentGoodbye}

// Prefill drafts an order from what the citizen wrote in the conversation.
func (d *consoleOrders) Prefill(ctx context.Context, conv store.Conversation) (handoff.OrderForm, error) {
	texts, err := d.citizenTexts(ctx, conv)
	if err != nil {
		return handoff.OrderForm{}, err
	}
	f := handoff.OrderForm{Summary: recent(texts, orderSummaryRunes), Phone: conv.Data[dialog.DataVerifiedPhone]}
	for _, t := range texts {
		if f.Phone != "" {
			break
		}
		if phones := nlu.Phones(t); len(phones) > 0 {
			f.Phone = phones[0]
		}
	}
	if f.Summary == "" {
		return f, nil
	}
	u := d.parser.Parse(f.Summary, d.now())
	f.Address, f.When = nlu.PlaceAndTime(f.Summary, u.Entities)
	intentOK, deptOK := d.parser.Confident(u)
	if intentOK && slices.Contains(appealIntents, u.Intent) {
		f.AppealType = string(u.Intent)
	}
	if deptOK && u.Department != nlu.NotApplicable {
		f.Department = u.Department
	}
	return f, nil
}

// citizenTexts returns the texts of the citizen's recent messages that
// say something about the matter, oldest first.
func (d *consoleOrders) citizenTexts(ctx context.Context, conv store.Conversation) ([]string, error) {
	var texts []string
	after := max(0, conv.LastSeq-prefillMessages)
	for {
		msgs, err := d.store.Messages(ctx, conv.ID, after, 200)
		if err != nil {
			return nil, fmt.Errorf("prefill order: read %s: %w", conv.ID, err)
		}
		for _, m := range msgs {
			after = m.Seq
			text := strings.TrimSpace(m.Text)
			if m.From != store.FromCitizen || text == "" || m.Meta[channels.MetaMedia] != "" {
				continue
			}
			if d.isNoise(text) {
				continue
			}
			texts = append(texts, text)
		}
		if len(msgs) < 200 {
			return texts, nil
		}
	}
}

// isNoise reports whether a citizen message says nothing about the
// matter. Only short messages are read by the NLU for it: 转人工, 你好 and
// 谢谢 are short, and a long chat costs one parse per short message.
func (d *consoleOrders) isNoise(text string) bool {
	if utf8.RuneCountInString(text) > noiseRunes {
		return false
	}
	u := d.parser.Parse(text, d.now())
	ok, _ := d.parser.Confident(u)
	return ok && slices.Contains(noise, u.Intent)
}

// recent joins the newest texts, one a line, up to limit characters; a
// newest text longer than that is clipped.
func recent(texts []string, limit int) string {
	var keep []string
	n := 0
	for i := len(texts) - 1; i >= 0; i-- {
		size := utf8.RuneCountInString(texts[i])
		if n > 0 {
			size++ // the line break
		}
		if n+size > limit {
			if n == 0 {
				keep = append(keep, string([]rune(texts[i])[:limit]))
			}
			break
		}
		keep = append(keep, texts[i])
		n += size
	}
	slices.Reverse(keep)
	return strings.Join(keep, "\n")
}

// Create records the order by agent and, when the form names a
// department, dispatches it there at once. The NLU's department for the
// summary is kept beside the chosen one (Suggested).
func (d *consoleOrders) Create(ctx context.Context, agent string, conv store.Conversation, f handoff.OrderForm) (string, time.Time, error) {
	draft := workorder.Draft{
		Conversation: conv.ID,
		Channel:      conv.Channel,
		AppealType:   workorder.AppealType(f.AppealType),
		Department:   f.Department,
		Summary:      f.Summary,
		Address:      f.Address,
		When:         f.When,
		Contact:      workorder.Contact{Name: f.Name, Phone: f.Phone, Anonymous: f.Anonymous},
		By:           agent,
	}
	if strings.TrimSpace(f.Summary) != "" {
		u := d.parser.Parse(f.Summary, d.now())
		if _, ok := d.parser.Confident(u); ok && u.Department != nlu.NotApplicable {
			draft.Suggested = workorder.Suggested{Department: u.Department, Confidence: u.DepartmentConfidence}
		}
	}
	o, err := d.orders.Create(ctx, draft)
	if errors.Is(err, workorder.ErrInvalid) {
		return "", time.Time{}, badOrder(err)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if o.Department != "" {
		if _, err := d.orders.Dispatch(ctx, o.Number, o.Department, agent, ""); err != nil {
			// The order exists and its number holds; the dispatcher sends it.
			d.log.Error("console order not dispatched", "number", o.Number, "err", err)
		}
	}
	return o.Number, o.Due, nil
}

// badOrder turns a workorder validation error (a *workorder.FieldError)
// into the console's, naming the form's field.
func badOrder(err error) *handoff.BadOrderError {
	var fe *workorder.FieldError
	if !errors.As(err, &fe) {
		return &handoff.BadOrderError{Problem: err.Error()}
	}
	field, problem := fe.Field, fe.Problem
	if field == "contact" {
		field = "anonymous" // only a report may be anonymous
	}
	return &handoff.BadOrderError{Field: field, Problem: problem}
}

// HotIssues returns the hot issues under the work orders' rule (the
// hot_issue section of kb-data/workorder/rules.yaml: by default 5 similar
// orders within 24 hours), largest first, masked.
func (d *consoleOrders) HotIssues(ctx context.Context) ([]handoff.HotIssue, error) {
	hot, err := d.orders.Hot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]handoff.HotIssue, 0, len(hot))
	for _, h := range hot {
		if len(h.Orders) == 0 {
			continue
		}
		item := handoff.HotIssue{Department: h.Department, Count: len(h.Orders), Since: h.First,
			Example: clipRunes(h.Orders[0].Summary, hotExampleRunes)}
		for _, o := range h.Orders[:min(len(h.Orders), handoff.MaxHotNumbers)] {
			item.Numbers = append(item.Numbers, o.Number)
		}
		out = append(out, item)
	}
	return out, nil
}

// clipRunes shortens s to n characters, marking the cut with "…".
func clipRunes(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
