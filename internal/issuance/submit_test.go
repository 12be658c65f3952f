package issuance_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// One rule for the recipient, whoever asks: what the form, a CSV row and
// an API document are each checked against.
func TestCheckRecipient(t *testing.T) {
	long := strings.Repeat("a", 250) + "@example.org"
	for _, c := range []struct {
		name, address string
		want          issuance.FieldErrors
	}{
		{"Ada Lovelace", "ada@example.org", nil},
		{"", "did:web:example.org", nil}, // a DID names its holder
		{"Ada", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2Qt", nil},
		{"", "ada@example.org", issuance.FieldErrors{issuance.FieldRecipientName: issuance.Missing}},
		{"Ada", "", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.Missing}},
		{"", "", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.Missing}},
		{strings.Repeat("é", 201), "ada@example.org", issuance.FieldErrors{issuance.FieldRecipientName: issuance.TooLong}},
		{strings.Repeat("é", 200), "ada@example.org", nil},
		{"Ada\u202eecalevoL", "ada@example.org", issuance.FieldErrors{issuance.FieldRecipientName: issuance.Characters}},
		{"Ada\x00", "ada@example.org", issuance.FieldErrors{issuance.FieldRecipientName: issuance.Characters}},
		{"Ada", "Ada <ada@example.org>", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.NotAddress}},
		{"Ada", "ada@localhost", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.NotAddress}},
		{"Ada", "ada", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.NotAddress}},
		{"Ada", long, issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.TooLong}},
		{"Ada", "did:nope", issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.NotDID}},
		{"Ada", "did:web:" + strings.Repeat("a", 500), issuance.FieldErrors{issuance.FieldRecipientAddress: issuance.TooLong}},
	} {
		if got := issuance.CheckRecipient(c.name, c.address); !maps.Equal(got, c.want) {
			t.Errorf("CheckRecipient(%q, %q) = %v, want %v", c.name, c.address, got, c.want)
		}
	}
}

// Submit is the door: it refuses a recipient the rule refuses before
// anything is signed or stored, and today signs every request it accepts
// (no approval requirement parks one yet).
func TestSubmit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		_, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "", "ada@example.org"), store.ViaWeb, "", store.Actor{})
		var fe issuance.FieldErrors
		if !errors.As(err, &fe) || fe[issuance.FieldRecipientName] != issuance.Missing || !errors.Is(err, issuance.ErrCredential) {
			t.Fatalf("no name for an email recipient: %v", err)
		}
		doc := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"id":"did:example:abc","name":"Ada\u202e"}}`
		_, err = f.is.Submit(ctx, f.sc, issuance.Request{Document: &issuance.DocumentRequest{Credential: reparse(t, []byte(doc)), SchemaID: f.rdfc.SchemaID}},
			store.ViaAPI, "", store.Actor{})
		if !errors.As(err, &fe) || fe[issuance.FieldRecipientName] != issuance.Characters {
			t.Fatalf("an API document's subject name with a bidi override: %v", err)
		}
		var n int64
		if err := db.SQL().QueryRow("SELECT count(*) FROM credentials").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d credentials stored (%v) for refused requests", n, err)
		}
		for _, r := range []issuance.Request{request(f.rdfc, "Ada", "ada@example.org"), request(f.jcs, "", "did:example:ada")} {
			out, err := f.is.Submit(ctx, f.sc, r, store.ViaWeb, "", store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			if !out.Signed || out.Credential.Status != store.CredentialActive || len(out.JSON) == 0 {
				t.Fatalf("outcome signed=%v status %s, want a signed active credential", out.Signed, out.Credential.Status)
			}
			f.verify(t, reparse(t, out.JSON))
		}
	})
}
