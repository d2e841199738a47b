package orderflow

import (
	"testing"
	"time"
)

// A deadline on another day than the order's start says which day.
func TestClockSaysTheDayWhenItDiffers(t *testing.T) {
	now := time.Date(2026, 12, 5, 23, 58, 0, 0, time.UTC)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(time.Minute), "23:59 UTC"},
		{now.Add(5 * time.Minute), "Dec 6 00:03 UTC"},
		{now.Add(48 * time.Hour), "Dec 7 23:58 UTC"},
		{now.AddDate(1, 0, 0), "Dec 5 23:58 UTC"}, // a year on: the year is not said, the date is
	} {
		if got := clock(now, c.t); got != c.want {
			t.Errorf("clock(%v, %v) = %q, want %q", now, c.t, got, c.want)
		}
	}
}
