package encryption_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orderflow/orderflow/encryption"
)

const uiOrigin = "http://localhost:8233"

// codecServer serves c's handler with opts, and counts the key lookups of
// its ring, so that a test can tell whether it decoded anything.
type codecServer struct {
	*httptest.Server
	ring  *storeRing
	codec *encryption.Codec
}

func newCodecServer(t *testing.T, opts encryption.HandlerOptions) *codecServer {
	t.Helper()
	ring := &storeRing{current: k1, keys: map[string]encryption.Key{"k1": k1}}
	c, err := encryption.NewCodec(ring)
	require.NoError(t, err)
	srv := httptest.NewServer(c.Handler(opts))
	t.Cleanup(srv.Close)
	return &codecServer{Server: srv, ring: ring, codec: c}
}

// post sends body to path as the Web UI does, and returns the response and
// its body.
func (s *codecServer) post(t *testing.T, path string, body []byte, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// payloadsJSON is the body the Web UI and the CLI send: {"payloads": [...]}
// with protojson payloads.
func payloadsJSON(t *testing.T, ps ...*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	require.NoError(t, err)
	return b
}

func parsePayloads(t *testing.T, body string) []*commonpb.Payload {
	t.Helper()
	var ps commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(body), &ps), "body %s", body)
	return ps.Payloads
}

func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

func TestHandlerDecodesAndEncodesForTheWebUI(t *testing.T) {
	s := newCodecServer(t, encryption.HandlerOptions{AllowedOrigins: []string{uiOrigin}})
	enc := encrypt(t, s.codec, alice)
	plainStatus, err := converter.GetDefaultDataConverter().ToPayload("completed")
	require.NoError(t, err)

	for _, path := range []string{"/decode", "/default/decode", "/codec/v1/decode"} {
		resp, body := s.post(t, path, payloadsJSON(t, enc, plainStatus), map[string]string{"Origin": uiOrigin})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
		require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
		ps := parsePayloads(t, body)
		require.Len(t, ps, 2)
		var got customer
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(ps[0], &got))
		require.Equal(t, alice, got, path)
		require.Equal(t, "json/plain", string(ps[1].Metadata["encoding"]), "unencrypted payloads come back as they are")
	}

	// A person types a signal's input in the Web UI: it is encrypted
	// before it reaches the service.
	typed, err := converter.GetDefaultDataConverter().ToPayload(alice)
	require.NoError(t, err)
	resp, body := s.post(t, "/encode", payloadsJSON(t, typed), map[string]string{"Origin": uiOrigin})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.NotContains(t, body, "Alice")
	ps := parsePayloads(t, body)
	require.Len(t, ps, 1)
	require.Equal(t, "binary/encrypted", string(ps[0].Metadata["encoding"]))
	require.Equal(t, "k1", string(ps[0].Metadata["encryption-key-id"]))
	got, err := decode(s.codec, ps[0])
	require.NoError(t, err)
	require.Equal(t, alice, got)

	// The CLI sends no Origin and gets no CORS headers.
	resp, body = s.post(t, "/decode", payloadsJSON(t, enc), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Empty(t, corsHeaders(resp.Header))
	ps = parsePayloads(t, body)
	require.Len(t, ps, 1)
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(ps[0], &got))
	require.Equal(t, alice, got)
}

func TestHandlerReportsUndecodablePayloads(t *testing.T) {
	s := newCodecServer(t, encryption.HandlerOptions{})
	stranger := encrypt(t, newCodec(t, k2), alice)
	resp, body := s.post(t, "/decode", payloadsJSON(t, stranger), nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, `unknown key "k2"`)
	require.NotContains(t, body, "Alice")

	resp, body = s.post(t, "/decode", []byte(`{"payloads": [`), nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
}

func TestHandlerCORS(t *testing.T) {
	var authCalls atomic.Int64
	s := newCodecServer(t, encryption.HandlerOptions{
		AllowedOrigins: []string{uiOrigin, "https://temporal-ui.example.com/"},
		Authenticate:   func(*http.Request) error { authCalls.Add(1); return nil },
	})
	preflight := func(origin string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodOptions, s.URL+"/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		return do(t, req)
	}

	t.Run("allowed origin", func(t *testing.T) {
		for _, origin := range []string{uiOrigin, "https://temporal-ui.example.com"} {
			resp, body := preflight(origin)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Empty(t, body)
			require.Equal(t, http.Header{
				"Access-Control-Allow-Origin":      {origin},
				"Access-Control-Allow-Credentials": {"true"},
				"Access-Control-Allow-Headers":     {"Authorization,Authorization-Extras,Content-Type,X-Namespace"},
				"Access-Control-Allow-Methods":     {"POST,OPTIONS"},
			}, corsHeaders(resp.Header))
			require.Equal(t, "Origin", resp.Header.Get("Vary"))
		}
		require.Zero(t, authCalls.Load(), "a preflight carries no credentials: it is not authenticated")

		resp, _ := s.post(t, "/decode", payloadsJSON(t), map[string]string{"Origin": uiOrigin})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
		require.Equal(t, "Origin", resp.Header.Get("Vary"))
		require.EqualValues(t, 1, authCalls.Load())
	})

	t.Run("other origin", func(t *testing.T) {
		for _, origin := range []string{"https://evil.example.com", "http://localhost:8234", "null", "*"} {
			resp, _ := preflight(origin)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, origin)
			require.Empty(t, corsHeaders(resp.Header), origin)

			resp, _ = s.post(t, "/decode", payloadsJSON(t, encrypt(t, s.codec, alice)), map[string]string{"Origin": origin})
			require.Empty(t, corsHeaders(resp.Header), "%s: the browser must not let that page read the answer", origin)
		}
	})
}

