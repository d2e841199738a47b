package examples_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// uiClient fetches from the Web UI. It has no timeout of its own: uiGet
// bounds each request by the test's deadline.
var uiClient = &http.Client{}

// uiGet fetches url and returns the response's status, content type and body.
func uiGet(t *testing.T, url string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testctx.Context(t), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := uiClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// uiJSON fetches url, requires 200, and decodes the JSON body into v.
func uiJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, _, body := uiGet(t, url)
	require.Equal(t, http.StatusOK, code, "GET %s: %s", url, body)
	require.NoError(t, json.Unmarshal([]byte(body), v), "GET %s: %s", url, body)
}

// uiFreePort returns a loopback port that is free now and is none of the
// devserver's ports for frontend port avoid (avoid, avoid+100 … avoid+103).
func uiFreePort(t *testing.T, avoid int) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		n := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if n != avoid && (n < avoid+100 || n > avoid+103) {
			return n
		}
	}
	t.Fatal("no free port for the web UI")
	return 0
}

// assertUIPage checks that base serves the Web UI's page and its script.
func assertUIPage(t *testing.T, base string) {
	t.Helper()
	code, ctype, page := uiGet(t, base+"/")
	require.Equal(t, http.StatusOK, code, page)
	assert.Contains(t, ctype, "text/html")
	assert.Contains(t, page, "<html")
	assert.Contains(t, page, `<div id="svelte">`, "not the Web UI's page")
	// The page loads its application from the embedded assets.
	script := regexp.MustCompile(`import\("(/_app/immutable/entry/start[^"]+\.js)"\)`).FindStringSubmatch(page)
	require.NotNil(t, script, "the page loads no start script:\n%s", page)
	code, ctype, _ = uiGet(t, base+script[1])
	assert.Equal(t, http.StatusOK, code, "GET %s", script[1])
	assert.Contains(t, ctype, "javascript", "GET %s", script[1])
}

// uiWorkflows is the part of the UI's workflow list the tests read.
type uiWorkflows struct {
	Executions []struct {
		Execution struct {
			WorkflowID string `json:"workflowId"`
		} `json:"execution"`
		Status string `json:"status"`
	} `json:"executions"`
}

// awaitUIWorkflow waits until the UI lists workflowID in namespace with the
// given status (visibility lags the workflow a little), until the test's
// deadline.
func awaitUIWorkflow(t *testing.T, base, namespace, workflowID, status string) {
	t.Helper()
	var last uiWorkflows
	deadline := testctx.Deadline(t)
	for time.Now().Before(deadline) {
		last = uiWorkflows{}
		uiJSON(t, base+"/api/v1/namespaces/"+namespace+"/workflows", &last)
		for _, e := range last.Executions {
			if e.Execution.WorkflowID == workflowID && e.Status == status {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the web UI does not list %s as %s in namespace %s: %+v", workflowID, status, namespace, last)
}

// TestUIDevServer serves the Web UI from the devserver, on a namespace of
// its own, and follows an order in it through the UI's HTTP API.
func TestUIDevServer(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	uiPort := uiFreePort(t, port)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	base := fmt.Sprintf("http://127.0.0.1:%d", uiPort)
	const namespace = "orderflow-ui"

	server := start(t, environ(t), "Temporal Web UI at "+base+"\n", "devserver",
		"-port", fmt.Sprint(port), "-ui-port", fmt.Sprint(uiPort), "-namespace", namespace)
	assert.Contains(t, server.output.String(),
		"Temporal dev server listening on "+addr+` (namespace "`+namespace+`"; state in memory; lost at exit)`+"\n"+
			"Temporal Web UI at "+base+"\nPress Ctrl-C to stop.\n")

	assertUIPage(t, base)

	// The UI's API is the frontend's, proxied over gRPC.
	var list struct {
		Namespaces []struct {
			NamespaceInfo struct {
				Name string `json:"name"`
			} `json:"namespaceInfo"`
		} `json:"namespaces"`
	}
	uiJSON(t, base+"/api/v1/namespaces", &list)
	var names []string
	for _, ns := range list.Namespaces {
		names = append(names, ns.NamespaceInfo.Name)
	}
	assert.Contains(t, names, "default")
	assert.Contains(t, names, namespace)

	// The UI opens the devserver's namespace.
	var settings struct{ DefaultNamespace string }
	uiJSON(t, base+"/api/v1/settings", &settings)
	assert.Equal(t, namespace, settings.DefaultNamespace)

	env := environ(t, "TEMPORAL_ADDRESS="+addr, "TEMPORAL_NAMESPACE="+namespace)
	worker := start(t, env, "Worker ready — polling", "worker", "-latency", "0")
	small := run(t, env, time.Minute, "starter", "small")
	require.Equal(t, 0, small.code, small.stderr)
	awaitUIWorkflow(t, base, namespace, "order-workflow-ORD-001", "WORKFLOW_EXECUTION_STATUS_COMPLETED")

	assert.Equal(t, 0, worker.interrupt(t), "worker exit code after SIGINT")
	assert.Equal(t, 0, server.interrupt(t), "devserver exit code after SIGINT")
}

// TestUIDevServerOff checks that -ui-port 0 serves no Web UI.
func TestUIDevServerOff(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	server := start(t, environ(t), "Press Ctrl-C to stop.\n", "devserver", "-port", fmt.Sprint(port), "-ui-port", "0")
	out := server.output.String()
	assert.Contains(t, out, fmt.Sprintf("Temporal dev server listening on 127.0.0.1:%d (", port))
	assert.NotContains(t, out, "Web UI")
	assert.NotContains(t, out, "http://")
	assert.Equal(t, 0, server.interrupt(t), "devserver exit code after SIGINT")
}

// TestUIDevServerPortTaken checks that a taken UI port is an error, before
// the server starts, and that the UI's port is -port + 1000 unless given.
func TestUIDevServerPortTaken(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	taken, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", uiFreePort(t, port)))
	require.NoError(t, err)
	defer taken.Close()
	uiPort := taken.Addr().(*net.TCPAddr).Port

	res := run(t, environ(t), 30*time.Second, "devserver", "-port", fmt.Sprint(port), "-ui-port", fmt.Sprint(uiPort))
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, fmt.Sprintf("devserver: web UI port: listen tcp 127.0.0.1:%d:", uiPort))
	assert.Contains(t, res.stderr, "(-ui-port picks another port; 0 turns the web UI off)")
	assert.NotContains(t, res.stdout, "listening on")

	// Without -ui-port, the UI's port is -port + 1000.
	if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1000)); err == nil {
		res := run(t, environ(t), 30*time.Second, "devserver", "-port", fmt.Sprint(port))
		l.Close()
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stderr, fmt.Sprintf("devserver: web UI port: listen tcp 127.0.0.1:%d:", port+1000))
	} else {
		t.Logf("port %d (-port + 1000) is taken; not checking the default UI port", port+1000)
	}

	bad := run(t, environ(t), 30*time.Second, "devserver", "-ui-port", "70000")
	assert.Equal(t, 1, bad.code)
	assert.Contains(t, bad.stderr, "-ui-port 70000: want a port from 1 to 65535, or 0 for no UI")
	high := run(t, environ(t), 30*time.Second, "devserver", "-port", "65000")
	assert.Equal(t, 1, high.code)
	assert.Contains(t, high.stderr, "-port 65000: the Web UI's default port, -port + 1000, is out of range; give -ui-port (0 for no UI)")
}

