package orderflowtest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// A test steers the in-memory providers and then checks what they did.
func Example() {
	acts, providers := orderflowtest.NewActivities()
	providers.UseSequentialIDs()
	providers.Delivery.Now = func() time.Time { return time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC) }
	providers.Payment.ChargeFaults.FailNext(1, orderflowtest.ErrTransient)
	providers.Inventory.SetStock("MOUSE-001", 1)

	ctx := context.Background()
	charge := orderflow.ChargeRequest{IdempotencyKey: "ORD-001/process_payment", OrderID: "ORD-001",
		Amount: orderflow.USD(8995)}
	if _, err := acts.Payment.Charge(ctx, charge); !errors.Is(err, orderflowtest.ErrTransient) {
		log.Fatalf("want the injected transient failure, got %v", err)
	}
	paid, err := acts.Payment.Charge(ctx, charge) // the retry
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(paid.TransactionID, paid.Message)

	_, err = acts.Inventory.Reserve(ctx, orderflow.ReserveRequest{IdempotencyKey: "ORD-001/reserve_inventory",
		OrderID: "ORD-001", Items: []orderflow.Item{{ProductID: "MOUSE-001", Quantity: 2}}})
	fmt.Println(errors.Is(err, orderflow.ErrOutOfStock))

	shipped, err := acts.Delivery.Arrange(ctx, orderflow.DeliveryRequest{IdempotencyKey: "ORD-001/arrange_delivery",
		OrderID: "ORD-001", Address: "123 Main St, Anytown, USA"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(shipped.TrackingNumber, shipped.EstimatedDelivery, shipped.Message)

	fmt.Println("charged:", providers.Payment.Held("ORD-001"))
	for _, c := range providers.Payment.Calls() {
		fmt.Println(c.Method, c.IdempotencyKey, c.Err)
	}
	// Output:
	// TXN-000000000001 Payment of $89.95 processed successfully
	// true
	// TRACK-0000000000000001 2025-03-17 Delivery scheduled to 123 Main St, Anytown, USA
	// charged: $89.95
	// Charge ORD-001/process_payment orderflowtest: transient failure
	// Charge ORD-001/process_payment <nil>
}
