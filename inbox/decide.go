package inbox

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orderflow/orderflow"
)

// decide returns the handler of POST /orders/{id}/approve (approve true)
// or /reject.
func (h *handler) decide(approve bool) http.HandlerFunc {
	decision := orderflow.ApprovalApproved
	if !approve {
		decision = orderflow.ApprovalRejected
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if h.opts.Authenticate == nil {
			h.log.Warn("inbox: decision refused: the inbox is read-only", "order_id", orderIDOf(r))
			h.fail(w, r, http.StatusForbidden, errorNotice("This inbox is read-only: decisions cannot be made here."))
			return
		}
		p, ok := h.begin(w, r, "Order", "")
		if !ok {
			return
		}
		id := orderIDOf(r)
		reason, ok := h.readReason(w, r)
		if !ok {
			return
		}
		log := h.log.With("order_id", id, "decision", decision, "approver", p.Approver)
		if problem := reasonProblem(reason); problem != nil {
			log.Info("inbox: decision refused: invalid reason")
			h.refuseReason(w, r, p, id, reason, problem)
			return
		}
		// The decision is carried through even when the browser gives up
		// on the request (a second click on the button sends another and
		// drops this one): whether it takes must not depend on that. The
		// Client bounds the call by its CallTimeout.
		err := h.svc.decide(context.WithoutCancel(r.Context()), approve, id, p.Approver, reason)
		if err != nil {
			h.decisionFailed(w, r, p, log, id, decision, reason, err)
			return
		}
		log.Info("inbox: order decided")
		h.decided(w, p, id, decision)
	}
}

// decided answers a decision that took: 303 See Other to the order's page,
// which confirms it. The Location is relative, resolved against this URL,
// so that it stays under whatever prefix the handler is mounted at.
func (h *handler) decided(w http.ResponseWriter, p page, id string, decision orderflow.ApprovalStatus) {
	w.Header().Set("Location", orderLink(p.Root, id, "", url.Values{"decided": {string(decision)}}))
	w.WriteHeader(http.StatusSeeOther)
}

// readReason reads the form's reason. When it returns false the request
// was answered: the form could not be read, or is too large.
func (h *handler) readReason(w http.ResponseWriter, r *http.Request) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.fail(w, r, http.StatusRequestEntityTooLarge, errorNotice("Not sent: the form is too large (over 64 KiB): the reason may be at most "+
				strconv.Itoa(orderflow.MaxReasonLength)+" bytes."))
		} else {
			h.fail(w, r, http.StatusBadRequest, errorNotice("Not sent: the form could not be read."))
		}
		return "", false
	}
	// Browsers send a text area's line breaks as CRLF, and count them as
	// one character; so do the reason counter and the order service.
	return strings.ReplaceAll(r.PostFormValue("reason"), "\r\n", "\n"), true
}

// reasonProblem says what is wrong with a reason for the order service, or
// nil when nothing is.
func reasonProblem(reason string) []textPart {
	err := checkReason(reason)
	if err == nil {
		return nil
	}
	if n := len(reason); n > orderflow.MaxReasonLength {
		msg := "Not sent: the reason is " + strconv.Itoa(n) + " bytes long; the limit is " + strconv.Itoa(orderflow.MaxReasonLength) + "."
		if chars := utf8.RuneCountInString(reason); chars < n {
			msg += " It has " + thousands(chars) + " characters: letters outside the Latin alphabet take 2 to 4 bytes each."
		}
		return say(msg + " Shorten it by " + thousands(n-orderflow.MaxReasonLength) + plural(n-orderflow.MaxReasonLength, " byte", " bytes") + " and send it again.")
	}
	return say("Not sent: the reason must be plain text (" + strings.TrimPrefix(err.Error(), orderflow.ErrInvalidArgument.Error()+": reason ") + ").")
}

