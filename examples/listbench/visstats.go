package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// countingClient is the Temporal client of the orderflow Client that lists:
// it counts the visibility calls orderflow makes (CountWorkflow and
// ListWorkflow) and the time they take, so that the report can say what
// one orderflow call costs in them.
type countingClient struct {
	client.Client
	stats *visStats
}

// visStats are the visibility calls made so far.
type visStats struct {
	counts, lists       atomic.Int64
	countTime, listTime atomic.Int64 // nanoseconds
}

// visCalls is a snapshot of visStats, or a difference of two.
type visCalls struct {
	counts, lists       int64
	countTime, listTime time.Duration
}

func (s *visStats) snapshot() visCalls {
	return visCalls{s.counts.Load(), s.lists.Load(), time.Duration(s.countTime.Load()), time.Duration(s.listTime.Load())}
}

func (a visCalls) sub(b visCalls) visCalls {
	return visCalls{a.counts - b.counts, a.lists - b.lists, a.countTime - b.countTime, a.listTime - b.listTime}
}

func (a visCalls) add(b visCalls) visCalls {
	return visCalls{a.counts + b.counts, a.lists + b.lists, a.countTime + b.countTime, a.listTime + b.listTime}
}

// per formats the calls as a mean over n orderflow calls: how many counts
// and lists, and the time spent in each kind.
func (a visCalls) per(n int) string {
	var parts []string
	for _, c := range []struct {
		what  string
		calls int64
		took  time.Duration
	}{{"count", a.counts, a.countTime}, {"list", a.lists, a.listTime}} {
		if c.calls == 0 {
			continue
		}
		noun := c.what
		if c.calls != int64(n) {
			noun += "s"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", perCall(c.calls, n), noun, ms(c.took/time.Duration(n))))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}

// perCall formats total/n with one decimal, or none when it is whole.
func perCall(total int64, n int) string {
	if total%int64(n) == 0 {
		return fmt.Sprint(total / int64(n))
	}
	return fmt.Sprintf("%.1f", float64(total)/float64(n))
}

func (c countingClient) CountWorkflow(ctx context.Context, req *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	t0 := time.Now()
	resp, err := c.Client.CountWorkflow(ctx, req)
	c.stats.counts.Add(1)
	c.stats.countTime.Add(int64(time.Since(t0)))
	return resp, err
}

func (c countingClient) ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	t0 := time.Now()
	resp, err := c.Client.ListWorkflow(ctx, req)
	c.stats.lists.Add(1)
	c.stats.listTime.Add(int64(time.Since(t0)))
	return resp, err
}