// TestUIDemo serves the embedded server's Web UI from the demo, which keeps
// it up after the scenarios until Ctrl-C.
func TestUIDemo(t *testing.T) {
	t.Parallel()
	uiPort := uiFreePort(t, 0)
	base := fmt.Sprintf("http://127.0.0.1:%d", uiPort)
	demo := start(t, environ(t), "until you press Ctrl-C.\n", "demo", "-latency", "0", "-ui-port", fmt.Sprint(uiPort))
	out := demo.output.String()
	assert.Regexp(t, `Started an embedded Temporal server at \S+, namespace \S+\.\nTemporal Web UI at `+regexp.QuoteMeta(base)+"\n", out)
	assert.Contains(t, out, "All 2 scenarios ended as expected.\n\nThe orders are in the Temporal Web UI at "+base+" until you press Ctrl-C.\n")
	ns := regexp.MustCompile(`namespace (\S+)\.\n`).FindStringSubmatch(out)
	require.NotNil(t, ns, out)

	assertUIPage(t, base)
	var settings struct{ DefaultNamespace string }
	uiJSON(t, base+"/api/v1/settings", &settings)
	assert.Equal(t, ns[1], settings.DefaultNamespace)
	awaitUIWorkflow(t, base, ns[1], "order-workflow-ORD-001", "WORKFLOW_EXECUTION_STATUS_COMPLETED")
	awaitUIWorkflow(t, base, ns[1], "order-workflow-ORD-002", "WORKFLOW_EXECUTION_STATUS_COMPLETED")

	assert.Equal(t, 0, demo.interrupt(t), "demo exit code after SIGINT")
	req, err := http.NewRequestWithContext(testctx.Context(t), http.MethodGet, base+"/", nil)
	require.NoError(t, err)
	_, err = uiClient.Do(req)
	assert.Error(t, err, "the web UI outlives the demo")

	// An existing server has its own UI, if any.
	remote := run(t, environ(t), 30*time.Second, "demo", "-address", "127.0.0.1:1", "-ui-port", fmt.Sprint(uiPort))
	assert.Equal(t, 1, remote.code)
	assert.Contains(t, remote.stderr, "-ui-port serves the embedded server's Web UI")
	assert.Empty(t, remote.stdout)
}
