// Package embedded runs a real Temporal server inside the current process,
// with go.temporal.io/server/temporaltest: SQLite in memory, a loopback port
// chosen by the system, and a namespace registered for it. Nothing is
// downloaded and nothing outlives the process.
package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/orderflow/orderflow"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/server/temporaltest"
)

// Server is a running in-process Temporal server and a client connected to it.
type Server struct {
	// Client is connected to the server's namespace. Stop closes it.
	Client client.Client
	// Address is the host:port the server's frontend listens on, for
	// clients in other processes.
	Address string
	// Namespace is the namespace registered on the server.
	Namespace string

	ts *temporaltest.TestServer
}

// Start starts a server and connects a client to it that logs to logger. The
// caller must call Stop.
func Start(logger log.Logger) (s *Server, err error) {
	// Without a *testing.T, temporaltest panics on errors instead of failing
	// a test.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start embedded Temporal server: %v", r)
		}
	}()
	ts := temporaltest.NewServer(temporaltest.WithBaseClientOptions(client.Options{Logger: logger}))
	s = &Server{ts: ts, Address: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace()}
	s.Client = ts.GetDefaultClient()
	// The search attributes of orderflow.Options.Visibility, so that
	// orders can be listed by status.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := orderflow.RegisterSearchAttributes(ctx, s.Client, s.Namespace); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop closes the client and stops the server. Stop workers first.
func (s *Server) Stop() {
	// TestServer.Stop reports a shutdown error through its *testing.T, which
	// a program does not have; such an error does not matter at exit.
	defer func() { _ = recover() }()
	s.ts.Stop()
}
