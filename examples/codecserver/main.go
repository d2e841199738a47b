// Codecserver serves the orders' encryption codec (package
// github.com/orderflow/orderflow/encryption) over HTTP for the Temporal Web
// UI and CLI, which encrypted orders otherwise show as unreadable
// binary/encrypted payloads: they send it the payloads they show, and it
// answers them decrypted (POST <endpoint>/decode), or encrypts what a person
// types, such as a signal's input (POST <endpoint>/encode).
//
// Usage:
//
//	go run ./examples/codecserver [flags]
//
// Flags:
//
//	-listen addr          address to serve on (default 127.0.0.1:8081)
//	-keys id=BASE64,…     the encryption keys, the first one current, as the
//	                      workers and clients have them (default
//	                      $ORDERFLOW_ENCRYPTION_KEYS); see below
//	-allow-origin origin  an origin of the Temporal Web UI that may call the
//	                      codec server from a browser, such as
//	                      https://temporal.example.com; repeat it or give a
//	                      comma-separated list (default http://localhost:8233
//	                      and http://127.0.0.1:8233, the dev server's UI)
//	-token token          require the header "Authorization: Bearer <token>"
//	                      on every request but a browser's CORS preflight
//	                      (default $ORDERFLOW_CODEC_TOKEN, else no check)
//
// The keys are a line of id=BASE64SECRET entries, comma-separated, each
// secret 32 bytes in standard base64; make one with
//
//	echo "2026-05=$(head -c 32 /dev/urandom | base64)"
//
// Then point the Temporal tools at the codec server:
//
//	go run ./examples/devserver -codec-endpoint http://127.0.0.1:8081
//	temporal workflow show -w order-workflow-ORD-002 --codec-endpoint http://127.0.0.1:8081
//
// or set TEMPORAL_CODEC_ENDPOINT=http://127.0.0.1:8081 for both.
//
// (For another Web UI: its codec endpoint setting, such as
// TEMPORAL_CODEC_ENDPOINT for the ui-server's Docker image, or `temporal
// server start-dev --ui-codec-endpoint`. A person can also set it for one
// browser in the Web UI's "Codec Server" settings.)
//
// With -token, the CLI must send the token: `temporal … --codec-auth "Bearer
// <token>"`. The Web UI sends an Authorization header only when its codec
// settings pass the signed-in user's access token (codec.passAccessToken in
// the ui-server's configuration, honoured for https:// endpoints only), and
// then it is that user's OIDC token, not a fixed one: a codec server for
// such a Web UI checks those tokens, which this example does not. Without
// -token, anyone who can reach the codec server can decrypt every payload
// they have seen: keep it on a
// loopback address, as by default, or behind an authenticating proxy, and
// serve it over TLS beyond this machine (the Web UI receives decrypted data
// from it).
//
// It logs, to stderr, the address it serves on, the key IDs and the
// allowed origins once it serves, and refused requests and errors (status,
// path and the codec's error, such as a payload encrypted with a key it
// does not hold), never a payload, a secret or a token. It stops on Ctrl-C
// or SIGTERM.
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/orderflow/orderflow/encryption"
	"github.com/orderflow/orderflow/examples/internal/keys"
)

// tokenEnv holds the token when -token is not given.
const tokenEnv = "ORDERFLOW_CODEC_TOKEN"

// defaultOrigins are the origins of the dev server's Web UI (examples/devserver,
// `temporal server start-dev`).
var defaultOrigins = []string{"http://localhost:8233", "http://127.0.0.1:8233"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stderr, nil)
	var usage usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		os.Exit(2) // the flag package has said what is wrong
	case err != nil:
		fmt.Fprintln(os.Stderr, "codecserver:", err)
		os.Exit(1)
	}
}

// usageError is a flag error that the flag package has reported, with the
// usage.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// options are the program's flags.
type options struct {
	listen  string
	keys    keys.Flag
	origins originsFlag
	token   string
}

// originsFlag is -allow-origin: repeatable, each a comma-separated list.
type originsFlag []string

func (o *originsFlag) String() string { return strings.Join(*o, ",") }

func (o *originsFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSuffix(strings.TrimSpace(v), "/")
		if v == "" {
			continue
		}
		if err := checkOrigin(v); err != nil {
			return err
		}
		*o = append(*o, v)
	}
	return nil
}

// checkOrigin reports why origin is not an origin a browser sends, if it
// is not one: scheme://host[:port], nothing more.
func checkOrigin(origin string) error {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin: want scheme://host[:port], such as http://localhost:8233", origin)
	}
	return nil
}

// parseFlags reads args; usage goes to stderr.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("codecserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8081", "`address` to serve on")
	o.keys.Register(fs, "keys")
	fs.Var(&o.origins, "allow-origin", "`origin` of the Temporal Web UI allowed to call from a browser; repeatable, or a comma-separated list "+
		"(default "+strings.Join(defaultOrigins, " and ")+")")
	fs.StringVar(&o.token, "token", "", "require \"Authorization: Bearer <`token`>\" (default $"+tokenEnv+", else no check)")
	if err := fs.Parse(args); err != nil {
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; -h lists them)", fs.Arg(0))
	}
	if len(o.origins) == 0 {
		o.origins = defaultOrigins
	}
	if o.token == "" {
		o.token = os.Getenv(tokenEnv)
	}
	return o, nil
}

// run serves until ctx ends. If ready is not nil, it receives the URL the
// server answers on once it does.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ring, err := o.keys.Load()
	if err != nil {
		return err
	}
	if ring == nil {
		return fmt.Errorf("no encryption keys: give -keys or set $%s (id=BASE64SECRET,…, the first one current)", keys.EnvVar)
	}
	codec, err := ring.Codec()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	hopts := encryption.HandlerOptions{AllowedOrigins: o.origins}
	if o.token != "" {
		hopts.Authenticate = bearer(o.token)
	}
	handler := logRefusals(codec.Handler(hopts), logger)

	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	u := "http://" + l.Addr().String()
	auth := "none"
	if o.token != "" {
		auth = "bearer token"
	}
	logger.Info("Codec server listening", "URL", u, "keys", ring.String(), "origins", strings.Join(o.origins, ","), "auth", auth)
	if ready != nil {
		ready <- u
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// bearer accepts a request whose Authorization header is "Bearer <token>"
// (the scheme in any case), comparing in constant time.
func bearer(token string) func(*http.Request) error {
	want := []byte(token)
	return func(r *http.Request) error {
		scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return errors.New("no bearer token")
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			return errors.New("wrong token")
		}
		return nil
	}
}

// maxLoggedError is the most of a codec error's text that is logged.
const maxLoggedError = 300

// logRefusals logs each request that next answers with a status of 400 or
// more: its method, path and status, and, for the codec's own errors
// (which name key IDs, never plaintext), their text. Other error texts,
// such as a JSON parser's, may quote the body, and are not logged.
func logRefusals(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status < 400 {
			return
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status}
		if msg := strings.TrimSpace(rec.body.String()); strings.HasPrefix(msg, "orderflow/encryption:") {
			if len(msg) > maxLoggedError {
				msg = msg[:maxLoggedError] + "…"
			}
			attrs = append(attrs, "error", msg)
		}
		logger.Warn("Codec request refused", attrs...)
	})
}

// statusRecorder keeps the status and the start of the body of an error
// response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	body   strings.Builder
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if s.status >= 400 && s.body.Len() < maxLoggedError+100 {
		s.body.Write(b[:min(len(b), maxLoggedError+100-s.body.Len())])
	}
	return s.ResponseWriter.Write(b)
}
