package orderflowtest

// book is the bookkeeping Payments and Inventory share: records (charges,
// reservations) by the idempotency key that made them, and the keys that
// were undone (refunded, released), whether a record existed or not. A key
// undone before anything was recorded under it is a tombstone: the record
// may still be in flight, and must not be made when it lands. Its callers
// hold the provider's lock.
type book[T any] struct {
	records   []T
	byKey     map[string]int  // idempotency key → index in records
	undone    map[string]bool // keys undone, recorded or not
	undoCalls map[string]bool // idempotency keys of the undo calls served
}

// lookup returns the record made under key, or nil, and whether key was
// undone. The record is valid until the next add.
func (b *book[T]) lookup(key string) (rec *T, undone bool) {
	if i, ok := b.byKey[key]; ok {
		rec = &b.records[i]
	}
	return rec, b.undone[key]
}

// add records rec under key and returns it.
func (b *book[T]) add(key string, rec T) T {
	if b.byKey == nil {
		b.byKey = make(map[string]int)
	}
	b.byKey[key] = len(b.records)
	b.records = append(b.records, rec)
	return rec
}

// undo marks key undone by the call undoKey, and reports whether that call
// is new: a repeated undo call has no further effect.
func (b *book[T]) undo(key, undoKey string) (first bool) {
	if b.undone == nil {
		b.undone, b.undoCalls = make(map[string]bool), make(map[string]bool)
	}
	b.undone[key] = true
	if b.undoCalls[undoKey] {
		return false
	}
	b.undoCalls[undoKey] = true
	return true
}

// all returns a copy of the records, in the order they were made.
func (b *book[T]) all() []T { return append([]T(nil), b.records...) }
