package orderflow

// Names the external tests of this package use that are not part of its
// API.

const (
	MaxItems         = maxItems
	MaxQuantity      = maxQuantity
	MaxFieldLength   = maxFieldLength
	MaxEmailLength   = maxEmailLength
	MaxOrderIDLength = maxOrderIDLength
	DefaultCurrency  = defaultCurrency
	MemoSummary      = memoSummary
)

var (
	DefaultApprovalThreshold = defaultApprovalThreshold()
	NewWorkflowInput         = newWorkflowInput
	ReplayerOptions          = replayerOptions
)

type WorkflowInput = workflowInput
