package orderflow

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// The defaults of Options: the Python demo's behaviour.
const (
	defaultTaskQueue       = "order-task-queue"
	defaultApprovalTimeout = 5 * time.Minute
	defaultActivityTimeout = 30 * time.Second
	defaultCallTimeout     = 10 * time.Second
)

// defaultApprovalThreshold is $1000.00.
func defaultApprovalThreshold() Money { return USD(100000) }

// Lower bounds of the durations in Options. Shorter ones are refused as
// mistakes (a unit left out: 30 instead of 30*time.Second).
const (
	minActivityTimeout = time.Second
	minApprovalTimeout = time.Second
	minRetryInterval   = time.Millisecond
)

// defaultRetry is the retry policy of the forward steps.
func defaultRetry() retry {
	return retry{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3}
}

// defaultCompensationRetry is the retry policy of compensations (refund,
// release): no attempt limit. Compensations never give up: money or stock
// left held is worse than a provider called again.
func defaultCompensationRetry() retry {
	return retry{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second}
}

// Options configure a Client and the orders it starts. A nil or zero Options
// consists entirely of default values: the Python demo's behaviour.
//
// The fields that steer an order's decisions (all but TaskQueue and
// CallTimeout) are copied into each order's workflow input when it starts:
// changing an option affects orders started afterwards, never an order
// already running.
type Options struct {
	// TaskQueue is the queue the orders run on: create their worker with
	// worker.New(c, client.Options().TaskQueue, …). If empty,
	// "order-task-queue" is used.
	TaskQueue string
	// ApprovalThreshold is the total above which (strictly greater) an order
	// waits for a decision. If zero, USD(100000), $1000.00, is used. Orders
	// must be in the threshold's currency.
	ApprovalThreshold Money
	// ApprovalTimeout is how long an order waits for a decision before it
	// ends timed_out. If zero, 5 minutes is used; at least 1 second.
	ApprovalTimeout time.Duration
	// ActivityTimeout is the start-to-close timeout of each provider call
	// attempt. If zero, 30 seconds is used; at least 1 second.
	ActivityTimeout time.Duration
	// Retry is the retry policy of payment, inventory, delivery and email.
	// nil, and zero fields, take the defaults: 1 s initial interval (at
	// least 1 ms), ×2 backoff (at least 1), 30 s maximum interval, 3
	// attempts (MaximumAttempts counts the first). Its MaximumAttempts
	// limits payment, inventory and the email only: delivery, past the
	// point of no return, uses the intervals but is retried until the
	// carrier answers. NonRetryableErrorTypes must be empty: a provider's
	// error is permanent when it wraps one of the provider sentinels.
	Retry *temporal.RetryPolicy
	// CompensationRetry is the retry policy of refunds and releases. nil,
	// and zero fields, take the defaults: 1 s initial interval, ×2
	// backoff, 30 s maximum interval. Compensations are retried until the
	// provider answers, so its MaximumAttempts must be zero: another value
	// is refused.
	CompensationRetry *temporal.RetryPolicy
	// MaxOrderTotal, if not zero, is the largest total an order may have;
	// a larger one is refused with ErrInvalidOrder before it starts. It
	// must be in the threshold's currency.
	MaxOrderTotal Money
	// CallTimeout bounds every call of the Client whose ctx has no
	// deadline, Result and Execute included, so that a stuck order or
	// server cannot hang the caller: give ctx a deadline to wait longer. If
	// zero, 10 seconds is used.
	CallTimeout time.Duration
	// Visibility, when true, makes the orders this Client starts findable
	// by status (Client.ListOrders, Client.Orders, the inbox package): they
	// carry the search attributes SearchAttributeStatus and
	// SearchAttributeApprovalDeadline, which the workflow keeps current,
	// and a memo with their summary (no email or address). The namespace
	// must have those attributes registered (RegisterSearchAttributes):
	// NewClient checks, and refuses with ErrVisibilityNotReady when they
	// are missing. Orders started without it run the same and are not
	// listed; both kinds may share a namespace.
	Visibility bool
	// LowLatency, when true, runs payment, inventory and the confirmation
	// email of the orders this Client starts as local activities, inside
	// the workflow's tasks on its worker, and starts orders eagerly when a
	// worker for TaskQueue runs on the same Temporal client in this
	// process: a small order then completes in two workflow tasks instead
	// of five. Choose it for providers that answer in milliseconds.
	//
	// Idempotency keys, compensation, the cancellation rules and crash
	// safety are as in the default mode. What differs:
	//
	//   - A local call is recorded only when its workflow task completes; a
	//     worker that dies first leaves the task to be run again, which
	//     calls again under the same keys. So the payment after an approval,
	//     the delivery and every compensation run as regular activities
	//     (on any worker of TaskQueue): scheduling one completes the task,
	//     which records what led to the call before it runs. A cancelled
	//     order also refunds and releases by key what it did not reach,
	//     since a lost run may have.
	//   - Local calls are retried by Retry as in the default mode, attempts
	//     included; the state query shows their attempts only for the
	//     regular activities (delivery, compensations), which retry on the
	//     server without adding history.
	//   - A local call in flight is not cancelled: a cancel takes effect
	//     once the call returns, and what it did is then compensated.
	//   - Queries, decisions and cancels reach an order between workflow
	//     tasks. A local call that lasts holds its task open; the worker
	//     heartbeats the task about every 8 s, adding three history events
	//     each time, and that is when a query or an Update gets in.
	//   - Local calls do not heartbeat: a worker that dies mid-call is
	//     noticed when the workflow task times out (10 s).
	LowLatency bool
	// DataConverter is the data converter of the Temporal client that c was
	// created with, when it is not the SDK's default (an encryption codec's,
	// say): listing decodes memos with it, and a Client reads the order
	// inputs it compares with it. nil: the SDK's default. The Temporal
	// client itself must have the converter of the orders' workers: one
	// without it cannot read what they write, and its Approve, Reject and
	// Cancel, whose arguments the workers can read, are applied but return
	// an error.
	DataConverter converter.DataConverter
	// MetricsHandler, if set, receives the Client's own metric: Checkout's
	// latency (orderflow_checkout_latency, by outcome). Pass the
	// MetricsHandler of the Temporal client's options, so that it goes
	// where the SDK's metrics go. The orders' metrics need no option: the
	// workflow and activities emit them through their worker's Temporal
	// client (see the package doc).
	MetricsHandler client.MetricsHandler
}

