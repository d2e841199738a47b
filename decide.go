package orderflow

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Decision is what an approver sends with Client.Approve or Client.Reject.
// Both fields may be empty.
type Decision struct {
	// Approver names who decides, a name the caller has authenticated. It
	// is recorded with the decision (in the order's history, and in
	// Approval.Approver of its state and result). At most 256 bytes of
	// UTF-8 on one line, without control or invisible format characters or
	// surrounding space.
	Approver string
	// Reason says why, for people. At most MaxReasonLength bytes of UTF-8,
	// without control characters other than line breaks and tabs.
	Reason string
}

// Validate checks d as Approve and Reject do before they send anything.
// The error wraps ErrInvalidArgument and names the field.
func (d Decision) Validate() error {
	if err := validateApprover(d.Approver); err != nil {
		return err
	}
	return validateReason(d.Reason)
}

// MaxReasonLength bounds the reason of a decision or a cancellation, in
// bytes of UTF-8 (a character takes one to four). It is also the limit
// the workflow applies to the reason of a decision signal.
const MaxReasonLength = 1024

// maxApproverLength bounds the name of an approver, in bytes.
const maxApproverLength = 256

// validateReason checks the reason of a decision or cancellation: at most
// MaxReasonLength bytes of valid UTF-8, without control characters other
// than line breaks and tabs. An empty reason is allowed.
func validateReason(reason string) error {
	if len(reason) > MaxReasonLength {
		return fmt.Errorf("%w: reason is %d bytes, more than the limit of %d", ErrInvalidArgument, len(reason), MaxReasonLength)
	}
	if !utf8.ValidString(reason) {
		return fmt.Errorf("%w: reason is not valid UTF-8", ErrInvalidArgument)
	}
	for i, r := range reason {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return fmt.Errorf("%w: reason contains the control character %U at byte %d", ErrInvalidArgument, r, i)
		}
	}
	return nil
}

// validateApprover checks the name of an approver: at most
// maxApproverLength bytes of valid UTF-8 on one line, without control or
// invisible format characters. An empty name is allowed (nobody named).
func validateApprover(name string) error {
	if len(name) > maxApproverLength {
		return fmt.Errorf("%w: approver is %d bytes, more than the limit of %d", ErrInvalidArgument, len(name), maxApproverLength)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: approver is not valid UTF-8", ErrInvalidArgument)
	}
	if trimSpace(name) != name {
		return fmt.Errorf("%w: approver has leading or trailing space", ErrInvalidArgument)
	}
	for i, r := range name {
		if unicode.IsControl(r) || isFormat(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%w: approver contains the control or invisible character %U at byte %d", ErrInvalidArgument, r, i)
		}
	}
	return nil
}

// argProblem is what an ErrInvalidArgument error says is wrong.
func argProblem(err error) string {
	return strings.TrimPrefix(err.Error(), ErrInvalidArgument.Error()+": ")
}
