// Package crashtest runs many orders through orderflow against a real
// Temporal server while the worker, and optionally the server, are killed
// with SIGKILL and restarted, and while the providers misbehave. Then it
// checks every order against the providers' books.
//
// # What runs where
//
// The test process (the parent) runs the Temporal server (in process, as a
// child process with -server-kills, or as a cluster of PostgreSQL and five
// server processes with -cluster), the providers' ledger behind an HTTP
// server on loopback, and the orderflow Client that starts and decides
// orders. The workers (-workers, one by default) run in child processes,
// the test binary itself started again with ORDERFLOW_CRASH_ROLE=worker:
// their providers are thin HTTP clients of the parent's ledger, so what was
// charged, reserved, shipped and mailed survives every kill of a worker.
//
// The ledger honours the provider contract of orderflow exactly: every call
// is idempotent on its key, a refund (release) returns the whole charge
// (reservation) and leaves a tombstone, and a charge (reservation) under a
// refunded (released) key takes nothing and is declined. On top of that it
// injects faults, each call drawing from a source seeded by the run's seed
// and the call's key:
//
//   - transient: an error before anything happens (-transient);
//   - lost reply: the effect happens, then an error, or no answer until the
//     caller gives up (-lost);
//   - slow: the effect happens after the activity's timeout, when the caller
//     has gone and may already have compensated by key (-slow);
//   - business failures chosen per order: card declined, out of stock,
//     undeliverable address (-business);
//   - permanent refusals of a refund or release of an order that holds
//     money or stock, which a person must settle (-refuse).
//
// Orders are a mix of small ones and large ones that wait for approval. For
// large orders the parent approves, rejects, cancels, races two of those, or
// lets the approval time out; it cancels some small orders at random
// moments, and sends some calls twice. It records what each call was told.
//
// # What it checks
//
// Every order ends (none is stuck past -wait). A completed order holds
// exactly one charge of its total, one reservation and one shipment, and at
// most one confirmation email. A failed or cancelled order holds no money,
// no stock and no shipment; a rejected or timed-out one was never charged or
// reserved at all. An order that needs attention holds exactly what its
// result says was not undone. A call that was accepted agrees with the end
// (an accepted reject ends rejected, an accepted cancel ends cancelled), and
// a call that was refused lost to some other decision. Each broken rule is a
// violation, printed on its own line; the test fails if there is any.
//
// # Running it
//
// The default run (60 orders, 2 worker kills, the server in process) takes
// about half a minute once compiled; -v shows its summary line:
//
//	go test ./examples/crashtest -v
//
// Bigger runs, and runs that kill the server too (the server then runs as a
// child process, the devserver program on SQLite in a file, restarted on the
// same port and file):
//
//	go test ./examples/crashtest -run TestCrashAndFault -v -orders 500 -kills 10 -transient 0.3 -slow 0.3
//	go test ./examples/crashtest -run TestCrashAndFault -v -orders 200 -kills 4 -server-kills 3
//	go test ./examples/crashtest -run 'TestCrashAndFault$' -v -args -cluster -orders 300 -workers 3 -kills 8
//
// Flags (after the package, as test binary flags):
//
//	-orders n        orders to run (60)
//	-kills n         worker kills, spread over the run (2)
//	-server-kills n  server kills; 0 runs the server in process (0)
//	-workers n       worker processes; each kill picks one (1)
//	-cluster         run on a cluster (package cluster) and crash a history
//	                 process (down 10 s), the matching process (2 s) and
//	                 PostgreSQL (immediate shutdown) once each, at 20 %, 45 %
//	                 and 70 % of the run; the summary line names them
//	-address h:p     run on the server at h:p (-namespace, default "default"):
//	                 a cluster of yours, whose parts you crash meanwhile
//	-transient r     share of provider calls failing before they act (0.1)
//	-lost r          share of provider calls whose reply is lost (0.05)
//	-slow r          share of provider calls landing after their timeout (0.05)
//	-business r      share of orders with a business failure (0.15)
//	-refuse r        share of orders whose refund or release is refused (0.03)
//	-seed n          replay a run (default: from the clock; always printed)
//	-wait d          how long after the last start every order must have ended
//	                 (default: until a minute before go test's -timeout)
//	-print-orders    print every order: plan, calls, outcome
//	-dump dir        write the event histories of orders with violations to dir
//	-verbose         show the SDK's, the worker's and the server's logs
//
// Each run prints its seed; -seed replays the same orders, decisions, kill
// schedule and per-call faults. Timing still differs between runs, so a
// replay is likely, not certain, to hit the same interleaving. Runs of
// several hundred orders may need a larger -timeout than go test's 10
// minutes on a slow machine.
package crashtest
