package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/orderflow/orderflow"
)

// cancelNatively cancels the order's workflow the way the Temporal CLI and
// UI do, bypassing the typed Client.
func (e *env) cancelNatively(id string) {
	e.t.Helper()
	if err := e.tc.CancelWorkflow(e.ctx, orderflow.WorkflowID(id), ""); err != nil {
		e.t.Fatalf("CancelWorkflow(%s): %v", id, err)
	}
}

// TestNativeCancel cancels orders with client.CancelWorkflow at each stage.
func TestNativeCancel(t *testing.T) {
	t.Parallel()
	t.Run("awaiting approval", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		id := e.id("1")
		e.mustStart(largeOrder(id))
		e.waitForApproval(id, orderflow.ApprovalPending)
		e.cancelNatively(id)
		res, _ := e.result(id, orderflow.StatusCancelled)
		if len(e.p.Payment.Calls()) != 0 || e.charged(id) != 0 {
			t.Errorf("payment calls %+v; want nothing charged", e.p.Payment.Calls())
		}
		if len(res.Compensations) != 0 {
			t.Errorf("compensations %+v; want none, nothing was done", res.Compensations)
		}
	})
	t.Run("during payment", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepPayment)
		id := e.id("1")
		e.mustStart(smallOrder(id))
		e.waitForStep(id, orderflow.StepPayment)
		e.cancelNatively(id)
		held[0].open()
		res, _ := e.result(id, orderflow.StatusCancelled)
		// The charge's outcome was unknown when it was cancelled, so it is
		// refunded by key whether or not it landed.
		assertCompensated(t, e, res, id, orderflow.ActivityRefundPayment)
		if len(e.p.Inventory.Calls()) != 0 || len(e.p.Delivery.Calls()) != 0 {
			t.Errorf("inventory %+v / delivery %+v called after the cancel", e.p.Inventory.Calls(), e.p.Delivery.Calls())
		}
	})
	t.Run("during inventory", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepInventory)
		id := e.id("1")
		e.mustStart(smallOrder(id))
		e.waitForStep(id, orderflow.StepInventory)
		e.cancelNatively(id)
		held[0].open()
		res, _ := e.result(id, orderflow.StatusCancelled)
		assertCompensated(t, e, res, id, orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment)
		if len(e.chargesOf(id)) != 1 || len(e.p.Payment.Refunds()) != 1 {
			t.Errorf("charges %+v, refunds %+v; want one charge, refunded", e.chargesOf(id), e.p.Payment.Refunds())
		}
		if len(e.p.Delivery.Calls()) != 0 {
			t.Errorf("delivery called after the cancel: %+v", e.p.Delivery.Calls())
		}
	})
	t.Run("after delivery started", func(t *testing.T) {
		t.Parallel()
		e, held := newEnvHolding(t, nil, orderflow.StepDelivery)
		id := e.id("1")
		e.mustStart(smallOrder(id))
		e.waitForStep(id, orderflow.StepDelivery)
		e.cancelNatively(id)
		held[0].open()
		res, _ := e.result(id, orderflow.StatusCompleted)
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "cancel") {
			t.Errorf("warnings %q; want one noting the late cancel", res.Warnings)
		}
		if e.charged(id) != smallTotal || len(res.Compensations) != 0 || e.p.Inventory.Reserved(id) == nil {
			t.Errorf("charged %d, compensations %+v; want the order kept whole", e.charged(id), res.Compensations)
		}
		if len(e.p.Delivery.Shipments()) != 1 || len(e.p.Email.Sent()) != 1 {
			t.Errorf("shipments %d, mails %d; want the order finished", len(e.p.Delivery.Shipments()), len(e.p.Email.Sent()))
		}
	})
}

// landsDespiteCancel is an InventoryProvider whose Reserve, once sent,
// completes even if the activity is cancelled, as a request already on the
// wire to a remote warehouse would.
type landsDespiteCancel struct{ orderflow.InventoryProvider }

func (l landsDespiteCancel) Reserve(ctx context.Context, req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	return l.InventoryProvider.Reserve(context.WithoutCancel(ctx), req)
}

// TestCancelWaitsForTheStepInFlight: a cancelled step is waited for, so its
// compensation undoes what it really did (by reservation ID), rather than
// racing it by key.
func TestCancelWaitsForTheStepInFlight(t *testing.T) {
	t.Parallel()
	e := newEnvWithoutWorker(t, nil, nil)
	held := e.hold(orderflow.StepInventory)
	e.acts.Inventory = landsDespiteCancel{e.acts.Inventory} // held, then lands
	e.startWorker()
	id := e.id("1")
	e.mustStart(smallOrder(id))
	e.waitForStep(id, orderflow.StepInventory)
	if err := e.orders.Cancel(e.ctx, id, "changed my mind"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	held.open()
	res, _ := e.result(id, orderflow.StatusCancelled)
	assertCompensated(t, e, res, id, orderflow.ActivityReleaseInventory, orderflow.ActivityRefundPayment)
	reservations := e.p.Inventory.Reservations()
	if len(reservations) != 1 || !reservations[0].Released {
		t.Fatalf("reservations %+v; want the one that landed, released", reservations)
	}
	if got := res.Compensations[0].Reference; got != reservations[0].ReservationID {
		t.Errorf("release undid %q; want the landed reservation %q (the workflow did not wait for the step)",
			got, reservations[0].ReservationID)
	}
	if len(e.p.Delivery.Calls()) != 0 {
		t.Errorf("delivery called for a cancelled order: %+v", e.p.Delivery.Calls())
	}
}
