package examples_test

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/encryption"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/embedded"
	"github.com/orderflow/orderflow/examples/internal/keys"
	"github.com/orderflow/orderflow/examples/internal/testctx"
	"github.com/orderflow/orderflow/orderflowtest"
)

// encryptedSite is an embedded Temporal server whose orders are encrypted
// (package encryption): a worker and an orderflow Client on a Temporal
// client with the codec, a large order awaiting approval and a small one
// completed.
type encryptedSite struct {
	srv    *embedded.Server
	codec  *encryption.Codec
	orders *orderflow.Client
	// large awaits approval (its timer started); small has completed.
	large, small orderflow.Order
}

// The workflow IDs of the site's orders.
const (
	codecLargeID = "order-workflow-ORD-002"
	codecSmallID = "order-workflow-ORD-001"
)

func newEncryptedSite(t *testing.T) *encryptedSite {
	t.Helper()
	ctx := testctx.Context(t)
	srv, err := embedded.Start(conn.NewLogger(io.Discard, slog.LevelError))
	require.NoError(t, err)
	t.Cleanup(srv.Stop)

	line, err := keys.Generate("test-key")
	require.NoError(t, err)
	ring, err := keys.Parse(line)
	require.NoError(t, err)
	codec, err := ring.Codec()
	require.NoError(t, err)
	opts := client.Options{HostPort: srv.Address, Namespace: srv.Namespace, Logger: conn.NewLogger(io.Discard, slog.LevelError)}
	codec.ClientOptions(&opts)
	c, err := client.Dial(opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)

	acts, _ := orderflowtest.NewActivities()
	w := worker.New(c, "order-task-queue", worker.Options{})
	require.NoError(t, orderflow.Register(w, acts))
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	// The approval waits long enough for a slow machine's test.
	orders, err := orderflow.NewClient(c, &orderflow.Options{
		DataConverter: opts.DataConverter, Visibility: true, ApprovalTimeout: 2 * time.Hour})
	require.NoError(t, err)

	s := &encryptedSite{srv: srv, codec: codec, orders: orders,
		large: orderflowtest.LargeOrder("ORD-002"), small: orderflowtest.SmallOrder("ORD-001")}
	require.NoError(t, orders.Start(ctx, s.large))
	st, err := orders.Execute(ctx, s.small)
	require.NoError(t, err)
	require.Equal(t, orderflow.StatusCompleted, st.Status, st.Message)
	// The large order waits for a decision once its approval timer runs.
	for deadline := testctx.Deadline(t); !s.hasTimer(t, c, codecLargeID); {
		if time.Now().After(deadline) {
			t.Fatalf("%s started no approval timer by the test's deadline", codecLargeID)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s
}

// hasTimer reports whether the history of workflowID has a started timer.
func (s *encryptedSite) hasTimer(t *testing.T, c client.Client, workflowID string) bool {
	t.Helper()
	it := c.GetWorkflowHistory(testctx.Context(t), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		if e.GetEventType() == enumspb.EVENT_TYPE_TIMER_STARTED {
			return true
		}
	}
	return false
}

// customerData is what an order holds of its customer: what must not show
// without the codec.
func customerData(o orderflow.Order) []string {
	data := []string{o.CustomerName, o.CustomerEmail, o.ShippingAddress}
	for _, it := range o.Items {
		data = append(data, it.ProductName)
	}
	return data
}

// codecServer serves the site's codec over HTTP, as examples/codecserver
// does, and records the requests it gets.
type codecServer struct {
	url string
	mu  sync.Mutex
	log []string // "POST /decode namespace=… auth=… [origin=…]: 200"
}

// newCodecServer serves s's codec, allowing origins, and requiring the
// bearer token if it is not empty.
func (s *encryptedSite) newCodecServer(t *testing.T, token string, origins ...string) *codecServer {
	t.Helper()
	opts := encryption.HandlerOptions{AllowedOrigins: origins}
	if token != "" {
		opts.Authenticate = func(r *http.Request) error {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
				return errors.New("wrong token")
			}
			return nil
		}
	}
	h := s.codec.Handler(opts)
	cs := &codecServer{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &codecStatus{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		cs.mu.Lock()
		defer cs.mu.Unlock()
		line := fmt.Sprintf("%s %s namespace=%s auth=%s", r.Method, r.URL.Path, r.Header.Get("X-Namespace"), r.Header.Get("Authorization"))
		if o := r.Header.Get("Origin"); o != "" {
			line += " origin=" + o
		}
		cs.log = append(cs.log, fmt.Sprintf("%s: %d", line, rec.status))
	}))
	t.Cleanup(hs.Close)
	cs.url = hs.URL
	return cs
}

