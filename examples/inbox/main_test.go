package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/keys"
	"github.com/orderflow/orderflow/examples/internal/proctest"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
)

// The tests run the program's run function in the test process, as main
// does, and use the inbox over HTTP as a browser without JavaScript would.

// program is a run of the program in the background.
type program struct {
	stdout, stderr proctest.Buffer
	cancel         context.CancelFunc
	done           chan error
	url            string // the inbox, as printed
}

var inboxLine = regexp.MustCompile(`Approver inbox: (\S+) `)

// startProgram runs the program with args (and -http on a free loopback
// port) until it prints where the inbox is.
func startProgram(t *testing.T, args ...string) *program {
	t.Helper()
	// The environment must not point the program at another server.
	t.Setenv("TEMPORAL_ADDRESS", "")
	t.Setenv("TEMPORAL_NAMESPACE", "")
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "absent.toml"))
	ctx, cancel := context.WithCancel(context.Background())
	p := &program{cancel: cancel, done: make(chan error, 1)}
	args = append([]string{"-http", "127.0.0.1:0", "-latency", "0"}, args...)
	go func() { p.done <- run(ctx, args, &p.stdout, &p.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(time.Until(testctx.Deadline(t))):
			t.Errorf("the program did not stop by the test's deadline")
		}
	})
	deadline := time.After(time.Until(testctx.Deadline(t)))
	for {
		if m := inboxLine.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = m[1]
			t.Logf("inbox %v:\n%s", args, p.stdout.String())
			return p
		}
		select {
		case err := <-p.done:
			t.Fatalf("the program ended before serving the inbox (%v):\nstdout:\n%s\nstderr:\n%s", err, p.stdout.String(), p.stderr.String())
		case <-deadline:
			t.Fatalf("the program did not serve the inbox by the test's deadline:\nstdout:\n%s\nstderr:\n%s", p.stdout.String(), p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop stops the program as Ctrl-C does and fails t unless it ends cleanly
// by the test's deadline.
func (p *program) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("the program ended with %v after it was stopped:\n%s", err, p.stderr.String())
		}
		p.done <- nil // for the cleanup
	case <-time.After(time.Until(testctx.Deadline(t))):
		t.Fatalf("the program did not stop by the test's deadline:\n%s", p.stdout.String())
	}
}

// ids returns the order IDs the program printed after label.
func (p *program) ids(t *testing.T, label string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + `: (.*)$`).FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("the program printed no %q line:\n%s", label, p.stdout.String())
	}
	return strings.Split(m[1], ", ")
}