// refuseReason answers a decision whose reason the order service would
// refuse: 400 and the order's page, whose form holds the reason as it was
// sent, to correct.
func (h *handler) refuseReason(w http.ResponseWriter, r *http.Request, p page, id, reason string, problem []textPart) {
	n := &notice{Kind: "error", Parts: problem}
	st, err := h.svc.state(r.Context(), id)
	if err != nil {
		// Say what is wrong without the order, and keep the text.
		h.logFailure(r, slog.LevelWarn, "inbox: query order", "order_id", id, "error", err)
		h.failKeeping(w, r, http.StatusBadRequest, n, reason)
		return
	}
	p.Notice = n
	h.showOrder(w, r, p, st, http.StatusBadRequest, &decisionForm{Reason: reason, Problem: n.Text()})
}

// decisionFailed answers a decision the order service did not take. It
// never says the decision took unless the order's state shows it did:
// the same decision by the same approver with the same reason, as when a
// double click sends the form twice.
func (h *handler) decisionFailed(w http.ResponseWriter, r *http.Request, p page, log *slog.Logger, id string,
	decision orderflow.ApprovalStatus, reason string, err error) {
	log = log.With("error", err)
	switch {
	case errors.Is(err, orderflow.ErrNotAwaitingApproval):
		st, serr := h.svc.state(r.Context(), id)
		if serr != nil {
			log.Info("inbox: decision refused: the order is not awaiting approval")
			h.orderFailed(w, r, id, "query order", serr)
			return
		}
		if a := st.Approval; a.Status == decision && a.Approver == p.Approver && a.Reason == reason {
			log.Info("inbox: decision already recorded: the same decision was sent again")
			h.decided(w, p, id, decision)
			return
		}
		log.Info("inbox: decision refused: the order is not awaiting approval")
		p.Notice = refusalNotice(st)
		h.showOrder(w, r, p, st, http.StatusConflict, nil)
	case errors.Is(err, orderflow.ErrInvalidArgument) && strings.Contains(err.Error(), "approver"):
		log.Warn("inbox: decision refused: invalid approver name")
		h.failKeeping(w, r, http.StatusBadRequest, errorNotice("Not decided: your approver name cannot be recorded with a decision. Ask the inbox's administrator."), reason)
	case errors.Is(err, orderflow.ErrInvalidArgument):
		log.Info("inbox: decision refused: invalid reason")
		h.refuseReason(w, r, p, id, reason, say("Not decided: the reason is too long or not plain text."))
	case errors.Is(err, orderflow.ErrOrderNotFound), errors.Is(err, orderflow.ErrInvalidOrder):
		h.orderFailed(w, r, id, "decide", err)
	default:
		log.Error("inbox: decision failed")
		h.failKeeping(w, r, http.StatusBadGateway, errorNotice(
			"Not decided: could not reach the order service. Reload the order to see whether a decision was recorded, and try again."), reason)
	}
}

// refusalNotice says why the order refused a decision, from its state.
func refusalNotice(st *orderState) *notice {
	a := st.Approval
	cancelled := st.Status == orderflow.StatusCancelled || st.CancelReason != ""
	switch {
	case a.Status == orderflow.ApprovalNotRequired:
		return errorNotice("Not decided: this order needs no approval.")
	case a.Status == orderflow.ApprovalTimedOut:
		return errorNotice("Not decided: the approval timed out.")
	case cancelled && a.Status != orderflow.ApprovalApproved:
		return errorNotice("Not decided: the order was cancelled.")
	case a.Status == orderflow.ApprovalApproved || a.Status == orderflow.ApprovalRejected:
		parts := []any{"Not decided: this order was already " + string(a.Status)}
		if a.Approver != "" {
			parts = append(parts, " by ", user(a.Approver))
		}
		if a.Reason != "" {
			parts = append(parts, " (reason: ", user(a.Reason), ")")
		}
		return errorNotice(append(parts, ".")...)
	}
	return errorNotice("Not decided: the order is no longer awaiting a decision. Reload the page to see where it stands.")
}
