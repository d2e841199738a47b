package inbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/orderflow/orderflow"
)

// statuses are the choices of the all-orders filter; "" is all.
var statuses = []orderflow.Status{"", orderflow.StatusAwaitingApproval, orderflow.StatusRunning,
	orderflow.StatusCompleted, orderflow.StatusRejected, orderflow.StatusTimedOut, orderflow.StatusCancelled,
	orderflow.StatusFailed, orderflow.StatusNeedsAttention}

// awaitingRow is a row of the inbox: an order awaiting approval.
type awaitingRow struct {
	ID, Href        string
	Customer, Total string
	Items           []string
	More            int
	Started         *stamp
	Waiting         string
	TimeLeft        string
	Overdue         bool
	Deadline        *stamp
	Form            *decisionForm
}

// paging holds the links between the pages of a listing.
type paging struct {
	Next  string // link to the next page, or ""
	First string // link to the first page, when not on it
}

type inboxContent struct {
	// Waiting counts the orders awaiting approval; -1 when the count
	// failed (the list is shown anyway).
	Waiting int64
	Rows    []awaitingRow
	Pages   paging
}

// inbox serves GET /: the orders awaiting approval, oldest first.
func (h *handler) inbox(w http.ResponseWriter, r *http.Request) {
	p, ok := h.begin(w, r, "Orders awaiting approval")
	if !ok {
		return
	}
	token := r.FormValue("page")
	res, err := h.listOrders(r.Context(), orderflow.ListOptions{
		Status: orderflow.StatusAwaitingApproval, PageSize: h.opts.PageSize, PageToken: token})
	if err != nil {
		h.listFailed(w, r, err, token)
		return
	}
	now := h.opts.Now()
	c := inboxContent{Pages: pagingOf(p.Root, nil, token, res.NextPageToken)}
	if c.Waiting, err = h.c.CountOrders(r.Context(), orderflow.StatusAwaitingApproval); err != nil {
		h.log.Warn("inbox: count of waiting orders failed", "error", err)
		c.Waiting = -1
	}
	for _, s := range res.Orders {
		c.Rows = append(c.Rows, p.awaitingRow(s, now))
	}
	p.Content = c
	h.render(w, http.StatusOK, "inbox", p)
}

func (p page) awaitingRow(s orderflow.OrderSummary, now time.Time) awaitingRow {
	row := awaitingRow{
		ID: s.OrderID, Href: orderLink(p.Root, s.OrderID, "", nil),
		Customer: s.CustomerName, Total: money(s.Total),
		Started: stampOf(s.StartedAt), Waiting: duration(s.Waiting(now)),
		TimeLeft: timeLeft(s, now), Deadline: stampOf(s.ApprovalDeadline),
		Form: p.decisionForm(s.OrderID),
	}
	row.Overdue = row.TimeLeft == "overdue"
	row.Items, row.More = itemLines(s)
	return row
}

// pagingOf returns the links of a listing at path, whose other query
// parameters are fixed, on the page of token.
func pagingOf(path string, fixed url.Values, token, next string) paging {
	link := func(tok string) string {
		q := url.Values{}
		for k, v := range fixed {
			q[k] = v
		}
		if tok != "" {
			q.Set("page", tok)
		}
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	var pg paging
	if next != "" {
		pg.Next = link(next)
	}
	if token != "" {
		pg.First = link("")
	}
	return pg
}

// listFailed answers a listing that failed. ListOrders does not tell a bad
// page token from a failed call, so the message covers both.
func (h *handler) listFailed(w http.ResponseWriter, r *http.Request, err error, token string) {
	if errors.Is(err, orderflow.ErrInvalidArgument) {
		h.log.Warn("inbox: list orders: bad request", "path", r.URL.Path, "error", err)
		h.fail(w, r, http.StatusBadRequest, "This link to a page of orders is not valid (old or edited): start again from the first page.")
		return
	}
	h.log.Error("inbox: list orders", "path", r.URL.Path, "error", err)
	msg := "Could not reach the order service. Try again in a moment."
	if token != "" {
		msg = "Could not list this page of orders. Try again in a moment, or start again from the first page."
	}
	h.fail(w, r, http.StatusBadGateway, msg)
}

// orderRow is a row of the all-orders listing.
type orderRow struct {
	ID, Href        string
	Status          orderflow.Status
	Customer, Total string
	Started, Ended  *stamp
}

type ordersContent struct {
	Status   orderflow.Status
	Statuses []statusChoice
	Rows     []orderRow
	Pages    paging
}

type statusChoice struct {
	Value    orderflow.Status
	Label    string
	Selected bool
}

// orders serves GET /orders?status=…&page=…: all orders, or those under
// one status.
func (h *handler) orders(w http.ResponseWriter, r *http.Request) {
	p, ok := h.begin(w, r, "All orders")
	if !ok {
		return
	}
	status := orderflow.Status(r.FormValue("status"))
	if status == "all" {
		status = ""
	}
	if !slices.Contains(statuses, status) {
		h.fail(w, r, http.StatusBadRequest, "Unknown status "+strconv.Quote(string(status))+
			": choose one of awaiting_approval, running, completed, rejected, timed_out, cancelled, failed, needs_attention, or all.")
		return
	}
	token := r.FormValue("page")
	res, err := h.listOrders(r.Context(), orderflow.ListOptions{Status: status, PageSize: h.opts.PageSize, PageToken: token})
	if err != nil {
		h.listFailed(w, r, err, token)
		return
	}
	fixed := url.Values{}
	if status != "" {
		fixed.Set("status", string(status))
		p.Title = "Orders: " + string(status)
	}
	c := ordersContent{Status: status, Pages: pagingOf(p.Root+"orders", fixed, token, res.NextPageToken)}
	for _, s := range statuses {
		c.Statuses = append(c.Statuses, statusChoice{Value: s, Label: statusLabel(s), Selected: s == status})
	}
	for _, s := range res.Orders {
		c.Rows = append(c.Rows, orderRow{ID: s.OrderID, Href: orderLink(p.Root, s.OrderID, "", nil),
			Status: s.Status, Customer: s.CustomerName, Total: money(s.Total),
			Started: stampOf(s.StartedAt), Ended: stampOf(s.ClosedAt)})
	}
	p.Content = c
	h.render(w, http.StatusOK, "orders", p)
}

// statusLabel names a status in the filter.
func statusLabel(s orderflow.Status) string {
	if s == "" {
		return "all"
	}
	return string(s)
}

// orderPage is one page of a listing.
type orderPage struct {
	Orders        []orderflow.OrderSummary
	NextPageToken string
}

// listOrders lists one page of orders.
func (h *handler) listOrders(ctx context.Context, opts orderflow.ListOptions) (orderPage, error) {
	orders, next, err := h.c.ListOrders(ctx, opts)
	return orderPage{Orders: orders, NextPageToken: next}, err
}

// maxPageSize is the largest page Client.ListOrders gives.
const maxPageSize = 1000
