// Package encryption encrypts the Temporal payloads of orders with AES-256-GCM,
// so that the Temporal service, its database and its visibility store never
// hold customer names, emails, addresses or anything else an order carries in
// plain text.
//
// A Codec is a converter.PayloadCodec. Codec.ClientOptions puts it into the
// client.Options of a Temporal client: every payload that client (and every
// worker built from it) writes through its data converter is encrypted, and
// failure messages and stack traces too. Every process that reads or writes
// orders, workers and clients alike, must use the same keys:
//
//	ring, err := encryption.Keys(encryption.Key{ID: "2026-05", Secret: secret}) // 32 bytes
//	codec, err := encryption.NewCodec(ring)
//	opts := client.Options{HostPort: "temporal.internal:7233"}
//	codec.ClientOptions(&opts)
//	c, err := client.Dial(opts)
//	orders, err := orderflow.NewClient(c, &orderflow.Options{DataConverter: opts.DataConverter})
//	w := worker.New(c, orders.Options().TaskQueue, worker.Options{})
//
// orderflow.Options.DataConverter must be given the encrypting data converter,
// as above: the order listing decodes memos with it.
//
// # Payload format
//
// An encrypted payload has the metadata
//
//	encoding:          binary/encrypted
//	encryption-cipher: AES256-GCM
//	encryption-key-id: the ID of the key that encrypted it, in plain text
//
// and its data is a 12-byte random nonce followed by the AES-256-GCM seal
// (ciphertext and 16-byte tag) of the original payload marshalled as a
// protocol buffer (proto.Marshal of a temporal.api.common.v1.Payload, metadata
// included). The key ID is the seal's additional authenticated data, so a
// payload whose key ID was changed does not decrypt, even with the other key at
// hand. A codec in another language can read and write this format.
//
// Decode leaves alone every payload whose encoding is not binary/encrypted:
// search attributes, and payloads written before encryption was turned on,
// still read. It never returns a payload it could not authenticate: a payload
// encrypted with a key the ring does not hold fails with an error wrapping
// ErrUnknownKey, one that does not open with its key (wrong secret, altered
// bytes or metadata) with an error wrapping ErrDecrypt. Both name the key ID.
// No error carries plaintext or key material.
//
// The codec does not depend on the SDK's serialization context (it does not
// implement converter.PayloadCodecWithSerializationContext): a payload decodes
// the same wherever the SDK reads it, so the change of context for local
// activity results in SDK v1.49 does not affect it.
//
// # Keys and rotation
//
// A Keyring gives the codec its keys: the current one encrypts, any it holds
// decrypts. Keys builds a fixed ring; a shop with a KMS or Vault implements
// Keyring over it.
//
// A worker whose ring lacks a key, or holds the wrong secret under its ID,
// stalls the orders that use it: inside a workflow, the codec data
// converter of ClientOptions panics on a payload it cannot decrypt, so the
// SDK fails the workflow task (its failure names the key) and the server
// retries it; the order goes on once a worker with the key picks it up. An
// activity that cannot read its input fails that attempt, and is retried
// as any failed attempt. To rotate, first give every process (workers,
// clients, codec server) a ring holding the new key as an older,
// decrypt-only, key; once all run with it, make it current everywhere.
// Never drop a key while histories encrypted with it are kept: while an
// order runs, and for the namespace's retention period after it closes.
//
// A worker without the codec at all fails an order whose payloads are
// encrypted (the SDK fails a workflow whose input it cannot decode), so
// encryption is turned on by switching all the workers of the task queue
// at once (stop them, start them with the codec), and the clients after
// them.
//
// # Codec server
//
// Codec.Handler serves the codec over HTTP for the Temporal Web UI and CLI,
// which send it the payloads they show: see HandlerOptions. It decrypts
// whatever it is sent, so it must authenticate its callers in production.
package encryption
