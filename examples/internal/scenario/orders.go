// Package scenario holds what the example programs share: the Python demo's
// two sample orders, the text blocks they print, waiting for an order while
// showing its progress, and a worker backed by the in-memory providers of
// orderflowtest.
package scenario

import (
	"github.com/orderflow/orderflow"
	"github.com/orderflow/orderflow/orderflowtest"
)

// The Python demo's order IDs.
const (
	SmallOrderID = "ORD-001"
	LargeOrderID = "ORD-002"
)

// SmallOrder is the Python demo's order under the approval threshold, $89.95.
func SmallOrder(orderID string) orderflow.Order { return orderflowtest.SmallOrder(orderID) }

// LargeOrder is the Python demo's order over the approval threshold, $1899.97.
func LargeOrder(orderID string) orderflow.Order { return orderflowtest.LargeOrder(orderID) }
