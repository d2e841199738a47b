package orderflowtest

import (
	"maps"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
)

// Metrics is a client.MetricsHandler that records every metric emitted
// through it, for tests of what an order reports: pass it to
// testsuite.WorkflowTestSuite.SetMetricsHandler, or to a Temporal client's
// Options.MetricsHandler and orderflow.Options.MetricsHandler. It is safe for
// concurrent use.
type Metrics struct {
	rec  *recording
	tags map[string]string
}

// Metric is one recorded emission: a counter increment, a gauge update or
// a timer record.
type Metric struct {
	Name string
	Tags map[string]string
	// Kind is "counter", "gauge" or "timer".
	Kind string
	// Value is the counter's increment or the gauge's value; Duration is
	// the timer's.
	Value    float64
	Duration time.Duration
}

type recording struct {
	mu      sync.Mutex
	metrics []Metric
}

// NewMetrics returns an empty recording handler.
func NewMetrics() *Metrics { return &Metrics{rec: &recording{}} }

// WithTags returns a handler that adds tags to what it records.
func (m *Metrics) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(m.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	return &Metrics{rec: m.rec, tags: merged}
}

func (m *Metrics) add(name, kind string, v float64, d time.Duration) {
	m.rec.mu.Lock()
	defer m.rec.mu.Unlock()
	m.rec.metrics = append(m.rec.metrics, Metric{Name: name, Tags: maps.Clone(m.tags), Kind: kind, Value: v, Duration: d})
}

// Counter returns a counter that records each increment.
func (m *Metrics) Counter(name string) client.MetricsCounter {
	return counterFunc(func(n int64) { m.add(name, "counter", float64(n), 0) })
}

// Gauge returns a gauge that records each update.
func (m *Metrics) Gauge(name string) client.MetricsGauge {
	return gaugeFunc(func(v float64) { m.add(name, "gauge", v, 0) })
}

// Timer returns a timer that records each duration.
func (m *Metrics) Timer(name string) client.MetricsTimer {
	return timerFunc(func(d time.Duration) { m.add(name, "timer", 0, d) })
}

type (
	counterFunc func(int64)
	gaugeFunc   func(float64)
	timerFunc   func(time.Duration)
)

func (f counterFunc) Inc(n int64)          { f(n) }
func (f gaugeFunc) Update(v float64)       { f(v) }
func (f timerFunc) Record(d time.Duration) { f(d) }

// Recorded returns what was recorded under names starting with prefix
// ("orderflow_" for orderflow's own), in the order it was emitted.
func (m *Metrics) Recorded(prefix string) []Metric {
	m.rec.mu.Lock()
	defer m.rec.mu.Unlock()
	var out []Metric
	for _, x := range m.rec.metrics {
		if strings.HasPrefix(x.Name, prefix) {
			out = append(out, x)
		}
	}
	return out
}

// Count returns how many times the metric name was emitted with tags
// (among others): the sum of a counter's increments, the number of a
// timer's records.
func (m *Metrics) Count(name string, tags map[string]string) int64 {
	var n int64
	for _, x := range m.Recorded(name) {
		if x.Name != name || !hasTags(x.Tags, tags) {
			continue
		}
		if x.Kind == "counter" {
			n += int64(x.Value)
		} else {
			n++
		}
	}
	return n
}

func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
