package inbox

import (
	"embed"
	"errors"
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

// maxBodyBytes bounds the body of a decision POST: a reason is at most
// orderflow.MaxReasonLength bytes, form-encoded.
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
	// zero, at most maxPageSize.
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

// handler serves the inbox's pages.
type handler struct {
	c     *orderflow.Client
	opts  Options
	log   *slog.Logger
	pages map[string]*template.Template
}

// New returns the inbox handler. It fails when c is nil or an option is
// out of range.
//
// Mount it at "/" of its own server, or under a prefix with
// http.StripPrefix (mux.Handle("/inbox/", http.StripPrefix("/inbox", h))):
// every link, form action and redirect it writes is relative to the page
// that holds it, so it works under any prefix.
func New(c *orderflow.Client, opts Options) (http.Handler, error) {
	if c == nil {
		return nil, errors.New("inbox: new: orderflow client is nil")
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
	h := &handler{c: c, opts: opts, log: opts.Logger}
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
	mux.HandleFunc("POST /orders/{id}/approve", h.decide(orderflow.ApprovalApproved))
	mux.HandleFunc("POST /orders/{id}/reject", h.decide(orderflow.ApprovalRejected))
	// The same for the order IDs ".", ".." and "/", whose links carry
	// them in the query (see orderLink).
	mux.HandleFunc("GET /order", h.order)
	mux.HandleFunc("POST /order/approve", h.decide(orderflow.ApprovalApproved))
	mux.HandleFunc("POST /order/reject", h.decide(orderflow.ApprovalRejected))
	mux.HandleFunc("GET /static/inbox.css", serveStylesheet)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, "There is no such page.")
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log.Warn("inbox: cross-origin request refused", "method", r.Method, "path", r.URL.Path)
		h.fail(w, r, http.StatusForbidden, "Refused: this form was sent from another site.")
	}))
	return securityHeaders(cop.Handler(mux))
}

// contentSecurityPolicy allows the inbox's own stylesheet and forms, and
// nothing else: no script, no framing.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

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
