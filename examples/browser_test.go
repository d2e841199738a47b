package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/embedded"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/inbox"
	"github.com/orderflow/orderflow/orderflowtest"
	"go.temporal.io/sdk/worker"
)

// TestBrowserInbox has a real headless Chromium drive the approver inbox
// (package inbox) against an embedded Temporal server, as approvers would
// use it, each in a browser session of their own: alice and bob at a
// desktop, carol on a phone (390x844), dave on a phone with JavaScript off,
// and kim by keyboard alone. It asserts on what the pages show, on how the
// orders really end, and on what people need of the pages: they fit a
// phone, keep a refused reason, isolate right-to-left and override text,
// name each control's order, and keep text contrast at 4.5:1 or more in the
// light and the dark scheme.
//
// It needs Chromium: $ORDERFLOW_CHROMIUM, else chromium, chromium-browser
// or google-chrome on PATH. Without one it skips, or fails when
// ORDERFLOW_REQUIRE_CHROMIUM is set (as in CI). With ORDERFLOW_SCREENSHOTS
// set to a directory it writes the screenshots of the README there
// (inbox-list.png, inbox-order.png, inbox-phone.png).
func TestBrowserInbox(t *testing.T) {
	chromium := chromiumPath(t)
	t.Parallel()
	// Everything, the browser included, ends by the test's deadline.
	root := testctx.Context(t)
	site := newBrowserSite(t)

	// The orders: one alice approves and bob then rejects, one whose
	// customer name is markup, one a page of another site tries to approve,
	// one with Arabic text that dave's too long reason is refused for and
	// kim approves by keyboard, and one with a Hebrew name (customer names
	// may not hold direction overrides; reasons may). One after the other, so oldest first is this
	// order.
	const (
		decidedID = "WEB-1"
		xssID     = "WEB-2"
		csrfID    = "WEB-3"
		arabicID  = "WEB-4"
		hebrewID  = "WEB-5"
		xssName   = "<script>alert(1)</script>"
		arabic    = "فاطمة الزهراء"
		hebrew    = "שרה כהן (VIP)"
	)
	ids := []string{decidedID, xssID, csrfID, arabicID, hebrewID}
	for i, name := range []string{"Dana Whitfield", xssName, "Carmen Ortiz", arabic, hebrew} {
		o := orderflowtest.LargeOrder(ids[i])
		o.CustomerName = name
		o.CustomerEmail = fmt.Sprintf("customer%d@example.com", i+1)
		o.Items[1].Quantity += int64(i % 3)
		if ids[i] == arabicID {
			o.Items[0].ProductName = "حاسوب محمول"
		}
		site.start(o)
	}

	b := newBrowser(t, root, chromium)
	alice := b.session("alice", desktop)
	bob := b.session("bob", desktop)

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
	if n := browse(t, alice.ctx, "count the waiting orders", chromedp.Text(chromedp.CSS("p.lede"))); n != "5 orders await a decision, oldest first." {
		t.Errorf("the inbox counts %q", n)
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
		// The one script a page may have is the inbox's reason counter.
		if n := browse(t, s.ctx, what+": count scripts", chromedp.Evaluate[int](
			`[...document.scripts].filter(s => !s.textContent.includes("data-max-bytes")).length`)); n != 0 {
			t.Errorf("%s: the page has %d script elements besides the reason counter", what, n)
		}
	}
	checkShownAsText(alice, "inbox", 1)

	// People's text is isolated, and every control names its order.
	alice.checkIsolated("the inbox")
	alice.checkControlsNameTheirOrder("the inbox", len(ids))
	alice.checkContrast("the inbox")

	// f. The list, for the README.
	listShot := browse(t, alice.ctx, "screenshot the list", chromedp.FullScreenshot(100))

	// A phone: the list fits the screen, decisions and all.
	carol := b.session("carol", phone)
	carol.waitListed(site.url+"/", ids...)
	carol.checkFits("the inbox on a phone")
	carol.checkControlsNameTheirOrder("the inbox on a phone", len(ids))
	phoneShot := browse(t, carol.ctx, "screenshot the list on a phone", chromedp.CaptureScreenshot())
	if role := carol.role("table.orders"); role != "table" {
		t.Errorf("on a phone, the list of orders is a %q to assistive technology, want a table", role)
	}

	// The reason's limit is the order service's, 1,024 bytes, counted as
	// carol types: 600 Arabic letters are 1,200 bytes. A longer paste is
	// not cut short.
	arabicPage := site.url + "/orders/" + arabicID
	browseResponse(t, carol.ctx, "carol opens "+arabicID, chromedp.Navigate(arabicPage))
	carol.checkFits("the order page on a phone")
	arabicReason := strings.Repeat("ع", 600)
	carol.typeReason(arabicReason)
	if got := carol.text("form.decide .count"); got != "Too long by 176 bytes: shorten the reason to send it." {
		t.Errorf("with 600 Arabic letters the counter says %q", got)
	}
	held := browse(t, carol.ctx, "carol tries to approve", chromedp.Evaluate[[]any](`(() => {
		const box = document.querySelector("form.decide textarea");
		let refused = false;
		box.addEventListener("invalid", () => { refused = true; }, {once: true});
		box.form.requestSubmit(box.form.querySelector("button.approve"));
		return [refused, box.getAttribute("aria-invalid"), box.value.length];
	})()`))
	if len(held) != 3 || held[0] != true || held[1] != "true" || held[2] != float64(600) {
		t.Errorf("carol's approval with a reason 176 bytes too long: [held back, aria-invalid, length] = %v, want [true true 600]", held)
	}
	browse(t, carol.ctx, "carol clears the reason", chromedp.Evaluate[chromedp.Void](`document.querySelector("form.decide textarea").value = ""`))
	carol.typeReason(strings.Repeat("x", 2000))
	if n := browse(t, carol.ctx, "measure the pasted reason", chromedp.Evaluate[int](`document.querySelector("form.decide textarea").value.length`)); n != 2000 {
		t.Errorf("a paste of 2,000 characters holds %d", n)
	}
	if got := carol.text("form.decide .count"); got != "Too long by 976 bytes: shorten the reason to send it." {
		t.Errorf("with 2,000 characters the counter says %q", got)
	}

	// Without JavaScript the server refuses the reason, says why, and gives
	// it back in the box.
	dave := b.session("dave", phone, noScript)
	browseResponse(t, dave.ctx, "dave opens "+arabicID, chromedp.Navigate(arabicPage))
	dave.typeReason(arabicReason)
	resp := browseResponse(t, dave.ctx, "dave approves", chromedp.Click(chromedp.CSS("form.decide button.approve")))
	if resp.Status != http.StatusBadRequest {
		t.Errorf("dave's approval with 1,200 bytes: status %d, want 400", resp.Status)
	}
	if n := dave.notice(); !strings.HasPrefix(n, "Not sent: the reason is 1200 bytes long; the limit is 1024. It has 600 characters") {
		t.Errorf("after dave's refused approval the page says %q", n)
	}
	if role := dave.attr("p.notice", "role"); role != "alert" {
		t.Errorf("the refusal is announced as %q, want alert", role)
	}
	if got := browse(t, dave.ctx, "read dave's reason", chromedp.Value(chromedp.CSS("form.decide textarea"))); got != arabicReason {
		t.Errorf("the refused form comes back with a reason of %d characters, want dave's 600", len([]rune(got)))
	}
	dave.checkFits("the refused form on a phone")
	dave.checkIsolated("the refused form")
	if st, err := site.orders.State(site.ctx, arabicID); err != nil || st.Approval.Status != orderflow.ApprovalPending {
		t.Errorf("after dave's refused approval, order %s: %+v, %v; want its approval still pending", arabicID, st, err)
	}

	// By keyboard alone: Tab to the reason of the Arabic order, type,
	// Tab to its Approve button, Enter.
	kim := b.session("kim", desktop)
	kim.waitListed(site.url+"/", ids...)
	kim.tabTo(`form.decide textarea`, arabicID)
	browse(t, kim.ctx, "kim types a reason", chromedp.KeyEvent("Checked with the branch"))
	kim.tabTo(`form.decide button.approve`, arabicID)
	resp = browseResponse(t, kim.ctx, "kim presses Enter", chromedp.KeyEvent("\r"))
	if resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, "/orders/"+arabicID+"?decided=approved") {
		t.Errorf("kim's Enter leads to %s (status %d), want the order page confirming the approval", resp.URL, resp.Status)
	}
	if n := kim.notice(); n != "Decision recorded: this order was approved by kim." {
		t.Errorf("after kim's approval the page says %q", n)
	}
	if role := kim.attr("p.notice", "role"); role != "status" {
		t.Errorf("the confirmation is announced as %q, want status", role)
	}
	if res, err := site.orders.Result(site.ctx, arabicID); err != nil || res.Approval.Approver != "kim" || res.Approval.Reason != "Checked with the branch" {
		t.Errorf("order %s: %+v, %v; want approved by kim with his reason", arabicID, res, err)
	}
	// The page, loaded again now that the order has completed, for the
	// README.
	browseResponse(t, kim.ctx, "kim reloads the order", chromedp.Reload())
	if got := kim.text(".state .badge"); got != "Completed" {
		t.Errorf("the order page shows status %q, want Completed", got)
	}
	kim.checkIsolated("the completed order")
	kim.checkContrast("the completed order")
	orderShot := browse(t, kim.ctx, "screenshot the order", chromedp.FullScreenshot(100))

	// bob opens the order before alice decides it.
	bobPage := browseResponse(t, bob.ctx, "bob opens "+decidedID, chromedp.Navigate(site.url+"/orders/"+decidedID))
	if bobPage.Status != http.StatusOK {
		t.Fatalf("bob's order page: status %d", bobPage.Status)
	}
	browse(t, bob.ctx, "bob sees the decision form", chromedp.WaitVisible(chromedp.CSS("form.decide button.reject")))

	// b. alice follows the order's link, gives a reason that ends in an
	// unterminated right-to-left override, and approves.
	resp = browseResponse(t, alice.ctx, "alice clicks "+decidedID,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`table.orders a[href$="orders/%s"]`, decidedID))))
	if want := site.url + "/orders/" + decidedID; resp.Status != http.StatusOK || resp.URL != want {
		t.Fatalf("alice's click leads to %s (status %d), want %s", resp.URL, resp.Status, want)
	}
	const aliceReason = "Known customer, verified by phone \u202eevorppa"
	alice.typeReason(aliceReason)
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
	if got := alice.text(".state .badge"); got != "Completed" {
		t.Errorf("the order page shows status %q, want Completed", got)
	}
	alice.checkIsolated("the order page")

	// c. bob, on the page he loaded before alice decided, rejects: refused.
	bob.typeReason("Too large for this customer")
	resp = browseResponse(t, bob.ctx, "bob rejects", chromedp.Click(chromedp.CSS("form.decide button.reject")))
	if resp.Status != http.StatusConflict {
		t.Errorf("bob's late rejection: status %d, want 409", resp.Status)
	}
	if n := bob.notice(); !strings.Contains(n, "Not decided: this order was already approved by alice") || strings.Contains(n, "Decision recorded") {
		t.Errorf("after bob's late rejection the page says %q, want that alice approved it already", n)
	}
	if role := bob.attr("p.notice", "role"); role != "alert" {
		t.Errorf("the refusal is announced as %q, want alert", role)
	}
	// alice's override is isolated in the notice: the notice's own words
	// after it, ").", still follow it on the right.
	isolation := browse(t, bob.ctx, "read the notice's isolates", chromedp.Evaluate[[]any](`(() => {
		const n = document.querySelector("p.notice");
		const bdis = [...n.querySelectorAll("bdi")];
		const last = n.lastChild, r = document.createRange();
		r.selectNodeContents(last);
		const tail = r.getBoundingClientRect(), reason = bdis[bdis.length - 1].getBoundingClientRect();
		return [bdis.map(b => b.textContent).join("|"), last.textContent, tail.left >= reason.right - 1];
	})()`))
	if len(isolation) != 3 || isolation[0] != "alice|"+aliceReason || isolation[1] != ")." || isolation[2] != true {
		t.Errorf("the notice's isolates [texts, tail, tail after the reason] = %q, want [alice|%s ). true]", isolation, aliceReason)
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

	// d, again: bob's list of all orders shows the name as text too, with
	// statuses in words; on a phone it fits.
	rows = bob.waitListed(site.url+"/orders", xssID, decidedID)
	checkShownAsText(bob, "all orders", 2)
	if got := rows[xssID]; len(got) < 2 || got[1] != "Waiting for approval" {
		t.Errorf("all orders shows %s as %q, want Waiting for approval", xssID, got)
	}
	if got := rows[decidedID]; len(got) < 2 || got[1] != "Completed" {
		t.Errorf("all orders shows %s as %q, want Completed", decidedID, got)
	}
	bob.checkIsolated("all orders")
	carol.waitListed(site.url+"/orders", xssID)
	carol.checkFits("all orders on a phone")

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
	for _, s := range []*browserSession{bob, carol, dave, kim} {
		if got := s.dialogs.messages(); len(got) != 0 {
			t.Errorf("dialogs in %s's browser: %q, want none", s.name, got)
		}
	}

	// f. The screenshots are PNGs of the viewport's width.
	dir := os.Getenv("ORDERFLOW_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	for name, shot := range map[string]struct {
		png   []byte
		width int
	}{
		"inbox-list.png":  {listShot, int(desktop.width)},
		"inbox-order.png": {orderShot, int(desktop.width)},
		"inbox-phone.png": {phoneShot, int(phone.width)},
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, shot.png, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != shot.width || cfg.Height < 200 {
			t.Errorf("%s: %d bytes, %dx%d, %v; want a PNG %d pixels wide", path, len(b), cfg.Width, cfg.Height, err, shot.width)
		}
	}

	// No reason or customer data in a URL the browsers asked for, nor in
	// the inbox's log; and no error logged.
	logs := site.log.String()
	for _, pii := range []string{aliceReason, "Too large", "Checked with", "Dana", "Carmen", "alert(1)", "@example.com", arabic, arabicReason[:20]} {
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
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("the inbox logged an error:\n%s", logs)
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
	s := &browserSite{t: t, ctx: testctx.Context(t), orders: orders, providers: providers, log: new(syncBuffer)}
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

// viewport is the screen of a session.
type viewport struct {
	width, height int64
	mobile        bool
}

var (
	desktop = viewport{1200, 800, false}
	phone   = viewport{390, 844, true} // an iPhone 12 to 15's CSS pixels
)

// sessionOption changes how a session's tab runs.
type sessionOption int

// noScript runs a tab with JavaScript off.
const noScript sessionOption = 1

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
		chromedp.WindowSize(int(desktop.width), int(desktop.height)),
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

func (b *headlessBrowser) session(approver string, vp viewport, opts ...sessionOption) *browserSession {
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
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: vp.width, Height: vp.height, DeviceScaleFactor: 1, Mobile: vp.mobile})
			return err
		}),
		chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, network.SetExtraHTTPHeaders,
				network.SetExtraHTTPHeadersParams{Headers: network.Headers{browserApproverHeader: approver}})
			return err
		}),
	}
	if slices.Contains(opts, noScript) {
		steps = append(steps, chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
	}
	browse(t, ctx, "set up "+approver+"'s tab", chromedp.Steps(steps...))
	return s
}

