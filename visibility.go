package orderflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The custom search attributes of Options.Visibility. Register them once per
// namespace with RegisterSearchAttributes (or the Temporal CLI: temporal
// operator search-attribute create --name OrderflowStatus --type Keyword
// --name OrderflowApprovalDeadline --type Datetime).
//
// They hold no personal data: visibility stores are often less protected
// than workflow histories. Customer emails and addresses go into neither
// them nor the memo.
const (
	// SearchAttributeStatus (Keyword) is the order's listing status: one
	// of the Status values, StatusAwaitingApproval included.
	SearchAttributeStatus = "OrderflowStatus"
	// SearchAttributeApprovalDeadline (Datetime) is when an order that
	// waits for a decision times out; unset for orders that need none.
	SearchAttributeApprovalDeadline = "OrderflowApprovalDeadline"
	// memoSummary is the memo field holding an order's OrderSummary row:
	// order ID, total, items, customer name.
	memoSummary = "orderflow"
)

// maxSummaryItems is how many of an order's lines its summary carries;
// OrderSummary.ItemCount counts them all.
const maxSummaryItems = 10

var (
	statusAttr   = temporal.NewSearchAttributeKeyKeyword(SearchAttributeStatus)
	deadlineAttr = temporal.NewSearchAttributeKeyTime(SearchAttributeApprovalDeadline)
)

// searchAttributes are the custom search attributes Options.Visibility
// needs, by name, with their types.
func searchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SearchAttributeStatus:           enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchAttributeApprovalDeadline: enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
}

// RegisterSearchAttributes registers the search attributes of
// Options.Visibility in namespace ("" means "default") through the operator
// service, and returns once the server accepts queries on them. It is
// idempotent: attributes already registered with the right type are left
// alone; one registered with another type is an error naming it.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	if c == nil {
		return errors.New("orderflow: register search attributes: temporal client is nil")
	}
	if namespace == "" {
		namespace = "default"
	}
	have, err := c.OperatorService().ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("orderflow: register search attributes in namespace %q: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	want := searchAttributes()
	for _, name := range slices.Sorted(mapsKeys(want)) {
		typ, ok := have.GetCustomAttributes()[name]
		if !ok {
			typ, ok = have.GetSystemAttributes()[name]
		}
		switch {
		case !ok:
			missing[name] = want[name]
		case typ != want[name]:
			return fmt.Errorf("orderflow: register search attributes in namespace %q: %s is registered as %s, orderflow needs %s",
				namespace, name, typ, want[name])
		}
	}
	if len(missing) > 0 {
		_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: namespace, SearchAttributes: missing})
		var exists *serviceerror.AlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("orderflow: register search attributes in namespace %q: %w", namespace, err)
		}
	}
	// The server takes new attributes into its caches a moment later;
	// until then queries on them are refused. Wait for that here, so that
	// orders started next can upsert them.
	for {
		err := checkVisibility(ctx, c)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrVisibilityNotReady) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("orderflow: register search attributes in namespace %q: %w (%w)", namespace, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkVisibility asks the server to count orders by the search attributes:
// it refuses the query while one is not registered in the client's namespace.
func checkVisibility(ctx context.Context, c client.Client) error {
	_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: fmt.Sprintf("%s = '%s' AND %s > '2000-01-01T00:00:00Z'",
		SearchAttributeStatus, StatusRunning, SearchAttributeApprovalDeadline)})
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		return fmt.Errorf("%w in this namespace: the server says %q; register %s (Keyword) and %s (Datetime) with orderflow.RegisterSearchAttributes or `temporal operator search-attribute create`",
			ErrVisibilityNotReady, invalid.Message, SearchAttributeStatus, SearchAttributeApprovalDeadline)
	}
	if err != nil {
		return fmt.Errorf("orderflow: check order search attributes: %w", err)
	}
	return nil
}

// summaryMemo is an order's row as stored in its memo.
type summaryMemo struct {
	OrderID      string        `json:"order_id"`
	Total        Money         `json:"total"`
	ItemCount    int           `json:"item_count"`
	Items        []summaryItem `json:"items"`
	CustomerName string        `json:"customer_name"`
}

func newSummaryMemo(o Order, total Money) summaryMemo {
	m := summaryMemo{OrderID: o.OrderID, Total: total, ItemCount: len(o.Items), CustomerName: o.CustomerName}
	for _, it := range o.Items[:min(len(o.Items), maxSummaryItems)] {
		m.Items = append(m.Items, summaryItem{ProductID: it.ProductID, ProductName: it.ProductName, Quantity: it.Quantity})
	}
	return m
}

// summaryItem is one line of an order in its memo: no price.
type summaryItem struct {
	ProductID   string `json:"product_id"`
	ProductName string `json:"product_name,omitempty"`
	Quantity    int64  `json:"quantity"`
}

// OrderSummary is one row of an order listing: what an approver decides
// on, read from visibility without asking the order itself.
type OrderSummary struct {
	OrderID string
	// Status is the listing status. An order whose workflow ended without
	// reaching an outcome (terminated by an operator, say) is
	// StatusNeedsAttention: what it took may still be held.
	Status Status
	Total  Money
	// ItemCount is the number of lines; Items holds the first 10 of them,
	// with their product ID, name and quantity. Their UnitPrice is zero:
	// the row carries the order's Total only.
	ItemCount    int
	Items        []Item
	CustomerName string
	// StartedAt is when the order started; ClosedAt when it ended (zero
	// while it runs).
	StartedAt time.Time
	ClosedAt  time.Time
	// ApprovalDeadline is when an order that waits (or waited) for a
	// decision times out; zero for orders that need none.
	ApprovalDeadline time.Time
}

