package inbox_test

import (
	"context"
	"errors"
	"log"
	"net/http"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/inbox"
)

// The inbox under /inbox/ of a server, with approvers named by a header
// that an authenticating proxy in front of it sets (and strips from
// clients' requests).
func Example() {
	tc, err := client.Dial(client.Options{HostPort: "localhost:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer tc.Close()
	// The inbox lists orders through Temporal's visibility store: the
	// namespace needs orderflow's search attributes (once; idempotent), and
	// the Client Options.Visibility, without which inbox.New refuses it.
	if err := orderflow.RegisterSearchAttributes(context.Background(), tc, "default"); err != nil {
		log.Fatal(err)
	}
	orders, err := orderflow.NewClient(tc, &orderflow.Options{Visibility: true})
	if err != nil {
		log.Fatal(err)
	}
	h, err := inbox.New(orders, inbox.Options{
		Authenticate: func(r *http.Request) (string, error) {
			name := r.Header.Get("X-Authenticated-User")
			if name == "" {
				return "", errors.New("no authenticated user")
			}
			return name, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/inbox/", http.StripPrefix("/inbox", h))
	log.Fatal(http.ListenAndServe("localhost:8080", mux))
}
