// Devserver runs a real Temporal server on localhost:7233 for those without
// the Temporal CLI (`temporal server start-dev`): the worker, starter and
// approve programs connect to it by default.
//
// Usage, from the repository root:
//
//	go run ./examples/devserver [flags]
//
// Flags:
//
//	-ip address       address to listen on (default 127.0.0.1)
//	-port n           frontend gRPC port (default 7233); the services also use
//	                  the membership ports n+100 to n+103
//	-namespace name   namespace to register, besides "default" (default "default")
//	-db-file path     SQLite file that keeps the server's state, so that orders
//	                  survive a restart; created with its schema if missing.
//	                  Without it the state is in memory and lost at exit.
//	-ui-port n        port of the Temporal Web UI, on the -ip address; 0 turns
//	                  the UI off (default -port + 1000, so 8233, as with the
//	                  Temporal CLI)
//	-codec-endpoint URL
//	                  the codec server the Web UI decodes payloads with, such
//	                  as http://127.0.0.1:8081 (go run ./examples/codecserver),
//	                  for orders encrypted by package encryption (default
//	                  $TEMPORAL_CODEC_ENDPOINT, which the Temporal CLI reads
//	                  too, else none: encrypted payloads show as such). The
//	                  browser calls it directly, so it must allow the UI's
//	                  origin as the browser has it, such as
//	                  http://127.0.0.1:8233 or http://localhost:8233 (the
//	                  codecserver's default allows both)
//	-v                log the server at INFO level, from the start (default:
//	                  warnings and errors once the server is ready)
//
// It prints the address it listens on once clients can connect, then the Web
// UI's address (open it to look at orders: their workflows, histories,
// pending approvals) and its codec server, if any, and stops on Ctrl-C or
// SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/log"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/examples/internal/conn"
	"github.com/orderflow/orderflow/examples/internal/webui"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}

// options are the program's flags.
type options struct {
	ip, namespace, dbFile string
	port, uiPort          int
	// codecEndpoint is the Web UI's codec server, or "".
	codecEndpoint string
	verbose       bool
}

func parseFlags() (options, error) {
	var o options
	flag.StringVar(&o.ip, "ip", "127.0.0.1", "address to listen on")
	flag.IntVar(&o.port, "port", 7233, "frontend gRPC port")
	flag.StringVar(&o.namespace, "namespace", client.DefaultNamespace, `namespace to register, besides "default"`)
	flag.StringVar(&o.dbFile, "db-file", "", "SQLite file that keeps the server's state across restarts (default: in memory)")
	flag.IntVar(&o.uiPort, "ui-port", webui.DefaultPort, "port of the Temporal Web UI, -port + 1000 unless given; 0 turns it off")
	flag.StringVar(&o.codecEndpoint, "codec-endpoint", "",
		"`URL` of the codec server the Web UI decodes payloads with (default $TEMPORAL_CODEC_ENDPOINT, else none)")
	flag.BoolVar(&o.verbose, "v", false, "log the server at INFO level")
	flag.Parse()
	// As with the Temporal CLI, the UI's port follows the frontend's unless
	// given, so that dev servers on different -port do not collide.
	uiPortSet, codecSet := false, false
	flag.Visit(func(f *flag.Flag) {
		uiPortSet = uiPortSet || f.Name == "ui-port"
		codecSet = codecSet || f.Name == "codec-endpoint"
	})
	if !uiPortSet {
		o.uiPort = o.port + 1000
		if o.uiPort > 65535 {
			return o, fmt.Errorf("-port %d: the Web UI's default port, -port + 1000, is out of range; give -ui-port (0 for no UI)", o.port)
		}
	}
	if o.uiPort < 0 || o.uiPort > 65535 {
		return o, fmt.Errorf("-ui-port %d: want a port from 1 to 65535, or 0 for no UI", o.uiPort)
	}
	// The Web UI's codec server: the flag, even empty, else the variable
	// that the ui-server's image and the Temporal CLI's profiles read.
	if !codecSet {
		o.codecEndpoint = os.Getenv("TEMPORAL_CODEC_ENDPOINT")
	}
	if o.codecEndpoint != "" {
		name := "-codec-endpoint"
		if !codecSet {
			name = "$TEMPORAL_CODEC_ENDPOINT"
		}
		if err := webui.CheckCodecEndpoint(o.codecEndpoint); err != nil {
			return o, fmt.Errorf("%s: %w", name, err)
		}
		if o.uiPort == 0 && codecSet {
			return o, fmt.Errorf("-codec-endpoint is the Web UI's, and -ui-port 0 turns the Web UI off")
		}
	}
	if o.dbFile != "" {
		abs, err := filepath.Abs(o.dbFile)
		if err != nil {
			return o, err
		}
		o.dbFile = abs
	}
	return o, nil
}

