package orderflow

import "fmt"

// stage is where an order stands for the decisions made about it: by
// approvers (approve, reject), by the approval timer, by cancellers, and by
// the workflow itself as it passes the point of no return or fails. Every
// change of stage goes through next, whose cases are the transition table.
type stage int

const (
	stageAwaiting  stage = iota // awaiting an approval decision
	stageGoing                  // approved, or needing no approval: payment and inventory; a cancel is honoured
	stageRejected               // final: rejected
	stageTimedOut               // final: no decision in time
	stageCancelled              // a cancel was accepted; what was done is being undone
	stageNoReturn               // delivery has started: past the point of no return
	stageFailed                 // a step failed; what was done is being undone
)

// move is something that may change an order's stage.
type move int

const (
	moveApprove move = iota // an approval, by signal or Update
	moveReject              // a rejection, by signal or Update
	moveTimeout             // the approval timer fired
	moveCancel              // a cancel, by Update or a native Temporal cancellation
	moveDeliver             // the workflow starts delivery
	moveFail                // a step failed
)

func (m move) String() string {
	return [...]string{"approve", "reject", "approval timeout", "cancel", "delivery", "failure"}[m]
}

// next is the transition table: the stage after m in s, or the refusal that
// a caller of m gets. Moves of the workflow itself (timeout, deliver, fail)
// are never refused: in a stage where they change nothing, next returns s.
//
//	from \ move   approve/reject        timeout    cancel                deliver     fail
//	awaiting      approved/rejected     timed out  cancelled             –           –
//	going         not awaiting          going      cancelled             no return   failed
//	rejected      not awaiting          rejected   too late (decided)    –           –
//	timed out     not awaiting          timed out  too late (decided)    –           –
//	cancelled     not awaiting          cancelled  already cancelled     –           cancelled
//	no return     not awaiting          no return  too late (delivery)   –           failed
//	failed        not awaiting          failed     too late (failed)     –           failed
func next(s stage, m move) (stage, error) {
	switch m {
	case moveApprove, moveReject:
		if s != stageAwaiting {
			return s, refusal(errorTypeNotAwaitingApproval, notAwaitingReason(s))
		}
		if m == moveApprove {
			return stageGoing, nil
		}
		return stageRejected, nil
	case moveTimeout:
		if s == stageAwaiting {
			return stageTimedOut, nil
		}
	case moveCancel:
		switch s {
		case stageAwaiting, stageGoing:
			return stageCancelled, nil
		case stageCancelled:
			return s, refusal(errorTypeAlreadyCancelled, "a cancellation was already accepted")
		case stageRejected, stageTimedOut:
			return s, refusal(errorTypeTooLateToCancel, fmt.Sprintf("the order was already decided (%s)", notAwaitingReason(s)))
		case stageNoReturn:
			return s, refusal(errorTypeTooLateToCancel, "delivery has started: past the point of no return")
		case stageFailed:
			return s, refusal(errorTypeTooLateToCancel, "the order has failed and is being undone")
		}
	case moveDeliver:
		if s == stageGoing {
			return stageNoReturn, nil
		}
	case moveFail:
		if s == stageGoing || s == stageNoReturn {
			return stageFailed, nil
		}
	}
	return s, nil
}

func notAwaitingReason(s stage) string {
	switch s {
	case stageRejected:
		return "the order was rejected"
	case stageTimedOut:
		return "the approval timed out"
	case stageCancelled:
		return "the order was cancelled"
	}
	return "the order is not awaiting approval"
}
