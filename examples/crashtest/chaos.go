package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// kill is one scheduled kill: when, after the run started, and how long the
// process stays dead before it is restarted.
type kill struct {
	At, Down time.Duration
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

// runKills kills p with SIGKILL and restarts it on schedule, counted from
// start, until the schedule is done or ctx ends. It returns how many kills
// it made, and the restarts that failed.
func runKills(ctx context.Context, start time.Time, p *proc, schedule []kill) (kills int, errs []error) {
	for _, k := range schedule {
		if !sleepUntil(ctx, start.Add(k.At)) {
			break
		}
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
