package retry

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/orderflow/orderflow"
)

func TestDo(t *testing.T) {
	ctx := context.Background()
	calls := 0
	err := Do(ctx, func() error {
		calls++
		if calls < 2 {
			return errors.New("deadline exceeded")
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Errorf("a call that failed once: %d calls, %v; want 2, nil", calls, err)
	}
	for _, perm := range []error{Permanent(errors.New("not waiting")), fmt.Errorf("start: %w", orderflow.ErrOrderExists)} {
		calls = 0
		if err := Do(ctx, func() error { calls++; return perm }); !errors.Is(err, perm) || calls != 1 {
			t.Errorf("%v: %d calls, %v; want 1 call and the error", perm, calls, err)
		}
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	calls = 0
	if err := Do(ended, func() error { calls++; return errors.New("unavailable") }); err == nil || calls != 1 {
		t.Errorf("after ctx's end: %d calls, %v; want 1 call and its error", calls, err)
	}
}
