// Inbox serves the approver inbox (package github.com/orderflow/orderflow/inbox)
// against a real Temporal server, with a few demo orders to decide: large
// orders that await approval, small ones that completed and one that was
// rejected. It starts an embedded Temporal server in-process (nothing to
// install) unless -address names one, and runs its own worker with in-memory
// providers, as the demo does.
//
// Usage, from the repository root:
//
//	go run ./examples/inbox [flags]
//
// Then open http://localhost:8080/ and sign in with any user name and any
// password: the user name is the approver recorded with each decision.
//
// DEMO ONLY: that sign-in accepts everybody. A real deployment passes
// inbox.Options.Authenticate a function that checks the request against
// its own sessions or identity proxy; see the inbox package.
//
// Flags:
//
//	-http addr            where the inbox listens (default "localhost:8080")
//	-waiting n            large orders started that await approval (default 5); one of
//	                      them has the customer name <script>alert(1)</script>, to show
//	                      that the inbox escapes what it shows
//	-finished n           small orders started that complete by themselves, plus one
//	                      large order that is rejected (default 3; 0: none of either)
//	-approval-timeout d   how long the demo orders wait for a decision (default 30m)
//	-read-only            serve the inbox without authentication and without
//	                      decision forms: anyone may look, nobody may decide
//	-task-queue name      the orders' task queue (default "order-task-queue")
//	-latency scale        simulated provider latency, times the Python demo's
//	                      (payment 2 s, inventory 1.5 s, delivery 1 s, email 0.5 s) (default 0.25)
//	-address host:port    use this Temporal server instead of an embedded one (default
//	                      $TEMPORAL_ADDRESS; without either, the program starts an
//	                      embedded server); the program registers the search
//	                      attributes the inbox needs in the namespace first
//	-namespace name       namespace on that server (default $TEMPORAL_NAMESPACE, else "default")
//	-v                    log the Temporal SDK at DEBUG level (default: warnings only)
//	-keys list            encryption keys, id=BASE64SECRET,… with the current one first
//	                      (default $ORDERFLOW_ENCRYPTION_KEYS): every payload is encrypted
//	                      (docs/encryption.md; examples/codecserver serves the Web UI and CLI)
//
// Order IDs are INBOX-<n>-<random suffix>, so that runs against the same
// server do not collide. It serves until Ctrl-C or SIGTERM, then shuts the
// web server, the worker and the embedded server down. Against an existing
// server, the orders stay there, and other workers polling the task queue
// may take them.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/embedded"
	"github.com/orderflow/orderflow/examples/internal/scenario"
	"github.com/orderflow/orderflow/inbox"
	"github.com/orderflow/orderflow/orderflowtest"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Done, or stopped while starting.
	case errors.Is(err, flag.ErrHelp):
		stop()
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "inbox:", err)
		stop()
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	conn            conn.Flags
	httpAddr        string
	waiting         int
	finished        int
	approvalTimeout time.Duration
	readOnly        bool
	taskQueue       string
	latency         float64
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("inbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	c.conn.Register(fs)
	// Without an address this program embeds its own server, rather than
	// dialing localhost:7233 as the other programs do.
	fs.Lookup("address").Usage = "use the Temporal server at this host:port instead of starting an embedded one (default $TEMPORAL_ADDRESS; without either, an embedded server)"
	fs.Lookup("namespace").Usage = "namespace on the -address server (default $TEMPORAL_NAMESPACE, else \"default\"); the embedded server has its own"
	fs.StringVar(&c.httpAddr, "http", "localhost:8080", "listen address of the inbox")
	fs.IntVar(&c.waiting, "waiting", 5, "large orders to start that await approval")
	fs.IntVar(&c.finished, "finished", 3, "small orders to start that complete, plus one large order that is rejected (0: none)")
	fs.DurationVar(&c.approvalTimeout, "approval-timeout", 30*time.Minute, "how long the demo orders wait for a decision")
	fs.BoolVar(&c.readOnly, "read-only", false, "serve a read-only inbox: no authentication, no decisions")
	fs.StringVar(&c.taskQueue, "task-queue", "order-task-queue", "task queue of the orders and the worker")
	fs.Float64Var(&c.latency, "latency", 0.25, "simulated provider latency, times the Python demo's; 0 disables it")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q; see -h", fs.Args())
	case c.waiting < 0 || c.finished < 0:
		return nil, fmt.Errorf("-waiting and -finished must not be negative")
	case c.latency < 0:
		return nil, fmt.Errorf("-latency must not be negative")
	}
	return &c, nil
}