// Waiting is how long the order has existed at now: for an order awaiting
// approval, how long it has waited.
func (s OrderSummary) Waiting(now time.Time) time.Duration {
	if !s.ClosedAt.IsZero() {
		now = s.ClosedAt
	}
	return max(now.Sub(s.StartedAt), 0)
}

// TimeLeft is how long an order awaiting approval has left at now before
// it times out: zero when the deadline has passed or there is none.
func (s OrderSummary) TimeLeft(now time.Time) time.Duration {
	if s.ApprovalDeadline.IsZero() {
		return 0
	}
	return max(s.ApprovalDeadline.Sub(now), 0)
}

// startAttributes are the search attributes and memo the Client starts an
// order with when Options.Visibility is on, so that the workflow needs to
// upsert them only when the order's status changes.
func startAttributes(in workflowInput, now time.Time) (temporal.SearchAttributes, map[string]any) {
	status := StatusRunning
	upd := []temporal.SearchAttributeUpdate{}
	if in.plan.RequiresApproval {
		status = StatusAwaitingApproval
		upd = append(upd, deadlineAttr.ValueSet(now.Add(in.plan.Settings.ApprovalTimeout).UTC()))
	}
	upd = append(upd, statusAttr.ValueSet(string(status)))
	return temporal.NewSearchAttributes(upd...), map[string]any{memoSummary: newSummaryMemo(in.Order, in.plan.Total)}
}

// publishMemo gives a listed order started without the Client (by the CLI
// or a raw client with newWorkflowInput) its memo row.
func (w *orderWorkflow) publishMemo(ctx workflow.Context) {
	if !w.plan.Settings.Visibility {
		return
	}
	if _, ok := workflow.GetInfo(ctx).Memo.GetFields()[memoSummary]; ok {
		return
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{memoSummary: newSummaryMemo(w.in.Order, w.plan.Total)}); err != nil {
		workflow.GetLogger(ctx).Warn("Could not set the order's memo", "OrderID", w.in.Order.OrderID, "Error", err)
	}
}

// publish sets the listing status (and approval deadline, if not zero) of a
// listed order, when they differ from what its search attributes hold: an
// order the Client started needs no upsert until its status changes. A
// deadline within a second of the one the Client estimated is left alone.
func (w *orderWorkflow) publish(ctx workflow.Context, status Status, deadline time.Time) {
	if !w.plan.Settings.Visibility {
		return
	}
	sa := workflow.GetTypedSearchAttributes(ctx)
	var upd []temporal.SearchAttributeUpdate
	if cur, ok := sa.GetKeyword(statusAttr); !ok || cur != string(status) {
		upd = append(upd, statusAttr.ValueSet(string(status)))
	}
	if !deadline.IsZero() {
		if cur, ok := sa.GetTime(deadlineAttr); !ok || cur.Sub(deadline).Abs() > time.Second {
			upd = append(upd, deadlineAttr.ValueSet(deadline.UTC()))
		}
	}
	if len(upd) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
		workflow.GetLogger(ctx).Warn("Could not update the order's search attributes", "OrderID", w.in.Order.OrderID, "Error", err)
	}
}

// decodePayload decodes p with dc, the data converter of the client or
// worker that wrote it. It falls back on the SDK's default converter, which
// the SDK writes a memo with when the client's converter fails on it, and
// search attributes always. The error is dc's.
func decodePayload[T any](dc converter.DataConverter, p *commonpb.Payload) (T, error) {
	var v T
	err := dc.FromPayload(p, &v)
	if err == nil {
		return v, nil
	}
	var fallback T
	if converter.GetDefaultDataConverter().FromPayload(p, &fallback) == nil {
		return fallback, nil
	}
	return v, err
}

// listable are the statuses ListOrders filters by, in the order a listing
// of all statuses names them.
var listable = []Status{StatusAwaitingApproval, StatusRunning, StatusCompleted, StatusRejected, StatusTimedOut,
	StatusCancelled, StatusFailed, StatusNeedsAttention}

// statusQuery is the visibility query of the orders listed under status
// ("" for all).
func statusQuery(status Status) (string, error) {
	quoted := func(ss ...Status) string {
		q := make([]string, len(ss))
		for i, s := range ss {
			q[i] = "'" + string(s) + "'"
		}
		return strings.Join(q, ", ")
	}
	switch status {
	case "":
		return fmt.Sprintf("%s IN (%s)", SearchAttributeStatus, quoted(listable...)), nil
	case StatusAwaitingApproval, StatusRunning:
		return fmt.Sprintf("%s = '%s' AND ExecutionStatus = 'Running'", SearchAttributeStatus, status), nil
	case StatusNeedsAttention:
		return fmt.Sprintf("(%s = '%s' OR (%s IN (%s) AND ExecutionStatus != 'Running'))", SearchAttributeStatus,
			status, SearchAttributeStatus, quoted(StatusAwaitingApproval, StatusRunning)), nil
	}
	if !slices.Contains(listable, status) {
		return "", fmt.Errorf("unknown status %q; want one of %s, or none for all", status, quoted(listable...))
	}
	return fmt.Sprintf("%s = '%s'", SearchAttributeStatus, status), nil
}
