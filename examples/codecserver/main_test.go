package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orderflow/orderflow/examples/internal/keys"
	"github.com/orderflow/orderflow/examples/internal/proctest"
	"github.com/orderflow/orderflow/examples/internal/testctx"
)

// server is a codec server run by the test.
type server struct {
	url  string
	log  *proctest.Buffer
	stop func() error
}

// startServer runs the program with args (-listen 127.0.0.1:0 added) until
// the test ends, and returns once it serves.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(testctx.Context(t))
	log := &proctest.Buffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), log, ready) }()
	stopped := false
	stop := func() error {
		cancel()
		if stopped {
			return nil
		}
		stopped = true
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case u := <-ready:
		return &server{url: u, log: log, stop: stop}
	case err := <-done:
		t.Fatalf("codecserver %v ended: %v\n%s", args, err, log)
	case <-ctx.Done():
		t.Fatalf("codecserver %v did not serve by the test's deadline\n%s", args, log)
	}
	return nil
}

// post sends payloads to the server's path, with the given headers, and
// returns the status and body.
func post(t *testing.T, url string, body []byte, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testctx.Context(t), http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// payloadsJSON is the body the Web UI and CLI send: {"payloads": [...]}.
func payloadsJSON(t *testing.T, values ...any) []byte {
	t.Helper()
	ps, err := converter.GetDefaultDataConverter().ToPayloads(values...)
	require.NoError(t, err)
	b, err := protojson.Marshal(ps)
	require.NoError(t, err)
	return b
}

func decodePayloads(t *testing.T, body string) []*commonpb.Payload {
	t.Helper()
	var ps commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(body), &ps), body)
	return ps.Payloads
}

// TestCodecServerRoundTrip encrypts a payload through /encode and reads it
// back through /decode, logs its start with the key IDs and nothing of the
// payloads or the secrets, and stops when its context ends.
func TestCodecServerRoundTrip(t *testing.T) {
	line, err := keys.Generate("2026-05")
	require.NoError(t, err)
	older, err := keys.Generate("2025-11")
	require.NoError(t, err)
	s := startServer(t, "-keys", line+","+older)

	code, body := post(t, s.url+"/encode", payloadsJSON(t, "Bob Johnson"))
	require.Equal(t, http.StatusOK, code, body)
	enc := decodePayloads(t, body)
	require.Len(t, enc, 1)
	assert.Equal(t, "binary/encrypted", string(enc[0].Metadata["encoding"]))
	assert.Equal(t, "2026-05", string(enc[0].Metadata["encryption-key-id"]))
	assert.NotContains(t, string(enc[0].Data), "Bob Johnson")

	encBody, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)
	code, body = post(t, s.url+"/decode", encBody)
	require.Equal(t, http.StatusOK, code, body)
	dec := decodePayloads(t, body)
	require.Len(t, dec, 1)
	var name string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(dec[0], &name))
	assert.Equal(t, "Bob Johnson", name)

	// The CLI's {namespace} placeholder makes paths such as /default/decode.
	code, _ = post(t, s.url+"/default/decode", encBody)
	assert.Equal(t, http.StatusOK, code)

	// A payload of a key the server does not hold: 400, logged by key ID.
	other, err := keys.Generate("2027-01")
	require.NoError(t, err)
	otherRing, err := keys.Parse(other)
	require.NoError(t, err)
	otherCodec, err := otherRing.Codec()
	require.NoError(t, err)
	foreign, err := otherCodec.Encode(enc)
	require.NoError(t, err)
	foreignBody, err := protojson.Marshal(&commonpb.Payloads{Payloads: foreign})
	require.NoError(t, err)
	code, body = post(t, s.url+"/decode", foreignBody)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, `unknown key "2027-01"`)
	// A malformed body: 400; its parser's message is not logged.
	code, _ = post(t, s.url+"/decode", []byte(`{"payloads": [Bob Johnson]}`))
	assert.Equal(t, http.StatusBadRequest, code)

	require.NoError(t, s.stop())
	log := s.log.String()
	t.Logf("log:\n%s", log)
	assert.Contains(t, log, `msg="Codec server listening" URL=`+s.url+` keys="current key \"2026-05\", older \"2025-11\"" origins=http://localhost:8233,http://127.0.0.1:8233 auth=none`)
	assert.Contains(t, log, `level=WARN msg="Codec request refused" method=POST path=/decode status=400 error="orderflow/encryption: unknown key \"2027-01\"`)
	assert.Contains(t, log, `level=WARN msg="Codec request refused" method=POST path=/decode status=400`+"\n")
	for _, secret := range []string{line[len("2026-05="):], older[len("2025-11="):], other[len("2027-01="):], "Bob Johnson"} {
		assert.NotContains(t, log, secret)
	}
	assert.Equal(t, 3, strings.Count(log, "\n"), "the start, and the two refusals")
}

