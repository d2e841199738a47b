package orderflowtest

import "github.com/orderflow/orderflow"

// SmallOrder is the Python demo's order under the approval threshold:
// Alice Smith's two mice and three cables, $89.95 (products MOUSE-001 and
// CABLE-001; a warehouse needs them in stock).
func SmallOrder(orderID string) orderflow.Order {
	return orderflow.Order{
		OrderID:       orderID,
		CustomerName:  "Alice Smith",
		CustomerEmail: "alice@example.com",
		Items: []orderflow.Item{
			{ProductID: "MOUSE-001", ProductName: "Wireless Mouse", Quantity: 2, UnitPrice: orderflow.USD(2999)},
			{ProductID: "CABLE-001", ProductName: "USB Cable", Quantity: 3, UnitPrice: orderflow.USD(999)},
		},
		ShippingAddress: "123 Main St, Springfield, IL 62701",
	}
}

// LargeOrder is the Python demo's order over the approval threshold:
// Bob Johnson's laptop and two monitors, $1899.97 (products LAPTOP-001 and
// MONITOR-001).
func LargeOrder(orderID string) orderflow.Order {
	return orderflow.Order{
		OrderID:       orderID,
		CustomerName:  "Bob Johnson",
		CustomerEmail: "bob@example.com",
		Items: []orderflow.Item{
			{ProductID: "LAPTOP-001", ProductName: "Laptop", Quantity: 1, UnitPrice: orderflow.USD(129999)},
			{ProductID: "MONITOR-001", ProductName: "Monitor", Quantity: 2, UnitPrice: orderflow.USD(29999)},
		},
		ShippingAddress: "456 Oak Ave, Portland, OR 97201",
	}
}
