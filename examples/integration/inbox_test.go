package integration

import (
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/inbox"
)

// The inbox tests drive the approver inbox (package inbox) over HTTP, as a
// browser without JavaScript would: GET pages, POST forms, follow links.
// Listings are namespace-wide, so they assert on their own orders only.

// newInboxEnv is newEnv with a Client whose orders are listed, in a
// namespace of the test's own.
func newInboxEnv(t *testing.T, opts *orderflow.Options) *env {
	t.Helper()
	return newListingEnv(t, opts, nil)
}

// serveInbox serves the inbox of e's Client at the root of a test server.
func serveInbox(t *testing.T, e *env, opts inbox.Options) *httptest.Server {
	t.Helper()
	h, err := inbox.New(e.orders, opts)
	if err != nil {
		t.Fatalf("inbox.New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// inboxApproverHeader names the approver of a test request; inboxByHeader is an
// Authenticate that reads it.
const inboxApproverHeader = "X-Test-Approver"

func inboxByHeader(r *http.Request) (string, error) {
	if name := r.Header.Get(inboxApproverHeader); name != "" {
		return name, nil
	}
	return "", errors.New("no session for token tok-7f3a9 (user carol@example.com)")
}

func inboxAs(name string) func(*http.Request) (string, error) {
	return func(*http.Request) (string, error) { return name, nil }
}

// inboxClient does not follow redirects, so tests see the 303 itself, and
// keeps no cookies.
var inboxClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// inboxPage is a response of the inbox.
type inboxPage struct {
	url    *url.URL
	code   int
	header http.Header
	body   string
}

// link resolves a link of the page (as written in its HTML) against the
// page's URL, as a browser does.
func (p inboxPage) link(t *testing.T, href string) string {
	t.Helper()
	ref, err := url.Parse(html.UnescapeString(href))
	if err != nil {
		t.Fatalf("link %q of %s: %v", href, p.url, err)
	}
	return p.url.ResolveReference(ref).String()
}

// location is the page's Location header resolved against its URL.
func (p inboxPage) location(t *testing.T) string {
	t.Helper()
	loc := p.header.Get("Location")
	if loc == "" {
		t.Fatalf("%s: no Location header (status %d)", p.url, p.code)
	}
	ref, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("%s: Location %q: %v", p.url, loc, err)
	}
	return p.url.ResolveReference(ref).String()
}

func inboxDo(t *testing.T, req *http.Request) inboxPage {
	t.Helper()
	resp, err := inboxClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return inboxPage{url: req.URL, code: resp.StatusCode, header: resp.Header, body: string(b)}
}

// inboxGet fetches u; header, if not empty, are name/value pairs to send.
func inboxGet(t *testing.T, u string, header ...string) inboxPage {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return inboxDo(t, req)
}

// inboxPost posts the form as a browser does; header as in inboxGet.
func inboxPost(t *testing.T, u string, form url.Values, header ...string) inboxPage {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return inboxDo(t, req)
}

// inboxDecisionURL is where the inbox at base takes a decision ("approve" or
// "reject") on order id.
func inboxDecisionURL(base, id, decision string) string {
	return base + "/orders/" + url.PathEscape(id) + "/" + decision
}

var (
	inboxNextLink     = regexp.MustCompile(`<a href="([^"]*)" rel="next">Next page</a>`)
	inboxOrderLink    = regexp.MustCompile(`<a href="([^"]*)">([^<]*)</a>`)
	inboxFormAction   = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	inboxRejectButton = regexp.MustCompile(`formaction="([^"]*)"`)
	inboxStyleLink    = regexp.MustCompile(`<link rel="stylesheet" href="([^"]*)">`)
	inboxTimeLeft     = regexp.MustCompile(`>(\d+m\d\ds)</time></td>\s*<td><form`)
)

// inboxFindListed walks the listing that starts at start, following its Next
// links, until a page shows order id; it polls, as visibility trails the
// orders, and fails the test at its deadline. It returns that page.
func inboxFindListed(t *testing.T, start, id string, header ...string) inboxPage {
	t.Helper()
	deadline := testctx.Deadline(t)
	for {
		for u := start; u != ""; {
			p := inboxGet(t, u, header...)
			if p.code != http.StatusOK {
				t.Fatalf("GET %s: status %d: %s", u, p.code, p.body)
			}
			if inboxRowOf(p.body, id) != "" {
				return p
			}
			u = ""
			if m := inboxNextLink.FindStringSubmatch(p.body); m != nil {
				u = p.link(t, m[1])
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s not listed from %s by the test's deadline", id, start)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inboxRowOf returns the table row of order id in a listing, or "".
func inboxRowOf(body, id string) string {
	i := strings.Index(body, ">"+html.EscapeString(id)+"</a>")
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<tr>")
	end := strings.Index(body[i:], "</tr>")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : i+end]
}

// cancelAtEnd cancels the order when the test ends, if it still waits, so
// that listings stay short for the tests that run after.
func inboxCancelAtEnd(e *env, ids ...string) {
	e.t.Cleanup(func() {
		for _, id := range ids {
			_ = e.orders.Cancel(e.ctx, id, "inbox test over")
		}
	})
}

// stillAwaiting fails the test unless the order still waits for a decision.
func inboxStillAwaiting(e *env, id string) {
	e.t.Helper()
	got, err := e.orders.ApprovalStatus(e.ctx, id)
	if err != nil || got != orderflow.ApprovalPending {
		e.t.Fatalf("approval status of %s = %q, %v; want it still pending", id, got, err)
	}
}

func TestInboxListsAwaitingOrders(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	big, small := e.id("big"), e.id("small")
	e.mustStart(largeOrder(big))
	inboxCancelAtEnd(e, big)
	e.mustStart(smallOrder(small))
	e.result(small, orderflow.StatusCompleted)
	// The inbox's clock is pinned to the order's own times: the seconds a
	// slow machine takes between starting the order and reading the inbox
	// show nowhere.
	e.waitForApproval(big, orderflow.ApprovalPending)
	sum, err := e.orders.Summary(e.ctx, big)
	if err != nil || sum.ApprovalDeadline.IsZero() {
		t.Fatalf("Summary(%s) = %+v, %v; want its approval deadline", big, sum, err)
	}
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxAs("alice"),
		Now: func() time.Time { return sum.ApprovalDeadline.Add(-4*time.Minute - 30*time.Second) }})

	p := inboxFindListed(t, srv.URL+"/", big)
	row := inboxRowOf(p.body, big)
	for _, want := range []string{"Bob Johnson", "$1899.97", "1 × <bdi>Laptop</bdi> <span class=\"sku\">(<bdi>LAPTOP-001</bdi>)</span>", "2 × <bdi>Monitor</bdi> <span class=\"sku\">(<bdi>MONITOR-001</bdi>)</span>"} {
		if !strings.Contains(row, want) {
			t.Errorf("the row of %s lacks %q:\n%s", big, want, row)
		}
	}
	if left := inboxTimeLeft.FindStringSubmatch(row); left == nil || (left[1] != "5m00s" && !strings.HasPrefix(left[1], "4m")) {
		t.Errorf("the row of %s shows no time left of 4m-5m of the 5m timeout:\n%s", big, row)
	}
	// The test's namespace holds one waiting order: this one.
	if !strings.Contains(p.body, "1 order awaits a decision, oldest first.") {
		t.Errorf("the inbox does not count the waiting orders:\n%s", p.body)
	}
	if !strings.Contains(p.body, "Signed in as <bdi><strong>alice</strong></bdi>") {
		t.Errorf("the inbox does not say who is signed in:\n%s", p.body)
	}
	if inboxRowOf(p.body, small) != "" {
		t.Errorf("the inbox lists %s, which needed no approval", small)
	}

	// Seen six minutes later, the order is overdue.
	later := serveInbox(t, e, inbox.Options{Now: func() time.Time { return sum.StartedAt.Add(6 * time.Minute) }})
	row = inboxRowOf(inboxFindListed(t, later.URL+"/", big).body, big)
	if !strings.Contains(row, `<td class="overdue">`) || !strings.Contains(row, ">overdue</time>") || !strings.Contains(row, ">6m0") {
		t.Errorf("six minutes on, the row of %s shows no 6m wait and no overdue:\n%s", big, row)
	}

	done := inboxFindListed(t, srv.URL+"/orders?status=completed", small)
	row = inboxRowOf(done.body, small)
	for _, want := range []string{"completed", "Alice Smith", "$89.95"} {
		if !strings.Contains(row, want) {
			t.Errorf("the completed row of %s lacks %q:\n%s", small, want, row)
		}
	}
	if inboxRowOf(done.body, big) != "" {
		t.Errorf("the completed orders list %s, which waits for approval", big)
	}
}

func TestInboxApprove(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxAs("alice")})
	id := e.id("big")
	e.mustStart(largeOrder(id))
	inboxCancelAtEnd(e, id)
	// The order page queries the order, which answers once a worker has
	// run it up to its wait (on a loaded cluster that can take seconds).
	e.waitForApproval(id, orderflow.ApprovalPending)

	// The order's page shows what an approver decides on.
	before := inboxGet(t, srv.URL+"/orders/"+url.PathEscape(id))
	for _, want := range []string{"<dt>Customer</dt><dd><bdi>Bob Johnson</bdi></dd>", "1 × <bdi>Laptop</bdi> <span class=\"sku\">(<bdi>LAPTOP-001</bdi>)</span>", "$1899.97", "pending"} {
		if !strings.Contains(before.body, want) {
			t.Errorf("the page of the waiting order lacks %q:\n%s", want, before.body)
		}
	}

	// The approver's path: the inbox, the order's row, its Approve button.
	p := inboxFindListed(t, srv.URL+"/", id)
	m := inboxFormAction.FindStringSubmatch(inboxRowOf(p.body, id))
	if m == nil {
		t.Fatalf("the row of %s has no decision form:\n%s", id, inboxRowOf(p.body, id))
	}
	const reason = "Known customer, verified by phone"
	resp := inboxPost(t, p.link(t, m[1]), url.Values{"reason": {reason}})
	if resp.code != http.StatusSeeOther {
		t.Fatalf("approve: status %d, want 303:\n%s", resp.code, resp.body)
	}
	loc := resp.location(t)
	if want := srv.URL + "/orders/" + url.PathEscape(id) + "?decided=approved"; loc != want {
		t.Fatalf("approve redirects to %s, want %s", loc, want)
	}

	res, _ := e.result(id, orderflow.StatusCompleted)
	if a := res.Approval; a.Status != orderflow.ApprovalApproved || a.Approver != "alice" || a.Reason != reason {
		t.Fatalf("approval = %+v, want approved by alice with the reason given", a)
	}
	shown := inboxGet(t, loc)
	if shown.code != http.StatusOK {
		t.Fatalf("GET %s: status %d", loc, shown.code)
	}
	for _, want := range []string{"Decision recorded: this order was approved by <bdi>alice</bdi>.", "<dd><bdi>alice</bdi></dd>", reason, "completed"} {
		if !strings.Contains(shown.body, want) {
			t.Errorf("the order page lacks %q:\n%s", want, shown.body)
		}
	}
	if strings.Contains(shown.body, "<form method=\"post\"") {
		t.Errorf("the page of a decided order still offers the decision form")
	}
}

func TestInboxSecondDecisionConflicts(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxByHeader})
	id := e.id("big")
	e.mustStart(largeOrder(id))
	inboxCancelAtEnd(e, id)
	e.waitForApproval(id, orderflow.ApprovalPending)

	first := inboxPost(t, inboxDecisionURL(srv.URL, id, "approve"), url.Values{"reason": {"fine"}}, inboxApproverHeader, "alice")
	if first.code != http.StatusSeeOther {
		t.Fatalf("alice's approval: status %d:\n%s", first.code, first.body)
	}
	e.result(id, orderflow.StatusCompleted)

	second := inboxPost(t, inboxDecisionURL(srv.URL, id, "reject"), url.Values{"reason": {"too big"}}, inboxApproverHeader, "bob")
	if second.code != http.StatusConflict {
		t.Fatalf("bob's rejection after alice's approval: status %d, want 409:\n%s", second.code, second.body)
	}
	if want := "Not decided: this order was already approved by <bdi>alice</bdi> (reason: <bdi>fine</bdi>)."; !strings.Contains(second.body, want) {
		t.Errorf("the 409 page lacks %q:\n%s", want, second.body)
	}
	if strings.Contains(second.body, "Decision recorded") {
		t.Errorf("the 409 page shows success:\n%s", second.body)
	}
	res, _ := e.result(id, orderflow.StatusCompleted)
	if res.Approval.Approver != "alice" {
		t.Errorf("approval = %+v, want alice's", res.Approval)
	}
	if got := e.charged(id); got != largeTotal {
		t.Errorf("charged %d cents after the refused rejection, want %d", got, largeTotal)
	}
	for _, c := range e.chargesOf(id) {
		if c.Refunded {
			t.Errorf("charge %s was refunded", c.TransactionID)
		}
	}
}

