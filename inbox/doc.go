// Package inbox is a web page for approvers: the orders awaiting approval,
// oldest first, with their customer, total, items, how long they have
// waited and how long they have left, and a form to approve or reject each
// one with a reason. It also lists all orders by status and shows each
// order's full state.
//
// It needs nothing but the standard library and an orderflow.Client made
// with orderflow.Options.Visibility: the listings come from
// Client.ListOrders, so orders must be started with Visibility and the
// namespace must have the search attributes registered
// (orderflow.RegisterSearchAttributes). New refuses a Client without
// Visibility, whose inbox would stay empty. Decisions are sent through the
// Client under the approver name that Options.Authenticate returns; without
// Authenticate the inbox is read-only.
//
//	// Once per namespace; idempotent.
//	if err := orderflow.RegisterSearchAttributes(ctx, temporalClient, "default"); err != nil { … }
//	orders, err := orderflow.NewClient(temporalClient, &orderflow.Options{Visibility: true})
//	if err != nil { … }
//	h, err := inbox.New(orders, inbox.Options{
//		// Your authentication: a session, a header set by your proxy, …
//		Authenticate: func(r *http.Request) (string, error) {
//			user, ok := sessions.User(r)
//			if !ok {
//				return "", errors.New("no session")
//			}
//			return user.Name, nil
//		},
//	})
//	if err != nil { … }
//	mux := http.NewServeMux()
//	mux.Handle("/inbox/", http.StripPrefix("/inbox", h))
//	log.Fatal(http.ListenAndServe("localhost:8080", mux))
//
// # Pages
//
//   - GET / lists the orders awaiting approval, a page at a time
//     (Options.PageSize), with "Next page" and "First page" links. Each
//     row has its own reason box and Approve and Reject buttons, whose
//     accessible names name the order. A page link edited by hand is a
//     400 (the Client refuses a page token it did not make) or a page of
//     orders; it never costs more than a first page.
//   - GET /orders?status=… lists all orders, or those with one status
//     (awaiting_approval, running, completed, rejected, timed_out,
//     cancelled, failed, needs_attention); an unknown status is a 400.
//   - GET /orders/{id} shows an order's state: status, step, the provider
//     call running now and its retries, the approval, results,
//     compensations and warnings; and the decision form while the order
//     awaits one. An unknown order is a 404.
//   - POST /orders/{id}/approve and POST /orders/{id}/reject take the form
//     field "reason". A decision that took answers 303 See Other to the
//     order's page, which confirms it; so does the same decision sent again
//     by the same approver with the same reason (a double click). A refused
//     one never shows success: when the order is no longer awaiting a
//     decision the order page comes back with 409 Conflict and says why
//     (already approved or rejected, and by whom; timed out; cancelled; no
//     approval needed). A reason the order would refuse (over
//     orderflow.MaxReasonLength bytes of UTF-8, or not plain text) is a 400,
//     nothing is sent, and the order page comes back with the reason in its
//     box and what is wrong with it; a failure to reach the order service
//     is a 502 whose page gives the reason back to copy. A decision is
//     carried through even when the browser drops the request (a second
//     click does); that is logged at Info, not as an error.
//   - The order ID is one escaped path segment ("/orders/a%2Fb" is the
//     order "a/b"). The orders ".", ".." and "/", which cannot be one
//     (browsers resolve "%2E%2E" as "..", http.ServeMux "%2F" as a
//     trailing slash), are linked as GET /order?id=.. and POST
//     /order/approve?id=.. (or reject), which serve any order ID the same
//     way.
//
// # Mounting
//
// Every link, form action and redirect the inbox writes is relative to the
// page that holds it ("../orders/ORD-1", "./?page=…"), so the handler works
// at "/" of its own server and under any prefix with http.StripPrefix, as
// above. Mount it with a trailing slash ("/inbox/"), so that "/inbox" is
// redirected to "/inbox/".
//
// # Pages for people
//
// The pages load nothing from elsewhere (one stylesheet of their own), fit
// a phone's width (each order becomes a card), follow the light or dark
// scheme with text contrast of at least 4.5:1, and show statuses in words
// ("Waiting for approval", "Timed out"). User text (names, order and
// product IDs, reasons, approvers) is isolated (bdi, dir=auto), so that
// right-to-left text or a direction override in it cannot reorder the
// inbox's own words.
//
// The reason's limit is the order service's: orderflow.MaxReasonLength
// bytes of UTF-8, not characters (Arabic letters take two bytes, Chinese
// ones three). A small inline script counts the bytes as the person types
// and holds back a form whose reason is too long; without JavaScript the
// pages work the same, plain HTML forms, POST then redirect, and the server
// refuses a long reason and gives it back. Nothing is cut short.
//
// # Safety
//
// Every response carries a Content-Security-Policy that allows only the
// inbox's own stylesheet and forms, and the reason counter by its hash (no
// other script, no framing), along with X-Content-Type-Options: nosniff
// and Referrer-Policy: same-origin; pages are Cache-Control: no-store. Cross-origin POSTs are refused with 403
// (http.CrossOriginProtection). All output goes through html/template. The
// reason is sent in the request body only, never in a URL, and the logger
// gets order IDs, decisions, approver names and errors, never customer
// names, emails, addresses or reasons.
//
// With Authenticate set, every page and decision is authenticated (the
// stylesheet is not); a refused request gets 403 and a generic message.
// A read-only inbox (no Authenticate) still shows what the order pages
// show: customer names, items, totals, approvers and reasons, and the
// providers' messages, which may name a shipping address (the in-memory
// delivery provider's does). Serve it only where its readers may see them.
package inbox
