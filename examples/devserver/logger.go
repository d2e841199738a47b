package main

import (
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// startupQuiet drops warnings and errors until ready is set: while its
// services find each other, a fresh server logs transient errors ("Not
// enough hosts to serve the request") with stack traces that would alarm a
// newcomer. -v shows everything.
type startupQuiet struct {
	log.Logger
	ready *atomic.Bool
}

func (l startupQuiet) Warn(msg string, tags ...tag.Tag) {
	if l.ready.Load() {
		l.Logger.Warn(msg, tags...)
	}
}

func (l startupQuiet) Error(msg string, tags ...tag.Tag) {
	if l.ready.Load() {
		l.Logger.Error(msg, tags...)
	}
}