// browse runs an action in a session, and fails t if it fails. The test's
// deadline bounds it.
func browse[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// browseResponse runs steps that load a page, and returns the page's
// response.
func browseResponse(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, steps...)
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
	deadline := testctx.Deadline(t)
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
			t.Fatalf("%s does not list %v by the test's deadline", u, missing)
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

// waitFor waits for a dialog saying msg, until the test's deadline.
func (d *dialogLog) waitFor(t *testing.T, msg string) {
	t.Helper()
	for deadline := testctx.Deadline(t); !slices.Contains(d.messages(), msg); {
		if time.Now().After(deadline) {
			t.Fatalf("no dialog %q by the test's deadline; the dialog listener does not work (seen: %q)", msg, d.messages())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// text is the text content of the first element matching sel, or "".
func (s *browserSession) text(sel string) string {
	s.t.Helper()
	return browse(s.t, s.ctx, "read "+sel, chromedp.Evaluate[string](fmt.Sprintf(
		`document.querySelector(%q)?.textContent.trim() ?? ""`, sel)))
}

// attr is the attribute name of the first element matching sel, or "".
func (s *browserSession) attr(sel, name string) string {
	s.t.Helper()
	return browse(s.t, s.ctx, "read "+sel+" "+name, chromedp.Evaluate[string](fmt.Sprintf(
		`document.querySelector(%q)?.getAttribute(%q) ?? ""`, sel, name)))
}

// typeReason puts text into the page's first reason box as typing or a
// paste does: through the browser's input, which works with JavaScript off
// and which a maxlength would cut short.
func (s *browserSession) typeReason(text string) {
	s.t.Helper()
	browse(s.t, s.ctx, s.name+" types a reason", chromedp.Steps(
		chromedp.Focus(chromedp.CSS("form.decide textarea")),
		chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, input.InsertText, input.InsertTextParams{Text: text})
			return err
		}),
	))
}

// checkFits fails the test unless the page fits the viewport's width: no
// sideways scrolling, no zooming out.
func (s *browserSession) checkFits(what string) {
	s.t.Helper()
	got := browse(s.t, s.ctx, "measure "+what, chromedp.Evaluate[[]int](
		`[document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]`))
	if len(got) != 3 || got[0] > got[1] || got[1] != got[2] {
		s.t.Errorf("%s: [scrollWidth, clientWidth, innerWidth] = %v; want the page no wider than the screen", what, got)
	}
}

// checkIsolated fails the test unless every piece of right-to-left or
// direction-override text on the page sits in a bdi or an element with a
// dir attribute, which keeps it from reordering the page's words around it.
func (s *browserSession) checkIsolated(what string) {
	s.t.Helper()
	loose := browse(s.t, s.ctx, "look for loose right-to-left text on "+what, chromedp.Evaluate[[]string](`(() => {
		const rtl = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u202a-\u202e\u2066-\u2069]/;
		const loose = [];
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n; (n = w.nextNode()); ) {
			if (rtl.test(n.textContent) && !n.parentElement.closest("bdi, [dir]")) {
				loose.push(n.parentElement.outerHTML.slice(0, 200));
			}
		}
		let shown = 0;
		w.currentNode = document.body;
		for (let n; (n = w.nextNode()); ) { if (rtl.test(n.textContent)) shown++; }
		return shown ? loose : ["no right-to-left text on the page to check"];
	})()`))
	if len(loose) > 0 {
		s.t.Errorf("%s: right-to-left or override text outside an isolate: %q", what, loose)
	}
}

// checkControlsNameTheirOrder fails the test unless the page has n
// decision forms, and each of their text areas and buttons has an
// accessible name, as the browser computes it for assistive technology,
// that names its order.
func (s *browserSession) checkControlsNameTheirOrder(what string, n int) {
	s.t.Helper()
	want := browse(s.t, s.ctx, "list the controls' orders on "+what, chromedp.Evaluate[[]string](`
		[...document.querySelectorAll("form.decide textarea, form.decide button")].map(el =>
			(el.closest("tr")?.querySelector("th.id") ?? document.querySelector("h1 bdi")).textContent)`))
	names := browse(s.t, s.ctx, "read the controls' accessible names on "+what, chromedp.QueryAfter(
		chromedp.CSSAll("form.decide textarea, form.decide button"),
		func(ctx context.Context, tgt *chromedp.Target, nodes []*chromedp.Node) ([]string, error) {
			var names []string
			for _, node := range nodes {
				res, err := cdp.Call(ctx, tgt, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{
					BackendNodeID: node.BackendNodeID, FetchRelatives: new(bool)})
				if err != nil {
					return nil, err
				}
				name := ""
				if len(res.Nodes) > 0 && res.Nodes[0].Name != nil {
					if err := json.Unmarshal(res.Nodes[0].Name.Value, &name); err != nil {
						return nil, err
					}
				}
				names = append(names, name)
			}
			return names, nil
		}))
	if len(names) != 3*n || len(want) != len(names) {
		s.t.Fatalf("%s: %d decision controls (%d orders), want 3 for each of %d orders", what, len(names), len(want), n)
	}
	seen := map[string]bool{}
	for i, name := range names {
		if !strings.Contains(name, want[i]) || seen[name] {
			s.t.Errorf("%s: control %d is named %q, want a name of its own with its order %s", what, i, name, want[i])
		}
		seen[name] = true
	}
}

// role is the role the browser gives the first element matching sel for
// assistive technology.
func (s *browserSession) role(sel string) string {
	s.t.Helper()
	return browse(s.t, s.ctx, "read the role of "+sel, chromedp.QueryAfter(chromedp.CSS(sel),
		func(ctx context.Context, tgt *chromedp.Target, nodes []*chromedp.Node) (string, error) {
			res, err := cdp.Call(ctx, tgt, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{
				BackendNodeID: nodes[0].BackendNodeID, FetchRelatives: new(bool)})
			if err != nil || len(res.Nodes) == 0 || res.Nodes[0].Role == nil {
				return "", err
			}
			var role string
			err = json.Unmarshal(res.Nodes[0].Role.Value, &role)
			return role, err
		}))
}

// tabTo presses Tab until the focus is on an element matching sel whose
// accessible text names order id, as a person at the keyboard would; it
// fails the test when the focus has gone round the page without finding
// it.
func (s *browserSession) tabTo(sel, id string) {
	s.t.Helper()
	check := fmt.Sprintf(`(() => {
		const el = document.activeElement;
		const text = el.labels?.[0]?.textContent ?? el.textContent;
		return el.matches(%q) && text.includes(%q);
	})()`, sel, id)
	for range 200 {
		browse(s.t, s.ctx, s.name+" presses Tab", chromedp.KeyEvent("\t"))
		if browse(s.t, s.ctx, "read the focus", chromedp.Evaluate[bool](check)) {
			return
		}
	}
	s.t.Fatalf("%s: 200 presses of Tab did not reach %s of order %s", s.name, sel, id)
}

// checkContrast fails the test unless all the text on the page has a
// contrast of at least 4.5:1 on its background (WCAG 1.4.3), in the light
// and in the dark color scheme.
func (s *browserSession) checkContrast(what string) {
	s.t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		browse(s.t, s.ctx, "prefer the "+scheme+" scheme", chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			return err
		}))
		low := browse(s.t, s.ctx, "measure the contrast of "+what, chromedp.Evaluate[[]string](contrastScript))
		if len(low) > 0 {
			s.t.Errorf("%s, %s scheme: text under 4.5:1:\n%s", what, scheme, strings.Join(low, "\n"))
		}
	}
	browse(s.t, s.ctx, "reset the scheme", chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tgt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return err
	}))
}

// contrastScript lists the visible text of the page whose colour has a
// contrast under 4.5:1 with the first opaque background behind it.
const contrastScript = `(() => {
	const rgb = c => { const m = c.match(/rgba?\(([^)]*)\)/); if (!m) return null;
		const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
	const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
	const background = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) return c; }
		return rgb(getComputedStyle(document.documentElement).backgroundColor) ?? [255, 255, 255, 1]; };
	const low = [];
	const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n; (n = w.nextNode()); ) {
		const el = n.parentElement;
		if (!n.textContent.trim() || el.closest(".vh, script")) continue;
		const box = el.getBoundingClientRect(), st = getComputedStyle(el);
		if (box.width === 0 || box.height === 0 || st.visibility === "hidden" || box.bottom < 0) continue;
		const fg = rgb(st.color), bg = background(el);
		if (!fg) { low.push("unreadable colour " + st.color); continue; }
		const [a, b] = [lum(fg), lum(bg)];
		const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < 4.5) low.push(ratio.toFixed(2) + ": " + st.color + " on rgb(" + bg.slice(0, 3) + ") " + el.tagName + "." + el.className + " " + JSON.stringify(n.textContent.trim().slice(0, 40)));
	}
	return low;
})()`
