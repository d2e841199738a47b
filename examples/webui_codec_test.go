package examples_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/examples/internal/webui"
)

// TestWebUICodec opens encrypted orders in the Temporal Web UI (package
// webui, against an embedded server) in a headless Chromium. With its codec
// endpoint set to the codec server, which allows the UI's origin, the
// workflow page of a large order awaiting approval and of a completed order
// shows them decoded: the input with the customer, the summary and the
// activity summaries in the event history, and the summary, details and
// current details under User Metadata. A Web UI without a codec endpoint
// shows the same pages with the workflow ID but nothing of the customer
// nor of the metadata.
//
// It needs Chromium, as TestBrowserInbox does. With ORDERFLOW_SCREENSHOTS
// set to a directory, it writes the decoded page of the large order there
// as webui-order.png (full page, 1280 pixels wide), for the docs.
func TestWebUICodec(t *testing.T) {
	chromium := chromiumPath(t)
	t.Parallel()
	root := testctx.Context(t)
	site := newEncryptedSite(t)

	// The Web UI with the codec server, which allows the UI's origin; and
	// one without a codec server.
	uiPort := uiFreePort(t, 0)
	origin := fmt.Sprintf("http://127.0.0.1:%d", uiPort)
	codec := site.newCodecServer(t, "", origin)
	ui := startCodecUI(t, site, uiPort, webui.WithCodec(webui.Codec{Endpoint: codec.url}))
	require.Equal(t, origin, ui.URL)
	var settings struct {
		Codec struct{ Endpoint string }
	}
	uiJSON(t, ui.URL+"/api/v1/settings", &settings)
	require.Equal(t, codec.url, settings.Codec.Endpoint, "the UI's codec endpoint")
	plain := startCodecUI(t, site, uiFreePort(t, uiPort))

	b := newBrowser(t, root, chromium)
	tab := newUITab(t, b, 1280, 900)
	pageOf := func(base, workflowID, tab string) string {
		d, err := site.srv.Client.DescribeWorkflowExecution(root, workflowID, "")
		require.NoError(t, err)
		return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/%s", base, site.srv.Namespace, workflowID,
			d.GetWorkflowExecutionInfo().GetExecution().GetRunId(), tab)
	}
	summaryRE := regexp.MustCompile("^" + regexp.QuoteMeta(codecSummary) + approvalDeadlineRE)

	// The large order's history: the input, decoded; the summary of the
	// start event; the approval timer's.
	p := tab.await(pageOf(ui.URL, codecLargeID, "history"), "the large order's history",
		func(p uiSnapshot) bool {
			return p.hasText(codecLargeID, "RUNNING", `"customer_name": "Bob Johnson"`) &&
				p.hasFrame(summaryRE.MatchString) && p.hasFrame(eq("Approval deadline"))
		})
	assert.Contains(t, p.text, `"shipping_address": "456 Oak Ave, Portland, OR 97201"`)
	assert.Contains(t, p.text, `"product_name": "Laptop"`)
	// The screenshot of the decoded order, the whole page, with its start
	// event open to show the summary in full.
	browse(t, tab.ctx, "open the start event", chromedp.Click(chromedp.CSS(`tr[data-eventid="1"]`)))
	tab.until("the start event, open", func(p uiSnapshot) bool {
		return len(slices.DeleteFunc(slices.Clone(p.frames), func(f string) bool { return !summaryRE.MatchString(f) })) >= 2
	})
	shot := tab.fullScreenshot()

	// Its User Metadata: the summary, the details, the current details.
	p = tab.await(pageOf(ui.URL, codecLargeID, "user-metadata"), "the large order's user metadata",
		func(p uiSnapshot) bool {
			return p.hasText("Summary", "Details", "Current Details") &&
				p.hasFrame(summaryRE.MatchString) &&
				p.hasFrame(contains("Order ORD-002 · Total $1899.97 · Items 2 (3 units)")) &&
				p.hasFrame(contains("Awaiting approval until "))
		})
	assert.True(t, p.hasFrame(contains("Approval needed (over $1000.00), within 2h0m0s: by ")), "the details: %q", p.frames)

	// The completed order's history: the summary of each activity.
	tab.await(pageOf(ui.URL, codecSmallID, "history"), "the small order's history",
		func(p uiSnapshot) bool {
			return p.hasText(codecSmallID, "COMPLETED", `"customer_name": "Alice Smith"`, `"status": "completed"`) &&
				p.hasFrame(eq("ORD-001 — $89.95, 2 items")) &&
				p.hasFrame(eq("Charge $89.95")) && p.hasFrame(eq("Reserve 2 items")) &&
				p.hasFrame(eq("Arrange delivery of 2 items")) && p.hasFrame(eq("Send the confirmation email"))
		})
	tab.await(pageOf(ui.URL, codecSmallID, "user-metadata"), "the small order's user metadata",
		func(p uiSnapshot) bool { return p.hasFrame(contains("Completed: Order processed successfully")) })

	// The browser asked the codec server, from the UI's origin.
	decoded := slices.ContainsFunc(codec.requests(), func(r string) bool {
		return r == "POST /decode namespace="+site.srv.Namespace+" auth= origin="+origin+": 200"
	})
	assert.True(t, decoded, "no decode request from the Web UI: %q", codec.requests())

	// Without a codec server: the workflow ID, and the input as an
	// encrypted blob, but nothing of the customer or of the metadata.
	asked := len(codec.requests())
	blob := regexp.MustCompile(`\nInput\n"[A-Za-z0-9+/]{200,}={0,2}"\n`)
	for _, c := range []struct {
		workflowID, tab string
		ready           func(p uiSnapshot) bool
	}{
		{codecLargeID, "history", func(p uiSnapshot) bool {
			return p.hasText(codecLargeID, "RUNNING") && blob.MatchString(p.text) && len(p.frames) == 2
		}},
		{codecSmallID, "history", func(p uiSnapshot) bool {
			return p.hasText(codecSmallID, "COMPLETED") && blob.MatchString(p.text) && len(p.frames) == 5
		}},
		{codecLargeID, "user-metadata", func(p uiSnapshot) bool {
			return p.hasText(codecLargeID, "Current Details") && p.hasFrame(contains("No Current Details"))
		}},
	} {
		what := "without the codec, " + c.workflowID + "'s " + c.tab
		p := tab.await(pageOf(plain.URL, c.workflowID, c.tab), what, c.ready)
		page := p.text + "\n" + p.html + "\n" + strings.Join(p.frames, "\n")
		for _, o := range []orderflow.Order{site.large, site.small} {
			for _, pii := range customerData(o) {
				assert.NotContains(t, page, pii, "%s shows it", what)
			}
		}
		for _, meta := range []string{"needs approval by", "Approval deadline", "Charge $", "Awaiting approval", "Order processed successfully"} {
			assert.NotContains(t, page, meta, "%s shows it", what)
		}
		if t.Failed() {
			p.log(t, what)
		}
	}
	assert.Len(t, codec.requests(), asked, "the Web UI without a codec endpoint called the codec server")

	// The screenshot is a PNG of the page's width.
	dir := os.Getenv("ORDERFLOW_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "webui-order.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil || cfg.Width != 1280 || cfg.Height < 900 {
		t.Errorf("%s: %d bytes, %dx%d, %v; want a PNG 1280 pixels wide, at least 900 high", path, len(shot), cfg.Width, cfg.Height, err)
	}
}

