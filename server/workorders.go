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
)

// AuditLog is the store log every view of a citizen's full contact is
// appended to, as an AuditEntry: masking protects the lists, the log holds
// the people who looked behind it accountable.
const AuditLog = "audit"

// AuditEntry is one entry of AuditLog.
type AuditEntry struct {
	Time time.Time `json:"time"`
	// Who is the staff member: "admin" for the admin token.
	Who string `json:"who"`
	// Action is what they saw: "workorder.full" for a work order with the
	// citizen's full contact.
	Action string `json:"action"`
	// Number is the work order's number.
	Number string `json:"number"`
}

// adminActor is who acts with the admin token, in audit entries and as the
// default author of status changes. Staff sessions will name their user.
const adminActor = "admin"

// workorderAPI is the staff's work order API under /api/v1/workorders.
// Lists and single orders are masked (workorder.WorkOrder.Masked); the full
// contact is shown on request and each such view is audited.
type workorderAPI struct {
	auth   func(http.HandlerFunc) http.Handler
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
	mux.Handle("GET /api/v1/workorders", a.auth(a.list))
	mux.Handle("GET /api/v1/workorders/{number}", a.auth(a.get))
	mux.Handle("POST /api/v1/workorders/{number}/events", a.auth(a.event))
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
	o, err := a.orders.Get(r.Context(), n)
	if err != nil {
		a.fail(w, "get", n, err)
		return
	}
	if full != "1" {
		writeJSON(w, http.StatusOK, orderViewOf(o.Masked(), time.Now()))
		return
	}
	// No audit entry, no full view.
	if err := a.audited(r.Context(), adminActor, "workorder.full", n); err != nil {
		a.log.Error("workorder API: audit a full view", "number", n, "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the view could not be written to the audit log, so it is not shown; try again")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, orderViewOf(o, time.Now()))
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
	// By names who acts: a department user, a dispatcher. Default the
	// token's actor.
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
	by := cmp.Or(strings.TrimSpace(ev.By), adminActor)
	var (
		o   workorder.WorkOrder
		err error
	)
	switch ev.Status {
	case workorder.Dispatched:
		o, err = a.orders.Dispatch(r.Context(), n, ev.Department, by, ev.Text)
	case workorder.Visited:
		o, err = a.orders.Visit(r.Context(), n, ev.Rating, by, ev.Text)
	default:
		o, err = a.orders.Transition(r.Context(), n, ev.Status, by, ev.Text)
	}
	if err != nil {
		a.fail(w, "event", n, err)
		return
	}
	writeJSON(w, http.StatusOK, orderViewOf(o.Masked(), time.Now()))
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

// shanghaiZone is China Standard Time, from the system's time zone database
// when it has one.
func shanghaiZone() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}