// codecStatus records the status of a response.
type codecStatus struct {
	http.ResponseWriter
	status int
}

func (c *codecStatus) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (cs *codecServer) requests() []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]string(nil), cs.log...)
}

// cliReadable returns the CLI's output followed by what each payload in it
// says: the JSON form prints a payload's data and metadata in base64, so
// that its text does not show as such.
func cliReadable(out string) string {
	var v any
	if json.Unmarshal([]byte(out), &v) != nil {
		return out // the text form: payloads show as their text
	}
	var b strings.Builder
	b.WriteString(out)
	decode := func(s string) {
		if d, err := base64.StdEncoding.DecodeString(s); err == nil {
			b.WriteString("\n")
			b.Write(d)
		}
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if md, ok := v["metadata"].(map[string]any); ok {
				if data, ok := v["data"].(string); ok {
					decode(data)
				}
				for _, m := range md {
					if s, ok := m.(string); ok {
						decode(s)
					}
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return b.String()
}

// cliPayloadString decodes a payload of the CLI's JSON output holding a
// JSON string, such as a summary: printed as its value (`describe`), or
// as a payload with its data in base64 (`show`).
func cliPayloadString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var p struct {
		Metadata map[string][]byte `json:"metadata"`
		Data     []byte            `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &p), "a payload: %s", raw)
	require.Equal(t, "json/plain", string(p.Metadata["encoding"]), "the encoding of %s", raw)
	require.NoError(t, json.Unmarshal(p.Data, &s), "a JSON string: %s", p.Data)
	return s
}

// codecSummary is the start of the large order's summary.
const codecSummary = "ORD-002 — $1899.97, 2 items — needs approval by "

// approvalDeadlineRE matches the end of that summary: the deadline's time,
// with its date when it falls on another day than the start ("Dec 6
// 00:02 UTC"), as it does for an order started in the last hours of a day.
const approvalDeadlineRE = `(?:[A-Z][a-z]{2} \d{1,2} )?\d\d:\d\d UTC$`

// TestCLICodec looks at encrypted orders with the Temporal CLI: with
// --codec-endpoint pointing at the codec server, `workflow show`,
// `describe` and `query` show them decoded (the customer, the summary, the
// current details, the activity summaries); without it, nothing of the
// customer shows anywhere in their output. A codec server that requires a
// token answers the CLI's --codec-auth, and the CLI fails, saying so,
// without it.
func TestCLICodec(t *testing.T) {
	t.Parallel()
	cliPath := temporalCLI(t)
	site := newEncryptedSite(t)
	codec := site.newCodecServer(t, "")
	cli := &cliRunner{t: t, path: cliPath, env: environ(t), address: site.srv.Address, namespace: site.srv.Namespace}
	withCodec := func(args ...string) []string { return append(args, "--codec-endpoint", codec.url) }

	// show: the input, with the customer; the summary; the timer's summary.
	showJSON := cli.run(withCodec("workflow", "show", "-w", codecLargeID, "--output", "json")...)
	show := cliReadable(showJSON)
	assert.Regexp(t, `"customer_name":\s*"Bob Johnson"`, show)
	assert.Regexp(t, `"customer_email":\s*"bob@example.com"`, show)
	assert.Contains(t, show, codecSummary)
	assert.Contains(t, show, `**Order** ORD-002 · **Total** $1899.97`, "the static details")
	assert.Contains(t, show, `"Approval deadline"`, "the approval timer's summary")
	assert.NotContains(t, show, "binary/encrypted", "a payload left encrypted")
	var events struct {
		Events []json.RawMessage `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(showJSON), &events), showJSON)
	require.Len(t, events.Events, 5, "started, a workflow task, the approval timer")

	small := cliReadable(cli.run(withCodec("workflow", "show", "-w", codecSmallID, "--output", "json")...))
	assert.Regexp(t, `"customer_name":\s*"Alice Smith"`, small)
	assert.Contains(t, small, "ORD-001 — $89.95, 2 items")
	for _, summary := range []string{"Charge $89.95", "Reserve 2 items", "Arrange delivery of 2 items", "Send the confirmation email"} {
		assert.Contains(t, small, `"`+summary+`"`, "an activity's summary")
	}
	assert.Contains(t, small, "Delivery scheduled to 123 Main St", "the result")
	// The text a person reads: the result.
	text := cli.run(withCodec("workflow", "show", "-w", codecSmallID)...)
	assert.Regexp(t, `\n\s+Result\s+\{.*"Delivery scheduled to 123 Main St`, text)

	// describe: the summary and details, and the order's memo.
	describe := cli.run(withCodec("workflow", "describe", "-w", codecLargeID, "--output", "json")...)
	var described struct {
		ExecutionConfig struct {
			UserMetadata struct {
				Summary json.RawMessage `json:"summary"`
				Details json.RawMessage `json:"details"`
			} `json:"userMetadata"`
		} `json:"executionConfig"`
	}
	require.NoError(t, json.Unmarshal([]byte(describe), &described), describe)
	summary := cliPayloadString(t, described.ExecutionConfig.UserMetadata.Summary)
	assert.True(t, strings.HasPrefix(summary, codecSummary), "summary %q", summary)
	assert.Regexp(t, `needs approval by `+approvalDeadlineRE, summary)
	assert.Contains(t, cliPayloadString(t, described.ExecutionConfig.UserMetadata.Details), "**Approval** needed (over $1000.00)")
	assert.Regexp(t, `"customer_name":\s*"Bob Johnson"`, cliReadable(describe), "the memo")
	describeText := cli.run(withCodec("workflow", "describe", "-w", codecLargeID)...)
	assert.Contains(t, describeText, `StaticSummary  "`+codecSummary)
	assert.Contains(t, describeText, `\"customer_name\":\"Bob Johnson\"`, "the memo")

	// query: the state, and the current details of the metadata query.
	var state cliState
	queryJSON := cli.run(withCodec("workflow", "query", "-w", codecLargeID, "--type", "get_order_state", "-o", "json")...)
	var q cliQuery
	require.NoError(t, json.Unmarshal([]byte(queryJSON), &q), queryJSON)
	require.Len(t, q.QueryResult, 1)
	require.NoError(t, json.Unmarshal(q.QueryResult[0], &state), "the state, decoded: %s", q.QueryResult[0])
	assert.Equal(t, "ORD-002", state.OrderID)
	assert.Equal(t, "awaiting_approval", state.Status)
	assert.Equal(t, int64(189997), state.Total.Amount)
	smallState := cli.run(withCodec("workflow", "query", "-w", codecSmallID, "--type", "get_order_state")...)
	assert.Contains(t, smallState, "Delivery scheduled to 123 Main St, Springfield, IL 62701")
	assert.Contains(t, smallState, `"status":"completed"`)
	meta := cli.run(withCodec("workflow", "query", "-w", codecLargeID, "--type", "__temporal_workflow_metadata")...)
	assert.Regexp(t, `Current Details:\s+\*\*Awaiting approval\*\* until `, meta)
	// The CLI also takes the endpoint from $TEMPORAL_CODEC_ENDPOINT, as the
	// devserver does for its Web UI.
	fromEnv := &cliRunner{t: t, path: cliPath, env: environ(t, "TEMPORAL_CODEC_ENDPOINT="+codec.url),
		address: site.srv.Address, namespace: site.srv.Namespace}
	assert.Contains(t, fromEnv.run("workflow", "describe", "-w", codecLargeID), `StaticSummary  "`+codecSummary)

	// The CLI sent the payloads to the codec server, with the namespace.
	reqs := codec.requests()
	assert.Contains(t, reqs, "POST /decode namespace="+site.srv.Namespace+" auth=: 200")
	for _, r := range reqs {
		assert.Regexp(t, `^POST /(de|en)code namespace=`+site.srv.Namespace+` auth=: 200$`, r)
	}

	// Without the codec: the same commands show no customer data, and the
	// summary and state stay encrypted; the workflow IDs still show.
	before := len(codec.requests())
	plain := map[string]string{}
	for _, args := range [][]string{
		{"workflow", "show", "-w", codecLargeID, "--output", "json"},
		{"workflow", "show", "-w", codecSmallID, "--output", "json"},
		{"workflow", "show", "-w", codecSmallID},
		{"workflow", "describe", "-w", codecLargeID, "--output", "json"},
		{"workflow", "describe", "-w", codecSmallID},
		{"workflow", "query", "-w", codecLargeID, "--type", "get_order_state", "-o", "json"},
		{"workflow", "query", "-w", codecSmallID, "--type", "get_order_state"},
		{"workflow", "result", "-w", codecSmallID, "-o", "json"},
		{"workflow", "list", "-o", "json"},
		{"workflow", "list"},
	} {
		stdout, stderr, err := cli.try(args...)
		require.NoError(t, err, "temporal %s: %s", strings.Join(args, " "), stderr)
		out := cliReadable(stdout) + stderr
		plain[strings.Join(args, " ")] = out
		for _, o := range []orderflow.Order{site.large, site.small} {
			for _, pii := range customerData(o) {
				assert.NotContains(t, out, pii, "temporal %s shows it without the codec", strings.Join(args, " "))
			}
		}
		assert.NotContains(t, out, "needs approval by", "temporal %s: the summary, without the codec", strings.Join(args, " "))
		assert.NotContains(t, out, "Charge $", "temporal %s: an activity summary, without the codec", strings.Join(args, " "))
	}
	assert.Contains(t, plain["workflow show -w "+codecLargeID+" --output json"], "binary/encrypted", "the input, encrypted")
	assert.Contains(t, plain["workflow show -w "+codecLargeID+" --output json"], codecLargeID)
	assert.Contains(t, plain["workflow describe -w "+codecLargeID+" --output json"], codecLargeID)
	assert.Contains(t, plain["workflow query -w "+codecLargeID+" --type get_order_state -o json"], "binary/encrypted")
	assert.NotContains(t, plain["workflow query -w "+codecLargeID+" --type get_order_state -o json"], "awaiting_approval")
	assert.Contains(t, plain["workflow list"], codecSmallID)
	// The metadata query's answer is encrypted: the CLI cannot read it.
	stdout, stderr, _ := cli.try("workflow", "query", "-w", codecLargeID, "--type", "__temporal_workflow_metadata")
	assert.NotContains(t, stdout+stderr, "Awaiting approval")
	assert.NotContains(t, stdout+stderr, "Bob Johnson")
	assert.Len(t, codec.requests(), before, "the codec server was called without --codec-endpoint")

	// A codec server that requires a token: --codec-auth is the whole
	// Authorization header.
	const token = "codec-test-token"
	guarded := site.newCodecServer(t, token)
	out := cliReadable(cli.run("workflow", "show", "-w", codecLargeID, "--output", "json",
		"--codec-endpoint", guarded.url, "--codec-auth", "Bearer "+token))
	assert.Regexp(t, `"customer_name":\s*"Bob Johnson"`, out)
	assert.Contains(t, guarded.requests(), "POST /decode namespace="+site.srv.Namespace+" auth=Bearer "+token+": 200")

	// Without the token, or with a wrong one, the codec server refuses
	// the CLI, which fails. (The Temporal CLI v1.5.1 retries the refused
	// call, whose error is no gRPC status, until its 10-second RPC
	// timeout, and then says only "context deadline exceeded".)
	for _, auth := range []string{"", "Bearer wrong"} {
		args := []string{"workflow", "describe", "-w", codecLargeID, "--codec-endpoint", guarded.url}
		if auth != "" {
			args = append(args, "--codec-auth", auth)
		}
		before := len(guarded.requests())
		stdout, stderr, err := cli.try(args...)
		require.Error(t, err, "temporal %s read the order without the token:\n%s", strings.Join(args, " "), stdout)
		assert.NotEmpty(t, stderr, "temporal %s fails silently", strings.Join(args, " "))
		for _, o := range []orderflow.Order{site.large, site.small} {
			for _, pii := range customerData(o) {
				assert.NotContains(t, stdout+stderr, pii)
			}
		}
		refused := guarded.requests()[before:]
		require.NotEmpty(t, refused, "temporal %s did not call the codec server", strings.Join(args, " "))
		for _, r := range refused {
			assert.Equal(t, "POST /decode namespace="+site.srv.Namespace+" auth="+auth+": 401", r)
		}
	}
}
