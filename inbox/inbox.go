package inbox

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/orderflow/orderflow"
)

// DefaultPageSize is how many orders a page lists when Options.PageSize is
// zero.
const DefaultPageSize = 25

// maxBodyBytes bounds the body of a decision POST. A reason is at most
// orderflow.MaxReasonLength bytes, but a longer one must get through to be
// refused with its text given back: 64 KiB holds, form-encoded, a reason of
// over 5,000 characters of any script, five times the limit or more.
const maxBodyBytes = 64 << 10

// Options configure the handler. A zero Options is a read-only inbox.
type Options struct {
	// Authenticate authenticates a request and names its approver; an
	// error refuses the request: the client sees 403 and a generic
	// message, and the error is logged (keep personal data out of it). It
	// is called for every page and decision, not for the stylesheet. An
	// empty approver name with a nil error is refused too: a decision
	// made through the inbox always names who made it.
	//
	// If nil, the inbox is read-only: no decision forms are shown and
	// decision POSTs are refused with 403. A read-only inbox authenticates
	// nobody: put it behind something that does, since it shows customer
	// names and the providers' messages (see the package doc).
	Authenticate func(r *http.Request) (approver string, err error)
	// PageSize is the number of orders per page: DefaultPageSize (25) if
	// zero, at most 1000.
	PageSize int
	// Logger receives a record of each decision and each error; if nil,
	// slog.Default(). It logs order IDs, decisions, approver names and
	// errors, never customer names, emails, addresses or reasons.
	Logger *slog.Logger
	// Now is the clock of "waiting" and "time left"; if nil, time.Now.
	Now func() time.Time
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/inbox.css
var stylesheet []byte

// reasonScript counts a reason's bytes as the person types (see
// templates/layout.html). The pages inline it, and the Content-Security-Policy
// allows it by its hash and no other script.
//
//go:embed static/reason.js
var reasonScript string

// handler serves the inbox's pages.
type handler struct {
	svc   orderService
	opts  Options
	log   *slog.Logger
	pages map[string]*template.Template
}

// New returns the inbox handler. It fails when c is nil, when c was made
// without orderflow.Options.Visibility (the inbox lists orders through the
// visibility store, and would show none), or when an option is out of
// range.
//
// Mount it at "/" of its own server, or under a prefix with
// http.StripPrefix (mux.Handle("/inbox/", http.StripPrefix("/inbox", h))):
// every link, form action and redirect it writes is relative to the page
// that holds it, so it works under any prefix.
func New(c *orderflow.Client, opts Options) (http.Handler, error) {
	if err := checkClient(c); err != nil {
		return nil, err
	}
	switch {
	case opts.PageSize < 0 || opts.PageSize > maxPageSize:
		return nil, fmt.Errorf("inbox: new: PageSize must be between 1 and %d, or 0 for %d; got %d",
			maxPageSize, DefaultPageSize, opts.PageSize)
	case opts.PageSize == 0:
		opts.PageSize = DefaultPageSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &handler{svc: orderService{c}, opts: opts, log: opts.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("inbox: new: %w", err)
	}
	h.pages = pages
	return h.routes(), nil
}

// routes wires the pages into a mux, behind cross-origin protection and
// the security headers.
func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.inbox)
	mux.HandleFunc("GET /orders", h.orders)
	mux.HandleFunc("GET /orders/{id}", h.order)
	mux.HandleFunc("POST /orders/{id}/approve", h.decide(true))
	mux.HandleFunc("POST /orders/{id}/reject", h.decide(false))
	// The same for the order IDs ".", ".." and "/", whose links carry
	// them in the query (see orderLink).
	mux.HandleFunc("GET /order", h.order)
	mux.HandleFunc("POST /order/approve", h.decide(true))
	mux.HandleFunc("POST /order/reject", h.decide(false))
	mux.HandleFunc("GET /static/inbox.css", serveStylesheet)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, errorNotice("There is no such page."))
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log.Warn("inbox: cross-origin request refused", "method", r.Method, "path", r.URL.Path)
		h.fail(w, r, http.StatusForbidden, errorNotice("Refused: this form was sent from another site."))
	}))
	return securityHeaders(cop.Handler(mux))
}

// contentSecurityPolicy allows the inbox's own stylesheet, forms and
// reason counter (by its hash), and nothing else: no other script, no
// framing.
var contentSecurityPolicy = "default-src 'none'; script-src '" + scriptHash(reasonScript) +
	"'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// scriptHash is the CSP source that allows the inline script src.
func scriptHash(src string) string {
	sum := sha256.Sum256([]byte(src))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func serveStylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(stylesheet)
}