func TestInboxDecisionAfterTimeout(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, &orderflow.Options{ApprovalTimeout: 2 * time.Second})
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxAs("alice")})
	id := e.id("big")
	e.mustStart(largeOrder(id))
	e.result(id, orderflow.StatusTimedOut)

	p := inboxPost(t, inboxDecisionURL(srv.URL, id, "approve"), url.Values{"reason": {"sorry, late"}})
	if p.code != http.StatusConflict {
		t.Fatalf("approval after the timeout: status %d, want 409:\n%s", p.code, p.body)
	}
	if want := "Not decided: the approval timed out."; !strings.Contains(p.body, want) {
		t.Errorf("the 409 page lacks %q:\n%s", want, p.body)
	}
	res, _ := e.result(id, orderflow.StatusTimedOut)
	if res.Approval.Status != orderflow.ApprovalTimedOut || len(e.chargesOf(id)) != 0 {
		t.Errorf("after the late approval: approval %+v, charges %v; want timed out, nothing charged", res.Approval, e.chargesOf(id))
	}
}

func TestInboxEscapesCustomerName(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxAs("alice")})
	id := e.id("xss")
	o := largeOrder(id)
	o.CustomerName = "<script>alert(1)</script>"
	e.mustStart(o)
	inboxCancelAtEnd(e, id)

	for _, start := range []string{srv.URL + "/", srv.URL + "/orders?status=awaiting_approval", srv.URL + "/orders"} {
		p := inboxFindListed(t, start, id)
		if !strings.Contains(inboxRowOf(p.body, id), "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the customer name is not shown escaped:\n%s", start, inboxRowOf(p.body, id))
		}
		if n := strings.Count(p.body, "<script"); n > 1 || strings.Contains(p.body, "<script>alert") {
			t.Errorf("%s: the page contains %d script tags, want at most the reason counter's:\n%s", start, n, p.body)
		}
		want := map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "same-origin",
			"Cache-Control":          "no-store",
			"Content-Type":           "text/html; charset=utf-8",
		}
		csp := p.header.Get("Content-Security-Policy")
		if !strings.HasPrefix(csp, "default-src 'none'; script-src 'sha256-") ||
			!strings.HasSuffix(csp, "'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'") {
			t.Errorf("%s: Content-Security-Policy %q; want none but the stylesheet, forms and the counter's hash", start, csp)
		}
		for k, v := range want {
			if got := p.header.Get(k); got != v {
				t.Errorf("%s: header %s = %q, want %q", start, k, got, v)
			}
		}
	}
}

