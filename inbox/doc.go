// Package inbox is a web page for approvers: the orders awaiting approval,
// oldest first, with their customer, total, items, how long they have
// waited and how long they have left, and a form to approve or reject each
// one with a reason. It also lists all orders by status and shows each
// order's full state.
//
// It needs nothing but the standard library and an orderflow.Client: the
// listings come from Client.ListOrders, so orders must be started with
// orderflow.Options.Visibility and the namespace must have the search
// attributes registered (orderflow.RegisterSearchAttributes). Decisions go
// through Client.ApproveAs and Client.RejectAs under the approver name that
// Options.Authenticate returns; without Authenticate the inbox is read-only.
//
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
//     (Options.PageSize), with "Next page" and "First page" links.
//   - GET /orders?status=… lists all orders, or those with one status
//     (awaiting_approval, running, completed, rejected, timed_out,
//     cancelled, failed, needs_attention); an unknown status is a 400.
//   - GET /orders/{id} shows an order's state: status, step, the provider
//     call running now and its retries, the approval, results,
//     compensations and warnings; and the decision form while the order
//     awaits one. An unknown order is a 404.
//   - POST /orders/{id}/approve and POST /orders/{id}/reject take the form
//     field "reason". A decision that took answers 303 See Other to the
//     order's page, which confirms it. A refused one never shows success:
//     when the order is no longer awaiting a decision the order page comes
//     back with 409 Conflict and says why (already approved or rejected,
//     and by whom; timed out; cancelled; no approval needed). An invalid
//     reason is a 400 and nothing is sent; a failure to reach the order
//     service a 502.
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
// # Safety
//
// The pages use no JavaScript: plain HTML forms, POST then redirect. Every
// response carries a Content-Security-Policy that allows only the inbox's
// own stylesheet and forms (no script at all, no framing), along with
// X-Content-Type-Options: nosniff and Referrer-Policy: same-origin; pages
// are Cache-Control: no-store. Cross-origin POSTs are refused with 403
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
