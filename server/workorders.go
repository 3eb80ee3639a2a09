package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline12345/hotline/store"
	"github.com/hotline12345/hotline/workorder"
)

// Limits of the work order API.
const (
	// maxEventBody bounds a status change: a reply of at most 2000
	// characters and a few short fields.
	maxEventBody = 16 << 10
	// defaultOrderLimit and maxOrderLimit bound a list; a bigger export
	// is the statistics' job.
	defaultOrderLimit = 100
	maxOrderLimit     = 1000
	// maxBy bounds the name of who made a change: a person, not a note.
	maxBy = 64
)

// AuditLog is the store log every view of a citizen's full contact is
// appended to, as an AuditEntry: masking protects the lists, the log holds
// the people who looked behind it accountable.
const AuditLog = "audit"

// AuditEntry is one entry of AuditLog.
type AuditEntry struct {
	Time time.Time `json:"time"`
	// Who is the staff member: "admin" for the admin token, the username
	// of a signed-in admin, "department:<code>" for a department token.
	Who string `json:"who"`
	// Action is what they saw: "workorder.full" for a work order with the
	// citizen's full contact.
	Action string `json:"action"`
	// Number is the work order's number.
	Number string `json:"number"`
}

// adminActor is who acts with the admin token, in audit entries and as the
// default author of status changes.
const adminActor = "admin"

// workorderAPI is the staff's work order API under /api/v1/workorders.
// Lists and single orders are masked (workorder.WorkOrder.Masked); the full
// contact is shown on request to admins and to the department handling
// the order, and each such view is audited.
//
// Who may do what:
//   - admins (the admin token, admin sessions) and supervisors: every
//     order, every status change (supervisors dispatch and re-dispatch);
//   - a department token: only the orders dispatched to it (visibleTo),
//     others answer 404 like a missing number; it moves them to
//     in_progress, finished (with its reply) or returned (with a reason);
//   - agents: every order, masked; they record the follow-up they made by
//     phone (visited with the rating, then reopened after 不满意), nothing
//     else: dispatching is the supervisors' job, the rest the
//     departments'.
type workorderAPI struct {
	staff  *staffAuth
	orders *workorder.Service
	audit  store.Logs
	log    *slog.Logger
	loc    *time.Location // of the from and to dates: Asia/Shanghai
}

func (a *workorderAPI) routes(mux *http.ServeMux) {
	if a.orders == nil {
		return // a server without work orders answers 404
	}
	if a.loc == nil {
		a.loc = shanghaiZone()
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	staff := a.staff.only(roleAdmin, roleSupervisor, roleAgent, roleDepartment)
	mux.Handle("GET /api/v1/workorders", staff(a.list))
	mux.Handle("GET /api/v1/workorders/{number}", staff(a.get))
	mux.Handle("POST /api/v1/workorders/{number}/events", staff(a.event))
}

// visibleTo reports whether who may see the order at all: a department
// sees the orders dispatched to it while it handles them and after it
// finished them (to read the rating), not those waiting for a dispatcher
// (accepted, returned, reopened) nor another department's.
func visibleTo(o workorder.WorkOrder, who actor) bool {
	if who.Role != roleDepartment {
		return true
	}
	if o.Department != who.Department {
		return false
	}
	switch o.Status {
	case workorder.Dispatched, workorder.InProgress, workorder.Finished, workorder.Visited:
		return true
	}
	return false
}

// mayMove reports whether who may move an order to status to.
func mayMove(who actor, to workorder.Status) bool {
	switch who.Role {
	case roleAdmin, roleSupervisor:
		return true
	case roleDepartment:
		return to == workorder.InProgress || to == workorder.Finished || to == workorder.Returned
	case roleAgent:
		return to == workorder.Visited || to == workorder.Reopened
	}
	return false
}

// mayViewFull reports whether who may see the order's full contact:
// admins, and the department handling it (it calls the citizen back).
func mayViewFull(o workorder.WorkOrder, who actor) bool {
	return who.Role == roleAdmin || who.Role == roleDepartment && visibleTo(o, who)
}

// orderView is a work order as the API shows it: the order's fields and
// what staff would otherwise compute.
type orderView struct {
	workorder.WorkOrder
	StatusLabel     string `json:"status_label"`
	AppealTypeLabel string `json:"appeal_type_label"`
	Overdue         bool   `json:"overdue"`
}

func orderViewOf(o workorder.WorkOrder, now time.Time) orderView {
	return orderView{WorkOrder: o, StatusLabel: o.Status.Label(), AppealTypeLabel: o.AppealType.Label(), Overdue: o.Overdue(now)}
}

func (a *workorderAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f workorder.Filter
	if s := q.Get("status"); s != "" {
		f.Status = workorder.Status(s)
		if !f.Status.Valid() {
			writeError(w, http.StatusBadRequest, "bad_status", fmt.Sprintf("unknown status %q: want accepted, dispatched, in_progress, finished, visited, returned or reopened", s))
			return
		}
	}
	f.Department = q.Get("department")
	who := actorOf(r.Context())
	if who.Role == roleDepartment {
		if f.Department != "" && f.Department != who.Department {
			writeJSON(w, http.StatusOK, map[string]any{"workorders": []orderView{}})
			return
		}
		f.Department = who.Department
	}
	var ok bool
	if f.From, ok = a.date(w, "from", q.Get("from"), 0); !ok {
		return
	}
	if f.To, ok = a.date(w, "to", q.Get("to"), 1); !ok {
		return
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		writeError(w, http.StatusBadRequest, "bad_date", "from is after to")
		return
	}
	limit := defaultOrderLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxOrderLimit {
			writeError(w, http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit must be 1..%d", maxOrderLimit))
			return
		}
		limit = n
	}
	orders, err := a.orders.List(r.Context(), f)
	if err != nil {
		a.fail(w, "list", "", err)
		return
	}
	orders = slices.DeleteFunc(orders, func(o workorder.WorkOrder) bool { return !visibleTo(o, who) })
	slices.SortStableFunc(orders, func(x, y workorder.WorkOrder) int {
		return cmp.Or(y.Created.Compare(x.Created), cmp.Compare(y.Number, x.Number))
	})
	orders = orders[:min(limit, len(orders))]
	now := time.Now()
	out := make([]orderView, len(orders))
	for i, o := range orders {
		out[i] = orderViewOf(o.Masked(), now)
	}
	writeJSON(w, http.StatusOK, map[string]any{"workorders": out})
}

// date parses a YYYY-MM-DD query parameter as the start of that day in
// a.loc, plus days days (1 makes an inclusive end an exclusive bound).
func (a *workorderAPI) date(w http.ResponseWriter, name, s string, days int) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation(time.DateOnly, s, a.loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_date", name+" must be a date YYYY-MM-DD")
		return time.Time{}, false
	}
	return t.AddDate(0, 0, days), true
}

