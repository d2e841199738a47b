package inbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/orderflow/orderflow"
)

// decide returns the handler of POST /orders/{id}/approve (decision
// ApprovalApproved) or /reject (ApprovalRejected).
func (h *handler) decide(decision orderflow.ApprovalStatus) http.HandlerFunc {
	send := (*orderflow.Client).Approve
	if decision == orderflow.ApprovalRejected {
		send = (*orderflow.Client).Reject
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if h.opts.Authenticate == nil {
			h.log.Warn("inbox: decision refused: the inbox is read-only", "order_id", orderIDOf(r))
			h.fail(w, r, http.StatusForbidden, "This inbox is read-only: decisions cannot be made here.")
			return
		}
		p, ok := h.begin(w, r, "Order")
		if !ok {
			return
		}
		id := orderIDOf(r)
		reason, ok := h.readReason(w, r, p, id)
		if !ok {
			return
		}
		if _, err := send(h.c, r.Context(), id, orderflow.Decision{Approver: p.Approver, Reason: reason}); err != nil {
			h.decisionFailed(w, r, p, id, decision, err)
			return
		}
		h.log.Info("inbox: order decided", "order_id", id, "decision", decision, "approver", p.Approver)
		// A relative Location, resolved against this URL, so that it stays
		// under whatever prefix the handler is mounted at.
		w.Header().Set("Location", orderLink(p.Root, id, "", url.Values{"decided": {string(decision)}}))
		w.WriteHeader(http.StatusSeeOther)
	}
}

// readReason reads and checks the form's reason. When it returns false the
// request was answered: the body was too large, or the reason is refused.
func (h *handler) readReason(w http.ResponseWriter, r *http.Request, p page, id string) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.fail(w, r, http.StatusRequestEntityTooLarge, "Not sent: the form is too large.")
		} else {
			h.fail(w, r, http.StatusBadRequest, "Not sent: the form could not be read.")
		}
		return "", false
	}
	// Browsers send a text area's line breaks as CRLF.
	reason := strings.ReplaceAll(r.PostFormValue("reason"), "\r\n", "\n")
	if err := (orderflow.Decision{Reason: reason}).Validate(); err != nil {
		msg := "Not sent: the reason must be plain text (" + strings.TrimPrefix(err.Error(), orderflow.ErrInvalidArgument.Error()+": ") + ")."
		if len(reason) > orderflow.MaxReasonLength {
			msg = "Not sent: the reason is " + strconv.Itoa(len(reason)) + " bytes long; the limit is " + strconv.Itoa(orderflow.MaxReasonLength) + "."
		}
		p.Notice = &notice{Kind: "error", Text: msg}
		h.showOrder(w, r, p, id, http.StatusBadRequest, nil)
		return "", false
	}
	return reason, true
}

// decisionFailed answers a decision the order service did not take. It
// never says the decision took.
func (h *handler) decisionFailed(w http.ResponseWriter, r *http.Request, p page, id string, decision orderflow.ApprovalStatus, err error) {
	log := h.log.With("order_id", id, "decision", decision, "approver", p.Approver, "error", err)
	switch {
	case errors.Is(err, orderflow.ErrNotAwaitingApproval):
		log.Info("inbox: decision refused: the order is not awaiting approval")
		h.showOrder(w, r, p, id, http.StatusConflict, refusalNotice)
	case errors.Is(err, orderflow.ErrInvalidArgument) && strings.Contains(err.Error(), "approver"):
		log.Warn("inbox: decision refused: invalid approver name")
		h.fail(w, r, http.StatusBadRequest, "Not decided: your approver name cannot be recorded with a decision. Ask the inbox's administrator.")
	case errors.Is(err, orderflow.ErrInvalidArgument):
		log.Info("inbox: decision refused: invalid reason")
		p.Notice = &notice{Kind: "error", Text: "Not decided: the reason is too long or not plain text."}
		h.showOrder(w, r, p, id, http.StatusBadRequest, nil)
	case errors.Is(err, orderflow.ErrOrderNotFound), errors.Is(err, orderflow.ErrInvalidOrder):
		h.orderFailed(w, r, id, "decide", err)
	default:
		log.Error("inbox: decision failed")
		msg := "Not decided: could not reach the order service. Reload the order to see whether a decision was recorded, and try again."
		if errors.Is(err, context.Canceled) {
			msg = "Not decided: the request was cancelled. Reload the order to see whether a decision was recorded."
		}
		h.fail(w, r, http.StatusBadGateway, msg)
	}
}

// refusalNotice says why the order refused a decision, from its state.
func refusalNotice(st *orderflow.OrderState) *notice {
	a := st.Approval
	cancelled := st.Status == orderflow.StatusCancelled || st.CancelReason != ""
	text := "Not decided: the order is no longer awaiting a decision. Reload the page to see where it stands."
	switch {
	case a.Status == orderflow.ApprovalNotRequired:
		text = "Not decided: this order needs no approval."
	case a.Status == orderflow.ApprovalTimedOut:
		text = "Not decided: the approval timed out."
	case cancelled && a.Status != orderflow.ApprovalApproved:
		text = "Not decided: the order was cancelled."
	case a.Status == orderflow.ApprovalApproved || a.Status == orderflow.ApprovalRejected:
		text = "Not decided: this order was already " + string(a.Status)
		if a.Approver != "" {
			text += " by " + a.Approver
		}
		if a.Reason != "" {
			text += " (reason: " + a.Reason + ")"
		}
		text += "."
	}
	return &notice{Kind: "error", Text: text}
}