// temporalClient connects to the embedded server the program started.
func (p *program) temporalClient(t *testing.T) client.Client {
	t.Helper()
	m := regexp.MustCompile(`Started an embedded Temporal server at (\S+), namespace (\S+)\.`).FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("the program did not say where its server is:\n%s", p.stdout.String())
	}
	c, err := client.Dial(client.Options{HostPort: m[1], Namespace: m[2]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// response is an answer of the inbox.
type response struct {
	code   int
	header http.Header
	body   string
}

// httpClient does not follow redirects, so tests see a 303 itself. It has
// no timeout of its own: the test's deadline bounds it.
var httpClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends a request to the inbox at base: a GET, or a POST of form when
// form is not nil; user, if not empty, is "name:password" for Basic auth.
func do(t *testing.T, base, path, user string, form url.Values) response {
	t.Helper()
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(base, "/")+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if name, password, ok := strings.Cut(user, ":"); ok {
		req.SetBasicAuth(name, password)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

// waitListed fetches path until the page shows every one of ids (the
// visibility store trails the orders), and returns it.
func waitListed(t *testing.T, base, path, user string, ids ...string) response {
	t.Helper()
	deadline := testctx.Deadline(t)
	for {
		r := do(t, base, path, user, nil)
		if r.code != http.StatusOK {
			t.Fatalf("GET %s: status %d:\n%s", path, r.code, r.body)
		}
		missing := ""
		for _, id := range ids {
			if !strings.Contains(r.body, ">"+id+"</a>") {
				missing = id
			}
		}
		if missing == "" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s does not list %s by the test's deadline:\n%s", path, missing, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func decisionPath(id, decision string) string {
	return "/orders/" + url.PathEscape(id) + "/" + decision
}

func TestInboxProgramEmbedded(t *testing.T) {
	p := startProgram(t, "-waiting", "3", "-finished", "2", "-approval-timeout", "10m")
	waiting := p.ids(t, "Awaiting approval")
	small := p.ids(t, "Small orders (complete by themselves)")
	rejected := p.ids(t, "Rejected by demo")
	if len(waiting) != 3 || len(small) != 2 || len(rejected) != 1 {
		t.Fatalf("started %v awaiting, %v small, %v rejected; want 3, 2 and 1", waiting, small, rejected)
	}
	for _, id := range append(append(waiting, small...), rejected...) {
		if !regexp.MustCompile(`^INBOX-\d+-[0-9A-F]{6}$`).MatchString(id) {
			t.Errorf("order ID %q is not INBOX-<n>-<suffix>", id)
		}
	}
	if !strings.Contains(p.stdout.String(), "(any user name, any password)") {
		t.Errorf("the program does not say how to sign in:\n%s", p.stdout.String())
	}
	orders, err := orderflow.NewClient(p.temporalClient(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testctx.Context(t)

	// Without credentials: a Basic challenge that says it is a demo.
	r := do(t, p.url, "/", "", nil)
	if r.code != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Basic realm="orderflow inbox (demo: any name, any password)"` {
		t.Fatalf("GET / without credentials: status %d, WWW-Authenticate %q; want 401 and the demo realm", r.code, r.header.Get("WWW-Authenticate"))
	}

	// Any name and password: the list of waiting orders, escaped.
	list := waitListed(t, p.url, "/", "carol:not-checked", waiting...)
	for _, want := range []string{"Signed in as <bdi><strong>carol</strong></bdi>", "&lt;script&gt;alert(1)&lt;/script&gt;", "Bob Johnson", "$1899.97", "$2199.96"} {
		if !strings.Contains(list.body, want) {
			t.Errorf("the inbox lacks %q:\n%s", want, list.body)
		}
	}
	// One script only: the inbox's reason counter, inline.
	if strings.Count(list.body, "<script") != 1 || strings.Contains(list.body, "<script>alert") {
		t.Errorf("the inbox has a script other than its reason counter:\n%s", list.body)
	}
	for _, id := range append(small, rejected...) {
		if strings.Contains(list.body, ">"+id+"</a>") {
			t.Errorf("the inbox lists %s, which awaits no approval", id)
		}
	}
	// The status filters show the finished orders.
	waitListed(t, p.url, "/orders?status=completed", "carol:x", small...)
	waitListed(t, p.url, "/orders?status=rejected", "carol:x", rejected...)
	page := do(t, p.url, "/orders/"+rejected[0], "carol:x", nil)
	for _, want := range []string{"<dd><bdi>demo</bdi></dd>", "Insufficient credit check", ">Rejected<"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page of the rejected order lacks %q:\n%s", want, page.body)
		}
	}

	// A decision needs a user name the inbox can record.
	id := waiting[0]
	form := url.Values{"reason": {"Known customer"}}
	for _, user := range []string{"", ":password-only", " carol :x"} {
		if r := do(t, p.url, decisionPath(id, "approve"), user, form); r.code != http.StatusUnauthorized {
			t.Errorf("POST approve as %q: status %d, want 401:\n%s", user, r.code, r.body)
		}
	}
	if st, err := orders.State(ctx, id); err != nil || st.Approval.Status != orderflow.ApprovalPending {
		t.Fatalf("after refused decisions: %v, %v; want the approval still pending", st, err)
	}
	r = do(t, p.url, decisionPath(id, "approve"), "carol:anything", form)
	if r.code != http.StatusSeeOther {
		t.Fatalf("POST approve as carol: status %d, want 303:\n%s", r.code, r.body)
	}
	res, err := orders.Result(ctx, id)
	if err != nil || res.Status != orderflow.StatusCompleted || res.Approval.Approver != "carol" || res.Approval.Reason != "Known customer" {
		t.Fatalf("after carol's approval: %+v, %v; want completed, approved by carol", res, err)
	}

	// A double click: the browser drops the first request and sends the
	// form again. The first decision is carried through, is not an error,
	// and the second is answered as the decision it repeats.
	id = waiting[1]
	form = url.Values{"reason": {"Checked twice"}}
	dropRequest(t, p.url, decisionPath(id, "approve"), "dave", form)
	res, err = orders.Result(ctx, id)
	if err != nil || res.Status != orderflow.StatusCompleted || res.Approval.Approver != "dave" || res.Approval.Reason != "Checked twice" {
		t.Fatalf("after dave's dropped approval: %+v, %v; want completed, approved by dave", res, err)
	}
	r = do(t, p.url, decisionPath(id, "approve"), "dave:x", form)
	if r.code != http.StatusSeeOther || !strings.HasSuffix(r.header.Get("Location"), "?decided=approved") {
		t.Fatalf("dave's second click: status %d, Location %q; want 303 to the confirmation:\n%s", r.code, r.header.Get("Location"), r.body)
	}
	if r := do(t, p.url, decisionPath(id, "reject"), "erin:x", form); r.code != http.StatusConflict ||
		!strings.Contains(r.body, "Not decided: this order was already approved by <bdi>dave</bdi>") {
		t.Errorf("erin's rejection after dave's approval: status %d, want 409 naming dave:\n%s", r.code, r.body)
	}

	// A page link edited by hand is refused when it is not a token the
	// Client made, and otherwise answered as a page from its position: one
	// dated year 1 lists the waiting orders, as the first page does.
	if r := do(t, p.url, "/?page=not-a-token", "carol:x", nil); r.code != http.StatusBadRequest {
		t.Errorf("GET /?page=not-a-token: status %d, want 400:\n%s", r.code, r.body)
	}
	if r := do(t, p.url, "/?page="+yearOneToken, "carol:x", nil); r.code != http.StatusOK || !strings.Contains(r.body, waiting[2]) {
		t.Errorf("GET /?page=<year 1>: status %d, want 200 listing %s:\n%s", r.code, waiting[2], r.body)
	}

	p.stop(t)
	logs := p.stderr.String()
	if !strings.Contains(logs, `level=WARN msg="DEMO ONLY: every user name is accepted as an approver, passwords are not checked"`) {
		t.Errorf("the program does not warn that its sign-in is a demo:\n%s", logs)
	}
	if !strings.Contains(logs, "approver=carol") {
		t.Errorf("the inbox did not log carol's decision:\n%s", logs)
	}
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("the program logged an error:\n%s", logs)
	}
	if !regexp.MustCompile(`msg="inbox: order decided".*approver=dave`).MatchString(logs) {
		t.Errorf("the inbox did not log dave's dropped decision as made:\n%s", logs)
	}
	for _, pii := range []string{"Bob Johnson", "Carmen Ortiz", "alert(1)", "@example.com", "Known customer", "Oak Ave"} {
		if strings.Contains(logs+p.stdout.String(), pii) {
			t.Errorf("the program's output holds personal data or a reason, %q:\n%s\n%s", pii, p.stdout.String(), logs)
		}
	}
}

// TestInboxProgramExistingServer runs the program twice against one server
// given by -address, which has no search attributes registered: the
// second run's orders must not collide with the first's, and the second
// serves a read-only inbox.
func TestInboxProgramExistingServer(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	args := []string{"-address", ts.GetFrontendHostPort(), "-namespace", ts.GetDefaultNamespace(), "-finished", "0"}

	first := startProgram(t, append(args, "-waiting", "1")...)
	firstIDs := first.ids(t, "Awaiting approval")
	if !strings.Contains(first.stdout.String(), "Using the Temporal server at "+ts.GetFrontendHostPort()) {
		t.Errorf("the program does not say it uses the given server:\n%s", first.stdout.String())
	}
	waitListed(t, first.url, "/", "dave:x", firstIDs...)
	first.stop(t)

	second := startProgram(t, append(args, "-waiting", "2", "-read-only")...)
	ids := second.ids(t, "Awaiting approval")
	if strings.Contains(second.stderr.String(), "DEMO ONLY") || !strings.Contains(second.stdout.String(), "(read-only") {
		t.Errorf("the read-only inbox warns of a demo sign-in or does not say it is read-only:\nstdout:\n%s\nstderr:\n%s",
			second.stdout.String(), second.stderr.String())
	}
	list := waitListed(t, second.url, "/", "", append(ids, firstIDs...)...)
	if !strings.Contains(list.body, "Read-only view") || strings.Contains(list.body, `<form method="post"`) {
		t.Errorf("the read-only inbox shows no read-only note, or decision forms:\n%s", list.body)
	}
	for _, user := range []string{"", "erin:x"} {
		r := do(t, second.url, decisionPath(ids[0], "approve"), user, url.Values{"reason": {"ok"}})
		if r.code != http.StatusForbidden || !strings.Contains(r.body, "read-only") {
			t.Errorf("POST approve to the read-only inbox (user %q): status %d, want 403:\n%s", user, r.code, r.body)
		}
	}
	orders, err := orderflow.NewClient(ts.GetDefaultClient(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testctx.Context(t)
	for _, id := range append(ids, firstIDs...) {
		st, err := orders.State(ctx, id)
		if err != nil || st.Approval.Status != orderflow.ApprovalPending {
			t.Errorf("order %s: %v, %v; want it still awaiting approval", id, st, err)
		}
	}
	second.stop(t)
}

// yearOneToken is a page token of the oldest-first listing edited to start
// at year 1, which once cost 56 count queries.
const yearOneToken = "eyJzIjoiYXdhaXRpbmdfYXBwcm92YWwiLCJ0IjoiMDAwMS0wMS0wMVQwMDowMDowMVoifQ"

// dropRequest sends a decision as Basic user name and closes the
// connection at once, as a browser drops a request when the button is
// clicked again: the inbox's request context is cancelled while it works.
func dropRequest(t *testing.T, base, path, name string, form url.Values) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	body := form.Encode()
	req := "POST " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\n" +
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(name+":x")) + "\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

func TestInboxProgramHelp(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, io.Discard, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h: %v, want flag.ErrHelp", err)
	}
	help := stderr.String()
	if strings.Contains(help, "else localhost:7233") || !strings.Contains(help, "instead of starting an embedded one") {
		t.Errorf("-h says -address defaults to localhost:7233, or not that the program embeds a server without it:\n%s", help)
	}
}

func TestInboxProgramFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-waiting", "-1"},
		{"-latency", "-1"},
		{"extra"},
		{"-http", "no-port"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil || errors.Is(err, context.Canceled) {
			t.Errorf("run %v: %v, want an error", args, err)
		}
	}
}

// With encryption keys, the embedded inbox encrypts its orders and still
// shows them.
func TestInboxProgramEmbeddedEncrypted(t *testing.T) {
	k, err := keys.Generate("k1")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(keys.EnvVar, k)
	p := startProgram(t, "-waiting", "1", "-finished", "0", "-approval-timeout", "10m")
	waiting := p.ids(t, "Awaiting approval")
	list := waitListed(t, p.url, "/", "carol:x", waiting...)
	for _, want := range []string{"$1899.97", "<bdi>Laptop</bdi>", "&lt;script&gt;"} { // read from the encrypted memo
		if !strings.Contains(list.body, want) {
			t.Fatalf("the inbox lacks %q:\n%s", want, list.body)
		}
	}
	// The server holds the memo encrypted.
	d, err := p.temporalClient(t).DescribeWorkflowExecution(testctx.Context(t), orderflow.WorkflowID(waiting[0]), "")
	if err != nil {
		t.Fatal(err)
	}
	memo := d.GetWorkflowExecutionInfo().GetMemo().GetFields()["orderflow"] // the memo field of the listing row
	if enc := string(memo.GetMetadata()["encoding"]); enc != "binary/encrypted" {
		t.Fatalf("the memo's encoding is %q, want binary/encrypted", enc)
	}
}
