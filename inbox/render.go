package inbox

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/orderflow/orderflow"
)

// pageNames are the templates under templates/, each a "content" block
// rendered inside layout.html.
var pageNames = []string{"inbox", "orders", "order", "error"}

// templateFuncs are the words and pieces the templates use.
var templateFuncs = template.FuncMap{
	"statusWord":   statusWord,
	"statusTone":   statusTone,
	"approvalWord": approvalWord,
	"stepWord":     stepWord,
	"activityWord": activityWord,
	"thousands":    thousands[int64],
	// reasonScript is trusted: it is the inbox's own, embedded.
	"reasonScript": func() template.JS { return template.JS(reasonScript) },
}

// parseTemplates parses the layout once, and each page on a clone of it.
func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html")
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
	// Title is the document's title; Heading, if not empty, the page's
	// heading (with user text isolated), else Title.
	Title   string
	Heading []textPart
	// Section is the part of the inbox the page belongs to: "inbox" or
	// "orders", for the navigation.
	Section string
	// Root is the handler's root relative to the requested page ("./",
	// "../", …), so that links work wherever the handler is mounted.
	Root string
	// Approver is who the request was authenticated as; empty when the
	// inbox is read-only (ReadOnly) or the request was refused.
	Approver string
	ReadOnly bool
	Notice   *notice
	// Script is set on pages with a decision form: they inline the reason
	// counter.
	Script bool
	// Kept is a reason that was not sent, given back on the error page so
	// that its text is not lost.
	Kept string
	// Content is the page's own data.
	Content any
}

// textPart is a piece of a message. User text (a name, a reason, an order
// ID) is isolated from the text around it, so that right-to-left text or a
// stray direction override in it cannot reorder the message.
type textPart struct {
	Text string
	User bool
}

// user marks s as user text in a message.
type user string

// say makes a message of parts: strings are the inbox's words, user values
// are user text.
func say(parts ...any) []textPart {
	var out []textPart
	for _, p := range parts {
		switch p := p.(type) {
		case user:
			out = append(out, textPart{Text: string(p), User: true})
		case string:
			out = append(out, textPart{Text: p})
		default:
			panic(fmt.Sprintf("inbox: say: %T", p))
		}
	}
	return out
}

// plain is the text of parts.
func plain(parts []textPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// notice is a message at the top of a page. Kind is "ok" (announced as a
// status) or "error" (announced as an alert).
type notice struct {
	Kind  string
	Parts []textPart
}

func okNotice(parts ...any) *notice    { return &notice{Kind: "ok", Parts: say(parts...)} }
func errorNotice(parts ...any) *notice { return &notice{Kind: "error", Parts: say(parts...)} }

// Text is the notice as plain text.
func (n *notice) Text() string { return plain(n.Parts) }

// decisionForm is a reason text area with Approve and Reject buttons, for
// one order.
type decisionForm struct {
	OrderID         string
	Approve, Reject string // form actions
	// Key makes the form's element IDs unique on the page.
	Key       string
	MaxReason int64
	// Reason is the text the box holds: a reason given back after it was
	// refused. Problem says what is wrong with it, if anything.
	Reason  string
	Problem string
}

func (p page) decisionForm(orderID, key string) *decisionForm {
	if p.Approver == "" {
		return nil
	}
	return &decisionForm{OrderID: orderID, Key: key,
		Approve: orderLink(p.Root, orderID, "approve", nil), Reject: orderLink(p.Root, orderID, "reject", nil),
		MaxReason: orderflow.MaxReasonLength}
}

// Count is what the form says of its reason's length before the script
// (if it runs) takes over: nothing for an empty box.
func (f *decisionForm) Count() string {
	n := int64(len(f.Reason))
	switch {
	case n == 0:
		return ""
	case n > f.MaxReason:
		return "Too long by " + thousands(n-f.MaxReason) + plural(n-f.MaxReason, " byte", " bytes") + ": shorten the reason to send it."
	}
	return thousands(f.MaxReason-n) + plural(f.MaxReason-n, " byte left.", " bytes left.")
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
func (h *handler) begin(w http.ResponseWriter, r *http.Request, title, section string) (page, bool) {
	p := page{Title: title, Section: section, Root: rootOf(r)}
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
		h.fail(w, r, http.StatusForbidden, errorNotice("You are not allowed to use this inbox."))
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

// fail answers with the error page: status code and a notice for people.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, code int, n *notice) {
	h.failKeeping(w, r, code, n, "")
}

// failKeeping is fail for a decision that was not sent: the page gives the
// reason back, to copy, so that its text is not lost.
func (h *handler) failKeeping(w http.ResponseWriter, r *http.Request, code int, n *notice, reason string) {
	p := page{Title: http.StatusText(code), Root: rootOf(r), Notice: n, Kept: reason}
	h.render(w, code, "error", p)
}
