package vc

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
)

func TestDIDKey(t *testing.T) {
	pub, err := DecodePublicKey(vectorPub)
	if err != nil {
		t.Fatal(err)
	}
	did, err := DIDKey(pub)
	if err != nil || did != "did:key:"+vectorPub {
		t.Fatalf("DIDKey = %q, %v", did, err)
	}
	vm, err := DIDKeyMethod(pub)
	if want := "did:key:" + vectorPub + "#" + vectorPub; err != nil || vm != want {
		t.Fatalf("DIDKeyMethod = %q, %v; want %q", vm, err, want)
	}

	doc, err := ResolveDIDKey(did)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(doc)
	want := `{"@context":["https://www.w3.org/ns/did/v1","https://w3id.org/security/multikey/v1"],` +
		`"id":"` + did + `","verificationMethod":[{"id":"` + vm + `","type":"Multikey","controller":"` + did +
		`","publicKeyMultibase":"` + vectorPub + `"}],"authentication":["` + vm + `"],"assertionMethod":["` + vm + `"]}`
	if string(got) != want {
		t.Errorf("document\n got %s\nwant %s", got, want)
	}
	if doc2, err := ResolveDIDKey(vm); err != nil || doc2.ID != did {
		t.Errorf("ResolveDIDKey(vm) = %+v, %v", doc2, err)
	}

	k, err := DIDKeyResolver(context.Background(), vm)
	if err != nil || !k.Equal(pub) {
		t.Errorf("DIDKeyResolver = %x, %v", k, err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	otherMK, _ := EncodePublicKey(other)
	for _, bad := range []string{
		did, // no fragment
		"did:web:example.org#" + vectorPub,
		"did:key:" + vectorPub + "#" + otherMK,
		"did:key:" + vectorSecret + "#" + vectorSecret,
		"did:key:z6Mk#z6Mk",
	} {
		if _, err := DIDKeyResolver(context.Background(), bad); !errors.Is(err, ErrDIDKey) {
			t.Errorf("DIDKeyResolver(%q): err = %v", bad, err)
		}
	}
}
