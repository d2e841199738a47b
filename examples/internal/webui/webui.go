// Package webui serves the Temporal Web UI for a Temporal server, in the
// current process, as the Temporal CLI's `temporal server start-dev` does on
// localhost:8233: github.com/temporalio/ui-server with its embedded assets,
// proxying the UI's HTTP API to the server's frontend over gRPC. Nothing is
// downloaded; authentication and TLS are off, for local use only. WithCodec
// points the UI at a codec server (examples/codecserver), so that it shows
// encrypted payloads decoded.
package webui

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// DefaultPort is the Temporal CLI dev server's UI port.
const DefaultPort = 8233

// Server is a running Web UI server.
type Server struct {
	// URL is the address to open in a browser, such as
	// "http://127.0.0.1:8233".
	URL string

	ui *uiserver.Server
}

// CheckPort reports an error if the UI could not listen on ip:port now.
func CheckPort(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("web UI port: %w", err)
	}
	return l.Close()
}

// Codec is the codec server the Web UI sends payloads to, from the
// browser, to show them decoded (ui-server's codec settings).
type Codec struct {
	// Endpoint is the codec server's URL, such as "http://127.0.0.1:8081":
	// the browser POSTs to Endpoint + "/decode" and "/encode". The codec
	// server must allow the UI's origin (Server.URL) by CORS.
	Endpoint string
	// PassAccessToken sends the signed-in user's access token to the codec
	// server as "Authorization: Bearer …". The UI honours it for https://
	// endpoints only, and has a token only with its authentication on,
	// which this package leaves off.
	PassAccessToken bool
	// IncludeCredentials sends the browser's cookies for the endpoint with
	// each request (fetch's credentials: "include").
	IncludeCredentials bool
}

// Option changes how Start serves the UI.
type Option func(*uiconfig.Config)

// WithCodec has the UI decode payloads with the codec server c. A zero
// Endpoint leaves the UI without one.
func WithCodec(c Codec) Option {
	return func(cfg *uiconfig.Config) {
		cfg.Codec = uiconfig.Codec{
			Endpoint:           strings.TrimSuffix(c.Endpoint, "/"),
			PassAccessToken:    c.PassAccessToken,
			IncludeCredentials: c.IncludeCredentials,
		}
	}
}

// CheckCodecEndpoint reports why endpoint cannot be a codec server's URL
// for the UI, if it cannot: it must be an absolute http:// or https:// URL
// without a query or fragment.
func CheckCodecEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("codec endpoint %q: want an http:// or https:// URL, such as http://127.0.0.1:8081", endpoint)
	}
	return nil
}

// Start serves the Web UI on ip:port for the Temporal frontend at frontend
// (host:port), opening namespace by default, and returns once the UI
// answers. The caller must call Stop.
//
// Start it once the frontend serves: the UI's gRPC connection backs off
// (up to 10 s) after failed attempts, and its pages fail meanwhile.
func Start(ip string, port int, frontend, namespace string, opts ...Option) (*Server, error) {
	// ui-server's Start blocks, and exits the process if it cannot listen:
	// check that the port is free first, as the Temporal CLI does, so that
	// a taken port is an error to report rather than an exit.
	if err := CheckPort(ip, port); err != nil {
		return nil, err
	}

	cfg := &uiconfig.Config{
		// ui-server joins Host and Port with a colon: bracket IPv6.
		Host:                bracketIPv6(ip),
		Port:                port,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		// Plain HTTP on a local address: the CSRF cookie must not require
		// HTTPS. Auth stays off; no other origin is allowed by CORS.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
	}
	for _, o := range opts {
		o(cfg)
	}
	if e := cfg.Codec.Endpoint; e != "" {
		if err := CheckCodecEndpoint(e); err != nil {
			return nil, err
		}
	}
	ui := uiserver.NewServer(uiserveroptions.WithConfigProvider(cfg))
	go func() {
		// Start returns nil once Stop closes the server.
		_ = ui.Start()
	}()

	s := &Server{URL: "http://" + net.JoinHostPort(browsable(ip), strconv.Itoa(port)), ui: ui}
	if err := s.await(10 * time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop stops serving the UI.
func (s *Server) Stop() {
	s.ui.Stop()
}

// await waits until the UI server's health check answers.
func (s *Server) await(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health check: %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("web UI at %s not ready: %w", s.URL, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// bracketIPv6 returns ip in brackets if it is an IPv6 address.
func bracketIPv6(ip string) string {
	if strings.Contains(ip, ":") && !strings.HasPrefix(ip, "[") {
		return "[" + ip + "]"
	}
	return ip
}

// browsable returns the address a browser on this machine reaches ip by:
// a wildcard address becomes the loopback address.
func browsable(ip string) string {
	switch parsed := net.ParseIP(ip); {
	case parsed == nil || !parsed.IsUnspecified():
		return ip
	case parsed.To4() != nil:
		return "127.0.0.1"
	default:
		return "::1"
	}
}
