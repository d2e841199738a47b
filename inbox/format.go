package inbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/orderflow/orderflow"
)

// pathID is an order ID as one path segment of a link: "a/b" is "a%2Fb",
// "x?y#z" is "x%3Fy%23z", "%" is "%25". A "." or ".." ID is spelled with
// escaped dots, which Go's URL resolution and http.ServeMux leave alone;
// browsers do not (the WHATWG URL standard reads "%2E%2E" as ".."), so
// links are made with orderLink, which keeps such IDs out of the path.
func pathID(id string) string {
	switch id {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(id)
}

// orderLink is the link to order id's page, relative to the handler's root
// at root ("./", "../", …); with action ("approve", "reject"), the link of
// that decision; with query, those parameters added. The ID is one escaped
// path segment, "orders/a%2Fb/approve", except for the IDs that cannot be
// one (see notASegment): their links are "order?id=..",
// "order/approve?id=..", served by the same handlers (see orderIDOf).
func orderLink(root, id, action string, query url.Values) string {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	link := root + "orders/" + pathID(id)
	if notASegment(id) {
		link = root + "order"
		q.Set("id", id)
	}
	if action != "" {
		link += "/" + action
	}
	if len(q) > 0 {
		link += "?" + q.Encode()
	}
	return link
}

// notASegment reports whether the order ID id cannot be a path segment of
// a link: "." and "..", which a browser resolves as a directory even when
// escaped, and "/", which http.ServeMux takes for a trailing slash even
// when escaped ("/orders/%2F" matches no "/orders/{id}").
func notASegment(id string) bool { return id == "." || id == ".." || id == "/" }

// orderIDOf is the order ID a request for an order's page or decision
// names: the {id} path segment, unescaped ("a%2Fb" is "a/b"), or on the
// routes under /order the query parameter id (never a form field of the
// body).
func orderIDOf(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return id
	}
	return r.URL.Query().Get("id")
}

// duration formats d for people, rounded to its two largest units:
// "42s", "4m12s", "3h05m", "2d04h".
func duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%02dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// timeLeft is an awaiting order's time left: "overdue" once its deadline
// has passed, "" when it has none.
func timeLeft(s orderflow.OrderSummary, now time.Time) string {
	if s.ApprovalDeadline.IsZero() {
		return ""
	}
	if left := s.TimeLeft(now); left > 0 {
		return duration(left)
	}
	return "overdue"
}

// stamp is an instant as a page shows it: in UTC, to the second, and as
// RFC 3339 for the datetime attribute.
type stamp struct {
	ISO, Text string
}

func stampOf(t time.Time) *stamp {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &stamp{ISO: t.Format(time.RFC3339), Text: t.Format("2006-01-02 15:04:05 UTC")}
}

// item is an order line as the pages show it: the product's name (or its
// ID when it has none) and its ID, each isolated as text of its own.
type item struct {
	Quantity        int64
	Name, ProductID string
}

// itemsOf are a summary's lines, and how many lines it leaves out.
func itemsOf(s orderflow.OrderSummary) (items []item, more int) {
	for _, it := range s.Items {
		items = append(items, item{Quantity: it.Quantity, Name: it.ProductName, ProductID: it.ProductID})
	}
	return items, max(s.ItemCount-len(s.Items), 0)
}

// money formats m, or "" for an unknown (zero) amount.
func money(m orderflow.Money) string {
	if m == (orderflow.Money{}) {
		return ""
	}
	return m.String()
}

// statusWords are the words people read for an order's status, on every
// page.
var statusWords = map[orderflow.Status]string{
	orderflow.StatusAwaitingApproval: "Waiting for approval",
	orderflow.StatusRunning:          "In progress",
	orderflow.StatusCompleted:        "Completed",
	orderflow.StatusRejected:         "Rejected",
	orderflow.StatusTimedOut:         "Timed out",
	orderflow.StatusCancelled:        "Cancelled",
	orderflow.StatusFailed:           "Failed",
	orderflow.StatusNeedsAttention:   "Needs attention",
}

// statusWord names status for people; a status it does not know, as it is.
func statusWord(s orderflow.Status) string {
	if w, ok := statusWords[s]; ok {
		return w
	}
	return string(s)
}

// statusTone is the colour class of a status: "wait", "ok", "bad" or
// "neutral".
func statusTone(s orderflow.Status) string {
	switch s {
	case orderflow.StatusAwaitingApproval:
		return "wait"
	case orderflow.StatusCompleted:
		return "ok"
	case orderflow.StatusFailed, orderflow.StatusNeedsAttention:
		return "bad"
	}
	return "neutral"
}

// approvalWord names an approval status for people.
func approvalWord(s orderflow.ApprovalStatus) string {
	switch s {
	case orderflow.ApprovalNotRequired:
		return "Not needed"
	case orderflow.ApprovalPending:
		return "Waiting for a decision"
	case orderflow.ApprovalApproved:
		return "Approved"
	case orderflow.ApprovalRejected:
		return "Rejected"
	case orderflow.ApprovalTimedOut:
		return "Timed out: nobody decided in time"
	case "":
		return "—"
	}
	return string(s)
}

// stepWord names a step of the order for people.
func stepWord(s orderflow.Step) string {
	switch s {
	case orderflow.StepApproval:
		return "Approval"
	case orderflow.StepPayment:
		return "Payment"
	case orderflow.StepInventory:
		return "Stock reservation"
	case orderflow.StepDelivery:
		return "Delivery"
	case orderflow.StepEmail:
		return "Confirmation email"
	case "":
		return "—"
	}
	return string(s)
}

// activityWord names a provider call for people.
func activityWord(a string) string {
	switch a {
	case orderflow.ActivityProcessPayment:
		return "Charge the payment"
	case orderflow.ActivityReserveInventory:
		return "Reserve the stock"
	case orderflow.ActivityArrangeDelivery:
		return "Arrange the delivery"
	case orderflow.ActivitySendConfirmation:
		return "Send the confirmation email"
	case orderflow.ActivityRefundPayment:
		return "Refund the payment"
	case orderflow.ActivityReleaseInventory:
		return "Release the stock"
	}
	return a
}

// thousands formats n with thousands separators: "1,024".
func thousands[N int | int64](n N) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.FormatInt(int64(n), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// plural is one when n is 1, else many.
func plural[N int | int64](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
