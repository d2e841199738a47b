package orderflow

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

// NewWorker sizes the process's workflow cache: to DefaultWorkflowCacheSize
// by default, to the size given, and not at all for a negative size.
func TestNewWorkerSizesTheWorkflowCache(t *testing.T) {
	var sizes []int
	defer func(f func(int)) { setStickyWorkflowCacheSize = f }(setStickyWorkflowCacheSize)
	setStickyWorkflowCacheSize = func(n int) { sizes = append(sizes, n) }

	c, err := client.NewLazyClient(client.Options{}) // never connects here
	require.NoError(t, err)
	defer c.Close()
	acts := &Activities{Payment: nopProvider{}, Inventory: nopProvider{}, Delivery: nopProvider{}, Email: nopProvider{}}
	for _, opts := range []*WorkerOptions{nil, {}, {WorkflowCacheSize: 5}, {WorkflowCacheSize: -1}} {
		_, err := NewWorker(c, acts, opts)
		require.NoError(t, err)
	}
	require.Equal(t, []int{DefaultWorkflowCacheSize, DefaultWorkflowCacheSize, 5}, sizes)

	_, err = NewWorker(c, nil, nil)
	require.ErrorContains(t, err, "activities are nil")
	require.Len(t, sizes, 3, "a refused worker must not touch the cache")
}

// nopProvider stands for the four providers where none is called.
type nopProvider struct {
	PaymentProvider
	InventoryProvider
	DeliveryProvider
	EmailProvider
}
