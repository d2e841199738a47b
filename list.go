package orderflow

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
)

// Page sizes of ListOrders.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// ListOptions select a page of orders.
type ListOptions struct {
	// Status selects the orders listed under it; empty means all. Orders
	// awaiting approval (StatusAwaitingApproval) come oldest first, by
	// start time; the others newest first. An order's approval clock starts
	// when a worker first runs it, so while workers keep up the one closest
	// to timing out leads; when they lag, an order started later may time
	// out sooner. Each row's ApprovalDeadline says when it times out.
	Status Status
	// PageSize is the most orders a page holds: 50 if zero, at most 1000.
	PageSize int
	// PageToken continues a listing where the page that returned it ended;
	// empty for the first page. A token is valid for the same Status only.
	PageToken string
}

// orderPage is one page of an order listing.
type orderPage struct {
	Orders []OrderSummary
	// NextPageToken fetches the next page; empty on the last one.
	NextPageToken string
}

// pageToken is ListOptions.PageToken decoded.
type pageToken struct {
	Status Status `json:"s"`
	// Visibility is the server's token, for the listings in its order.
	Visibility []byte `json:"v,omitempty"`
	// After is the last order of the previous page, for the oldest-first
	// listing of orders awaiting approval.
	After   time.Time `json:"t,omitzero"`
	AfterID string    `json:"i,omitempty"`
}

