package examples_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/embedded"
	"github.com/orderflow/orderflow/inbox"
	"github.com/orderflow/orderflow/orderflowtest"
	"go.temporal.io/sdk/worker"
)

// TestBrowserInbox has a real headless Chromium drive the approver inbox
// (package inbox) against an embedded Temporal server, as two approvers,
// alice and bob, would use it, each in a browser session of their own. It
// asserts on what the pages show and on how the orders really end.
//
// It needs Chromium: $ORDERFLOW_CHROMIUM, else chromium, chromium-browser
// or google-chrome on PATH. Without one it skips, or fails when
// ORDERFLOW_REQUIRE_CHROMIUM is set (as in CI). With ORDERFLOW_SCREENSHOTS
// set to a directory it writes the screenshots of the README there
// (inbox-list.png, inbox-order.png).
func TestBrowserInbox(t *testing.T) {
	chromium := chromiumPath(t)
	t.Parallel()
	// Everything, the browser included, ends within this.
	root, cancelRoot := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancelRoot)
	site := newBrowserSite(t)

	// The orders: one alice approves and bob then rejects, one whose
	// customer name is markup, one a page of another site tries to approve,
	// and one more for the list. One after the other, so oldest first is
	// this order.
	const (
		decidedID = "WEB-1"
		xssID     = "WEB-2"
		csrfID    = "WEB-3"
		otherID   = "WEB-4"
		xssName   = "<script>alert(1)</script>"
	)
	ids := []string{decidedID, xssID, csrfID, otherID}
	for i, name := range []string{"Dana Whitfield", xssName, "Carmen Ortiz", "Emil Novak"} {
		o := orderflowtest.LargeOrder(ids[i])
		o.CustomerName = name
		o.CustomerEmail = fmt.Sprintf("customer%d@example.com", i+1)
		o.Items[1].Quantity += int64(i % 3)
		site.start(o)
	}

	b := newBrowser(t, root, chromium)
	alice := b.session("alice")
	bob := b.session("bob")

	// a. The orders appear in the list, with customer and total.
	rows := alice.waitListed(site.url+"/", ids...)
	if r := rows[decidedID]; len(r) < 3 || r[1] != "Dana Whitfield" || r[2] != "$1899.97" {
		t.Errorf("the row of %s shows %q, want customer Dana Whitfield and total $1899.97", decidedID, r)
	}
	if r := rows[csrfID]; len(r) < 3 || r[1] != "Carmen Ortiz" || r[2] != "$2499.95" {
		t.Errorf("the row of %s shows %q, want customer Carmen Ortiz and total $2499.95", csrfID, r)
	}
	if who := browse(t, alice.ctx, "read who is signed in", chromedp.Text(chromedp.CSS("header .who"))); who != "Signed in as alice" {
		t.Errorf("alice's inbox says %q, want %q", who, "Signed in as alice")
	}

	// d. The customer name that is markup shows as text, in the inbox and
	// in the list of all orders, and nothing runs.
	checkShownAsText := func(s *browserSession, what string, col int) {
		t.Helper()
		cell := browse(t, s.ctx, what+": read the customer cell", chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
			const a = [...document.querySelectorAll("table.orders a")].find(a => a.textContent === %q);
			const td = a ? a.closest("tr").cells[%d] : null;
			return td ? [td.textContent, td.innerHTML] : [];
		})()`, xssID, col)))
		if len(cell) != 2 || cell[0] != xssName || !strings.Contains(cell[1], "&lt;script&gt;") {
			t.Errorf("%s: the customer of %s shows as %q, want the text %q", what, xssID, cell, xssName)
		}
		if n := browse(t, s.ctx, what+": count scripts", chromedp.Evaluate[int](`document.querySelectorAll("script").length`)); n != 0 {
			t.Errorf("%s: the page has %d script elements, want none", what, n)
		}
	}
	checkShownAsText(alice, "inbox", 1)

	// f. The list, for the README.
	listShot := browse(t, alice.ctx, "screenshot the list", chromedp.FullScreenshot(100))

	// bob opens the order before alice decides it.
	bobPage := browseResponse(t, bob.ctx, "bob opens "+decidedID, chromedp.Navigate(site.url+"/orders/"+decidedID))
	if bobPage.Status != http.StatusOK {
		t.Fatalf("bob's order page: status %d", bobPage.Status)
	}
	browse(t, bob.ctx, "bob sees the decision form", chromedp.WaitVisible(chromedp.CSS("form.decide button.reject")))

	// b. alice follows the order's link, gives a reason and approves.
	resp := browseResponse(t, alice.ctx, "alice clicks "+decidedID,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`table.orders a[href$="orders/%s"]`, decidedID))))
	if want := site.url + "/orders/" + decidedID; resp.Status != http.StatusOK || resp.URL != want {
		t.Fatalf("alice's click leads to %s (status %d), want %s", resp.URL, resp.Status, want)
	}
	const aliceReason = "Known customer, verified by phone"
	browse(t, alice.ctx, "alice types a reason", chromedp.SendKeys(chromedp.CSS("form.decide textarea[name=reason]"), aliceReason))
	resp = browseResponse(t, alice.ctx, "alice approves", chromedp.Click(chromedp.CSS("form.decide button.approve")))
	if resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, "/orders/"+decidedID+"?decided=approved") {
		t.Fatalf("alice's approval leads to %s (status %d), want the order page confirming it", resp.URL, resp.Status)
	}
	if n := alice.notice(); n != "Decision recorded: this order was approved by alice." {
		t.Errorf("after alice's approval the page says %q", n)
	}
	res, err := site.orders.Result(site.ctx, decidedID)
	if err != nil || res.Status != orderflow.StatusCompleted || res.Approval.Approver != "alice" || res.Approval.Reason != aliceReason {
		t.Fatalf("order %s: %+v, %v; want completed, approved by alice with her reason", decidedID, res, err)
	}
	// The page, loaded again now that the order has completed.
	browseResponse(t, alice.ctx, "alice reloads the order", chromedp.Reload())
	if got := alice.fact("Approver"); got != "alice" {
		t.Errorf("the order page shows approver %q, want alice", got)
	}
	if got := alice.fact("Status"); got != "completed" {
		t.Errorf("the order page shows status %q, want completed", got)
	}
	orderShot := browse(t, alice.ctx, "screenshot the order", chromedp.FullScreenshot(100))

	// c. bob, on the page he loaded before alice decided, rejects: refused.
	browse(t, bob.ctx, "bob types a reason", chromedp.SendKeys(chromedp.CSS("form.decide textarea[name=reason]"), "Too large for this customer"))
	resp = browseResponse(t, bob.ctx, "bob rejects", chromedp.Click(chromedp.CSS("form.decide button.reject")))
	if resp.Status != http.StatusConflict {
		t.Errorf("bob's late rejection: status %d, want 409", resp.Status)
	}
	if n := bob.notice(); !strings.Contains(n, "Not decided: this order was already approved by alice") || strings.Contains(n, "Decision recorded") {
		t.Errorf("after bob's late rejection the page says %q, want that alice approved it already", n)
	}
	if body := browse(t, bob.ctx, "read bob's page", chromedp.Text(chromedp.CSS("main"))); strings.Contains(body, "Decision recorded") {
		t.Errorf("bob's page shows success:\n%s", body)
	}
	res, err = site.orders.Result(site.ctx, decidedID)
	if err != nil || res.Status != orderflow.StatusCompleted || res.Approval.Approver != "alice" {
		t.Errorf("after bob's rejection, order %s: %+v, %v; want still completed, approved by alice", decidedID, res, err)
	}
	if held := site.providers.Payment.Held(decidedID); held != orderflow.USD(189997) {
		t.Errorf("after bob's rejection, %v is held for %s, want $1899.97", held, decidedID)
	}

	// d, again: bob's list of all orders shows the name as text too.
	bob.waitListed(site.url+"/orders", xssID)
	checkShownAsText(bob, "all orders", 2)

	// e. A page of another site (another origin: localhost, not 127.0.0.1)
	// posts a form to the inbox from alice's browser, which is signed in.
	evil := newCrossSitePage(t, site.url+"/orders/"+csrfID+"/approve")
	browseResponse(t, alice.ctx, "alice opens the other site", chromedp.Navigate(evil))
	// The dialog listener works: the other site has no CSP, and its alert
	// is seen.
	browse(t, alice.ctx, "an alert on the other site", chromedp.Evaluate[chromedp.Void](`setTimeout(() => alert("control"), 0)`))
	alice.dialogs.waitFor(t, "control")
	resp = browseResponse(t, alice.ctx, "the other site submits its form", chromedp.Evaluate[chromedp.Void](`document.getElementById("f").submit()`))
	if want := site.url + "/orders/" + csrfID + "/approve"; resp.Status != http.StatusForbidden || resp.URL != want {
		t.Errorf("the cross-site POST to %s: status %d, want 403", resp.URL, resp.Status)
	}
	if n := alice.notice(); n != "Refused: this form was sent from another site." {
		t.Errorf("after the cross-site POST the page says %q", n)
	}
	st, err := site.orders.State(site.ctx, csrfID)
	if err != nil || st.Approval.Status != orderflow.ApprovalPending {
		t.Errorf("after the cross-site POST, order %s: %+v, %v; want its approval still pending", csrfID, st, err)
	}

	// d, last: no dialog opened anywhere but the control.
	if got := alice.dialogs.messages(); !slices.Equal(got, []string{"control"}) {
		t.Errorf("dialogs in alice's browser: %q, want only the control", got)
	}
	if got := bob.dialogs.messages(); len(got) != 0 {
		t.Errorf("dialogs in bob's browser: %q, want none", got)
	}

	// f. The screenshots are PNGs of the viewport's width.
	dir := os.Getenv("ORDERFLOW_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	for name, shot := range map[string][]byte{"inbox-list.png": listShot, "inbox-order.png": orderShot} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != browserWidth || cfg.Height < 200 {
			t.Errorf("%s: %d bytes, %dx%d, %v; want a PNG %d pixels wide", path, len(b), cfg.Width, cfg.Height, err, browserWidth)
		}
	}

	// No reason or customer data in a URL the browsers asked for, nor in
	// the inbox's log.
	logs := site.log.String()
	for _, pii := range []string{aliceReason, "Too large", "Dana", "Carmen", "alert(1)", "@example.com"} {
		for _, u := range site.requests() {
			if strings.Contains(u, pii) || strings.Contains(u, url.QueryEscape(pii)) {
				t.Errorf("request URL %q holds %q", u, pii)
			}
		}
		if strings.Contains(logs, pii) {
			t.Errorf("the inbox log holds %q:\n%s", pii, logs)
		}
	}
	if !strings.Contains(logs, "cross-origin request refused") {
		t.Errorf("the inbox did not log the refused cross-origin POST:\n%s", logs)
	}
}

// chromiumPath returns the browser to run: $ORDERFLOW_CHROMIUM, else
// chromium, chromium-browser or google-chrome on PATH. Without one it skips
// t, or fails t when ORDERFLOW_REQUIRE_CHROMIUM is set.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ORDERFLOW_CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("ORDERFLOW_CHROMIUM=%s: %v", p, err)
		}
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium (looked for chromium, chromium-browser and google-chrome on PATH); " +
		"install it (Debian: apt-get install chromium) or set ORDERFLOW_CHROMIUM to its path"
	if os.Getenv("ORDERFLOW_REQUIRE_CHROMIUM") != "" {
		t.Fatal(msg + " (ORDERFLOW_REQUIRE_CHROMIUM is set)")
	}
	t.Skip(msg)
	return ""
}

// browserSite is the inbox under test: an embedded Temporal server, a
// worker with in-memory providers, and the inbox of a Client with
// visibility on, served over HTTP. Its Authenticate names the approver
// from the X-Test-Approver header, which each browser session sets.
type browserSite struct {
	t         *testing.T
	ctx       context.Context
	orders    *orderflow.Client
	providers *orderflowtest.Providers
	url       string      // the inbox, without a trailing slash
	log       *syncBuffer // the inbox's log

	mu   sync.Mutex
	seen []string // the URLs asked for, as sent
}

const browserApproverHeader = "X-Test-Approver"

func newBrowserSite(t *testing.T) *browserSite {
	t.Helper()
	var serverLog syncBuffer
	srv, err := embedded.Start(conn.NewLogger(&serverLog, slog.LevelError))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	acts, providers := orderflowtest.NewActivities()
	w := worker.New(srv.Client, "order-task-queue", worker.Options{})
	if err := orderflow.Register(w, acts); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	orders, err := orderflow.NewClient(srv.Client, &orderflow.Options{Visibility: true, ApprovalTimeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	s := &browserSite{t: t, ctx: ctx, orders: orders, providers: providers, log: new(syncBuffer)}
	h, err := inbox.New(orders, inbox.Options{
		Authenticate: func(r *http.Request) (string, error) {
			if name := r.Header.Get(browserApproverHeader); name != "" {
				return name, nil
			}
			return "", errors.New("no " + browserApproverHeader + " header")
		},
		Logger: slog.New(slog.NewTextHandler(s.log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.URL.RequestURI())
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	s.url = hs.URL
	return s
}

func (s *browserSite) start(o orderflow.Order) {
	s.t.Helper()
	if err := s.orders.Start(s.ctx, o); err != nil {
		s.t.Fatal(err)
	}
}

func (s *browserSite) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

// newCrossSitePage serves, from another origin than the inbox, a page with
// a form that posts an approval to action, and returns its URL. It is
// served as http://localhost:port, so that to a browser it is another site
// than the inbox at 127.0.0.1.
func newCrossSitePage(t *testing.T, action string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<title>You have won</title>
<form id="f" method="post" action="%s">
<input type="hidden" name="reason" value="approved from another site">
<button>Claim your prize</button>
</form>
`, action)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return "http://localhost:" + u.Port() + "/"
}

