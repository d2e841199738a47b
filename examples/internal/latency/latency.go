// Package latency summarises the benchmark programs' measured latencies:
// a nearest-rank percentile, and milliseconds as a table prints them.
package latency

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Percentile returns the nearest-rank p-quantile (0 < p ≤ 1) of lat, or 0
// when lat is empty. lat is left as it was.
func Percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// MS formats d in milliseconds with one decimal: "12.3ms".
func MS(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