// pathNumber reads the path's work order number; a malformed one is not
// found, as an unknown one.
func pathNumber(w http.ResponseWriter, r *http.Request) (string, bool) {
	n, ok := workorder.ParseNumber(r.PathValue("number"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no work order with this number")
	}
	return n, ok
}

func (a *workorderAPI) get(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(w, r)
	if !ok {
		return
	}
	full := r.URL.Query().Get("full")
	if full != "" && full != "0" && full != "1" {
		writeError(w, http.StatusBadRequest, "bad_full", "full must be 0 or 1")
		return
	}
	who := actorOf(r.Context())
	o, ok := a.visible(w, r, n, who)
	if !ok {
		return
	}
	if full != "1" {
		writeJSON(w, http.StatusOK, orderViewOf(o.Masked(), time.Now()))
		return
	}
	if !mayViewFull(o, who) {
		writeError(w, http.StatusForbidden, "forbidden", "the full contact is shown only to admins and to the department handling the order")
		return
	}
	// No audit entry, no full view.
	if err := a.audited(r.Context(), who.Name, "workorder.full", n); err != nil {
		a.log.Error("workorder API: audit a full view", "number", n, "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the view could not be written to the audit log, so it is not shown; try again")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, orderViewOf(o, time.Now()))
}

// visible reads the order numbered n if who may see it, and otherwise
// answers 404 as for a missing number.
func (a *workorderAPI) visible(w http.ResponseWriter, r *http.Request, n string, who actor) (workorder.WorkOrder, bool) {
	o, err := a.orders.Get(r.Context(), n)
	if err == nil && !visibleTo(o, who) {
		err = fmt.Errorf("workorder %s: %w", n, workorder.ErrNotFound)
	}
	if err != nil {
		a.fail(w, "get", n, err)
		return workorder.WorkOrder{}, false
	}
	return o, true
}

// audited appends an entry to the audit log.
func (a *workorderAPI) audited(ctx context.Context, who, action, number string) error {
	data, err := json.Marshal(AuditEntry{Time: time.Now(), Who: who, Action: action, Number: number})
	if err != nil {
		return err
	}
	_, err = a.audit.AppendLog(ctx, AuditLog, data)
	return err
}

// eventRequest is the body of POST /api/v1/workorders/{number}/events.
type eventRequest struct {
	Status workorder.Status `json:"status"`
	// Text is the note: the reply for finished, the reason for returned,
	// the citizen's words for visited.
	Text string `json:"text"`
	// Department is for dispatched; empty takes the order's or the
	// suggested one.
	Department string `json:"department"`
	// Rating is for visited, 1..4.
	Rating workorder.Rating `json:"rating"`
	// By names who acts. With the admin token it is recorded as given
	// (default "admin"); with a department token it names the person
	// in the department, recorded as "department:<code>/<by>"; a
	// signed-in user is always recorded by username (by must be empty or
	// that username).
	By string `json:"by"`
}

func (a *workorderAPI) event(w http.ResponseWriter, r *http.Request) {
	n, ok := pathNumber(w, r)
	if !ok {
		return
	}
	var ev eventRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEventBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		writeError(w, http.StatusBadRequest, "bad_json", fmt.Sprintf("the body must be one status change as JSON (at most %d KiB): %v", maxEventBody>>10, err))
		return
	}
	switch {
	case ev.Status == workorder.Accepted || !ev.Status.Valid():
		writeError(w, http.StatusBadRequest, "bad_status", fmt.Sprintf("unknown status %q: want dispatched, in_progress, finished, returned, visited or reopened", ev.Status))
		return
	case ev.Department != "" && ev.Status != workorder.Dispatched:
		writeError(w, http.StatusBadRequest, "invalid", "department goes only with dispatched")
		return
	case ev.Rating != 0 && ev.Status != workorder.Visited:
		writeError(w, http.StatusBadRequest, "invalid", "rating goes only with visited")
		return
	}
	who := actorOf(r.Context())
	by, ok := author(w, who, strings.TrimSpace(ev.By))
	if !ok {
		return
	}
	if who.Role == roleDepartment {
		// Another department's order answers as a missing one (and is
		// checked again, atomically, when the change is made).
		if _, ok := a.visible(w, r, n, who); !ok {
			return
		}
	}
	if !mayMove(who, ev.Status) {
		writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("%s (%s) may not move an order to %s", who.Name, who.Role, ev.Status))
		return
	}
	var (
		o   workorder.WorkOrder
		err error
	)
	switch ev.Status {
	case workorder.Dispatched:
		o, err = a.orders.Dispatch(r.Context(), n, ev.Department, by, ev.Text)
	case workorder.Visited:
		o, err = a.orders.Visit(r.Context(), n, ev.Rating, by, ev.Text)
	case workorder.InProgress, workorder.Finished, workorder.Returned:
		o, err = a.orders.TransitionIf(r.Context(), n, ev.Status, by, ev.Text, func(o workorder.WorkOrder) error {
			if !visibleTo(o, who) {
				return fmt.Errorf("workorder %s: %w", n, workorder.ErrNotFound)
			}
			return nil
		})
	default:
		o, err = a.orders.Transition(r.Context(), n, ev.Status, by, ev.Text)
	}
	if err != nil {
		a.fail(w, "event", n, err)
		return
	}
	writeJSON(w, http.StatusOK, orderViewOf(o.Masked(), time.Now()))
}

