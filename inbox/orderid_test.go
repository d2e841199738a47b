package inbox

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// punctuation is every printable ASCII punctuation character: order IDs
// may hold any of them (orderflow.ValidateOrderID).
const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// urlTestIDs are order IDs whose characters mean something in a URL.
var urlTestIDs = append(strings.Split(punctuation, ""), // each one alone
	"ORD/1", "a%2Fb", "x?y#z", `~!@$^&*()+=[]{}|;:'",.<>`, "\\`-_", punctuation,
	"..", "...", "%2E%2E", ".%2e", "a/../b", "//", "/a", "a/", "ORD-1/approve", "a%252Fb", "a&id=b", "?id=x",
)

func TestOrderLink(t *testing.T) {
	for _, c := range []struct {
		root, id, action string
		query            url.Values
		want             string
	}{
		{"./", "ORD-1", "", nil, "./orders/ORD-1"},
		{"./", "a/b", "", nil, "./orders/a%2Fb"},
		{"./", "x?y#z", "", nil, "./orders/x%3Fy%23z"},
		{"./", "%", "", nil, "./orders/%25"},
		{"./", "a%2Fb", "", nil, "./orders/a%252Fb"},
		{"../", "a/b", "approve", nil, "../orders/a%2Fb/approve"},
		{"../../", "a&b", "", url.Values{"decided": {"approved"}}, "../../orders/a&b?decided=approved"},
		{"./", ".", "", nil, "./order?id=."},
		{"./", "..", "", nil, "./order?id=.."},
		{"../", "..", "reject", nil, "../order/reject?id=.."},
		{"../../", "..", "", url.Values{"decided": {"rejected"}}, "../../order?decided=rejected&id=.."},
		{"./", "/", "", nil, "./order?id=%2F"},
		{"./", "//", "", nil, "./orders/%2F%2F"},
	} {
		if got := orderLink(c.root, c.id, c.action, c.query); got != c.want {
			t.Errorf("orderLink(%q, %q, %q, %v) = %q, want %q", c.root, c.id, c.action, c.query, got, c.want)
		}
	}
}

// browserDotSegment reports whether a browser resolves the escaped path
// segment seg as "." or ".." (the WHATWG URL standard: "%2e" counts as a
// dot), so that a link through it would leave the order's URL.
func browserDotSegment(seg string) bool {
	s := strings.ReplaceAll(strings.ToLower(seg), "%2e", ".")
	return s == "." || s == ".."
}

// Every link the inbox writes for an order leads, mounted under a prefix,
// to that order: the order page from the listing, the decision form's
// actions from the order page, and the redirect after a decision back to
// the order page. The handler reads the same ID back.
func TestOrderIDsRoundTripThroughURLs(t *testing.T) {
	for _, id := range urlTestIDs {
		t.Run(url.PathEscape(id), func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			h, err := New(offlineClient(t), Options{Logger: slog.New(slog.NewJSONHandler(&log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("/inbox/", http.StripPrefix("/inbox", h))
			root, _ := url.Parse("http://inbox.example/inbox/")
			resolve := func(base *url.URL, link string) *url.URL {
				t.Helper()
				ref, err := url.Parse(link)
				if err != nil {
					t.Fatalf("link %q: %v", link, err)
				}
				u := base.ResolveReference(ref)
				for _, seg := range strings.Split(ref.EscapedPath(), "/") {
					if seg != "." && seg != ".." && browserDotSegment(seg) {
						t.Errorf("link %q has the segment %q, which a browser resolves as a directory", link, seg)
					}
				}
				return u
			}
			// loggedID serves req and returns the order ID the handler
			// logged for it.
			loggedID := func(req *http.Request, wantCode int) string {
				t.Helper()
				log.Reset()
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				if rec.Code != wantCode {
					t.Fatalf("%s %s: status %d, want %d:\n%s", req.Method, req.URL, rec.Code, wantCode, rec.Body)
				}
				for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
					var rec struct {
						OrderID *string `json:"order_id"`
					}
					if json.Unmarshal([]byte(line), &rec) == nil && rec.OrderID != nil {
						return *rec.OrderID
					}
				}
				t.Fatalf("%s %s: no order_id logged:\n%s", req.Method, req.URL, log.String())
				return ""
			}

			// The listing's link to the order's page.
			orderPage := resolve(root, orderLink(rootOf(httptest.NewRequest("GET", "/", nil)), id, "", nil))
			if !strings.HasPrefix(orderPage.EscapedPath(), "/inbox/order") {
				t.Fatalf("order page %s is not under the inbox", orderPage)
			}
			// The offline client cannot answer: the page fails with 502,
			// after logging the order it asked for.
			if got := loggedID(httptest.NewRequest("GET", orderPage.String(), nil), http.StatusBadGateway); got != id {
				t.Errorf("order page %s: the handler read the ID %q, want %q", orderPage, got, id)
			}

			// The order page's decision form, as rendered for that page.
			pageReq := httptest.NewRequest("GET", strings.TrimPrefix(orderPage.RequestURI(), "/inbox"), nil)
			form := page{Root: rootOf(pageReq), Approver: "alice"}.decisionForm(id, "decide")
			for _, action := range []string{form.Approve, form.Reject} {
				target := resolve(orderPage, action)
				if !strings.HasPrefix(target.EscapedPath(), "/inbox/order") {
					t.Fatalf("decision %s is not under the inbox", target)
				}
				// Read-only: refused with 403, and the order logged.
				req := httptest.NewRequest("POST", target.String(), strings.NewReader("reason=ok&id=other"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if got := loggedID(req, http.StatusForbidden); got != id {
					t.Errorf("decision %s: the handler read the ID %q, want %q", target, got, id)
				}

				// The redirect after a decision, resolved against the
				// decision's URL, is the order page again.
				decisionReq := httptest.NewRequest("POST", strings.TrimPrefix(target.RequestURI(), "/inbox"), nil)
				back := resolve(target, orderLink(rootOf(decisionReq), id, "", url.Values{"decided": {"approved"}}))
				if back.EscapedPath() != orderPage.EscapedPath() || back.Query().Get("decided") != "approved" ||
					back.Query().Get("id") != orderPage.Query().Get("id") {
					t.Errorf("redirect after %s goes to %s, want the order page %s", target, back, orderPage)
				}
			}
		})
	}
}
