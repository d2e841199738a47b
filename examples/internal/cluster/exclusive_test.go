package cluster_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orderflow/examples/internal/cluster"
)

// TestExclusiveLetsOneTestIn runs three tests in parallel that each take
// the machine's cluster lock: no two ever hold it at once.
func TestExclusiveLetsOneTestIn(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the lock is a Linux file lock; clusters run on Linux only")
	}
	var mu sync.Mutex
	holders, most := 0, 0
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b", "c"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				cluster.Exclusive(t)
				mu.Lock()
				holders++
				most = max(most, holders)
				mu.Unlock()
				time.Sleep(50 * time.Millisecond) // hold it a while
				mu.Lock()
				holders-- // before the cleanup releases the lock
				mu.Unlock()
			})
		}
	})
	if most != 1 {
		t.Errorf("%d tests held the lock at once, want 1", most)
	}
}
