// Package conn connects the example programs to a Temporal server: the
// -address, -namespace and -v flags they share, a log/slog-backed Temporal
// logger, and Dial, which reads the Temporal environment configuration
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings and
// the temporal.toml profile) so that the programs work against a local dev
// server, a self-hosted cluster or Temporal Cloud alike. The programs that
// run orders also take -metrics and -otlp (TelemetryFlags): Prometheus
// metrics and OpenTelemetry traces through the Temporal client. Every program
// takes -keys (default $ORDERFLOW_ENCRYPTION_KEYS): with keys, the client
// encrypts every payload with package encryption's codec.
package conn

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"

	"github.com/orderflow/orderflow/examples/internal/keys"
)

// Flags are the connection flags every example program takes.
type Flags struct {
	// Address is the server's host:port. If empty, TEMPORAL_ADDRESS, then the
	// temporal.toml profile, then localhost:7233 is used.
	Address string
	// Namespace is the Temporal namespace. If empty, TEMPORAL_NAMESPACE, then
	// the temporal.toml profile, then "default" is used.
	Namespace string
	// Verbose lowers the log level from the program's default to DEBUG.
	Verbose bool
	// Keys are the encryption keys, if any (-keys, else
	// $ORDERFLOW_ENCRYPTION_KEYS).
	Keys keys.Flag
}

// Register adds -address, -namespace, -v and -keys to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Address, "address", "",
		"Temporal server host:port (default $TEMPORAL_ADDRESS, else localhost:7233)")
	fs.StringVar(&f.Namespace, "namespace", "",
		"Temporal namespace (default $TEMPORAL_NAMESPACE, else \"default\")")
	fs.BoolVar(&f.Verbose, "v", false, "verbose: log the Temporal SDK at DEBUG level")
	f.Keys.Register(fs, "keys")
}

// Remote reports whether a server address was given, by flag or by
// TEMPORAL_ADDRESS.
func (f *Flags) Remote() bool {
	return f.Address != "" || os.Getenv("TEMPORAL_ADDRESS") != ""
}

// Logger returns a Temporal logger that writes text to w through log/slog,
// at level, or at DEBUG when -v was given.
func (f *Flags) Logger(w io.Writer, level slog.Level) log.Logger {
	if f.Verbose {
		level = slog.LevelDebug
	}
	return NewLogger(w, level)
}

// NewLogger returns a Temporal logger backed by a log/slog text handler that
// writes records at level and above to w.
func NewLogger(w io.Writer, level slog.Level) log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})))
}

// Options returns the client options of the Temporal environment
// configuration (profile file and TEMPORAL_* variables, as the Temporal CLI
// reads them), with -address and -namespace applied on top.
func (f *Flags) Options(logger log.Logger) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("load Temporal client configuration: %w", err)
	}
	if f.Address != "" {
		opts.HostPort = f.Address
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	if f.Namespace != "" {
		opts.Namespace = f.Namespace
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	opts.Logger = logger
	return opts, nil
}

// Dial connects to the server named by the flags and the environment (see
// Options) and returns the client, which the caller closes, and the options
// it was made with, after each of with (such as Telemetry.Apply) changed
// them. With encryption keys, the client encrypts: pass the options'
// DataConverter to orderflow.Options.DataConverter.
func (f *Flags) Dial(logger log.Logger, with ...func(*client.Options)) (client.Client, client.Options, error) {
	opts, err := f.Options(logger)
	if err != nil {
		return nil, opts, err
	}
	for _, w := range with {
		w(&opts)
	}
	if err := f.Encrypt(&opts); err != nil {
		return nil, opts, err
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, opts, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return c, opts, nil
}

// Encrypt makes opts encrypt with the keys of -keys (or
// $ORDERFLOW_ENCRYPTION_KEYS), if any: it sets their DataConverter and
// FailureConverter (encryption.Codec.ClientOptions).
func (f *Flags) Encrypt(opts *client.Options) error {
	ring, err := f.Keys.Load()
	if err != nil || ring == nil {
		return err
	}
	codec, err := ring.Codec()
	if err != nil {
		return err
	}
	codec.ClientOptions(opts)
	return nil
}
