// Package hooks hands package orderflowtest what package orderflow keeps
// out of its API because only tests need it. Package orderflow sets every
// hook when it is initialized; orderflowtest wraps each in a typed function.
package hooks

import (
	"encoding/json"

	"go.temporal.io/sdk/activity"
)

// ActivityRegistry is what registers activities: a worker, or the SDK's
// TestActivityEnvironment.
type ActivityRegistry interface {
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

var (
	// WorkflowInput returns the workflow input the Client would send for
	// order (an orderflow.Order) with opts (an *orderflow.Options).
	WorkflowInput func(order, opts any) (json.RawMessage, error)
	// RegisterActivities registers the activities of a (an
	// *orderflow.Activities) on r under their wire names.
	RegisterActivities func(r ActivityRegistry, a any) error
	// ProviderError returns a provider's error as the activities return it.
	ProviderError func(err error) error
	// WorkflowError gives an error from Temporal the orderflow sentinel its
	// ApplicationError type stands for.
	WorkflowError func(err error) error
)