// withDefaults returns o, or the zero Options for nil, with every default
// filled in, or an error naming the field that is out of range.
func (o *Options) withDefaults() (Options, error) {
	var in Options
	if o != nil {
		in = *o
	}
	if in.TaskQueue != "" && strings.TrimSpace(in.TaskQueue) != in.TaskQueue {
		return Options{}, fmt.Errorf("orderflow: options: TaskQueue %q has leading or trailing space", in.TaskQueue)
	}
	if in.TaskQueue == "" {
		in.TaskQueue = defaultTaskQueue
	}
	if in.CallTimeout < 0 {
		return Options{}, fmt.Errorf("orderflow: options: CallTimeout must not be negative, got %v", in.CallTimeout)
	}
	if in.CallTimeout == 0 {
		in.CallTimeout = defaultCallTimeout
	}
	for _, r := range []struct {
		field string
		p     *temporal.RetryPolicy
	}{{"Retry", in.Retry}, {"CompensationRetry", in.CompensationRetry}} {
		if r.p != nil && len(r.p.NonRetryableErrorTypes) > 0 {
			return Options{}, fmt.Errorf("orderflow: options: %s.NonRetryableErrorTypes must be empty: "+
				"a provider's error is permanent when it wraps ErrPaymentDeclined, ErrOutOfStock, ErrUndeliverable or ErrPermanent", r.field)
		}
	}
	s := in.settings()
	if err := s.validate(); err != nil {
		return Options{}, fmt.Errorf("orderflow: options: %w", err)
	}
	s = s.withDefaults()
	in.ApprovalThreshold, in.ApprovalTimeout, in.ActivityTimeout = s.ApprovalThreshold, s.ApprovalTimeout, s.ActivityTimeout
	in.Retry, in.CompensationRetry, in.MaxOrderTotal = s.Retry.policy(), s.CompensationRetry.policy(), s.MaxOrderTotal
	return in, nil
}

