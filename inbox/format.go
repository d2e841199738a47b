package inbox

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/orderflow/orderflow"
)

// pathID is an order ID as one path segment of a link. A "." or ".." ID is
// spelled with escaped dots, so that no browser or client resolves it as a
// directory.
func pathID(id string) string {
	switch id {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(id)
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
