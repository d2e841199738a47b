package orderflow

import "go.temporal.io/sdk/workflow"

// WorkflowInput is the input of OrderWorkflow.
type WorkflowInput struct {
	Order
	Settings *Settings `json:"settings,omitempty"`
}

// OrderWorkflow is a stub being written.
func OrderWorkflow(ctx workflow.Context, in WorkflowInput) (*OrderResult, error) { return nil, nil }