// settings returns the part of o that travels in an order's workflow input.
func (o Options) settings() settings {
	return settings{
		ApprovalThreshold: o.ApprovalThreshold,
		ApprovalTimeout:   o.ApprovalTimeout,
		ActivityTimeout:   o.ActivityTimeout,
		Retry:             retryOf(o.Retry),
		CompensationRetry: retryOf(o.CompensationRetry),
		MaxOrderTotal:     o.MaxOrderTotal,
		Visibility:        o.Visibility,
		LowLatency:        o.LowLatency,
	}
}

// retryOf returns p in the form an order's plan carries; nil is the zero
// retry, all defaults.
func retryOf(p *temporal.RetryPolicy) retry {
	if p == nil {
		return retry{}
	}
	return retry{InitialInterval: p.InitialInterval, BackoffCoefficient: p.BackoffCoefficient,
		MaximumInterval: p.MaximumInterval, MaximumAttempts: p.MaximumAttempts}
}

// retry is an activity retry policy as an order's plan carries it. A zero
// field takes the value of the policy's default (see Options.Retry and
// Options.CompensationRetry).
type retry struct {
	// InitialInterval is the wait before the first retry; at least 1 ms.
	InitialInterval time.Duration `json:"initial_interval_ns"`
	// BackoffCoefficient multiplies the wait after each retry; at least 1.
	BackoffCoefficient float64 `json:"backoff_coefficient"`
	// MaximumInterval caps the wait between retries.
	MaximumInterval time.Duration `json:"maximum_interval_ns"`
	// MaximumAttempts counts the first attempt: 3 means two retries.
	MaximumAttempts int32 `json:"maximum_attempts,omitempty"`
}

func (r retry) withDefaults(d retry) retry {
	if r.InitialInterval == 0 {
		r.InitialInterval = d.InitialInterval
	}
	if r.BackoffCoefficient == 0 {
		r.BackoffCoefficient = d.BackoffCoefficient
	}
	if r.MaximumInterval == 0 {
		r.MaximumInterval = d.MaximumInterval
	}
	if r.MaximumAttempts == 0 {
		r.MaximumAttempts = d.MaximumAttempts
	}
	return r
}

func (r retry) validate(field string) error {
	switch {
	case r.InitialInterval < 0:
		return fmt.Errorf("%s.initial_interval: must not be negative, got %v", field, r.InitialInterval)
	case r.BackoffCoefficient != 0 && r.BackoffCoefficient < 1:
		return fmt.Errorf("%s.backoff_coefficient: must be at least 1, got %v", field, r.BackoffCoefficient)
	case r.MaximumInterval < 0:
		return fmt.Errorf("%s.maximum_interval: must not be negative, got %v", field, r.MaximumInterval)
	case r.MaximumAttempts < 0:
		return fmt.Errorf("%s.maximum_attempts: must not be negative, got %d", field, r.MaximumAttempts)
	}
	return nil
}

func (r retry) policy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    r.InitialInterval,
		BackoffCoefficient: r.BackoffCoefficient,
		MaximumInterval:    r.MaximumInterval,
		MaximumAttempts:    r.MaximumAttempts,
	}
}

// settings are the options that steer an order's decisions, as its plan
// carries them (see plan): plain JSON, durations in nanoseconds.
type settings struct {
	ApprovalThreshold Money         `json:"approval_threshold"`
	ApprovalTimeout   time.Duration `json:"approval_timeout_ns"`
	ActivityTimeout   time.Duration `json:"activity_timeout_ns"`
	Retry             retry         `json:"retry"`
	CompensationRetry retry         `json:"compensation_retry"`
	MaxOrderTotal     Money         `json:"max_order_total"`
	Visibility        bool          `json:"visibility,omitempty"`
	LowLatency        bool          `json:"low_latency,omitempty"`
}