// browserWidth and browserHeight are the viewport of every session.
const browserWidth, browserHeight = 1200, 800

// browserStep bounds every browser action.
const browserStep = 20 * time.Second

// headlessBrowser is a Chromium process.
type headlessBrowser struct {
	t   *testing.T
	ctx context.Context // its first tab; sessions are children of it
}

func newBrowser(t *testing.T, root context.Context, path string) *headlessBrowser {
	t.Helper()
	var output syncBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.WindowSize(browserWidth, browserHeight),
		chromedp.CombinedOutput(&output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// The first action starts the browser, which lives as long as the
	// context of that action: root's, not a step's.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v\n%s", path, err, output.String())
	}
	t.Cleanup(func() {
		if out := output.String(); t.Failed() {
			t.Logf("browser output (its end):\n%s", out[max(0, len(out)-4000):])
		}
	})
	return &headlessBrowser{t: t, ctx: ctx}
}

// browserSession is a tab in a browser context of its own (its own cookies
// and cache), whose requests name approver in the X-Test-Approver header.
type browserSession struct {
	t       *testing.T
	name    string
	ctx     context.Context
	dialogs *dialogLog
}

func (b *headlessBrowser) session(approver string) *browserSession {
	t := b.t
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// As for the browser: the tab lives as long as the context of the
	// first action on it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab for %s: %v", approver, err)
	}
	s := &browserSession{t: t, name: approver, ctx: ctx, dialogs: watchDialogs(ctx)}
	browse(t, ctx, "set up "+approver+"'s tab", chromedp.Steps(
		chromedp.EmulateViewport(browserWidth, browserHeight),
		chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, network.SetExtraHTTPHeaders,
				network.SetExtraHTTPHeadersParams{Headers: network.Headers{browserApproverHeader: approver}})
			return err
		}),
	))
	return s
}

