// Package examples holds runnable programs that drive orderflow against a
// real Temporal server, replacing the Python demo's scripts, and the tests
// that run them. It is its own module so that the library's go.mod never
// requires the Temporal server.
//
// From the repository root:
//
//	go run ./examples/demo                     # everything in one process: embedded server, worker, scenarios
//	go run ./examples/devserver                # a Temporal dev server on localhost:7233, Web UI on localhost:8233 (-db-file to keep state)
//	go run ./examples/worker                   # the worker (worker.py)
//	go run ./examples/starter small|large      # start a sample order (starter.py)
//	go run ./examples/approve ORD-002 approve  # decide a large order (approval_sender.py)
//	go run ./examples/codecserver              # decrypt encrypted orders for the Web UI and CLI (ORDERFLOW_ENCRYPTION_KEYS)
//	go run ./examples/cluster                  # production-shaped: PostgreSQL, the server as 5 processes, 3 workers (docs/production.md)
//
// Each program's package documentation lists its flags. The worker, starter
// and approve programs connect to localhost:7233 unless -address,
// TEMPORAL_ADDRESS or a temporal.toml profile says otherwise, and honour
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and the TLS settings, so they also
// work against Temporal Cloud.
package examples
