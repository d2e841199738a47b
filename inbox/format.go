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

// itemLines are a summary's lines as text, and how many lines it leaves
// out.
func itemLines(s orderflow.OrderSummary) (lines []string, more int) {
	for _, it := range s.Items {
		name := it.ProductID
		if it.ProductName != "" {
			name = it.ProductName + " (" + it.ProductID + ")"
		}
		lines = append(lines, fmt.Sprintf("%d × %s", it.Quantity, name))
	}
	return lines, max(s.ItemCount-len(s.Items), 0)
}

// money formats m, or "" for an unknown (zero) amount.
func money(m orderflow.Money) string {
	if m == (orderflow.Money{}) {
		return ""
	}
	return m.String()
}
