package shared

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func sampleSnapshot() *Snapshot {
	return &Snapshot{
		APIs: []API{
			{Provider: "admin", Name: "PizzaShack", Version: "1.0.0", Context: "pizzashack", Default: true,
				Security: SecMutualSSL | SecOAuth2, Policy: "Gold", TokenTier: "Silver", Audience: "pizza"},
			{Provider: "admin", Name: "PizzaShack", Version: "2.0.0", Context: "pizzashack", Security: SecMutualSSL | SecMutualSSLMandatory},
		},
		Certs: []ClientCert{{APIID: "admin--PizzaShack:v1.0.0", Fingerprint: "ab01", Alias: "client1", CN: "client.example", Tier: "Gold", NotAfter: 1900000000}},
		CAs: []CACert{{APIID: "admin--PizzaShack:v1.0.0", SubjectKeyID: "0a0b", SubjectHash: "ff00", Alias: "ca", Subject: "CN=Test CA",
			Tier: "Bronze", NotAfter: 2000000000, PublicKey: []byte{0x30, 0x01, 0x02}}},
		Revoked: []string{"dead"},
		Tiers:   []Tier{{Name: "Gold", Count: 100, UnitMillis: 60000}},
		Issuers: []Issuer{{Issuer: "https://idp.example", Keys: []JWK{
			{Kid: "r1", Alg: AlgRS256, N: []byte{1, 2, 3}, E: 65537},
			{Kid: "e1", Alg: AlgES256, X: bytes.Repeat([]byte{7}, 32), Y: bytes.Repeat([]byte{9}, 32)},
		}}},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	s := sampleSnapshot()
	t.Run("api", func(t *testing.T) {
		for _, a := range s.APIs {
			got, err := DecodeAPI(a.Encode())
			if err != nil || !reflect.DeepEqual(got, a) {
				t.Fatalf("got %+v, %v; want %+v", got, err, a)
			}
		}
	})
	t.Run("cert", func(t *testing.T) {
		c := s.Certs[0]
		got, err := DecodeClientCert(c.Encode())
		c.APIID, c.Fingerprint = "", ""
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("got %+v, %v; want %+v", got, err, c)
		}
	})
	t.Run("ca", func(t *testing.T) {
		c := s.CAs[0]
		got, err := DecodeCACert(c.Encode())
		c.APIID, c.SubjectKeyID, c.SubjectHash = "", "", ""
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("got %+v, %v; want %+v", got, err, c)
		}
	})
	t.Run("tier", func(t *testing.T) {
		tr := s.Tiers[0]
		got, err := DecodeTier(tr.Encode())
		tr.Name = ""
		if err != nil || got != tr {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("issuer", func(t *testing.T) {
		is := s.Issuers[0]
		got, err := DecodeIssuer(is.Encode())
		is.Issuer = ""
		if err != nil || !reflect.DeepEqual(got, is) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("default", func(t *testing.T) {
		v, err := DecodeDefaultVersion(EncodeDefaultVersion("1.0.0"))
		if err != nil || v != "1.0.0" {
			t.Fatalf("got %q, %v", v, err)
		}
	})
}

func TestDecodersRejectCorrupt(t *testing.T) {
	a := sampleSnapshot().APIs[0]
	enc := a.Encode()
	cases := map[string][]byte{
		"empty":     nil,
		"wrong-tag": append([]byte{'X'}, enc[1:]...),
		"truncated": enc[:len(enc)-1],
		"trailing":  append(append([]byte{}, enc...), 0),
		"huge-len":  {tagAPI, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeAPI(b); err == nil {
				t.Fatal("want error")
			}
		})
	}
	if _, err := DecodeIssuer([]byte{tagIssuer, 0xff, 0xff, 0xff, 0x7f}); err == nil {
		t.Fatal("issuer with impossible key count: want error")
	}
	if _, err := DecodeTier([]byte{tagCert}); err == nil {
		t.Fatal("tier with cert tag: want error")
	}
}

func TestGeneration(t *testing.T) {
	for _, g := range []uint64{0, 1, 42, ^uint64(0)} {
		got, err := DecodeGeneration(EncodeGeneration(g))
		if err != nil || got != g {
			t.Fatalf("%d: got %d, %v", g, got, err)
		}
	}
	for _, bad := range []string{"", "x", "-1", "18446744073709551616", "1 "} {
		if _, err := DecodeGeneration([]byte(bad)); err == nil {
			t.Fatalf("%q: want error", bad)
		}
	}
}

func TestErrorBody(t *testing.T) {
	b := ErrorBody(CodeInvalidCredentials, MsgInvalidCredentials, "bad \"cert\"\n\x01 é \xff")
	var v struct {
		Code        int    `json:"code"`
		Message     string `json:"message"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if v.Code != 900901 || v.Message != "Invalid Credentials" || v.Description != "bad \"cert\"\n\x01 é \ufffd" {
		t.Fatalf("got %+v", v)
	}
}

func TestAPIIdentifier(t *testing.T) {
	a := API{Provider: "admin", Name: "PizzaShackAPI", Version: "1.0.0"}
	if got := a.ID(); got != "admin--PizzaShackAPI:v1.0.0" {
		t.Fatal(got)
	}
}