func TestHandlerAuthenticate(t *testing.T) {
	s := newCodecServer(t, encryption.HandlerOptions{
		AllowedOrigins: []string{uiOrigin},
		Authenticate: func(r *http.Request) error {
			if r.Header.Get("Authorization") != "Bearer good-token" {
				return errors.New("token of alice@example.com expired at 12:00")
			}
			return nil
		},
	})
	body := payloadsJSON(t, encrypt(t, s.codec, alice))
	s.ring.lookups.Store(0)

	for _, auth := range []string{"", "Bearer bad-token"} {
		resp, got := s.post(t, "/decode", body, map[string]string{"Authorization": auth, "Origin": uiOrigin})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Equal(t, "unauthorized\n", got, "a fixed body: the error itself is not sent")
		require.Equal(t, uiOrigin, resp.Header.Get("Access-Control-Allow-Origin"), "the Web UI can read the 401")
		resp, got = s.post(t, "/encode", body, map[string]string{"Authorization": auth})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, got)
	}
	require.Zero(t, s.ring.lookups.Load(), "nothing is decoded for a refused request")

	resp, got := s.post(t, "/decode", body, map[string]string{"Authorization": "Bearer good-token"})
	require.Equal(t, http.StatusOK, resp.StatusCode, got)
	require.EqualValues(t, 1, s.ring.lookups.Load())
}

func TestHandlerRefusesLargeBodies(t *testing.T) {
	small := newCodecServer(t, encryption.HandlerOptions{MaxBodyBytes: 1024})
	body := payloadsJSON(t, encrypt(t, small.codec, customer{Name: strings.Repeat("x", 2000)}))
	resp, _ := small.post(t, "/decode", body, nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	// Without a Content-Length (chunked), the limit holds too.
	req, err := http.NewRequest(http.MethodPost, small.URL+"/decode", io.MultiReader(bytes.NewReader(body)))
	require.NoError(t, err)
	require.Zero(t, req.ContentLength, "length unknown: sent chunked")
	resp, _ = do(t, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	ok := payloadsJSON(t, encrypt(t, small.codec, alice))
	require.Less(t, len(ok), 1024)
	resp, got := small.post(t, "/decode", ok, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, got)

	// The default is 4 MiB.
	def := newCodecServer(t, encryption.HandlerOptions{})
	big := payloadsJSON(t, encrypt(t, def.codec, customer{Name: strings.Repeat("x", 3<<20)}))
	require.Greater(t, len(big), 4<<20)
	resp, _ = def.post(t, "/decode", big, nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	under := payloadsJSON(t, encrypt(t, def.codec, customer{Name: strings.Repeat("x", 2<<20)}))
	require.Less(t, len(under), 4<<20)
	resp, _ = def.post(t, "/decode", under, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestHandlerMethodsAndPaths(t *testing.T) {
	var authCalls atomic.Int64
	s := newCodecServer(t, encryption.HandlerOptions{
		AllowedOrigins: []string{uiOrigin},
		Authenticate:   func(*http.Request) error { authCalls.Add(1); return nil },
	})
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, err := http.NewRequest(method, s.URL+"/decode", nil)
		require.NoError(t, err)
		resp, _ := do(t, req)
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, method)
		require.Equal(t, "POST, OPTIONS", resp.Header.Get("Allow"))
	}
	req, err := http.NewRequest(http.MethodOptions, s.URL+"/decode", nil) // no Origin: not a preflight
	require.NoError(t, err)
	resp, _ := do(t, req)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Zero(t, authCalls.Load())

	for _, path := range []string{"/", "/decoder", "/decode/", "/download"} {
		resp, _ := s.post(t, path, payloadsJSON(t), nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
}