func TestInboxRefusesCrossOriginPost(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxAs("alice")})
	id := e.id("big")
	e.mustStart(largeOrder(id))
	inboxCancelAtEnd(e, id)
	e.waitForApproval(id, orderflow.ApprovalPending)
	form := url.Values{"reason": {"click here"}}

	for _, header := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		p := inboxPost(t, inboxDecisionURL(srv.URL, id, "approve"), form, header...)
		if p.code != http.StatusForbidden {
			t.Errorf("POST with %s: %s: status %d, want 403:\n%s", header[0], header[1], p.code, p.body)
		}
		inboxStillAwaiting(e, id)
	}
	// The same form from the inbox's own origin takes.
	p := inboxPost(t, inboxDecisionURL(srv.URL, id, "reject"), form, "Origin", srv.URL, "Sec-Fetch-Site", "same-origin")
	if p.code != http.StatusSeeOther {
		t.Fatalf("same-origin POST: status %d, want 303:\n%s", p.code, p.body)
	}
	e.result(id, orderflow.StatusRejected)
}

func TestInboxReadOnly(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	srv := serveInbox(t, e, inbox.Options{})
	id := e.id("big")
	e.mustStart(largeOrder(id))
	inboxCancelAtEnd(e, id)
	// The order page queries the order, which answers once a worker has
	// run it up to its wait (on a loaded cluster that can take seconds).
	e.waitForApproval(id, orderflow.ApprovalPending)

	list := inboxFindListed(t, srv.URL+"/", id)
	order := inboxGet(t, srv.URL+"/orders/"+url.PathEscape(id))
	if order.code != http.StatusOK {
		t.Fatalf("order page: status %d:\n%s", order.code, order.body)
	}
	for name, p := range map[string]inboxPage{"inbox": list, "order page": order} {
		if !strings.Contains(p.body, "Read-only view") {
			t.Errorf("the %s does not say it is read-only", name)
		}
		if strings.Contains(p.body, "<form") || strings.Contains(p.body, "<textarea") || strings.Contains(p.body, "/approve") {
			t.Errorf("the read-only %s has a decision form:\n%s", name, p.body)
		}
	}
	for _, d := range []string{"approve", "reject"} {
		p := inboxPost(t, inboxDecisionURL(srv.URL, id, d), url.Values{"reason": {"ok"}})
		if p.code != http.StatusForbidden {
			t.Errorf("read-only %s: status %d, want 403", d, p.code)
		}
	}
	inboxStillAwaiting(e, id)
}

