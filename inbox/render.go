package inbox

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/orderflow/orderflow"
)

// pageNames are the templates under templates/, each a "content" block
// rendered inside layout.html.
var pageNames = []string{"inbox", "orders", "order", "error"}

// parseTemplates parses the layout once, and each page on a clone of it.
func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFS, "templates/"+name+".html")
		}
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// page is what every template gets.
type page struct {
	Title string
	// Root is the handler's root relative to the requested page ("./",
	// "../", …), so that links work wherever the handler is mounted.
	Root string
	// Approver is who the request was authenticated as; empty when the
	// inbox is read-only (ReadOnly) or the request was refused.
	Approver string
	ReadOnly bool
	Notice   *notice
	// Content is the page's own data.
	Content any
}

// notice is a message at the top of a page. Kind is "ok" or "error".
type notice struct {
	Kind string
	Text string
}

// decisionForm is a reason text area with Approve and Reject buttons.
type decisionForm struct {
	Approve, Reject string // form actions
	MaxReason       int
}

func (p page) decisionForm(orderID string) *decisionForm {
	if p.Approver == "" {
		return nil
	}
	return &decisionForm{Approve: orderLink(p.Root, orderID, "approve", nil), Reject: orderLink(p.Root, orderID, "reject", nil),
		MaxReason: orderflow.MaxReasonLength}
}

// rootOf returns the relative path from the page r asks for to the
// handler's root: "./" for "/" and "/orders", "../" for "/orders/{id}",
// "../../" for "/orders/{id}/approve". It counts slashes in the escaped
// path, as a browser resolves relative links against it.
func rootOf(r *http.Request) string {
	n := strings.Count(r.URL.EscapedPath(), "/") - 1
	if n <= 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}

// begin authenticates r and starts its page. When it returns false the
// request was refused and answered.
func (h *handler) begin(w http.ResponseWriter, r *http.Request, title string) (page, bool) {
	p := page{Title: title, Root: rootOf(r)}
	if h.opts.Authenticate == nil {
		p.ReadOnly = true
		return p, true
	}
	name, err := h.opts.Authenticate(r)
	if err == nil && name == "" {
		err = errEmptyApprover
	}
	if err != nil {
		h.log.Warn("inbox: request refused: authentication failed", "method", r.Method, "path", r.URL.Path, "error", err)
		h.fail(w, r, http.StatusForbidden, "You are not allowed to use this inbox.")
		return p, false
	}
	p.Approver = name
	return p, true
}

type authError string

func (e authError) Error() string { return string(e) }

const errEmptyApprover = authError("Authenticate returned no approver name")

// render executes the page template name into a buffer, then writes it
// with status code, so that a template error is a clean 500.
func (h *handler) render(w http.ResponseWriter, code int, name string, p page) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("inbox: render page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// fail answers with the error page: status code and a message for people.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	p := page{Title: http.StatusText(code), Root: rootOf(r), Notice: &notice{Kind: "error", Text: msg}}
	h.render(w, code, "error", p)
}
