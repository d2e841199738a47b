package orderflow

import (
	"encoding/json"
	"fmt"

	"github.com/orderflow/orderflow/internal/hooks"
)

// The hooks give package orderflowtest what only tests need (see package
// hooks).
func init() {
	hooks.WorkflowInput = func(order, opts any) (json.RawMessage, error) {
		in, err := newWorkflowInput(order.(Order), opts.(*Options))
		if err != nil {
			return nil, err
		}
		return json.Marshal(in)
	}
	hooks.RegisterActivities = func(r hooks.ActivityRegistry, a any) error {
		acts := a.(*Activities)
		if err := acts.validate(); err != nil {
			return err
		}
		if r == nil {
			return fmt.Errorf("orderflow: register activities: registry is nil")
		}
		registerActivities(r, acts)
		return nil
	}
	hooks.ProviderError = providerError
	hooks.WorkflowError = fromTemporal
}
