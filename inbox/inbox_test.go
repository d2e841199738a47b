package inbox

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
)

// These tests need no Temporal server: they cover what the inbox answers
// before it calls one, and its templates and formatting. The integration
// tests (examples/integration/inbox_test.go) cover the rest against a real
// server.

// offlineClient returns a Client whose Temporal client never connects: a
// test that reaches the server would fail.
func offlineClient(t *testing.T) *orderflow.Client {
	t.Helper()
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	c, err := orderflow.NewClient(tc, &orderflow.Options{CallTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRefusesBadInput(t *testing.T) {
	if h, err := New(nil, Options{}); err == nil || h != nil {
		t.Errorf("New(nil) = %v, %v; want an error", h, err)
	}
	c := offlineClient(t)
	for _, n := range []int{-1, maxPageSize + 1} {
		if _, err := New(c, Options{PageSize: n}); err == nil {
			t.Errorf("PageSize %d: no error", n)
		}
	}
	for _, n := range []int{0, 1, maxPageSize} {
		if _, err := New(c, Options{PageSize: n}); err != nil {
			t.Errorf("PageSize %d: %v", n, err)
		}
	}
}

// serve answers req with an inbox on an offline client, logging to log.
func serve(t *testing.T, opts Options, req *http.Request, log *bytes.Buffer) *http.Response {
	t.Helper()
	if log != nil {
		opts.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	h, err := New(offlineClient(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func postForm(target string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func TestAnswersWithoutTheServer(t *testing.T) {
	refuse := func(*http.Request) (string, error) { return "", io.ErrUnexpectedEOF }
	alice := func(*http.Request) (string, error) { return "alice", nil }
	nobody := func(*http.Request) (string, error) { return "", nil }
	crossSite := postForm("/orders/ORD-1/approve", url.Values{"reason": {"ok"}})
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	for _, c := range []struct {
		name string
		auth func(*http.Request) (string, error)
		req  *http.Request
		code int
		says string
	}{
		{"read-only approve", nil, postForm("/orders/ORD-1/approve", url.Values{"reason": {"ok"}}), 403, "read-only"},
		{"read-only reject", nil, postForm("/orders/ORD-1/reject", nil), 403, "read-only"},
		{"refused page", refuse, httptest.NewRequest("GET", "/", nil), 403, "not allowed"},
		{"refused decision", refuse, postForm("/orders/ORD-1/approve", nil), 403, "not allowed"},
		{"no approver name", nobody, postForm("/orders/ORD-1/approve", nil), 403, "not allowed"},
		{"cross-site", alice, crossSite, 403, "another site"},
		{"unknown status", alice, httptest.NewRequest("GET", "/orders?status=lost", nil), 400, "Unknown status"},
		{"long reason", alice, postForm("/orders/ORD-1/approve", url.Values{"reason": {strings.Repeat("é", 600)}}), 400, "1200 bytes long"},
		{"control character", alice, postForm("/orders/ORD-1/approve", url.Values{"reason": {"a\x00b"}}), 400, "must be plain text"},
		{"huge form", alice, postForm("/orders/ORD-1/approve", url.Values{"reason": {strings.Repeat("x", 65<<10)}}), 413, "too large"},
		{"bad page token", alice, httptest.NewRequest("GET", "/?page=garbage", nil), 400, "start again from the first page"},
		{"no such page", alice, httptest.NewRequest("GET", "/nope", nil), 404, "no such page"},
		{"GET of a decision", alice, httptest.NewRequest("GET", "/orders/ORD-1/approve", nil), 404, "no such page"},
	} {
		var log bytes.Buffer
		resp := serve(t, Options{Authenticate: c.auth}, c.req, &log)
		b := body(t, resp)
		if resp.StatusCode != c.code || !strings.Contains(b, c.says) {
			t.Errorf("%s: status %d, want %d with %q:\n%s", c.name, resp.StatusCode, c.code, c.says, b)
		}
		if strings.Contains(b, "unexpected EOF") {
			t.Errorf("%s: the page shows the authentication error", c.name)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); csp != contentSecurityPolicy {
			t.Errorf("%s: Content-Security-Policy %q", c.name, csp)
		}
	}
}

func TestStylesheet(t *testing.T) {
	resp := serve(t, Options{}, httptest.NewRequest("GET", "/static/inbox.css", nil), nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(body(t, resp), "body") {
		t.Errorf("stylesheet: status %d, header %v", resp.StatusCode, resp.Header)
	}
}

func TestInvalidReasonSendsNothing(t *testing.T) {
	// The reason is refused before any decision is sent: the log shows
	// none, and not the reason.
	var log bytes.Buffer
	long := strings.Repeat("x", orderflow.MaxReasonLength+1)
	resp := serve(t, Options{Authenticate: func(*http.Request) (string, error) { return "alice", nil }},
		postForm("/orders/ORD-1/approve", url.Values{"reason": {long}}), &log)
	if strings.Contains(log.String(), "decision failed") || strings.Contains(log.String(), "decided") {
		t.Errorf("a decision was attempted:\n%s", log.String())
	}
	if strings.Contains(log.String(), long[:100]) {
		t.Errorf("the log shows the reason:\n%s", log.String())
	}
	if resp.StatusCode != 400 {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                              "0s",
		1499 * time.Millisecond:        "1s",
		59 * time.Second:               "59s",
		4*time.Minute + 12*time.Second: "4m12s",
		time.Hour + 5*time.Minute + 59*time.Second: "1h05m",
		50 * time.Hour: "2d02h",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		deadline time.Time
		want     string
	}{
		{time.Time{}, ""},
		{now.Add(90 * time.Second), "1m30s"},
		{now, "overdue"},
		{now.Add(-time.Hour), "overdue"},
	} {
		if got := timeLeft(orderflow.OrderSummary{ApprovalDeadline: c.deadline}, now); got != c.want {
			t.Errorf("timeLeft(deadline %v) = %q, want %q", c.deadline, got, c.want)
		}
	}
}

func TestRootAndPaths(t *testing.T) {
	for path, want := range map[string]string{
		"/": "./", "/orders": "./", "/orders/ORD-1": "../", "/orders/a%2Fb": "../", "/orders/ORD-1/approve": "../../",
	} {
		if got := rootOf(httptest.NewRequest("GET", path, nil)); got != want {
			t.Errorf("rootOf(%s) = %q, want %q", path, got, want)
		}
	}
	for id, want := range map[string]string{
		"ORD-1": "ORD-1", "a/b": "a%2Fb", "注文": "%E6%B3%A8%E6%96%87", ".": "%2E", "..": "%2E%2E", "a?b#c": "a%3Fb%23c",
	} {
		if got := pathID(id); got != want {
			t.Errorf("pathID(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestRefusalNotice(t *testing.T) {
	for _, c := range []struct {
		st   orderflow.OrderState
		want string
	}{
		{orderflow.OrderState{Status: orderflow.StatusCompleted, Approval: orderflow.Approval{Status: orderflow.ApprovalApproved, Approver: "alice", Reason: "ok"}},
			"Not decided: this order was already approved by alice (reason: ok)."},
		{orderflow.OrderState{Status: orderflow.StatusRejected, Approval: orderflow.Approval{Status: orderflow.ApprovalRejected}},
			"Not decided: this order was already rejected."},
		{orderflow.OrderState{Status: orderflow.StatusTimedOut, Approval: orderflow.Approval{Status: orderflow.ApprovalTimedOut}},
			"Not decided: the approval timed out."},
		{orderflow.OrderState{Status: orderflow.StatusCancelled, CancelReason: "changed mind",
			Approval: orderflow.Approval{Status: orderflow.ApprovalRejected, Reason: "order cancelled while awaiting approval"}},
			"Not decided: the order was cancelled."},
		{orderflow.OrderState{Status: orderflow.StatusCompleted, Approval: orderflow.Approval{Status: orderflow.ApprovalNotRequired}},
			"Not decided: this order needs no approval."},
		{orderflow.OrderState{Status: orderflow.StatusRunning, Approval: orderflow.Approval{Status: orderflow.ApprovalPending}},
			"Not decided: the order is no longer awaiting a decision. Reload the page to see where it stands."},
	} {
		if got := refusalNotice(&c.st); got.Kind != "error" || got.Text != c.want {
			t.Errorf("refusalNotice(%+v) = %+v, want %q", c.st, got, c.want)
		}
	}
}

func TestDecidedNoticeNeedsTheOrdersWord(t *testing.T) {
	approved := &orderflow.OrderState{Approval: orderflow.Approval{Status: orderflow.ApprovalApproved, Approver: "alice"}}
	if n := decidedNotice(approved, orderflow.ApprovalApproved); n == nil || n.Text != "Decision recorded: this order was approved by alice." {
		t.Errorf("decidedNotice(approved, approved) = %+v", n)
	}
	for _, claimed := range []orderflow.ApprovalStatus{orderflow.ApprovalRejected, "", "<b>approved</b>"} {
		if n := decidedNotice(approved, claimed); n != nil {
			t.Errorf("decidedNotice(approved, %q) = %+v, want none", claimed, n)
		}
	}
	pending := &orderflow.OrderState{Approval: orderflow.Approval{Status: orderflow.ApprovalPending}}
	if n := decidedNotice(pending, orderflow.ApprovalApproved); n != nil {
		t.Errorf("a pending order confirms an approval: %+v", n)
	}
}

// render renders a page template with p into a string.
func render(t *testing.T, name string, p page) (int, string) {
	t.Helper()
	pages, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	h := &handler{pages: pages, log: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	h.render(rec, 200, name, p)
	return rec.Code, rec.Body.String()
}

func TestTemplatesEscapeAndLink(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := orderflow.OrderSummary{OrderID: "a/b<x>", CustomerName: "<script>alert(1)</script>", Total: orderflow.USD(189997),
		ItemCount: 12, Items: []orderflow.Item{{ProductID: "P1", ProductName: "<i>Laptop</i>", Quantity: 1}},
		StartedAt: now.Add(-4 * time.Minute), ApprovalDeadline: now.Add(time.Minute)}
	for _, approver := range []string{"", "<b>alice</b>"} {
		p := page{Title: "Inbox", Root: "./", Approver: approver, ReadOnly: approver == ""}
		p.Content = inboxContent{Rows: []awaitingRow{p.awaitingRow(s, now)}, Pages: pagingOf("./", nil, "tok1", "tok2")}
		code, out := render(t, "inbox", p)
		if code != 200 || strings.Contains(out, "<script") || strings.Contains(out, "<i>") || strings.Contains(out, "<b>") {
			t.Fatalf("status %d; unescaped markup:\n%s", code, out)
		}
		for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `href="./orders/a%2Fb%3Cx%3E"`, "and 11 more",
			"$1899.97", ">4m00s<", ">1m00s<", `href="./?page=tok2" rel="next"`, `href="./">First page`} {
			if !strings.Contains(out, want) {
				t.Errorf("approver %q: the page lacks %q:\n%s", approver, want, out)
			}
		}
		hasForm := strings.Contains(out, `action="./orders/a%2Fb%3Cx%3E/approve"`) &&
			strings.Contains(out, `formaction="./orders/a%2Fb%3Cx%3E/reject"`) && strings.Contains(out, `maxlength="1024"`)
		if hasForm != (approver != "") {
			t.Errorf("approver %q: decision form shown = %v", approver, hasForm)
		}
		if readOnly := strings.Contains(out, "Read-only view"); readOnly != (approver == "") {
			t.Errorf("approver %q: read-only shown = %v", approver, readOnly)
		}
	}
}
