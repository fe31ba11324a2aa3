package badgerstore_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/manager/domain"
	"github.com/certgate/certgate/manager/internal/testcerts"
	"github.com/certgate/certgate/manager/store/badgerstore"
)

func randomKey(t *testing.T, n int) []byte {
	t.Helper()
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// testProfile is a valid profile; with key it carries a fresh client key.
func testProfile(t *testing.T, name, server string, withKey bool) (domain.BackendProfile, *ecdsa.PrivateKey) {
	t.Helper()
	ca := testcerts.New(testcerts.Spec{CommonName: name + " CA", IsCA: true})
	p := domain.BackendProfile{Name: name, Servers: []string{server}, HostnameVerification: domain.HostnameStrict,
		TrustStore: []domain.TrustedCertificate{domain.NewTrustedCertificate(ca.Cert)}}
	if !withKey {
		return p, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	client := testcerts.New(testcerts.Spec{CommonName: name + " client", Key: key, Parent: ca})
	ks, err := domain.DecodeKeyStore(append(testcerts.PEM(client.Cert.Raw), testcerts.KeyPEM(key)...), nil, "", client.Cert.NotBefore.Add(1))
	if err != nil {
		t.Fatal(err)
	}
	p.KeyStore = ks
	return p, key
}

// dirContents concatenates every file under dir.
func dirContents(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// windows returns the encodings of secret a store could write: raw, base64
// (JSON []byte) and 24-byte windows of both (compression may split runs).
func windows(secret []byte) [][]byte {
	b64 := []byte(base64.StdEncoding.EncodeToString(secret))
	out := [][]byte{secret, b64}
	for _, s := range [][]byte{secret, b64} {
		for i := 0; i+24 <= len(s); i += 24 {
			out = append(out, s[i:i+24])
		}
	}
	return out
}

func containsAny(hay []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(hay, n) {
			return true
		}
	}
	return false
}

// TestEncryptionAtRest stores a profile with a private key in an encrypted
// store and greps the closed data directory for the key (and, as a control
// that the grep works, finds a trust certificate in an unencrypted store).
func TestEncryptionAtRest(t *testing.T) {
	ctx := context.Background()

	plainDir := t.TempDir()
	plain, err := badgerstore.Open(plainDir)
	if err != nil {
		t.Fatal(err)
	}
	trustOnly, _ := testProfile(t, "plain", "plain.example.com:443", false)
	if _, err := plain.CreateBackendProfile(ctx, trustOnly); err != nil {
		t.Fatal(err)
	}
	withKey, _ := testProfile(t, "refused", "refused.example.com:443", true)
	if _, err := plain.CreateBackendProfile(ctx, withKey); !errors.Is(err, domain.ErrInvalid) || domain.AsError(err).Code != domain.CodeEncryptionRequired {
		t.Fatalf("unencrypted store accepted a private key: %v", err)
	}
	plain.Close()
	if !containsAny(dirContents(t, plainDir), windows(trustOnly.TrustStore[0].DER)) {
		t.Fatal("control failed: the trust certificate is not found in the unencrypted store's files")
	}

	dir := t.TempDir()
	key := randomKey(t, 32)
	st, err := badgerstore.OpenWithOptions(dir, badgerstore.Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	p, priv := testProfile(t, "secret", "secret.example.com:443", true)
	if _, err := st.CreateBackendProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	st.Close()
	files := dirContents(t, dir)
	pkcs8 := testcerts.KeyDER(priv)
	needles := append(windows(pkcs8), testcerts.KeyPEM(priv), priv.D.Bytes(), []byte(hex.EncodeToString(priv.D.Bytes())))
	if containsAny(files, needles) {
		t.Fatal("the private key is readable in the encrypted store's files")
	}
	if containsAny(files, windows(p.TrustStore[0].DER)) || bytes.Contains(files, []byte("secret.example.com")) {
		t.Fatal("profile data is readable in the encrypted store's files")
	}

	// Reopened with its key, the profile and key are back.
	st, err = badgerstore.OpenWithOptions(dir, badgerstore.Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.GetBackendProfile(ctx, "secret")
	if err != nil || got.KeyStore == nil || !bytes.Equal(got.KeyStore.KeyPKCS8, pkcs8) || !st.Encrypted() {
		t.Fatalf("after reopen: %+v %v", got.KeyStore, err)
	}
}

// TestOpenEncryptionMismatch: Badger cannot open a directory with another
// encryption setting; Open says so clearly.
func TestOpenEncryptionMismatch(t *testing.T) {
	plainDir, encDir := t.TempDir(), t.TempDir()
	key := randomKey(t, 16)
	for _, o := range []struct {
		dir string
		key []byte
	}{{plainDir, nil}, {encDir, key}} {
		s, err := badgerstore.OpenWithOptions(o.dir, badgerstore.Options{EncryptionKey: o.key})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	cases := []struct {
		name string
		dir  string
		key  []byte
		want string // "" = opens
	}{
		{"ok/plain-without-key", plainDir, nil, ""},
		{"ok/encrypted-with-key", encDir, key, ""},
		{"fail/plain-with-key", plainDir, key, "created without encryption or with another key"},
		{"fail/encrypted-without-key", encDir, nil, "is encrypted at rest"},
		{"fail/encrypted-with-other-key", encDir, randomKey(t, 16), "created without encryption or with another key"},
		{"fail/bad-key-length", encDir, randomKey(t, 20), "needs 16, 24 or 32"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := badgerstore.OpenWithOptions(tc.dir, badgerstore.Options{EncryptionKey: tc.key})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.HasPrefix(tc.name, "fail/encrypted") || tc.name == "fail/plain-with-key" {
				if !errors.Is(err, badgerstore.ErrEncryptionKeyMismatch) {
					t.Fatalf("err %v is not ErrEncryptionKeyMismatch", err)
				}
			}
		})
	}
}

func TestLoadEncryptionKey(t *testing.T) {
	k32 := randomKey(t, 32)
	k24 := randomKey(t, 24)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name        string
		value, file string
		want        []byte
		err         string
	}{
		{"ok/none", "", "", nil, ""},
		{"ok/hex-32", hex.EncodeToString(k32), "", k32, ""},
		{"ok/base64-24", base64.StdEncoding.EncodeToString(k24), "", k24, ""},
		{"ok/base64url-raw-32", base64.RawURLEncoding.EncodeToString(k32), "", k32, ""},
		{"ok/file-with-newline", "", write("k", hex.EncodeToString(k32)+"\n"), k32, ""},
		{"fail/both", "aa", "f", nil, "not both"},
		{"fail/short", hex.EncodeToString(k32[:10]), "", nil, "has 10 bytes"},
		{"fail/not-encoded", "this is no key!", "", nil, "neither hex nor base64"},
		{"fail/missing-file", "", filepath.Join(dir, "missing"), nil, "read encryption key file"},
		{"fail/empty-file", "", write("empty", "\n"), nil, "is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := badgerstore.LoadEncryptionKey(tc.value, tc.file)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				if tc.value != "" && strings.Contains(err.Error(), tc.value) {
					t.Fatal("the error repeats the key")
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("got %x, %v", got, err)
			}
		})
	}
}

// TestBackendProfileStore covers the server index: a server belongs to one
// profile, updates move it, deletes free it, every change is audited.
func TestBackendProfileStore(t *testing.T) {
	ctx := domain.WithActor(context.Background(), "tester")
	st, err := badgerstore.OpenWithOptions(t.TempDir(), badgerstore.Options{EncryptionKey: randomKey(t, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, _ := testProfile(t, "a", "a.example.com:443", true)
	b, _ := testProfile(t, "b", "b.example.com:443", false)
	for _, p := range []domain.BackendProfile{a, b} {
		if _, err := st.CreateBackendProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		run  func() error
		code int64 // 0: ok
	}{
		{"fail/create-existing-name", func() error { _, err := st.CreateBackendProfile(ctx, b); return err }, domain.CodeProfileExists},
		{"fail/create-server-in-use", func() error {
			c, _ := testProfile(t, "c", "a.example.com:443", false)
			_, err := st.CreateBackendProfile(ctx, c)
			return err
		}, domain.CodeServerInUse},
		{"fail/update-to-server-in-use", func() error {
			b2 := b
			b2.Servers = []string{"a.example.com:443"}
			_, err := st.UpdateBackendProfile(ctx, b2)
			return err
		}, domain.CodeServerInUse},
		{"ok/update-moves-server", func() error {
			a2 := a
			a2.Servers = []string{"a2.example.com:443"}
			_, err := st.UpdateBackendProfile(ctx, a2)
			return err
		}, 0},
		{"ok/old-server-free", func() error {
			b2 := b
			b2.Servers = []string{"b.example.com:443", "a.example.com:443"}
			_, err := st.UpdateBackendProfile(ctx, b2)
			return err
		}, 0},
		{"fail/update-missing", func() error {
			x, _ := testProfile(t, "x", "x.example.com:443", false)
			_, err := st.UpdateBackendProfile(ctx, x)
			return err
		}, domain.CodeProfileNotFound},
		{"ok/delete", func() error { return st.DeleteBackendProfile(ctx, "b") }, 0},
		{"ok/deleted-servers-free", func() error {
			c, _ := testProfile(t, "c", "a.example.com:443", false)
			_, err := st.CreateBackendProfile(ctx, c)
			return err
		}, 0},
		{"fail/delete-missing", func() error { return st.DeleteBackendProfile(ctx, "b") }, domain.CodeProfileNotFound},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			v := st.ConfigVersion()
			err := s.run()
			switch {
			case s.code == 0 && err != nil:
				t.Fatal(err)
			case s.code == 0 && st.ConfigVersion() != v+1:
				t.Fatalf("version %d after change from %d", st.ConfigVersion(), v)
			case s.code != 0 && (err == nil || domain.AsError(err).Code != s.code):
				t.Fatalf("err %v, want code %d", err, s.code)
			case s.code != 0 && st.ConfigVersion() != v:
				t.Fatal("a refused change bumped the version")
			}
		})
	}
	ps, err := st.ListBackendProfiles(ctx)
	if err != nil || len(ps) != 2 || ps[0].Name != "a" || ps[1].Name != "c" {
		t.Fatalf("list: %+v %v", ps, err)
	}
	audit, _, _ := st.ListAudit(ctx, 0, 1)
	if len(audit) != 1 || audit[0].Action != domain.ActionProfileCreate || audit[0].Actor != "tester" {
		t.Fatalf("audit: %+v", audit)
	}
}