// browse runs an action in a session, within browserStep, and fails t if it
// fails.
func browse[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// browseResponse runs steps that load a page, within browserStep, and
// returns the page's response.
func browseResponse(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return resp
}

// waitListed loads the listing at u until it shows every one of ids (the
// visibility store trails the orders), and returns the rows by order ID:
// the text of each cell.
func (s *browserSession) waitListed(u string, ids ...string) map[string][]string {
	t := s.t
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp := browseResponse(t, s.ctx, s.name+" loads "+u, chromedp.Navigate(u))
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: status %d", u, resp.Status)
		}
		cells := browse(t, s.ctx, "read the rows of "+u, chromedp.Evaluate[[][]string](
			`[...document.querySelectorAll("table.orders tbody tr")].map(tr => [...tr.cells].map(td => td.textContent.trim()))`))
		rows := map[string][]string{}
		for _, r := range cells {
			if len(r) > 0 {
				rows[r[0]] = r
			}
		}
		missing := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return rows[id] != nil })
		if len(missing) == 0 {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not list %v after 30s", u, missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// notice is the text of the page's notice, or "" when it has none.
func (s *browserSession) notice() string {
	s.t.Helper()
	return browse(s.t, s.ctx, "read the notice", chromedp.Evaluate[string](
		`document.querySelector("p.notice")?.textContent ?? ""`))
}

// fact is the text of the order page's first fact named dt.
func (s *browserSession) fact(dt string) string {
	s.t.Helper()
	return browse(s.t, s.ctx, "read "+dt, chromedp.Evaluate[string](fmt.Sprintf(
		`[...document.querySelectorAll("dl.facts dt")].find(d => d.textContent === %q)?.nextElementSibling.textContent ?? ""`, dt)))
}

// dialogLog records the JavaScript dialogs a tab opens, and dismisses them.
type dialogLog struct {
	mu   sync.Mutex
	msgs []string
}

func watchDialogs(ctx context.Context) *dialogLog {
	d := &dialogLog{}
	events := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.msgs = append(d.msgs, ev.Message)
			d.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return d
}

func (d *dialogLog) messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.msgs)
}

// waitFor waits up to 10 s for a dialog saying msg.
func (d *dialogLog) waitFor(t *testing.T, msg string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !slices.Contains(d.messages(), msg); {
		if time.Now().After(deadline) {
			t.Fatalf("no dialog %q within 10s; the dialog listener does not work (seen: %q)", msg, d.messages())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
