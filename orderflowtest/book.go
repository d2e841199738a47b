package orderflowtest

// book is the bookkeeping Payments and Inventory share: records (charges,
// reservations) by the idempotency key that made them, and the keys that
// were undone (refunded, released), whether a record existed or not, with
// the undo requests (U) that did so. A key undone before anything was
// recorded under it is a tombstone: the record may still be in flight, and
// must not be made when it lands. Its callers hold the provider's lock.
type book[T, U any] struct {
	records   []T
	byKey     map[string]int  // idempotency key → index in records
	undone    map[string]bool // keys undone, recorded or not
	undoCalls map[string]U    // idempotency key of each undo call served → its request
}

// lookup returns the record made under key, or nil, and whether key was
// undone. The record is valid until the next add.
func (b *book[T, U]) lookup(key string) (rec *T, undone bool) {
	if i, ok := b.byKey[key]; ok {
		rec = &b.records[i]
	}
	return rec, b.undone[key]
}

// add records rec under key and returns it.
func (b *book[T, U]) add(key string, rec T) T {
	if b.byKey == nil {
		b.byKey = make(map[string]int)
	}
	b.byKey[key] = len(b.records)
	b.records = append(b.records, rec)
	return rec
}

// undoCall returns the request of the undo call served under undoKey, and
// whether there was one.
func (b *book[T, U]) undoCall(undoKey string) (req U, ok bool) {
	req, ok = b.undoCalls[undoKey]
	return req, ok
}

// undo marks key undone by the call undoKey, whose request is req, and
// reports whether that call is new: a repeated undo call has no further
// effect, and keeps its first request.
func (b *book[T, U]) undo(key, undoKey string, req U) (first bool) {
	if b.undone == nil {
		b.undone, b.undoCalls = make(map[string]bool), make(map[string]U)
	}
	b.undone[key] = true
	if _, ok := b.undoCalls[undoKey]; ok {
		return false
	}
	b.undoCalls[undoKey] = req
	return true
}

// all returns a copy of the records, in the order they were made.
func (b *book[T, U]) all() []T { return append([]T(nil), b.records...) }