func TestInboxRefusesBadReasonAndUnauthenticated(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxByHeader})
	id := e.id("big")
	e.mustStart(largeOrder(id))
	inboxCancelAtEnd(e, id)
	e.waitForApproval(id, orderflow.ApprovalPending)
	approve := inboxDecisionURL(srv.URL, id, "approve")

	long := strings.Repeat("x", orderflow.MaxReasonLength+1)
	p := inboxPost(t, approve, url.Values{"reason": {long}}, inboxApproverHeader, "alice")
	if p.code != http.StatusBadRequest {
		t.Errorf("a reason of %d bytes: status %d, want 400", len(long), p.code)
	}
	if want := "Not sent: the reason is 1025 bytes long; the limit is 1024."; !strings.Contains(p.body, want) {
		t.Errorf("the 400 page lacks %q:\n%s", want, p.body)
	}
	p = inboxPost(t, approve, url.Values{"reason": {strings.Repeat("x", 70<<10)}}, inboxApproverHeader, "alice")
	if p.code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 70 KiB form: status %d, want 413", p.code)
	}
	inboxStillAwaiting(e, id)

	// Authentication fails: no approver header.
	for _, p := range []inboxPage{
		inboxPost(t, approve, url.Values{"reason": {"ok"}}),
		inboxGet(t, srv.URL+"/"),
		inboxGet(t, srv.URL+"/orders/"+url.PathEscape(id)),
	} {
		if p.code != http.StatusForbidden {
			t.Errorf("%s without authentication: status %d, want 403", p.url, p.code)
		}
		if strings.Contains(p.body, "tok-7f3a9") || strings.Contains(p.body, "carol@example.com") {
			t.Errorf("%s: the 403 page shows the authentication error:\n%s", p.url, p.body)
		}
	}
	inboxStillAwaiting(e, id)
}

