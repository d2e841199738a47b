package inbox

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
)

// These tests need no Temporal server: they cover what the inbox answers
// before it calls one, and its templates and formatting. The integration
// tests (examples/integration/inbox_test.go) cover the rest against a real
// server.

// offlineClient returns a Client with Options.Visibility whose Temporal
// client never connects: a test that reaches the server gets an error.
func offlineClient(t *testing.T) *orderflow.Client {
	t.Helper()
	return offlineClientWith(t, &orderflow.Options{Visibility: true, CallTimeout: 200 * time.Millisecond})
}

func offlineClientWith(t *testing.T, opts *orderflow.Options) *orderflow.Client {
	t.Helper()
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	c, err := orderflow.NewClient(searchAttributesRegistered{tc}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// searchAttributesRegistered answers the count NewClient makes to check
// that the namespace has the search attributes of Options.Visibility.
type searchAttributesRegistered struct{ client.Client }

func (searchAttributesRegistered) CountWorkflow(context.Context, *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	return &workflowservice.CountWorkflowExecutionsResponse{}, nil
}

func TestNewRefusesBadInput(t *testing.T) {
	if h, err := New(nil, Options{}); err == nil || h != nil {
		t.Errorf("New(nil) = %v, %v; want an error", h, err)
	}
	// A Client without Visibility: the inbox would list nothing.
	noVisibility := offlineClientWith(t, nil)
	if h, err := New(noVisibility, Options{}); err == nil || h != nil || !strings.Contains(err.Error(), "Options.Visibility") {
		t.Errorf("New(Client without Visibility) = %v, %v; want an error naming Options.Visibility", h, err)
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
		{"long reason kept", alice, postForm("/orders/ORD-1/approve", url.Values{"reason": {strings.Repeat("ع", 600)}}), 400, strings.Repeat("ع", 600) + "</textarea>"},
		{"control character", alice, postForm("/orders/ORD-1/approve", url.Values{"reason": {"a\x00b"}}), 400, "must be plain text"},
		{"huge form", alice, postForm("/orders/ORD-1/approve", url.Values{"reason": {strings.Repeat("x", 65<<10)}}), 413, "too large"},
		{"bad page token", alice, httptest.NewRequest("GET", "/?page=garbage", nil), 400, "start again from the first page"},
		{"page token of another listing", alice, httptest.NewRequest("GET", "/orders?status=completed&page="+yearOneToken, nil), 400, "start again from the first page"},
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

// yearOneToken is a page token of the oldest-first listing edited to start
// at year 1: {"s":"awaiting_approval","t":"0001-01-01T00:00:01Z"}.
var yearOneToken = "eyJzIjoiYXdhaXRpbmdfYXBwcm92YWwiLCJ0IjoiMDAwMS0wMS0wMVQwMDowMDowMVoifQ"

func TestRefusalNotice(t *testing.T) {
	for _, c := range []struct {
		st   orderState
		want string
	}{
		{orderState{Status: orderflow.StatusCompleted, Approval: orderflow.Approval{Status: orderflow.ApprovalApproved, Approver: "alice", Reason: "ok"}},
			"Not decided: this order was already approved by alice (reason: ok)."},
		{orderState{Status: orderflow.StatusRejected, Approval: orderflow.Approval{Status: orderflow.ApprovalRejected}},
			"Not decided: this order was already rejected."},
		{orderState{Status: orderflow.StatusTimedOut, Approval: orderflow.Approval{Status: orderflow.ApprovalTimedOut}},
			"Not decided: the approval timed out."},
		{orderState{Status: orderflow.StatusCancelled, CancelReason: "changed mind",
			Approval: orderflow.Approval{Status: orderflow.ApprovalRejected, Reason: "order cancelled while awaiting approval"}},
			"Not decided: the order was cancelled."},
		{orderState{Status: orderflow.StatusCompleted, Approval: orderflow.Approval{Status: orderflow.ApprovalNotRequired}},
			"Not decided: this order needs no approval."},
		{orderState{Status: orderflow.StatusRunning, Approval: orderflow.Approval{Status: orderflow.ApprovalPending}},
			"Not decided: the order is no longer awaiting a decision. Reload the page to see where it stands."},
	} {
		if got := refusalNotice(&c.st); got.Kind != "error" || got.Text() != c.want {
			t.Errorf("refusalNotice(%+v) = %+v, want %q", c.st, got, c.want)
		}
	}
}

func TestDecidedNoticeNeedsTheOrdersWord(t *testing.T) {
	approved := &orderState{Approval: orderflow.Approval{Status: orderflow.ApprovalApproved, Approver: "alice"}}
	if n := decidedNotice(approved, orderflow.ApprovalApproved); n == nil || n.Text() != "Decision recorded: this order was approved by alice." {
		t.Errorf("decidedNotice(approved, approved) = %+v", n)
	}
	for _, claimed := range []orderflow.ApprovalStatus{orderflow.ApprovalRejected, "", "<b>approved</b>"} {
		if n := decidedNotice(approved, claimed); n != nil {
			t.Errorf("decidedNotice(approved, %q) = %+v, want none", claimed, n)
		}
	}
	pending := &orderState{Approval: orderflow.Approval{Status: orderflow.ApprovalPending}}
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
	h := &handler{pages: pages, log: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
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
		p.Content = inboxContent{Rows: []awaitingRow{p.awaitingRow(s, now, "o1")}, Pages: pagingOf("./", nil, true, "tok2")}
		code, out := render(t, "inbox", p)
		if code != 200 || strings.Contains(out, "<script") || strings.Contains(out, "<i>") || strings.Contains(out, "<b>") {
			t.Fatalf("status %d; unescaped markup:\n%s", code, out)
		}
		for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `href="./orders/a%2Fb%3Cx%3E"`, "and 11 more", "&lt;i&gt;Laptop&lt;/i&gt;",
			"$1899.97", ">4m00s<", ">1m00s<", `href="./?page=tok2" rel="next"`, `href="./">First page`} {
			if !strings.Contains(out, want) {
				t.Errorf("approver %q: the page lacks %q:\n%s", approver, want, out)
			}
		}
		hasForm := strings.Contains(out, `action="./orders/a%2Fb%3Cx%3E/approve"`) &&
			strings.Contains(out, `formaction="./orders/a%2Fb%3Cx%3E/reject"`) && strings.Contains(out, `data-max-bytes="1024"`)
		if hasForm != (approver != "") {
			t.Errorf("approver %q: decision form shown = %v", approver, hasForm)
		}
		if readOnly := strings.Contains(out, "Read-only view"); readOnly != (approver == "") {
			t.Errorf("approver %q: read-only shown = %v", approver, readOnly)
		}
	}
}

// testWriter writes to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// rlo is RIGHT-TO-LEFT OVERRIDE, which shows "evorppa" as "approve" and,
// left open, reverses the text after it.
const rlo = "\u202e"

// Every piece of user text on the pages is isolated, so that it cannot
// reorder the inbox's own words around it.
func TestUserTextIsIsolated(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := "ORD-" + rlo + "1"
	s := orderflow.OrderSummary{OrderID: id, CustomerName: rlo + "evorppa", Total: orderflow.USD(189997),
		ItemCount: 1, Items: []orderflow.Item{{ProductID: "P-" + rlo, ProductName: "حاسوب " + rlo, Quantity: 1}},
		StartedAt: now.Add(-time.Minute), ApprovalDeadline: now.Add(time.Minute)}
	p := page{Title: "Waiting for approval", Root: "./", Approver: "مدير" + rlo}
	p.Content = inboxContent{Waiting: 1, Rows: []awaitingRow{p.awaitingRow(s, now, "o1")}}
	p.Notice = refusalNotice(&orderState{Approval: orderflow.Approval{Status: orderflow.ApprovalApproved, Approver: "bob" + rlo, Reason: rlo + "evorppa"}})
	_, out := render(t, "inbox", p)
	for _, want := range []string{
		`<bdi><a href="./orders/ORD-%E2%80%AE1">ORD-` + rlo + `1</a></bdi>`,
		`<bdi>` + rlo + `evorppa</bdi>`,
		`<bdi>حاسوب ` + rlo + `</bdi> <span class="sku">(<bdi>P-` + rlo + `</bdi>)</span>`,
		`Signed in as <bdi><strong>مدير` + rlo + `</strong></bdi>`,
		`already approved by <bdi>bob` + rlo + `</bdi> (reason: <bdi>` + rlo + `evorppa</bdi>).`,
		`for order <bdi>ORD-` + rlo + `1</bdi>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q:\n%s", want, out)
		}
	}
	// No override outside an isolate: each one the test put in sits in a
	// bdi (or in an attribute or URL, where it does not show).
	visible := regexp.MustCompile(`<[^>]*>`).Split(out, -1)
	shown := strings.Count(strings.Join(visible, ""), rlo)
	isolated := 0
	for _, m := range regexp.MustCompile(`(?s)<bdi>(.*?)</bdi>`).FindAllStringSubmatch(out, -1) {
		isolated += strings.Count(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], ""), rlo)
	}
	if shown != isolated {
		t.Errorf("%d direction overrides show on the page, %d of them isolated:\n%s", shown, isolated, out)
	}
}

// Each decision control's accessible name names its order, and the reason
// box agrees with the order service on the limit: bytes, not characters,
// and no maxlength, which cuts a paste short without a word.
func TestDecisionFormNamesItsOrder(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := page{Title: "Waiting for approval", Root: "./", Approver: "alice", Script: true}
	var rows []awaitingRow
	for i, id := range []string{"ORD-1", "ORD-2"} {
		rows = append(rows, p.awaitingRow(orderflow.OrderSummary{OrderID: id, StartedAt: now}, now, "o"+string(rune('1'+i))))
	}
	p.Content = inboxContent{Waiting: 2, Rows: rows}
	_, out := render(t, "inbox", p)
	for _, id := range []string{"ORD-1", "ORD-2"} {
		for _, want := range []string{
			`Reason<span class="vh"> for order <bdi>` + id + `</bdi></span>`,
			`Approve<span class="vh"> order <bdi>` + id + `</bdi></span>`,
			`Reject<span class="vh"> order <bdi>` + id + `</bdi></span>`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the page lacks %q:\n%s", want, out)
			}
		}
	}
	for _, want := range []string{`<label for="o1-reason">`, `<textarea id="o1-reason"`, `<label for="o2-reason">`, `<textarea id="o2-reason"`,
		`data-max-bytes="1024"`, `aria-describedby="o1-limit o1-count"`, `<script>` + reasonScript + `</script>`} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "maxlength") {
		t.Errorf("a reason box has a maxlength, which cuts pastes short silently:\n%s", out)
	}
}

// The inline script runs under the Content-Security-Policy by its hash,
// and no other script does.
func TestPolicyAllowsTheReasonCounterOnly(t *testing.T) {
	if want := "script-src '" + scriptHash(reasonScript) + "'"; !strings.Contains(contentSecurityPolicy, want) ||
		strings.Contains(contentSecurityPolicy, "unsafe") {
		t.Errorf("Content-Security-Policy %q does not allow the reason counter by its hash alone", contentSecurityPolicy)
	}
	if strings.Contains(reasonScript, "</") {
		t.Errorf("the reason counter contains \"</\", which would end its script element")
	}
}

// A refused reason comes back in the order's form, with what is wrong.
func TestRefusedReasonComesBack(t *testing.T) {
	reason := strings.Repeat("ع", 600) + "\nسطر"
	p := page{Root: "../../", Approver: "alice", Notice: &notice{Kind: "error", Parts: reasonProblem(reason)}}
	f := p.decisionForm("ORD-1", "decide")
	f.Reason, f.Problem = reason, p.Notice.Text()
	p.Content = orderContent{R: &orderState{OrderID: "ORD-1", Status: orderflow.StatusAwaitingApproval,
		Approval: orderflow.Approval{Status: orderflow.ApprovalPending}}, Form: f}
	_, out := render(t, "order", p)
	for _, want := range []string{
		`role="alert">Not sent: the reason is 1207 bytes long; the limit is 1024. It has 604 characters`,
		`Shorten it by 183 bytes`,
		`aria-invalid="true" autofocus>` + reason + `</textarea>`,
		`class="count over">Too long by 183 bytes`,
		`Waiting for approval`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q:\n%s", want, out)
		}
	}
}

func TestStatusWordsAreForPeople(t *testing.T) {
	for _, s := range statuses[1:] {
		if w := statusWord(s); strings.Contains(w, "_") || w == string(s) {
			t.Errorf("statusWord(%q) = %q", s, w)
		}
	}
	for _, a := range []orderflow.ApprovalStatus{orderflow.ApprovalNotRequired, orderflow.ApprovalPending,
		orderflow.ApprovalApproved, orderflow.ApprovalRejected, orderflow.ApprovalTimedOut} {
		if w := approvalWord(a); strings.Contains(w, "_") || w == string(a) {
			t.Errorf("approvalWord(%q) = %q", a, w)
		}
	}
	if got := statusWord(orderflow.StatusAwaitingApproval); got != "Waiting for approval" {
		t.Errorf("an order that waits for a decision shows as %q, want as the list shows it", got)
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1024: "1,024", 1234567: "1,234,567", -1024: "-1,024"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
