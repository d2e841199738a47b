package inbox

import (
	"errors"
	"net/http"

	"github.com/orderflow/orderflow"
)

// orderContent is the order page's data: the order's state, with its
// instants formatted.
type orderContent struct {
	R *orderflow.OrderState
	// Customer and Items come from the order's listing row; empty for an
	// order started without orderflow.Options.Visibility.
	Customer    string
	Items       []string
	More        int
	Total       string
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
	p, ok := h.begin(w, r, "Order")
	if !ok {
		return
	}
	decided := orderflow.ApprovalStatus(r.FormValue("decided"))
	h.showOrder(w, r, p, orderIDOf(r), http.StatusOK, func(st *orderflow.OrderState) *notice {
		return decidedNotice(st, decided)
	})
}

// decidedNotice confirms a decision the inbox redirected from, if the
// order's approval bears it out.
func decidedNotice(st *orderflow.OrderState, decided orderflow.ApprovalStatus) *notice {
	a := st.Approval
	if (decided != orderflow.ApprovalApproved && decided != orderflow.ApprovalRejected) || a.Status != decided {
		return nil
	}
	text := "Decision recorded: this order was " + string(decided)
	if a.Approver != "" {
		text += " by " + a.Approver
	}
	return &notice{Kind: "ok", Text: text + "."}
}

// showOrder renders the order page of id with status code, and the notice
// that notes, if not nil, makes of its state. When p carries a notice of a
// client error (code 4xx) and the order's state cannot be had, it renders
// that notice on the error page instead.
func (h *handler) showOrder(w http.ResponseWriter, r *http.Request, p page, id string, code int,
	notes func(*orderflow.OrderState) *notice) {
	st, err := h.c.State(r.Context(), id)
	if err != nil && p.Notice != nil && code >= 400 && code < 500 {
		// The page was to say what is wrong with the request; say it
		// without the order.
		h.log.Warn("inbox: query order", "order_id", id, "error", err)
		h.fail(w, r, code, p.Notice.Text)
		return
	}
	if err != nil {
		h.orderFailed(w, r, id, "query order", err)
		return
	}
	p.Title = "Order " + st.OrderID
	if notes != nil {
		if n := notes(st); n != nil {
			p.Notice = n
		}
	}
	c := orderContent{R: st, Total: money(st.Total), DecidedAt: stampOf(st.Approval.DecidedAt)}
	if cur := st.Current; cur != nil {
		c.Since, c.NextAttempt = stampOf(cur.Since), stampOf(cur.NextAttempt)
	}
	if st.Payment != nil {
		c.Payment = money(st.Payment.Amount)
	}
	if st.Approval.Status == orderflow.ApprovalPending {
		c.Form = p.decisionForm(id)
	}
	if sum, err := h.c.Summary(r.Context(), id); err != nil {
		h.log.Warn("inbox: describe order", "order_id", id, "error", err)
	} else {
		c.Customer = sum.CustomerName
		c.Items, c.More = itemLines(*sum)
	}
	p.Content = c
	h.render(w, code, "order", p)
}

// orderFailed answers a call about order id that failed with err.
func (h *handler) orderFailed(w http.ResponseWriter, r *http.Request, id, op string, err error) {
	var invalid *orderflow.ValidationError
	switch {
	case errors.Is(err, orderflow.ErrOrderNotFound):
		h.fail(w, r, http.StatusNotFound, "There is no order with this ID.")
	case errors.As(err, &invalid):
		h.fail(w, r, http.StatusBadRequest, "This is not a valid order ID: it "+invalid.Reason+".")
	default:
		h.log.Error("inbox: "+op, "order_id", id, "error", err)
		h.fail(w, r, http.StatusBadGateway, "Could not reach the order service. Try again in a moment.")
	}
}
