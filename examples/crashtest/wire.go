package crashtest

import (
	"encoding/json"
	"errors"

	"github.com/orderflow/orderflow"
)

// The ledger's HTTP endpoints, one per provider method. Each takes the
// orderflow request type as JSON and answers with a reply.
const (
	pathCharge  = "/payment/charge"
	pathRefund  = "/payment/refund"
	pathReserve = "/inventory/reserve"
	pathRelease = "/inventory/release"
	pathArrange = "/delivery/arrange"
	pathSend    = "/email/send"
)

// reply is the ledger's answer. HTTP 200 carries a Result or a business
// Failure; any other status is a transient error described by Error.
type reply struct {
	Result json.RawMessage `json:"result,omitempty"`
	// Failure names the permanent business failure (see failureKinds).
	Failure string `json:"failure,omitempty"`
	Error   string `json:"error,omitempty"`
}

// failureKinds are the names of the provider sentinels on the wire.
var failureKinds = []struct {
	kind string
	err  error
}{
	{"payment_declined", orderflow.ErrPaymentDeclined},
	{"out_of_stock", orderflow.ErrOutOfStock},
	{"undeliverable", orderflow.ErrUndeliverable},
	{"permanent", orderflow.ErrPermanent},
}

// failureKind returns the wire name of the sentinel err wraps, or "" when
// err is not a business failure.
func failureKind(err error) string {
	for _, f := range failureKinds {
		if errors.Is(err, f.err) {
			return f.kind
		}
	}
	return ""
}

// sentinelOf returns the sentinel named kind, or nil.
func sentinelOf(kind string) error {
	for _, f := range failureKinds {
		if f.kind == kind {
			return f.err
		}
	}
	return nil
}