func TestInboxNotFoundAndBadRequests(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxAs("alice")})
	missing := e.id("never-started")

	for _, c := range []struct {
		p    inboxPage
		code int
		says string
	}{
		{inboxGet(t, srv.URL+"/orders/"+missing), http.StatusNotFound, "There is no order with this ID."},
		{inboxPost(t, inboxDecisionURL(srv.URL, missing, "approve"), url.Values{"reason": {"ok"}}), http.StatusNotFound, "There is no order with this ID."},
		{inboxGet(t, srv.URL+"/orders?status=shipped"), http.StatusBadRequest, "Unknown status <bdi>&#34;shipped&#34;</bdi>"},
		{inboxGet(t, srv.URL+"/orders/a%20b"), http.StatusBadRequest, "This is not a valid order ID"},
		{inboxGet(t, srv.URL+"/no/such/page"), http.StatusNotFound, "There is no such page."},
		{inboxGet(t, srv.URL+"/?page=edited"), http.StatusBadRequest, "This link to a page of orders is not valid"},
	} {
		if c.p.code != c.code || !strings.Contains(c.p.body, c.says) {
			t.Errorf("%s: status %d, want %d with %q:\n%s", c.p.url, c.p.code, c.code, c.says, c.p.body)
		}
	}
}

func TestInboxPaging(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	srv := serveInbox(t, e, inbox.Options{Authenticate: inboxAs("alice"), PageSize: 2})
	var mine []string
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		id := e.id(s)
		e.mustStart(largeOrder(id)) // one after the other: oldest first is a, b, c, …
		mine = append(mine, id)
	}
	inboxCancelAtEnd(e, mine...)
	inboxFindListed(t, srv.URL+"/", mine[len(mine)-1])

	var seen []string
	pages := 0
	for u := srv.URL + "/"; u != ""; pages++ {
		if pages > 500 {
			t.Fatalf("more than 500 pages of 2 orders")
		}
		p := inboxGet(t, u)
		if p.code != http.StatusOK {
			t.Fatalf("GET %s: status %d:\n%s", u, p.code, p.body)
		}
		if n := strings.Count(p.body, "<tr>") - 1; n > 2 {
			t.Fatalf("page %d shows %d orders, more than the page size of 2", pages+1, n)
		}
		if pages > 0 && !strings.Contains(p.body, ">First page</a>") {
			t.Errorf("page %d has no link to the first page", pages+1)
		}
		for _, m := range inboxOrderLink.FindAllStringSubmatch(p.body, -1) {
			if id := html.UnescapeString(m[2]); slices.Contains(mine, id) {
				seen = append(seen, id)
			}
		}
		u = ""
		if m := inboxNextLink.FindStringSubmatch(p.body); m != nil {
			u = p.link(t, m[1])
		}
	}
	if !slices.Equal(seen, mine) {
		t.Fatalf("following Next from the first page shows %v, want each of %v once, oldest first", seen, mine)
	}
}