// serverConfig returns the server's configuration, and the flag its logger
// watches: warnings are quiet until the server is ready, unless -v.
func (o options) serverConfig() (serverConfig, *atomic.Bool) {
	var ready atomic.Bool
	var logger log.Logger = log.NewZapLogger(log.BuildZapLogger(log.Config{Level: "warn", Format: "console"}))
	if o.verbose {
		logger = log.NewZapLogger(log.BuildZapLogger(log.Config{Level: "info", Format: "console"}))
	} else {
		logger = startupQuiet{Logger: logger, ready: &ready}
	}
	cfg := serverConfig{ip: o.ip, port: o.port, namespaces: []string{client.DefaultNamespace}, logger: logger, dbFile: o.dbFile}
	if o.namespace != client.DefaultNamespace {
		cfg.namespaces = append(cfg.namespaces, o.namespace)
	}
	return cfg, &ready
}

func run() error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	cfg, ready := o.serverConfig()
	// A taken UI port fails before the server is built; the UI itself
	// starts once the server is ready (see webui.Start).
	const uiPortHint = "-ui-port picks another port; 0 turns the web UI off"
	if o.uiPort != 0 {
		if err := webui.CheckPort(o.ip, o.uiPort); err != nil {
			return fmt.Errorf("%w (%s)", err, uiPortHint)
		}
	}
	srv, err := newServer(cfg)
	if err != nil {
		return fmt.Errorf("build server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	defer srv.Stop()

	// Ctrl-C stops the server whenever it comes, while it starts too.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	address := fmt.Sprintf("%s:%d", o.ip, o.port)
	if err := awaitReady(ctx, address, o.namespace); err != nil {
		return fmt.Errorf("%w (rerun with -v to see the server's log)", err)
	}
	if err := registerSearchAttributes(ctx, address, o.namespace); err != nil {
		return err
	}
	var ui *webui.Server
	if o.uiPort != 0 {
		codec := webui.WithCodec(webui.Codec{Endpoint: o.codecEndpoint})
		if ui, err = webui.Start(o.ip, o.uiPort, address, o.namespace, codec); err != nil {
			return fmt.Errorf("%w (%s)", err, uiPortHint)
		}
		defer ui.Stop()
	}
	ready.Store(true)
	state := "in memory; lost at exit"
	if cfg.dbFile != "" {
		state = "in " + cfg.dbFile
	}
	fmt.Printf("Temporal dev server listening on %s (namespace %q; state %s)\n", address, o.namespace, state)
	if ui != nil {
		fmt.Printf("Temporal Web UI at %s\n", ui.URL)
		if o.codecEndpoint != "" {
			fmt.Printf("The Web UI decodes payloads with the codec server at %s (it must allow the origin %s)\n",
				strings.TrimSuffix(o.codecEndpoint, "/"), ui.URL)
		}
	}
	fmt.Println("Press Ctrl-C to stop.")

	<-ctx.Done()
	fmt.Println("Stopping the Temporal dev server...")
	return nil
}

// registerSearchAttributes registers the search attributes of
// orderflow.Options.Visibility in namespace, so that orders can be listed
// by status (a state file from an earlier run has them already). It waits
// as long as the server takes, until ctx ends (Ctrl-C): how long a server
// takes to start depends on the machine.
func registerSearchAttributes(ctx context.Context, address, namespace string) error {
	c, err := client.Dial(client.Options{HostPort: address, Namespace: namespace,
		Logger: conn.NewLogger(io.Discard, slog.LevelError)})
	if err != nil {
		return fmt.Errorf("register search attributes: %w", err)
	}
	defer c.Close()
	return orderflow.RegisterSearchAttributes(ctx, c, namespace)
}

// awaitReady waits until a client can connect to address and reach
// namespace, however long the machine takes, until ctx ends (Ctrl-C).
func awaitReady(ctx context.Context, address, namespace string) error {
	for {
		nc, err := client.NewNamespaceClient(client.Options{HostPort: address,
			Logger: conn.NewLogger(io.Discard, slog.LevelError)})
		if err == nil {
			_, err = nc.Describe(ctx, namespace)
			nc.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server at %s not ready: %w", address, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