func (t pageToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string, status Status) (pageToken, error) {
	var t pageToken
	if s == "" {
		return pageToken{Status: status}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	switch {
	case err != nil:
		return t, errors.New("page token is not one ListOrders returned")
	case t.Status != status:
		return t, fmt.Errorf("page token is for status %q, not %q", t.Status, status)
	}
	return t, nil
}

// ListOrders returns a page of the orders started with Options.Visibility,
// and the token of the next page (empty on the last one),
// read from Temporal's visibility store (search attributes and memo), not
// from the orders themselves: thousands of orders cost a few calls. The
// store is eventually consistent: an order started or decided a moment ago
// may still show its previous status.
//
// Orders awaiting approval come oldest first, the others newest first
// (running ones before ended ones when Status is empty). It needs the
// search attributes registered (RegisterSearchAttributes); it does not need
// Options.Visibility on this Client. An unknown status, a page size out of
// range or a page token that is not one it returned (for this status) is
// refused with an error wrapping ErrInvalidArgument.
//
// Rows are decoded with Options.DataConverter, which must be the data
// converter of the Temporal client that started the orders (with an
// encryption codec, say). A row it cannot decode fails the call with an
// error naming the order, rather than coming back blank.
func (c *Client) ListOrders(ctx context.Context, opts ListOptions) (orders []OrderSummary, nextPageToken string, err error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	page, err := c.listOrders(ctx, opts)
	if err != nil {
		return nil, "", &opError{op: "list orders", err: withContextErr(ctx, err)}
	}
	return page.Orders, page.NextPageToken, nil
}

// CountOrders returns how many orders are listed under status ("" for
// all), as the visibility store counts them now.
func (c *Client) CountOrders(ctx context.Context, status Status) (int64, error) {
	query, err := statusQuery(status)
	if err != nil {
		return 0, &opError{op: "count orders", err: fmt.Errorf("%w: %w", ErrInvalidArgument, err)}
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	n, err := c.count(ctx, query)
	if err != nil {
		return 0, &opError{op: "count orders", err: withContextErr(ctx, err)}
	}
	return n, nil
}

// Summary returns the listing row of one order, read from the server's
// record of its workflow (search attributes and memo) rather than from the
// order itself. An order started without Options.Visibility has no row:
// its summary holds the order ID and times only. A row that cannot be
// decoded is an error, as in ListOrders.
func (c *Client) Summary(ctx context.Context, orderID string) (*OrderSummary, error) {
	if err := ValidateOrderID(orderID); err != nil {
		return nil, c.wrap(ctx, "describe", orderID, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	d, err := c.tc.DescribeWorkflowExecution(ctx, WorkflowID(orderID), "")
	if err != nil {
		return nil, c.wrap(ctx, "describe", orderID, err)
	}
	s, err := c.summaryOf(d.GetWorkflowExecutionInfo())
	if err != nil {
		return nil, fmt.Errorf("orderflow: describe %w", err)
	}
	return &s, nil
}

// Orders iterates over all orders listed under status ("" for all), in
// ListOrders' order, fetching them a page at a time. It stops at the first
// error, which it yields.
//
//	for o, err := range oc.Orders(ctx, orderflow.StatusAwaitingApproval) {
//		if err != nil { return err }
//		fmt.Println(o.OrderID, o.Total, o.TimeLeft(time.Now()))
//	}
func (c *Client) Orders(ctx context.Context, status Status) iter.Seq2[OrderSummary, error] {
	return func(yield func(OrderSummary, error) bool) {
		opts := ListOptions{Status: status, PageSize: maxPageSize}
		for {
			orders, next, err := c.ListOrders(ctx, opts)
			if err != nil {
				yield(OrderSummary{}, err)
				return
			}
			for _, o := range orders {
				if !yield(o, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			opts.PageToken = next
		}
	}
}

func (c *Client) listOrders(ctx context.Context, opts ListOptions) (*orderPage, error) {
	query, err := statusQuery(opts.Status)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	switch {
	case opts.PageSize < 0 || opts.PageSize > maxPageSize:
		return nil, fmt.Errorf("%w: page size must be between 1 and %d, got %d", ErrInvalidArgument, maxPageSize, opts.PageSize)
	case opts.PageSize == 0:
		opts.PageSize = defaultPageSize
	}
	tok, err := decodePageToken(opts.PageToken, opts.Status)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	if opts.Status == StatusAwaitingApproval {
		return c.oldestFirst(ctx, query, opts.PageSize, tok)
	}
	page := &orderPage{}
	next := tok.Visibility
	for len(page.Orders) < opts.PageSize {
		resp, err := c.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: int32(min(opts.PageSize-len(page.Orders), fetchSize)), NextPageToken: next})
		if err != nil {
			return nil, err
		}
		rows, err := c.summaries(resp.GetExecutions())
		if err != nil {
			return nil, err
		}
		page.Orders = append(page.Orders, rows...)
		if next = resp.GetNextPageToken(); len(next) == 0 {
			return page, nil
		}
	}
	page.NextPageToken = pageToken{Status: opts.Status, Visibility: next}.encode()
	return page, nil
}

// fetchSize is the most orders asked of the visibility store in one call.
// Larger pages are much slower than proportionally on SQL visibility
// stores (on SQLite, 1000 rows took over 10 s where 5 × 200 took 0.2 s).
const fetchSize = 200

// scanLimit is the most orders oldestFirst reads to find one page; larger
// sets are cut into time windows of about this many orders.
const scanLimit = fetchSize

// oldestFirst returns the n oldest orders matching query that come after
// the token's position. Visibility stores list newest first and, on SQL
// databases, cannot sort otherwise; so it counts the orders left, and when
// they are more than scanLimit narrows, by bisecting on StartTime with
// counts, to a window of the oldest that holds between n+1 and scanLimit of
// them, lists that window and sorts it. A page costs a few counts and one
// list, however many orders wait.
func (c *Client) oldestFirst(ctx context.Context, query string, n int, tok pageToken) (*orderPage, error) {
	if !tok.After.IsZero() {
		query += fmt.Sprintf(" AND StartTime >= '%s'", tok.After.UTC().Format(time.RFC3339Nano))
	}
	left, err := c.count(ctx, query)
	if err != nil || left == 0 {
		return &orderPage{}, err
	}
	window := query
	if left > int64(max(scanLimit, 2*n)) {
		// Orders at the previous page's last instant are counted in query
		// but may have been shown: the window must hold n more than them.
		want := n
		if !tok.After.IsZero() {
			at, err := c.count(ctx, query+fmt.Sprintf(" AND StartTime = '%s'", tok.After.UTC().Format(time.RFC3339Nano)))
			if err != nil {
				return nil, err
			}
			want += int(at)
		}
		hi, err := c.windowEnd(ctx, query, tok.After, want)
		if err != nil {
			return nil, err
		}
		window += fmt.Sprintf(" AND StartTime < '%s'", hi.UTC().Format(time.RFC3339Nano))
	}
	rows, err := c.listAll(ctx, window)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b OrderSummary) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), strings.Compare(a.OrderID, b.OrderID))
	})
	// Drop what the previous page showed: orders started at its last
	// order's instant, up to its ID.
	skipped := 0
	for skipped < len(rows) && !tok.After.IsZero() && rows[skipped].StartedAt.Equal(tok.After) && rows[skipped].OrderID <= tok.AfterID {
		skipped++
	}
	rows = rows[skipped:]
	page := &orderPage{Orders: rows[:min(n, len(rows))]}
	if int64(skipped+len(page.Orders)) < left && len(page.Orders) > 0 {
		last := page.Orders[len(page.Orders)-1]
		page.NextPageToken = pageToken{Status: StatusAwaitingApproval, After: last.StartedAt, AfterID: last.OrderID}.encode()
	}
	return page, nil
}