// TestCodecServerToken refuses requests without the bearer token, but not
// a browser's preflight, which carries none; and answers CORS only for the
// allowed origins.
func TestCodecServerToken(t *testing.T) {
	line, err := keys.Generate("k1")
	require.NoError(t, err)
	t.Setenv(keys.EnvVar, line) // the keys come from the environment
	const token = "s3cret-token"
	s := startServer(t, "-token", token, "-allow-origin", "https://ui.example.com, http://localhost:8080/", "-allow-origin", "http://127.0.0.1:9000")

	body := payloadsJSON(t, "x")
	code, resp := post(t, s.url+"/encode", body)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, "unauthorized\n", resp)
	code, _ = post(t, s.url+"/encode", body, "Authorization", "Bearer wrong")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = post(t, s.url+"/encode", body, "Authorization", token) // the CLI's --codec-auth is the whole header
	assert.Equal(t, http.StatusUnauthorized, code)
	code, resp = post(t, s.url+"/encode", body, "Authorization", "Bearer "+token)
	assert.Equal(t, http.StatusOK, code, resp)
	code, _ = post(t, s.url+"/encode", body, "Authorization", "bearer "+token)
	assert.Equal(t, http.StatusOK, code, "the scheme is case-insensitive")

	preflight := func(origin string) *http.Response {
		req, err := http.NewRequestWithContext(testctx.Context(t), http.MethodOptions, s.url+"/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	for _, origin := range []string{"https://ui.example.com", "http://localhost:8080", "http://127.0.0.1:9000"} {
		resp := preflight(origin)
		assert.Equal(t, http.StatusOK, resp.StatusCode, origin)
		assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"), origin)
	}
	resp2 := preflight("http://localhost:8233") // a default, replaced by -allow-origin
	assert.Equal(t, http.StatusForbidden, resp2.StatusCode)
	assert.Empty(t, resp2.Header.Get("Access-Control-Allow-Origin"))

	require.NoError(t, s.stop())
	log := s.log.String()
	t.Logf("log:\n%s", log)
	assert.Contains(t, log, `origins=https://ui.example.com,http://localhost:8080,http://127.0.0.1:9000 auth="bearer token"`)
	assert.Contains(t, log, `msg="Codec request refused" method=POST path=/encode status=401`)
	assert.NotContains(t, log, token)
	assert.NotContains(t, log, line[len("k1="):])
}

// TestCodecServerFlags refuses bad flags and keys before serving, without
// printing a secret, and shows no key in its usage.
func TestCodecServerFlags(t *testing.T) {
	line, err := keys.Generate("k1")
	require.NoError(t, err)
	secret := line[len("k1="):]
	t.Setenv(keys.EnvVar, line)
	t.Setenv(tokenEnv, "env-token")

	try := func(args ...string) (string, error) {
		var out proctest.Buffer
		err := run(testctx.Context(t), args, &out, nil)
		require.Error(t, err, "%v", args)
		return out.String(), err
	}
	usage, err := try("-h")
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, usage, "(default $ORDERFLOW_ENCRYPTION_KEYS)")
	assert.Contains(t, usage, "(default http://localhost:8233 and http://127.0.0.1:8233)")
	assert.Contains(t, usage, `-listen address`)
	assert.Contains(t, usage, `(default "127.0.0.1:8081")`)
	assert.NotContains(t, usage, secret)
	assert.NotContains(t, usage, "env-token")

	_, err = try("-keys", "k1="+secret[:30]+"!")
	assert.EqualError(t, err, `-keys: entry 1 of 1: key "k1": the secret is not standard base64`)
	_, err = try("-keys", secret)
	assert.ErrorContains(t, err, `-keys: entry 1 of 1: no secret after the first "="`)
	assert.NotContains(t, err.Error(), secret[:40])

	t.Setenv(keys.EnvVar, "")
	_, err = try()
	assert.EqualError(t, err, "no encryption keys: give -keys or set $ORDERFLOW_ENCRYPTION_KEYS (id=BASE64SECRET,…, the first one current)")

	out, err := try("-keys", line, "-allow-origin", "localhost:8233")
	var u usageError
	assert.True(t, errors.As(err, &u))
	assert.Contains(t, out, `"localhost:8233" is not an origin: want scheme://host[:port]`)
	_, err = try("-keys", line, "-allow-origin", "http://localhost:8233/ui")
	assert.ErrorContains(t, err, "is not an origin")
	_, err = try("-keys", line, "extra")
	assert.EqualError(t, err, `unexpected argument "extra" (flags only; -h lists them)`)

	// A taken address.
	s := startServer(t, "-keys", line)
	_, err = try("-keys", line, "-listen", strings.TrimPrefix(s.url, "http://"))
	assert.ErrorContains(t, err, "-listen: listen tcp "+strings.TrimPrefix(s.url, "http://"))
	assert.Contains(t, s.log.String(), `auth="bearer token"`, "the token comes from $"+tokenEnv)
}

// TestCodecServerResponseShape checks that /decode answers what the Web UI
// reads, {"payloads": [...]}, and gives plain payloads back as they are.
func TestCodecServerResponseShape(t *testing.T) {
	line, err := keys.Generate("k1")
	require.NoError(t, err)
	s := startServer(t, "-keys", line)
	code, body := post(t, s.url+"/decode", payloadsJSON(t, "plain"))
	require.Equal(t, http.StatusOK, code)
	var shape map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(body), &shape))
	assert.Contains(t, shape, "payloads")
	dec := decodePayloads(t, body)
	require.Len(t, dec, 1)
	assert.Equal(t, "json/plain", string(dec[0].Metadata["encoding"]))
	assert.Equal(t, `"plain"`, string(dec[0].Data))
}