// author is the name a status change is recorded under (see
// eventRequest.By).
func author(w http.ResponseWriter, who actor, by string) (string, bool) {
	if n := utf8.RuneCountInString(by); n > maxBy {
		writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("by is %d characters, at most %d", n, maxBy))
		return "", false
	}
	switch {
	case who.Role == roleAdmin && who.Token:
		return cmp.Or(by, adminActor), true
	case who.Role == roleDepartment:
		if by == "" {
			return who.Name, true
		}
		return who.Name + "/" + by, true
	case by != "" && by != who.Name:
		writeError(w, http.StatusBadRequest, "invalid", "by must be empty or your username: changes are recorded under the signed-in user")
		return "", false
	}
	return who.Name, true
}

// fail answers a work order service error.
func (a *workorderAPI) fail(w http.ResponseWriter, op, number string, err error) {
	var te *workorder.TransitionError
	switch {
	case errors.Is(err, workorder.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no work order with this number")
	case errors.As(err, &te):
		msg := fmt.Sprintf("the work order is %s (%s) and cannot become %s (%s)", te.From, te.From.Label(), te.To, te.To.Label())
		if te.Why != "" {
			msg += ": " + te.Why
		}
		writeError(w, http.StatusConflict, "transition", msg)
	case errors.Is(err, workorder.ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
	case errors.Is(err, store.ErrUnavailable):
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the store could not be reached; nothing was changed, try again")
	default:
		a.log.Error("workorder API", "op", op, "number", number, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the request failed; try again")
	}
}

// openWebhook builds the work order webhook when workorder_webhook_url is
// set; nil when it is not.
func openWebhook(cfg Config, st workorder.WebhookStore, log *slog.Logger, reg prometheus.Registerer) (*workorder.Webhook, error) {
	if cfg.WorkOrderWebhookURL == "" {
		return nil, nil
	}
	return workorder.NewWebhook(workorder.WebhookConfig{
		URL:        cfg.WorkOrderWebhookURL,
		Secret:     cfg.WorkOrderWebhookSecret,
		Store:      st,
		Logger:     log,
		Registerer: reg,
	})
}

// runWebhook runs hook, when not nil, until ctx ends; wait returns once
// it has stopped (and released its lease).
func runWebhook(ctx context.Context, hook *workorder.Webhook) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if hook != nil {
			hook.Run(ctx)
		}
	}()
	return func() { <-done }
}

// shanghaiZone is China Standard Time, from the system's time zone database
// when it has one.
func shanghaiZone() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}