// run runs the program until ctx ends: it prints to stdout where the inbox
// is, and logs to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	// Listen first, so that a busy port fails before anything starts.
	ln, err := net.Listen("tcp", cfg.httpAddr)
	if err != nil {
		return err
	}
	defer ln.Close()
	inboxURL, err := listenURL(cfg.httpAddr, ln.Addr())
	if err != nil {
		return err
	}

	tc, dc, closeServer, err := connect(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	defer closeServer()

	acts, providers := orderflowtest.NewActivities()
	providers.UseDemoLatency(cfg.latency)
	w := worker.New(tc, cfg.taskQueue, worker.Options{})
	if err := orderflow.Register(w, acts); err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	fmt.Fprintf(stdout, "Worker ready — polling task queue %s.\n", cfg.taskQueue)

	orders, err := orderflow.NewClient(tc, &orderflow.Options{
		Visibility: true, ApprovalTimeout: cfg.approvalTimeout, TaskQueue: cfg.taskQueue, DataConverter: dc})
	if err != nil {
		return err
	}
	if err := startDemoOrders(ctx, orders, cfg, stdout); err != nil {
		return err
	}

	opts := inbox.Options{Logger: logger}
	if !cfg.readOnly {
		opts.Authenticate = demoApprover
	}
	h, err := inbox.New(orders, opts)
	if err != nil {
		return err
	}
	if !cfg.readOnly {
		logger.Warn("DEMO ONLY: every user name is accepted as an approver, passwords are not checked")
		h = demoBasicAuth(h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	if cfg.readOnly {
		fmt.Fprintf(stdout, "Approver inbox: %s (read-only: no sign-in, no decisions)\n", inboxURL)
	} else {
		fmt.Fprintf(stdout, "Approver inbox: %s (any user name, any password)\n", inboxURL)
	}
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")

	select {
	case err := <-served:
		return fmt.Errorf("serve the inbox: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "Stopping.")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut the inbox down: %w", err)
	}
	return nil
}

// connect dials the server the flags name and registers the search
// attributes there, or starts an embedded server (which registers them
// itself). It returns the client, its data converter (nil: the SDK's
// default) and what closes it or stops the server.
func connect(ctx context.Context, cfg *config, stdout, stderr io.Writer) (client.Client, converter.DataConverter, func(), error) {
	logger := cfg.conn.Logger(stderr, slog.LevelWarn)
	if cfg.conn.Remote() {
		tc, opts, err := cfg.conn.Dial(logger)
		if err != nil {
			return nil, nil, nil, err
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := orderflow.RegisterSearchAttributes(rctx, tc, opts.Namespace); err != nil {
			tc.Close()
			return nil, nil, nil, err
		}
		fmt.Fprintf(stdout, "Using the Temporal server at %s, namespace %s.\n", opts.HostPort, opts.Namespace)
		return tc, opts.DataConverter, tc.Close, nil
	}
	srv, err := embedded.Start(logger)
	if err != nil {
		return nil, nil, nil, err
	}
	fmt.Fprintf(stdout, "Started an embedded Temporal server at %s, namespace %s.\n", srv.Address, srv.Namespace)
	if cfg.conn.Keys.Source() == "" {
		return srv.Client, nil, srv.Stop, nil
	}
	// With encryption keys, a client of the program's own that encrypts.
	opts := client.Options{HostPort: srv.Address, Namespace: srv.Namespace, Logger: logger}
	if err := cfg.conn.Encrypt(&opts); err != nil {
		srv.Stop()
		return nil, nil, nil, err
	}
	tc, err := client.Dial(opts)
	if err != nil {
		srv.Stop()
		return nil, nil, nil, err
	}
	return tc, opts.DataConverter, func() { tc.Close(); srv.Stop() }, nil
}

// customers name the waiting orders' customers, in turn; xssName is the
// one that shows the inbox escapes what it shows.
var customers = []string{"Bob Johnson", "Carmen Ortiz", "Dmitri Volkov", "Emma Schulz", "Farah Haddad", "Gao Lin"}

const xssName = "<script>alert(1)</script>"

// startDemoOrders starts cfg.finished small orders that complete and one
// large one that it rejects, then cfg.waiting large orders that await
// approval, and prints their IDs.
//
// The order to reject goes first, and the program waits for it to await a
// decision for as long as ctx lasts: started after a thousand others, it
// would wait behind their first workflow tasks, for however long this
// machine takes.
func startDemoOrders(ctx context.Context, orders *orderflow.Client, cfg *config, stdout io.Writer) error {
	suffix := randomSuffix()
	n := 0
	nextID := func() string {
		n++
		return fmt.Sprintf("INBOX-%d%s", n, suffix)
	}
	waiting := make([]orderflow.Order, cfg.waiting)
	for i := range waiting {
		o := orderflowtest.LargeOrder(nextID())
		o.CustomerName = customers[i%len(customers)]
		if i == min(1, cfg.waiting-1) {
			o.CustomerName = xssName
		}
		o.CustomerEmail = fmt.Sprintf("customer%d@example.com", i+1)
		o.Items[1].Quantity += int64(i % 3) // a few different totals
		waiting[i] = o
	}
	var completed, rejected []string
	if cfg.finished > 0 {
		small, r, err := startFinished(ctx, orders, cfg.finished, nextID)
		if err != nil {
			return err
		}
		completed, rejected = small, []string{r}
	}
	var ids []string
	st := &starter{orders: orders, sem: make(chan struct{}, 16)}
	for i, o := range waiting {
		ids = append(ids, o.OrderID)
		if i < 10 { // one by one: the inbox lists the first ones in this order
			if err := orders.Start(ctx, o); err != nil {
				return err
			}
			continue
		}
		st.start(ctx, o)
	}
	if err := st.wait(); err != nil {
		return err
	}
	printIDs(stdout, "Awaiting approval", ids)
	printIDs(stdout, "Small orders (complete by themselves)", completed)
	printIDs(stdout, "Rejected by demo", rejected)
	return nil
}

// startFinished starts n small orders, which complete by themselves, and
// one large order, which it rejects once the order awaits a decision. It
// returns their IDs.
func startFinished(ctx context.Context, orders *orderflow.Client, n int, nextID func() string) (completed []string, rejected string, err error) {
	r := orderflowtest.LargeOrder(nextID())
	r.CustomerName = "Hana Kimura"
	r.CustomerEmail = "hana@example.com"
	if err := orders.Start(ctx, r); err != nil {
		return nil, "", err
	}
	for range n {
		o := orderflowtest.SmallOrder(nextID())
		if err := orders.Start(ctx, o); err != nil {
			return nil, "", err
		}
		completed = append(completed, o.OrderID)
	}
	if err := scenario.WaitForApproval(ctx, orders, r.OrderID); err != nil {
		return nil, "", err
	}
	if _, err := orders.Reject(ctx, r.OrderID, orderflow.Decision{Approver: "demo", Reason: "Insufficient credit check"}); err != nil {
		return nil, "", err
	}
	return completed, r.OrderID, nil
}

// starter starts orders 16 at a time, so that a thousand take seconds,
// and keeps the first error.
type starter struct {
	orders *orderflow.Client
	sem    chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

func (st *starter) start(ctx context.Context, o orderflow.Order) {
	st.sem <- struct{}{}
	st.wg.Go(func() {
		defer func() { <-st.sem }()
		if err := st.orders.Start(ctx, o); err != nil {
			st.mu.Lock()
			st.err = cmp.Or(st.err, err)
			st.mu.Unlock()
		}
	})
}

// wait waits for the starts in flight and returns the first error.
func (st *starter) wait() error {
	st.wg.Wait()
	return st.err
}

func printIDs(w io.Writer, what string, ids []string) {
	if len(ids) > 20 {
		fmt.Fprintf(w, "%s: %d orders, %s … %s\n", what, len(ids), ids[0], ids[len(ids)-1])
		return
	}
	if len(ids) > 0 {
		fmt.Fprintf(w, "%s: %s\n", what, strings.Join(ids, ", "))
	}
}

// demoRealm is the demo's Basic authentication challenge.
const demoRealm = `Basic realm="orderflow inbox (demo: any name, any password)"`

// demoBasicAuth asks for HTTP Basic credentials, and lets every request that
// carries a user name the inbox can record as an approver through. DEMO
// ONLY: it checks no password.
func demoBasicAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, _, ok := r.BasicAuth()
		msg := ""
		switch {
		case !ok || name == "":
			msg = "Sign in with any user name and any password (demo only)."
		case (orderflow.Decision{Approver: name}).Validate() != nil:
			msg = "This user name cannot be recorded as an approver: sign in with another."
		}
		if msg != "" {
			w.Header().Set("WWW-Authenticate", demoRealm)
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, msg, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// demoApprover is the inbox's Authenticate: the Basic user name, whatever
// the password. DEMO ONLY.
func demoApprover(r *http.Request) (string, error) {
	name, _, ok := r.BasicAuth()
	if !ok || name == "" {
		return "", errors.New("no Basic user name")
	}
	return name, nil
}

// listenURL is the inbox's URL for the address it was asked to listen on
// (keeping its host name, as "localhost") and the address it got (for
// port 0).
func listenURL(asked string, got net.Addr) (string, error) {
	host, port, err := net.SplitHostPort(asked)
	if err != nil {
		return "", fmt.Errorf("-http %q: %w", asked, err)
	}
	if _, p, err := net.SplitHostPort(got.String()); err == nil {
		port = p
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/", nil
}

// randomSuffix returns "-" and six random hex digits.
func randomSuffix() string {
	b := make([]byte, 3)
	rand.Read(b) // never fails; see crypto/rand.Read
	return "-" + strings.ToUpper(hex.EncodeToString(b))
}
