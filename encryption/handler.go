package encryption

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"go.temporal.io/sdk/converter"
)

// defaultMaxBodyBytes is HandlerOptions.MaxBodyBytes when it is not set.
const defaultMaxBodyBytes = 4 << 20

// HandlerOptions configure Codec.Handler.
type HandlerOptions struct {
	// AllowedOrigins are the origins of the Temporal Web UI that may call the
	// handler from a browser, such as "http://localhost:8233" (scheme, host
	// and port, as the browser sends them in the Origin header; a trailing
	// slash is ignored, and there is no wildcard). A request from another
	// origin gets no CORS headers, so the browser does not let the page
	// read the answer, and its preflight is refused. The CLI sends no Origin
	// and needs none.
	AllowedOrigins []string

	// Authenticate is called for each POST before anything is decoded or
	// encoded. An error refuses the request with 401 and the fixed body
	// "unauthorized"; the error itself is not sent, nor logged. nil means no
	// check: anyone who can reach the handler can then decrypt every
	// payload they have seen. (Encrypting for them grants nothing: workers
	// accept unencrypted payloads too. The codec keeps data confidential; it
	// does not authenticate who sent it.)
	// Set it in production, for example to check the bearer token of the
	// Authorization header that the Web UI sends when its codec settings
	// pass the user's access token, or that `temporal --codec-auth` sends.
	Authenticate func(*http.Request) error

	// MaxBodyBytes is the largest request body accepted; a larger one is
	// refused with 413. Zero or less means 4 MiB.
	MaxBodyBytes int64
}

// Handler serves the codec for the Temporal Web UI and CLI: a codec server.
// They POST {"payloads": [...]} (protojson payloads) to <endpoint>/decode to
// show encrypted data, and to <endpoint>/encode to send data typed by a
// person (a signal's input, say), with the namespace in the X-Namespace
// header. The handler uses the same keys for every namespace.
//
// A request is handled in this order:
//
//  1. An Origin in opts.AllowedOrigins gets the CORS headers
//     Access-Control-Allow-Origin (that origin),
//     Access-Control-Allow-Credentials: true,
//     Access-Control-Allow-Headers: Authorization,Authorization-Extras,Content-Type,X-Namespace and
//     Access-Control-Allow-Methods: POST,OPTIONS, and its OPTIONS preflight
//     is answered 200 with no body, without calling Authenticate. The
//     preflight of another origin is answered 403. Every answer has Vary:
//     Origin.
//  2. Any method but POST is answered 405.
//  3. opts.Authenticate, if set, must accept the request (401 otherwise).
//  4. A body over opts.MaxBodyBytes is answered 413.
//  5. converter.NewPayloadCodecHTTPHandler(c) does the rest. It serves every
//     path that ends in "/encode" or "/decode", such as /decode,
//     /codec/decode or /default/decode (the CLI's --codec-endpoint may hold
//     a {namespace} placeholder), and answers 404 for other paths, 400 with
//     the error's text for a malformed body or a payload that does not
//     decode (ErrUnknownKey, ErrDecrypt: key IDs, never plaintext), and 200
//     with {"payloads": [...]} otherwise.
//
// The handler logs nothing. Serve it over TLS (the Web UI sends decrypted
// data back to the browser) on an address only the people and tools that may
// read orders can reach.
func (c *Codec) Handler(opts HandlerOptions) http.Handler {
	h := &handler{
		codec:        converter.NewPayloadCodecHTTPHandler(c),
		origins:      make(map[string]bool, len(opts.AllowedOrigins)),
		authenticate: opts.Authenticate,
		maxBody:      opts.MaxBodyBytes,
	}
	if h.maxBody <= 0 {
		h.maxBody = defaultMaxBodyBytes
	}
	for _, o := range opts.AllowedOrigins {
		if o = strings.TrimSuffix(o, "/"); o != "" {
			h.origins[o] = true
		}
	}
	return h
}

// handler is the http.Handler of Codec.Handler.
type handler struct {
	codec        http.Handler
	origins      map[string]bool
	authenticate func(*http.Request) error
	maxBody      int64
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" {
		if !h.origins[origin] {
			if r.Method == http.MethodOptions {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
		} else {
			hdr.Set("Access-Control-Allow-Origin", origin)
			hdr.Set("Access-Control-Allow-Credentials", "true")
			hdr.Set("Access-Control-Allow-Headers", "Authorization,Authorization-Extras,Content-Type,X-Namespace")
			hdr.Set("Access-Control-Allow-Methods", "POST,OPTIONS")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusOK)
				return
			}
		}
	}
	if r.Method != http.MethodPost {
		hdr.Set("Allow", "POST, OPTIONS")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	if h.authenticate != nil {
		if err := h.authenticate(r); err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	if r.ContentLength > h.maxBody {
		http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
		return
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the request body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h.codec.ServeHTTP(w, r)
}