func TestInboxUnderPrefix(t *testing.T) {
	t.Parallel()
	e := newInboxEnv(t, nil)
	h, err := inbox.New(e.orders, inbox.Options{Authenticate: inboxAs("alice")})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/inbox/", http.StripPrefix("/inbox", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	id := e.id("big")
	e.mustStart(largeOrder(id))
	inboxCancelAtEnd(e, id)
	e.waitForApproval(id, orderflow.ApprovalPending) // before the order page's query

	list := inboxFindListed(t, srv.URL+"/inbox/", id)
	css := inboxStyleLink.FindStringSubmatch(list.body)
	if css == nil {
		t.Fatalf("the inbox links no stylesheet:\n%s", list.body)
	}
	sheet := inboxGet(t, list.link(t, css[1]))
	if sheet.code != http.StatusOK || !strings.HasPrefix(sheet.header.Get("Content-Type"), "text/css") ||
		!strings.HasPrefix(sheet.url.Path, "/inbox/") {
		t.Errorf("stylesheet %s: status %d, type %q", sheet.url, sheet.code, sheet.header.Get("Content-Type"))
	}

	row := inboxRowOf(list.body, id)
	link := inboxOrderLink.FindStringSubmatch(row)
	if link == nil {
		t.Fatalf("the row of %s links nowhere:\n%s", id, row)
	}
	order := inboxGet(t, list.link(t, link[1]))
	if want := "/inbox/orders/" + url.PathEscape(id); order.code != http.StatusOK || order.url.Path != want {
		t.Fatalf("the order link leads to %s (status %d), want %s", order.url, order.code, want)
	}
	m := inboxRejectButton.FindStringSubmatch(order.body)
	if m == nil {
		t.Fatalf("the order page has no Reject button:\n%s", order.body)
	}
	p := inboxPost(t, order.link(t, m[1]), url.Values{"reason": {"no"}})
	if p.code != http.StatusSeeOther {
		t.Fatalf("reject under the prefix: status %d:\n%s", p.code, p.body)
	}
	loc := p.location(t)
	if want := srv.URL + "/inbox/orders/" + url.PathEscape(id) + "?decided=rejected"; loc != want {
		t.Fatalf("reject redirects to %s, want %s", loc, want)
	}
	if shown := inboxGet(t, loc); !strings.Contains(shown.body, "Decision recorded: this order was rejected by <bdi>alice</bdi>.") {
		t.Errorf("the order page after the redirect does not confirm the rejection:\n%s", shown.body)
	}
	e.result(id, orderflow.StatusRejected)
}
