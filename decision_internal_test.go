package orderflow

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/sdk/temporal"
)

// TestTransitions checks the decision table cell by cell: every stage
// against every move.
func TestTransitions(t *testing.T) {
	const (
		ok       = ""
		notAwait = errorTypeNotAwaitingApproval
		tooLate  = errorTypeTooLateToCancel
		already  = errorTypeAlreadyCancelled
	)
	type cell struct {
		to      stage
		refused string
	}
	stages := []stage{stageAwaiting, stageGoing, stageRejected, stageTimedOut, stageCancelled, stageNoReturn, stageFailed}
	moves := []move{moveApprove, moveReject, moveTimeout, moveCancel, moveDeliver, moveFail}
	want := map[stage][]cell{ //            approve                 reject                  timeout               cancel                   deliver               fail
		stageAwaiting:  {{stageGoing, ok}, {stageRejected, ok}, {stageTimedOut, ok}, {stageCancelled, ok}, {stageAwaiting, ok}, {stageAwaiting, ok}},
		stageGoing:     {{stageGoing, notAwait}, {stageGoing, notAwait}, {stageGoing, ok}, {stageCancelled, ok}, {stageNoReturn, ok}, {stageFailed, ok}},
		stageRejected:  {{stageRejected, notAwait}, {stageRejected, notAwait}, {stageRejected, ok}, {stageRejected, tooLate}, {stageRejected, ok}, {stageRejected, ok}},
		stageTimedOut:  {{stageTimedOut, notAwait}, {stageTimedOut, notAwait}, {stageTimedOut, ok}, {stageTimedOut, tooLate}, {stageTimedOut, ok}, {stageTimedOut, ok}},
		stageCancelled: {{stageCancelled, notAwait}, {stageCancelled, notAwait}, {stageCancelled, ok}, {stageCancelled, already}, {stageCancelled, ok}, {stageCancelled, ok}},
		stageNoReturn:  {{stageNoReturn, notAwait}, {stageNoReturn, notAwait}, {stageNoReturn, ok}, {stageNoReturn, tooLate}, {stageNoReturn, ok}, {stageFailed, ok}},
		stageFailed:    {{stageFailed, notAwait}, {stageFailed, notAwait}, {stageFailed, ok}, {stageFailed, tooLate}, {stageFailed, ok}, {stageFailed, ok}},
	}
	for _, s := range stages {
		for i, m := range moves {
			t.Run(fmt.Sprintf("stage %d, %s", s, m), func(t *testing.T) {
				c := want[s][i]
				got, err := next(s, m)
				if got != c.to {
					t.Errorf("next(%d, %s) = stage %d, want %d", s, m, got, c.to)
				}
				var appErr *temporal.ApplicationError
				switch {
				case c.refused == ok && err != nil:
					t.Errorf("next(%d, %s) refused: %v", s, m, err)
				case c.refused != ok && !errors.As(err, &appErr):
					t.Errorf("next(%d, %s) = %v, want a refusal of type %s", s, m, err, c.refused)
				case c.refused != ok && (appErr.Type() != c.refused || !appErr.NonRetryable()):
					t.Errorf("next(%d, %s) refused with %s, want %s", s, m, appErr.Type(), c.refused)
				}
			})
		}
	}
}
