package inbox

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/orderflow/orderflow"
)

// orderContent is the order page's data: the order's state, with its
// instants formatted.
type orderContent struct {
	R *orderState
	// Customer, Items, Started and the approval deadline come from the
	// order's listing row; empty for an order started without
	// orderflow.Options.Visibility.
	Customer    string
	Items       []item
	More        int
	Total       string
	Started     *stamp
	Waiting     string
	TimeLeft    string
	Overdue     bool
	Deadline    *stamp
	Since       *stamp // when the current provider call started
	NextAttempt *stamp
	DecidedAt   *stamp
	Payment     string // amount charged
	Form        *decisionForm
}

// order serves GET /orders/{id}. After a decision the inbox redirects here
// with ?decided=approved (or rejected), and the page confirms it when the
// order's approval says so.
func (h *handler) order(w http.ResponseWriter, r *http.Request) {
	p, ok := h.begin(w, r, "Order", "")
	if !ok {
		return
	}
	decided := orderflow.ApprovalStatus(r.FormValue("decided"))
	id := orderIDOf(r)
	st, err := h.svc.state(r.Context(), id)
	if err != nil {
		h.orderFailed(w, r, id, "query order", err)
		return
	}
	p.Notice = decidedNotice(st, decided)
	h.showOrder(w, r, p, st, http.StatusOK, nil)
}

// decidedNotice confirms a decision the inbox redirected from, if the
// order's approval bears it out.
func decidedNotice(st *orderState, decided orderflow.ApprovalStatus) *notice {
	a := st.Approval
	if (decided != orderflow.ApprovalApproved && decided != orderflow.ApprovalRejected) || a.Status != decided {
		return nil
	}
	if a.Approver != "" {
		return okNotice("Decision recorded: this order was "+string(decided)+" by ", user(a.Approver), ".")
	}
	return okNotice("Decision recorded: this order was " + string(decided) + ".")
}

// showOrder renders the page of the order whose state is st with status
// code. kept, if not nil, is the decision form as the person sent it (a
// reason given back, and what is wrong with it), shown when the order
// still waits for a decision.
func (h *handler) showOrder(w http.ResponseWriter, r *http.Request, p page, st *orderState, code int, kept *decisionForm) {
	p.Title = "Order " + st.OrderID
	p.Heading = say("Order ", user(st.OrderID))
	c := orderContent{R: st, Total: money(st.Total), DecidedAt: stampOf(st.Approval.DecidedAt)}
	if cur := st.Current; cur != nil {
		c.Since, c.NextAttempt = stampOf(cur.Since), stampOf(cur.NextAttempt)
	}
	if st.Payment != nil {
		c.Payment = money(st.Payment.Amount)
	}
	if st.Approval.Status == orderflow.ApprovalPending {
		c.Form = p.decisionForm(st.OrderID, "decide")
		if c.Form != nil && kept != nil {
			c.Form.Reason, c.Form.Problem = kept.Reason, kept.Problem
		}
		p.Script = c.Form != nil
	}
	if sum, err := h.svc.summary(r.Context(), st.OrderID); err != nil {
		h.logFailure(r, slog.LevelWarn, "inbox: describe order", "order_id", st.OrderID, "error", err)
	} else {
		now := h.opts.Now()
		c.Customer = sum.CustomerName
		c.Items, c.More = itemsOf(*sum)
		c.Started = stampOf(sum.StartedAt)
		c.Waiting, c.TimeLeft, c.Deadline = duration(sum.Waiting(now)), timeLeft(*sum, now), stampOf(sum.ApprovalDeadline)
		c.Overdue = c.TimeLeft == "overdue"
	}
	p.Content = c
	h.render(w, code, "order", p)
}

// orderFailed answers a call about order id that failed with err.
func (h *handler) orderFailed(w http.ResponseWriter, r *http.Request, id, op string, err error) {
	var invalid *orderflow.ValidationError
	switch {
	case errors.Is(err, orderflow.ErrOrderNotFound):
		h.fail(w, r, http.StatusNotFound, errorNotice("There is no order with this ID."))
	case errors.As(err, &invalid):
		h.fail(w, r, http.StatusBadRequest, errorNotice("This is not a valid order ID: it "+invalid.Reason+"."))
	default:
		h.logFailure(r, slog.LevelError, "inbox: "+op, "order_id", id, "error", err)
		h.fail(w, r, http.StatusBadGateway, errorNotice("Could not reach the order service. Try again in a moment."))
	}
}

// logFailure logs a call to the order service that failed, at level,
// unless the browser gave up on the request first (a second click, a page
// left): that is nobody's fault, and is logged at Info.
func (h *handler) logFailure(r *http.Request, level slog.Level, msg string, args ...any) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		level, msg = slog.LevelInfo, msg+": request cancelled by the client"
	}
	h.log.Log(r.Context(), level, msg, args...)
}
