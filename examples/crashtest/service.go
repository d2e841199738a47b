package crashtest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/orderflow/orderflow"
)

// service serves the ledger over HTTP on loopback, injecting faults. It
// lives in the test process, so the books survive every kill of the worker.
type service struct {
	ledger   *ledger
	faults   *injector
	srv      *http.Server
	url      string
	inflight atomic.Int64
}

// startService serves l on a free loopback port.
func startService(l *ledger, f *injector) (*service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &service{ledger: l, faults: f, url: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	handle(s, mux, pathCharge, func(r orderflow.ChargeRequest) string { return r.IdempotencyKey }, l.Charge)
	handle(s, mux, pathRefund, func(r orderflow.RefundRequest) string { return r.IdempotencyKey }, noResult(l.Refund))
	handle(s, mux, pathReserve, func(r orderflow.ReserveRequest) string { return r.IdempotencyKey }, l.Reserve)
	handle(s, mux, pathRelease, func(r orderflow.ReleaseRequest) string { return r.IdempotencyKey }, noResult(l.Release))
	handle(s, mux, pathArrange, func(r orderflow.DeliveryRequest) string { return r.IdempotencyKey }, l.Arrange)
	handle(s, mux, pathSend, func(m orderflow.Email) string { return m.IdempotencyKey }, noResult(l.Send))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func noResult[Req any](fn func(Req) error) func(Req) (struct{}, error) {
	return func(r Req) (struct{}, error) { return struct{}{}, fn(r) }
}

// handle serves one provider method at path: it decodes the request, draws
// the call's fault and applies the method accordingly.
func handle[Req, Res any](s *service, mux *http.ServeMux, path string, key func(Req) string, apply func(Req) (Res, error)) {
	mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		var req Req
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeReply(w, http.StatusBadRequest, reply{Error: "bad request: " + err.Error()})
			return
		}
		// Reading the body to its end lets the server notice when the
		// caller hangs up, which ends a lost reply's wait.
		_, _ = io.Copy(io.Discard, r.Body)
		f, rng := s.faults.pick(path, key(req))
		switch f {
		case faultTransient:
			writeReply(w, http.StatusServiceUnavailable, reply{Error: "injected transient failure"})
			return
		case faultSlow:
			// The caller's context ends meanwhile; the effect lands anyway.
			time.Sleep(s.faults.slowDelay(rng))
		}
		res, err := apply(req)
		switch f {
		case faultLostError:
			writeReply(w, http.StatusBadGateway, reply{Error: "injected lost reply"})
			return
		case faultLostHang:
			select {
			case <-r.Context().Done():
			case <-time.After(s.faults.hangLimit()):
			}
			writeReply(w, http.StatusGatewayTimeout, reply{Error: "injected lost reply (no answer)"})
			return
		}
		writeResult(w, res, err)
	})
}

func writeResult(w http.ResponseWriter, res any, err error) {
	if err != nil {
		kind := failureKind(err)
		if kind == "" {
			writeReply(w, http.StatusInternalServerError, reply{Error: err.Error()})
			return
		}
		// The client wraps the sentinel again; do not say it twice.
		msg := strings.TrimSuffix(err.Error(), ": "+sentinelOf(kind).Error())
		writeReply(w, http.StatusOK, reply{Failure: kind, Error: msg})
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		writeReply(w, http.StatusInternalServerError, reply{Error: err.Error()})
		return
	}
	writeReply(w, http.StatusOK, reply{Result: b})
}

func writeReply(w http.ResponseWriter, status int, rep reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(rep)
}

// drain waits until no call is in progress, slow ones included, so that
// the books no longer change; it reports whether that happened in time.
func (s *service) drain(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for s.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// close stops accepting calls. Calls in progress go on; see drain.
func (s *service) close() { _ = s.srv.Close() }