// startCodecUI serves the Web UI for site's server on port until the test
// ends.
func startCodecUI(t *testing.T, site *encryptedSite, port int, opts ...webui.Option) *webui.Server {
	t.Helper()
	ui, err := webui.Start("127.0.0.1", port, site.srv.Address, site.srv.Namespace, opts...)
	require.NoError(t, err)
	t.Cleanup(ui.Stop)
	return ui
}

// eq and contains match a frame's text.
func eq(want string) func(string) bool { return func(s string) bool { return s == want } }

func contains(want string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, want) }
}

// uiTab is a browser tab of its own (own cookies and storage) at a fixed
// viewport. Unlike a browserSession, it adds no header to requests: the
// codec server's CORS allows only the headers the Web UI sends.
type uiTab struct {
	t             *testing.T
	ctx           context.Context
	width, height int64
}

func newUITab(t *testing.T, b *headlessBrowser, width, height int64) *uiTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	tab := &uiTab{t: t, ctx: ctx, width: width, height: height}
	tab.resize(height)
	return tab
}

func (tab *uiTab) resize(height int64) {
	tab.t.Helper()
	browse(tab.t, tab.ctx, "set the viewport", chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tgt, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: tab.width, Height: height, DeviceScaleFactor: 1})
		return err
	}))
}

// uiSnapshot is what a page shows: the text of its body, the text of each
// of its frames (the Web UI renders summaries and details, Markdown, in
// frames of their own), and its HTML.
type uiSnapshot struct {
	url, text, html string
	frames          []string
}

func (p uiSnapshot) hasText(want ...string) bool {
	for _, w := range want {
		if !strings.Contains(p.text, w) {
			return false
		}
	}
	return true
}

// hasFrame reports whether the text of a frame, trimmed, matches.
func (p uiSnapshot) hasFrame(match func(string) bool) bool {
	return slices.ContainsFunc(p.frames, match)
}

// log prints the page, for a failure.
func (p uiSnapshot) log(t *testing.T, what string) {
	t.Helper()
	html := p.html
	if i := strings.Index(html, `<main`); i >= 0 {
		html = html[i:]
	}
	if len(html) > 30000 {
		html = html[:30000] + "…"
	}
	t.Logf("%s (%s):\ntext:\n%s\nframes: %q\nHTML of <main>:\n%s", what, p.url, p.text, p.frames, html)
}

