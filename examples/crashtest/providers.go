package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/orderflow/orderflow"
)

// ledgerClient implements the four provider interfaces as thin HTTP
// clients of the parent's ledger. It runs in the worker process and keeps
// no state, so killing the worker loses nothing but calls in flight.
type ledgerClient struct {
	base string
	hc   *http.Client
}

var (
	_ orderflow.PaymentProvider   = (*ledgerClient)(nil)
	_ orderflow.InventoryProvider = (*ledgerClient)(nil)
	_ orderflow.DeliveryProvider  = (*ledgerClient)(nil)
	_ orderflow.EmailProvider     = (*ledgerClient)(nil)
)

func newLedgerClient(base string) *ledgerClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	// No client timeout: each call ends with its activity's context.
	return &ledgerClient{base: base, hc: &http.Client{Transport: tr}}
}

func (c *ledgerClient) Charge(ctx context.Context, req orderflow.ChargeRequest) (orderflow.PaymentResult, error) {
	var res orderflow.PaymentResult
	err := c.call(ctx, pathCharge, req, &res)
	return res, err
}

func (c *ledgerClient) Refund(ctx context.Context, req orderflow.RefundRequest) error {
	return c.call(ctx, pathRefund, req, nil)
}

func (c *ledgerClient) Reserve(ctx context.Context, req orderflow.ReserveRequest) (orderflow.InventoryResult, error) {
	var res orderflow.InventoryResult
	err := c.call(ctx, pathReserve, req, &res)
	return res, err
}

func (c *ledgerClient) Release(ctx context.Context, req orderflow.ReleaseRequest) error {
	return c.call(ctx, pathRelease, req, nil)
}

func (c *ledgerClient) Arrange(ctx context.Context, req orderflow.DeliveryRequest) (orderflow.DeliveryResult, error) {
	var res orderflow.DeliveryResult
	err := c.call(ctx, pathArrange, req, &res)
	return res, err
}

func (c *ledgerClient) Send(ctx context.Context, msg orderflow.Email) error {
	return c.call(ctx, pathSend, msg, nil)
}

// call posts req to path and decodes the result into res (if not nil). A
// business failure wraps its orderflow sentinel; everything else, including
// the end of ctx, is a plain error, which the workflow retries.
func (c *ledgerClient) call(ctx context.Context, path string, req, res any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(hr)
	if err != nil {
		return fmt.Errorf("ledger %s: %w", path, err)
	}
	defer resp.Body.Close()
	var rep reply
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&rep); err != nil {
		return fmt.Errorf("ledger %s: HTTP %d, unreadable answer: %w", path, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ledger %s: HTTP %d: %s", path, resp.StatusCode, rep.Error)
	}
	if rep.Failure != "" {
		sentinel := sentinelOf(rep.Failure)
		if sentinel == nil {
			return fmt.Errorf("ledger %s: unknown failure %q: %s", path, rep.Failure, rep.Error)
		}
		return fmt.Errorf("ledger %s: %s: %w", path, rep.Error, sentinel)
	}
	if res == nil {
		return nil
	}
	return json.Unmarshal(rep.Result, res)
}
