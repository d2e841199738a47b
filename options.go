package orderflow

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Defaults: the Python demo's behaviour.
const (
	DefaultTaskQueue       = "order-task-queue"
	DefaultApprovalTimeout = 5 * time.Minute
	DefaultActivityTimeout = 30 * time.Second
	DefaultCallTimeout     = 10 * time.Second
)

// DefaultApprovalThreshold is $1000.00: orders whose total is strictly
// greater need approval.
var DefaultApprovalThreshold = USD(100000)

// DefaultRetry is the retry policy of the forward steps: 1 s initial
// interval, ×2 backoff, 30 s maximum interval, 3 attempts.
func DefaultRetry() Retry {
	return Retry{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 3}
}

// DefaultCompensationRetry is the retry policy of compensations (refund,
// release): 1 s initial interval, ×2 backoff, 30 s maximum interval, and no
// attempt limit. Compensations never give up: money or stock left held is
// worse than a provider called again.
func DefaultCompensationRetry() Retry {
	return Retry{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second}
}

// Retry is an activity retry policy. A zero field takes the value of the
// policy's default (DefaultRetry or DefaultCompensationRetry).
type Retry struct {
	InitialInterval    time.Duration `json:"initial_interval"`
	BackoffCoefficient float64       `json:"backoff_coefficient"`
	MaximumInterval    time.Duration `json:"maximum_interval"`
	// MaximumAttempts counts the first attempt: 3 means two retries.
	MaximumAttempts int32 `json:"maximum_attempts"`
}

func (r Retry) withDefaults(d Retry) Retry {
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

func (r Retry) validate(field string) error {
	switch {
	case r.InitialInterval < 0:
		return fmt.Errorf("orderflow: %s.initial_interval: must not be negative", field)
	case r.BackoffCoefficient != 0 && r.BackoffCoefficient < 1:
		return fmt.Errorf("orderflow: %s.backoff_coefficient: must be at least 1", field)
	case r.MaximumInterval < 0:
		return fmt.Errorf("orderflow: %s.maximum_interval: must not be negative", field)
	case r.MaximumAttempts < 0:
		return fmt.Errorf("orderflow: %s.maximum_attempts: must not be negative", field)
	}
	return nil
}

func (r Retry) policy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    r.InitialInterval,
		BackoffCoefficient: r.BackoffCoefficient,
		MaximumInterval:    r.MaximumInterval,
		MaximumAttempts:    r.MaximumAttempts,
	}
}

// Options configure orders. A zero Options consists entirely of default
// values: the Python demo's behaviour.
//
// Everything but TaskQueue steers decisions of the workflow, so the Client
// copies it into each order's workflow input (Settings): changing an option
// affects orders started afterwards, never an order already running.
type Options struct {
	// TaskQueue is the queue workers poll. If empty, DefaultTaskQueue
	// ("order-task-queue") is used.
	TaskQueue string
	// ApprovalThreshold is the total above which (strictly greater) an order
	// waits for a decision. If zero, DefaultApprovalThreshold ($1000.00) is used.
	// Orders must be in the threshold's currency.
	ApprovalThreshold Money
	// ApprovalTimeout is how long an order waits for a decision before it
	// ends timed_out. If zero, 5 minutes is used.
	ApprovalTimeout time.Duration
	// ActivityTimeout is the start-to-close timeout of each provider call.
	// If zero, 30 seconds is used.
	ActivityTimeout time.Duration
	// Retry is the retry policy of payment, inventory, delivery and email.
	// Zero fields take DefaultRetry's values (1 s, ×2, 30 s, 3 attempts).
	// Delivery, past the point of no return, uses its intervals but no
	// attempt limit: it is retried until the carrier answers.
	Retry Retry
	// CompensationRetry is the retry policy of refunds and releases. Zero
	// fields take DefaultCompensationRetry's values. Its MaximumAttempts is
	// not used: compensations are retried until the provider answers.
	CompensationRetry Retry
}

func (o *Options) taskQueue() string {
	if o == nil || o.TaskQueue == "" {
		return DefaultTaskQueue
	}
	return o.TaskQueue
}

// Settings returns the workflow settings these options stand for, with every
// default filled in, or an error naming a field that is out of range.
func (o *Options) Settings() (Settings, error) {
	var in Options
	if o != nil {
		in = *o
	}
	s := Settings{
		ApprovalThreshold: in.ApprovalThreshold,
		ApprovalTimeout:   in.ApprovalTimeout,
		ActivityTimeout:   in.ActivityTimeout,
		Retry:             in.Retry,
		CompensationRetry: in.CompensationRetry,
	}
	if err := s.validate(); err != nil {
		return Settings{}, err
	}
	return s.withDefaults(), nil
}

// Settings are the values that steer the decisions of one order. They travel
// in the workflow input and so in its history: an order keeps the settings it
// started with. The JSON form is what `temporal workflow start --input` takes.
type Settings struct {
	ApprovalThreshold Money         `json:"approval_threshold"`
	ApprovalTimeout   time.Duration `json:"approval_timeout"`
	ActivityTimeout   time.Duration `json:"activity_timeout"`
	Retry             Retry         `json:"retry"`
	CompensationRetry Retry         `json:"compensation_retry"`
}

// DefaultSettings returns the settings of a zero Options.
func DefaultSettings() Settings {
	s, _ := (*Options)(nil).Settings()
	return s
}

func (s Settings) withDefaults() Settings {
	if s.ApprovalThreshold == (Money{}) {
		s.ApprovalThreshold = DefaultApprovalThreshold
	}
	if s.ApprovalTimeout == 0 {
		s.ApprovalTimeout = DefaultApprovalTimeout
	}
	if s.ActivityTimeout == 0 {
		s.ActivityTimeout = DefaultActivityTimeout
	}
	s.Retry = s.Retry.withDefaults(DefaultRetry())
	s.CompensationRetry = s.CompensationRetry.withDefaults(DefaultCompensationRetry())
	return s
}

func (s Settings) validate() error {
	switch {
	case s.ApprovalThreshold.Amount < 0:
		return fmt.Errorf("orderflow: approval_threshold: must not be negative, got %s", s.ApprovalThreshold)
	case s.ApprovalThreshold != (Money{}) && !validCurrency(s.ApprovalThreshold.Currency):
		return fmt.Errorf("orderflow: approval_threshold.currency: %q is not a three-letter ISO 4217 code", s.ApprovalThreshold.Currency)
	case s.ApprovalTimeout < 0:
		return fmt.Errorf("orderflow: approval_timeout: must not be negative, got %v", s.ApprovalTimeout)
	case s.ActivityTimeout < 0:
		return fmt.Errorf("orderflow: activity_timeout: must not be negative, got %v", s.ActivityTimeout)
	}
	if err := s.Retry.validate("retry"); err != nil {
		return err
	}
	return s.CompensationRetry.validate("compensation_retry")
}