func (s settings) withDefaults() settings {
	if s.ApprovalThreshold == (Money{}) {
		s.ApprovalThreshold = defaultApprovalThreshold()
	}
	if s.ApprovalTimeout == 0 {
		s.ApprovalTimeout = defaultApprovalTimeout
	}
	if s.ActivityTimeout == 0 {
		s.ActivityTimeout = defaultActivityTimeout
	}
	s.Retry = s.Retry.withDefaults(defaultRetry())
	s.CompensationRetry = s.CompensationRetry.withDefaults(defaultCompensationRetry())
	return s
}

// validate checks the settings' ranges.
func (s settings) validate() error {
	switch {
	case s.ApprovalThreshold.Amount < 0:
		return fmt.Errorf("approval_threshold: must not be negative, got %s", s.ApprovalThreshold)
	case s.ApprovalThreshold != (Money{}) && currencyProblem(s.ApprovalThreshold.Currency) != "":
		return fmt.Errorf("approval_threshold.currency: %q is not an ISO 4217 currency code", s.ApprovalThreshold.Currency)
	case s.ApprovalTimeout < 0:
		return fmt.Errorf("approval_timeout: must not be negative, got %v", s.ApprovalTimeout)
	case s.ActivityTimeout < 0:
		return fmt.Errorf("activity_timeout: must not be negative, got %v", s.ActivityTimeout)
	}
	if err := s.Retry.validate("retry"); err != nil {
		return err
	}
	if err := s.CompensationRetry.validate("compensation_retry"); err != nil {
		return err
	}
	if s.CompensationRetry.MaximumAttempts != 0 {
		return fmt.Errorf("compensation_retry.maximum_attempts: must be zero: compensations are retried until the provider answers, got %d",
			s.CompensationRetry.MaximumAttempts)
	}
	threshold := s.withDefaults().ApprovalThreshold
	switch {
	case s.ApprovalThreshold != (Money{}) && currencyProblem(s.ApprovalThreshold.Currency) != "":
		return fmt.Errorf("approval_threshold.currency: %s", currencyProblem(s.ApprovalThreshold.Currency))
	case s.ApprovalTimeout > 0 && s.ApprovalTimeout < minApprovalTimeout:
		return fmt.Errorf("approval_timeout: must be at least %v, got %v", minApprovalTimeout, s.ApprovalTimeout)
	case s.ActivityTimeout > 0 && s.ActivityTimeout < minActivityTimeout:
		return fmt.Errorf("activity_timeout: must be at least %v, got %v", minActivityTimeout, s.ActivityTimeout)
	case s.MaxOrderTotal != (Money{}) && s.MaxOrderTotal.Amount <= 0:
		return fmt.Errorf("max_order_total: must be positive, got %s", s.MaxOrderTotal)
	case s.MaxOrderTotal != (Money{}) && s.MaxOrderTotal.Currency != threshold.Currency:
		return fmt.Errorf("max_order_total.currency: %q differs from the approval threshold's %q", s.MaxOrderTotal.Currency, threshold.Currency)
	}
	for _, r := range []struct {
		field string
		r     retry
	}{{"retry", s.Retry}, {"compensation_retry", s.CompensationRetry}} {
		switch {
		case r.r.InitialInterval > 0 && r.r.InitialInterval < minRetryInterval:
			return fmt.Errorf("%s.initial_interval: must be at least %v, got %v", r.field, minRetryInterval, r.r.InitialInterval)
		case r.r.MaximumInterval > 0 && r.r.InitialInterval > r.r.MaximumInterval:
			return fmt.Errorf("%s.maximum_interval: %v is less than the initial interval %v", r.field, r.r.MaximumInterval, r.r.InitialInterval)
		}
	}
	return nil
}

// check validates order under s (defaults filled in): the order's own rules,
// the threshold's currency and the maximum total.
func (s settings) check(order Order) error {
	if err := order.Validate(); err != nil {
		return err
	}
	s = s.withDefaults()
	if _, err := order.RequiresApproval(s.ApprovalThreshold); err != nil {
		return err
	}
	if s.MaxOrderTotal != (Money{}) {
		total, err := order.Total()
		if err != nil {
			return err
		}
		if total.Amount > s.MaxOrderTotal.Amount {
			return invalid("items", fmt.Sprintf("order total %s is more than the maximum of %s", total, s.MaxOrderTotal))
		}
	}
	return nil
}
