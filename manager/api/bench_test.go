package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/certgate/certgate/manager/api"
	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/store/badgerstore"
)

// benchServer serves a store over httptest with a plain (non-validating) client.
func benchServer(b *testing.B, st *badgerstore.Store) (*httptest.Server, *http.Client) {
	srv := httptest.NewServer(api.New(api.Config{Store: st, AdminToken: testToken}))
	b.Cleanup(srv.Close)
	return srv, srv.Client()
}

func multipartUpload(alias string, file []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("alias", alias)
	mw.WriteField("tier", "Gold")
	fw, _ := mw.CreateFormFile("certificate", alias+".crt")
	fw.Write(file)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func call(b *testing.B, c *http.Client, method, url, ct string, body []byte, want int) {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
}

// upload is one prepared multipart certificate upload.
type upload struct {
	ct   string
	body []byte
}

// uploadBench opens a durable store with one API and prepares n uploads of
// distinct certificates; it returns the client, the upload URL and the uploads.
func uploadBench(b *testing.B, name string, n int) (*http.Client, string, []upload) {
	st, err := badgerstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	a, err := st.CreateAPI(context.Background(), api1(name))
	if err != nil {
		b.Fatal(err)
	}
	srv, c := benchServer(b, st)
	ups := make([]upload, n)
	for i := range ups {
		alias := fmt.Sprintf("%s-%d", name, i)
		cert := testcerts.New(testcerts.Spec{CommonName: alias})
		ups[i].ct, ups[i].body = multipartUpload(alias, testcerts.PEM(cert.Cert.Raw))
	}
	return c, srv.URL + api.BasePath + "/apis/" + a.ID + "/client-certificates", ups
}

// BenchmarkUploadDurable measures POST client-certificates end to end
// (HTTP, multipart, PEM decode, X.509 checks, Badger transaction with
// synchronous writes: each 2xx is on disk).
func BenchmarkUploadDurable(b *testing.B) {
	c, url, ups := uploadBench(b, "Bench", b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		call(b, c, http.MethodPost, url, ups[i].ct, ups[i].body, http.StatusOK)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uploads/s")
}

// BenchmarkUploadDurableParallel is BenchmarkUploadDurable with concurrent
// clients (writers are serialised in the store; each still waits for its sync).
func BenchmarkUploadDurableParallel(b *testing.B) {
	c, url, ups := uploadBench(b, "BenchP", b.N)
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u := ups[next.Add(1)-1]
			call(b, c, http.MethodPost, url, u.ct, u.body, http.StatusOK)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uploads/s")
}

func api1(name string) domain.API {
	a := domain.API{Name: name, Version: "1", Context: "/" + name, ProductionEndpoint: "http://127.0.0.1:1/"}
	a.Normalize()
	return a
}

// BenchmarkListCertificates10k measures GET client-certificates with 10,000
// certificates on one API (seeded directly into the store).
func BenchmarkListCertificates10k(b *testing.B) {
	const n = 10_000
	dir := b.TempDir()
	seed, err := badgerstore.OpenWithOptions(dir, badgerstore.Options{UnsafeNoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	a, err := seed.CreateAPI(ctx, api1("Big"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		cert := testcerts.New(testcerts.Spec{CommonName: fmt.Sprintf("client-%05d", i)})
		cc := domain.ClientCertificate{APIID: a.ID, Alias: fmt.Sprintf("client-%05d", i), Tier: "Gold", Type: domain.CertTypeClient}
		cc.Describe(cert.Cert)
		if _, err := seed.AddCertificate(ctx, cc); err != nil {
			b.Fatal(err)
		}
	}
	seed.Close()
	st, err := badgerstore.Open(dir) // reopened as in production (durable)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	srv, c := benchServer(b, st)
	base := srv.URL + api.BasePath + "/apis/" + a.ID + "/client-certificates"
	for _, q := range []struct{ name, query string }{
		{"http/first-page-25", "?limit=25"},
		{"http/last-page-25", "?limit=25&offset=9975"},
		{"http/page-1000", "?limit=1000&offset=5000"},
		{"http/alias-filter", "?alias=client-04321"},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				call(b, c, http.MethodGet, base+q.query, "", nil, http.StatusOK)
			}
		})
	}
	b.Run("store/first-page-25", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			p, err := st.ListCertificates(ctx, a.ID, domain.CertQuery{Limit: 25})
			if err != nil || p.Total != n {
				b.Fatal(p.Total, err)
			}
		}
	})
}