// snapshot reads the page.
func (tab *uiTab) snapshot() (uiSnapshot, error) {
	parts, err := chromedp.Run(tab.ctx, chromedp.Evaluate[[]string](`[
		location.href, document.body.innerText, document.documentElement.outerHTML,
		...[...document.querySelectorAll("iframe")].map(f => (f.contentDocument?.body?.innerText ?? "").trim())]`))
	if err != nil {
		return uiSnapshot{}, err
	}
	if len(parts) < 3 {
		return uiSnapshot{}, fmt.Errorf("the page reads as %q", parts)
	}
	return uiSnapshot{url: parts[0], text: parts[1], html: parts[2], frames: parts[3:]}, nil
}

// await opens u and reads it until ready holds, until the test's deadline:
// the Web UI loads the workflow, then decodes its payloads, then renders
// them, each in its own time. It fails the test with the last reading.
func (tab *uiTab) await(u, what string, ready func(uiSnapshot) bool) uiSnapshot {
	tab.t.Helper()
	resp := browseResponse(tab.t, tab.ctx, "open "+what, chromedp.Navigate(u))
	if resp.Status != 200 {
		tab.t.Fatalf("%s: %s: status %d", what, u, resp.Status)
	}
	return tab.until(what, ready)
}

// until reads the page until ready holds, until the test's deadline.
func (tab *uiTab) until(what string, ready func(uiSnapshot) bool) uiSnapshot {
	tab.t.Helper()
	var last uiSnapshot
	for {
		p, err := tab.snapshot()
		switch {
		case err == nil && ready(p):
			return p
		case err == nil:
			last = p
		case tab.ctx.Err() == nil:
			tab.t.Fatalf("%s: read the page: %v", what, err)
		}
		if tab.ctx.Err() != nil || time.Until(testctx.Deadline(tab.t)) < time.Second {
			last.log(tab.t, what)
			tab.t.Fatalf("%s: the page does not show what it should by the test's deadline (its last reading is logged above)", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fullScreenshot returns a PNG of the whole page: the Web UI scrolls its
// content inside the window (#content-wrapper), so the viewport grows by
// what that hides first, and then shrinks back.
func (tab *uiTab) fullScreenshot() []byte {
	tab.t.Helper()
	extra := browse(tab.t, tab.ctx, "measure the page", chromedp.Evaluate[int64](`(() => {
		const e = document.getElementById("content-wrapper");
		return e ? Math.max(0, e.scrollHeight - e.clientHeight) : 0;
	})()`))
	tab.resize(tab.height + min(extra, 6000))
	shot := browse(tab.t, tab.ctx, "screenshot the page", chromedp.FullScreenshot(100))
	tab.resize(tab.height)
	return shot
}

// TestWebUICodecDevServer gives the devserver's Web UI a codec server, by
// -codec-endpoint (which wins over $TEMPORAL_CODEC_ENDPOINT), and checks
// that a bad endpoint is refused before the server starts.
func TestWebUICodecDevServer(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	uiPort := uiFreePort(t, port)
	base := fmt.Sprintf("http://127.0.0.1:%d", uiPort)
	server := start(t, environ(t, "TEMPORAL_CODEC_ENDPOINT=ftp://overridden"), "Press Ctrl-C to stop.\n", "devserver",
		"-port", fmt.Sprint(port), "-ui-port", fmt.Sprint(uiPort), "-codec-endpoint", "http://127.0.0.1:8081/")
	assert.Contains(t, server.output.String(), "Temporal Web UI at "+base+"\n"+
		"The Web UI decodes payloads with the codec server at http://127.0.0.1:8081 (it must allow the origin "+base+")\n"+
		"Press Ctrl-C to stop.\n")
	var settings struct {
		Codec struct {
			Endpoint           string
			PassAccessToken    bool
			IncludeCredentials bool
		}
	}
	uiJSON(t, base+"/api/v1/settings", &settings)
	assert.Equal(t, "http://127.0.0.1:8081", settings.Codec.Endpoint)
	assert.False(t, settings.Codec.PassAccessToken)
	assert.False(t, settings.Codec.IncludeCredentials)
	assert.Equal(t, 0, server.interrupt(t), "devserver exit code after SIGINT")

	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"-codec-endpoint", "localhost:8081"},
			`devserver: -codec-endpoint: codec endpoint "localhost:8081": want an http:// or https:// URL, such as http://127.0.0.1:8081`},
		{nil, []string{"-codec-endpoint", "http://127.0.0.1:8081?x=1"}, `want an http:// or https:// URL`},
		{[]string{"TEMPORAL_CODEC_ENDPOINT=ftp://codec"}, nil,
			`devserver: $TEMPORAL_CODEC_ENDPOINT: codec endpoint "ftp://codec": want an http:// or https:// URL`},
		{nil, []string{"-ui-port", "0", "-codec-endpoint", "http://127.0.0.1:8081"},
			"devserver: -codec-endpoint is the Web UI's, and -ui-port 0 turns the Web UI off"},
	} {
		res := run(t, environ(t, c.env...), 30*time.Second, "devserver", append([]string{"-port", fmt.Sprint(port)}, c.args...)...)
		assert.Equal(t, 1, res.code, "%v %v", c.env, c.args)
		assert.Contains(t, res.stderr, c.want, "%v %v", c.env, c.args)
		assert.NotContains(t, res.stdout, "listening on")
	}
}
