package encryption_test

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/encryption"
	"github.com/orderflow/orderflow/orderflowtest"
)

// A worker and a client that encrypt every order's payloads. Every process
// that runs a worker or a client for orders does the same, with the same
// keys.
func Example() {
	// In production the secrets come from a key store, never from code.
	ring, err := encryption.Keys(
		encryption.Key{ID: "2026-05", Secret: bytes.Repeat([]byte{7}, 32)}, // current: encrypts
		encryption.Key{ID: "2025-11", Secret: bytes.Repeat([]byte{3}, 32)}, // older: decrypts only
	)
	if err != nil {
		log.Fatal(err)
	}
	codec, err := encryption.NewCodec(ring)
	if err != nil {
		log.Fatal(err)
	}

	opts := client.Options{HostPort: "localhost:7233"}
	codec.ClientOptions(&opts)
	c, err := client.NewLazyClient(opts) // client.Dial(opts) in a real program
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The orderflow Client lists orders with the same data converter.
	orders, err := orderflow.NewClient(c, &orderflow.Options{DataConverter: opts.DataConverter})
	if err != nil {
		log.Fatal(err)
	}
	// The worker inherits the client's data and failure converters.
	w := worker.New(c, orders.Options().TaskQueue, worker.Options{})
	acts, _ := orderflowtest.NewActivities() // your providers in production
	if err := orderflow.Register(w, acts); err != nil {
		log.Fatal(err)
	}
	// w.Run(worker.InterruptCh()), orders.Start(ctx, order), …

	// What the service stores for an order:
	p, err := opts.DataConverter.ToPayload(orderflowtest.SmallOrder("ORD-001"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(p.Metadata["encoding"]), string(p.Metadata["encryption-cipher"]), string(p.Metadata["encryption-key-id"]))
	fmt.Println("holds the customer's name:", bytes.Contains(p.Data, []byte("Alice Smith")))

	var back orderflow.Order
	if err := opts.DataConverter.FromPayload(p, &back); err != nil {
		log.Fatal(err)
	}
	fmt.Println("decoded:", back.CustomerName)

	// A process that lacks the key says which one it needs.
	stale, err := encryption.Keys(encryption.Key{ID: "2025-11", Secret: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		log.Fatal(err)
	}
	staleCodec, err := encryption.NewCodec(stale)
	if err != nil {
		log.Fatal(err)
	}
	_, err = staleCodec.Decode([]*commonpb.Payload{p})
	fmt.Println(errors.Is(err, encryption.ErrUnknownKey), err)
	// Output:
	// binary/encrypted AES256-GCM 2026-05
	// holds the customer's name: false
	// decoded: Alice Smith
	// true orderflow/encryption: unknown key "2026-05": the keyring does not hold it (dropped too early, or not yet given to this process)
}

// A codec server for the Temporal Web UI and CLI. Point the Web UI at it
// (its codec endpoint setting, such as TEMPORAL_CODEC_ENDPOINT=https://codec.example.com)
// and the CLI with --codec-endpoint https://codec.example.com.
func ExampleCodec_Handler() {
	ring, err := encryption.Keys(encryption.Key{ID: "2026-05", Secret: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		log.Fatal(err)
	}
	codec, err := encryption.NewCodec(ring)
	if err != nil {
		log.Fatal(err)
	}
	token := os.Getenv("CODEC_TOKEN")
	h := codec.Handler(encryption.HandlerOptions{
		AllowedOrigins: []string{"https://temporal-ui.example.com"},
		Authenticate: func(r *http.Request) error {
			// Check the caller's identity: here a shared bearer token;
			// better, the Web UI user's access token, validated.
			got := []byte(r.Header.Get("Authorization"))
			if token == "" || subtle.ConstantTimeCompare(got, []byte("Bearer "+token)) != 1 {
				return errors.New("bad token")
			}
			return nil
		},
	})
	srv := &http.Server{Addr: ":8443", Handler: h}
	_ = srv // log.Fatal(srv.ListenAndServeTLS("codec.crt", "codec.key"))
}