// windowEnd returns a time hi such that between n+1 and max(scanLimit, 2n) orders
// matching query started before hi (or, when orders share instants, the
// narrowest window found). lo, if not zero, is a lower bound of them all.
func (c *Client) windowEnd(ctx context.Context, query string, lo time.Time, n int) (time.Time, error) {
	before := func(t time.Time) (int64, error) {
		return c.count(ctx, query+fmt.Sprintf(" AND StartTime < '%s'", t.UTC().Format(time.RFC3339Nano)))
	}
	// Invariant: at most n orders started before lo, more than limit
	// before hi.
	limit := int64(max(scanLimit, 2*n))
	now := time.Now()
	hi := now.Add(time.Hour) // past every start, whatever the clocks' skew
	// Find a tighter lower bound: step back from now, doubling, until no
	// order is older, or until the step passes lo. The steps follow the
	// age of the oldest order, not lo, which a page token carries: an old
	// lo costs no more than a first page.
	for step := time.Minute; lo.IsZero() || now.Add(-step).After(lo); step *= 2 {
		probe := now.Add(-step)
		k, err := before(probe)
		switch {
		case err != nil:
			return time.Time{}, err
		case k == 0:
			lo = probe
		case k > int64(n) && k <= limit:
			return probe, nil
		case k > limit:
			hi = probe
		}
		if k == 0 {
			break
		}
		if step > 100*365*24*time.Hour {
			return hi, nil
		}
	}
	for hi.Sub(lo) > time.Microsecond {
		mid := lo.Add(hi.Sub(lo) / 2)
		k, err := before(mid)
		if err != nil {
			return time.Time{}, err
		}
		switch {
		case k <= int64(n):
			lo = mid
		case k > limit:
			hi = mid
		default:
			return mid, nil
		}
	}
	return hi, nil
}

func (c *Client) count(ctx context.Context, query string) (int64, error) {
	resp, err := c.tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	return resp.GetCount(), err
}

// listAll lists every order matching query.
func (c *Client) listAll(ctx context.Context, query string) ([]OrderSummary, error) {
	var rows []OrderSummary
	var next []byte
	for {
		resp, err := c.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: fetchSize, NextPageToken: next})
		if err != nil {
			return nil, err
		}
		page, err := c.summaries(resp.GetExecutions())
		if err != nil {
			return nil, err
		}
		rows = append(rows, page...)
		if next = resp.GetNextPageToken(); len(next) == 0 {
			return rows, nil
		}
	}
}

// summaries reads the listing rows of visibility records; see summaryOf.
func (c *Client) summaries(infos []*workflowpb.WorkflowExecutionInfo) ([]OrderSummary, error) {
	rows := make([]OrderSummary, 0, len(infos))
	for _, info := range infos {
		s, err := c.summaryOf(info)
		if err != nil {
			return nil, err
		}
		rows = append(rows, s)
	}
	return rows, nil
}

// summaryOf reads a listing row from a visibility record: its memo with the
// Client's data converter (Options.DataConverter), its search attributes
// with the SDK's default, which the SDK always writes them with. A record
// without a memo (an order started without Options.Visibility) is a row
// with the order ID, status and times only.
//
// A memo or search attribute that cannot be decoded is an error naming the
// order, not a row with blank fields: a blank total or item list reads as
// a real one to an approver deciding on it, and the usual cause, a Client
// whose data converter is not the one the orders were started with (an
// encryption codec), blanks every row at once; it is a setting to fix, not
// a row to skip.
func (c *Client) summaryOf(info *workflowpb.WorkflowExecutionInfo) (OrderSummary, error) {
	id := strings.TrimPrefix(info.GetExecution().GetWorkflowId(), WorkflowID(""))
	var m summaryMemo
	if p := info.GetMemo().GetFields()[memoSummary]; p != nil {
		var err error
		if m, err = decodePayload[summaryMemo](c.dc, p); err != nil {
			return OrderSummary{}, fmt.Errorf("order %q: cannot decode its listing row (memo %q) with the Client's data converter; "+
				"Options.DataConverter must be the data converter of the Temporal client that started it: %w", id, memoSummary, err)
		}
	}
	s := OrderSummary{
		OrderID:      cmp.Or(m.OrderID, id),
		Total:        m.Total,
		ItemCount:    m.ItemCount,
		CustomerName: m.CustomerName,
		StartedAt:    info.GetStartTime().AsTime(),
	}
	for _, it := range m.Items {
		s.Items = append(s.Items, Item{ProductID: it.ProductID, ProductName: it.ProductName, Quantity: it.Quantity})
	}
	if info.GetCloseTime() != nil {
		s.ClosedAt = info.GetCloseTime().AsTime()
	}
	fields := info.GetSearchAttributes().GetIndexedFields()
	if p := fields[SearchAttributeStatus]; p != nil {
		status, err := decodePayload[string](converter.GetDefaultDataConverter(), p)
		if err != nil {
			return OrderSummary{}, fmt.Errorf("order %q: cannot decode its search attribute %s: %w", id, SearchAttributeStatus, err)
		}
		s.Status = Status(status)
	}
	if p := fields[SearchAttributeApprovalDeadline]; p != nil {
		deadline, err := decodePayload[time.Time](converter.GetDefaultDataConverter(), p)
		if err != nil {
			return OrderSummary{}, fmt.Errorf("order %q: cannot decode its search attribute %s: %w", id, SearchAttributeApprovalDeadline, err)
		}
		s.ApprovalDeadline = deadline
	}
	if (s.Status == StatusAwaitingApproval || s.Status == StatusRunning) && !s.ClosedAt.IsZero() {
		s.Status = StatusNeedsAttention // ended without an outcome: terminated, say
	}
	return s, nil
}
