package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/orderflow/orderflow/examples/internal/cluster"
)

// kill is one scheduled kill: when, after the run started, and how long the
// process stays dead before it is restarted; Target is which of the
// processes it kills.
type kill struct {
	At, Down time.Duration
	Target   int
}

// killSchedule spreads n kills over [from, to]: one at a random point of
// each of n equal slots, each followed by a pause of up to maxDown.
func killSchedule(rng *rand.Rand, n int, from, to, maxDown time.Duration) []kill {
	if n <= 0 {
		return nil
	}
	slot := (to - from) / time.Duration(n)
	kills := make([]kill, n)
	for i := range kills {
		kills[i].At = from + slot*time.Duration(i) + time.Duration(0.1*float64(slot)+0.8*float64(slot)*rng.Float64())
		if maxDown > 0 {
			kills[i].Down = time.Duration(rng.Int64N(int64(maxDown)))
		}
	}
	return kills
}

// runKills kills procs with SIGKILL and restarts them on schedule, counted
// from start, until the schedule is done or ctx ends. It returns how many
// kills it made, and the restarts that failed.
func runKills(ctx context.Context, start time.Time, procs []*proc, schedule []kill) (kills int, errs []error) {
	for _, k := range schedule {
		if !sleepUntil(ctx, start.Add(k.At)) {
			break
		}
		p := procs[k.Target]
		p.kill()
		kills++
		sleepUntil(ctx, time.Now().Add(k.Down))
		if err := restartPatiently(p); err != nil {
			errs = append(errs, err)
		}
	}
	return kills, errs
}

// restartPatiently restarts p, trying a few times: a port may take a moment
// to be free again.
func restartPatiently(p *proc) error {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			time.Sleep(time.Second)
		}
		if err = p.restart(); err == nil {
			return nil
		}
	}
	return fmt.Errorf("restart %s: %w", p.name, err)
}

// The cluster's crashes, at these shares of the run's kill window: a
// history process stays down long enough for the other to take its shards
// (about 6 s), and comes back, on new ports, to take its share again; the
// matching process and PostgreSQL come back after a short outage.
var clusterCrashes = []struct {
	at   float64
	part string
	down time.Duration
}{
	{0.2, "history2", 10 * time.Second},
	{0.45, "matching", 2 * time.Second},
	{0.7, "postgres", 2 * time.Second},
}

// crashCluster crashes c's parts on schedule within [start, start+until],
// each once, and starts them again. It returns what it crashed, with how
// long each stayed down, and the restarts that failed.
func crashCluster(ctx context.Context, c *cluster.Cluster, start time.Time, until time.Duration) (crashed []string, errs []error) {
	for _, cr := range clusterCrashes {
		if !sleepUntil(ctx, start.Add(time.Duration(cr.at*float64(until)))) {
			break
		}
		t0 := time.Now()
		var err error
		if cr.part == "postgres" {
			err = c.RestartPostgres(context.Background(), cr.down)
		} else if err = c.Kill(cr.part); err == nil {
			time.Sleep(cr.down)
			err = c.Start(cr.part)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("crash and restart %s: %w", cr.part, err))
			continue
		}
		crashed = append(crashed, fmt.Sprintf("%s(%.0fs)", cr.part, time.Since(t0).Seconds()))
	}
	return crashed, errs
}
