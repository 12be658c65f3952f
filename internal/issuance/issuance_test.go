package issuance_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/riverqueue/river"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

const base = "https://creds.example.org"

type fixture struct {
	db        *store.DB
	is        *issuance.Issuer
	org       *store.Organization
	sc        *store.Scoped
	rdfc, jcs *store.CredentialTemplate
	badge     *store.CredentialTemplate
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	keys, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, is: &issuance.Issuer{DB: db, Keys: keys, BaseURL: base}}
	desc := "Awarded on completion of the degree"
	err = db.Seed(context.Background(), func(create func(any) error) error {
		f.org = &store.Organization{Name: "Example University", Slug: "example-uni", Type: store.OrganizationEducational,
			Status: store.OrganizationActive, DID: "did:web:creds.example.org:orgs:example-uni"}
		if err := create(f.org); err != nil {
			return err
		}
		fields := []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true},
			{Name: "credits", Label: "Credits", Type: store.SchemaFieldNumber}}
		def, err := credschema.Build("Degree", fields)
		if err != nil {
			return err
		}
		cs := &store.CredentialSchema{Name: "Degree", Version: "1", OrganizationID: f.org.ID, Active: true,
			Fields: datatypes.NewJSONSlice(fields), SchemaDefinition: datatypes.JSON(def)}
		if err := create(cs); err != nil {
			return err
		}
		mk := func(name string, td store.TemplateData) (*store.CredentialTemplate, error) {
			t := &store.CredentialTemplate{Name: name, Description: &desc, OrganizationID: f.org.ID, SchemaID: cs.ID,
				TemplateData: datatypes.NewJSONType(td), Active: true}
			if err := create(t); err != nil {
				return nil, err
			}
			t.Schema = cs
			return t, nil
		}
		if f.rdfc, err = mk("BSc", store.TemplateData{Kind: store.TemplateDiploma, ValidityDays: 365,
			Defaults: map[string]string{"credits": "180"}}); err != nil {
			return err
		}
		if f.jcs, err = mk("MSc", store.TemplateData{Kind: store.TemplateDiploma, Cryptosuite: vc.CryptosuiteJCS}); err != nil {
			return err
		}
		f.badge, err = mk("Go expert", store.TemplateData{Kind: store.TemplateBadge, Achievement: &store.Achievement{
			Name: "Go expert", Description: "Writes idiomatic Go", Criteria: "Passed the exam", ImageURL: "https://creds.example.org/b.png",
			Alignment: []store.Alignment{
				{TargetName: "Programming in Go", TargetURL: "https://esco.example.org/skill/go", TargetFramework: "ESCO", TargetCode: "S1.2.3"},
				{TargetName: "Code review", TargetURL: "https://skills.example.org/review", TargetDescription: "Reviews others' code"},
			}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.sc = db.Scoped(f.org.ID)
	return f
}

// resolver resolves did:key and the organization's did:web from its DID document.
func (f *fixture) resolver(t *testing.T) vc.KeyResolver {
	return func(ctx context.Context, vm string) (ed25519.PublicKey, error) {
		if strings.HasPrefix(vm, "did:key:") {
			return vc.DIDKeyResolver(ctx, vm)
		}
		doc, err := f.is.DIDDocument(ctx, f.org)
		if err != nil {
			return nil, err
		}
		for _, m := range doc["verificationMethod"].([]any) {
			m := m.(map[string]any)
			if m["id"] == vm {
				return vc.DecodePublicKey(m["publicKeyMultibase"].(string))
			}
		}
		return nil, fmt.Errorf("%s not in the DID document", vm)
	}
}

func (f *fixture) verify(t *testing.T, doc map[string]any) {
	t.Helper()
	proof := doc["proof"].(map[string]any)
	var err error
	switch proof["cryptosuite"] {
	case vc.CryptosuiteJCS:
		err = vc.VerifyJCS(context.Background(), doc, f.resolver(t), vc.VerifyOptions{})
	default:
		err = vc.VerifyRDFC(context.Background(), doc, f.resolver(t), vc.VerifyOptions{})
	}
	if err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
}

func reparse(t *testing.T, b []byte) map[string]any {
	t.Helper()
	v, err := vc.ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func request(tpl *store.CredentialTemplate, name, email string) issuance.Request {
	return issuance.Request{Template: tpl, RecipientName: name, RecipientAddress: email, Data: map[string]any{"degree": "Physics"}}
}

func TestIssueBothSuites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for _, tpl := range []*store.CredentialTemplate{f.rdfc, f.jcs, f.badge} {
			out, err := f.is.Submit(ctx, f.sc, request(tpl, "Ada Lovelace", "ada@example.org"), store.ViaWeb, "", store.Actor{})
			if err != nil {
				t.Fatalf("%s: %v", tpl.Name, err)
			}
			c := out.Credential
			if c.Status != store.CredentialActive || c.IssuedAt == nil || len(c.PublicID) != 26 || *c.ProofType != issuance.Cryptosuite(tpl) {
				t.Fatalf("%s: row %+v", tpl.Name, c)
			}
			// The stored document is the signed one, sealed, and it verifies.
			stored, err := f.is.SignedDocument(c)
			if err != nil || !bytes.Equal(stored, out.JSON) {
				t.Fatalf("%s: stored document differs: %v", tpl.Name, err)
			}
			if bytes.Contains(c.EncryptedData, []byte("Lovelace")) {
				t.Fatalf("%s: credential stored in clear", tpl.Name)
			}
			doc := reparse(t, stored)
			f.verify(t, doc)
			if doc["id"] != base+"/v/"+c.PublicID {
				t.Errorf("%s: id %v", tpl.Name, doc["id"])
			}
			if doc["issuer"].(map[string]any)["id"] != f.org.DID {
				t.Errorf("%s: issuer %v", tpl.Name, doc["issuer"])
			}
			subj := doc["credentialSubject"].(map[string]any)
			if subj["name"] != "Ada Lovelace" || subj["degree"] != "Physics" {
				t.Errorf("%s: subject %v", tpl.Name, subj)
			}
			if tpl == f.badge {
				if !strings.Contains(string(stored), `"OpenBadgeCredential"`) || strings.Contains(string(stored), "ada@example.org") {
					t.Errorf("badge: %s", stored)
				}
				if subj["achievement"].(map[string]any)["criteria"].(map[string]any)["narrative"] != "Passed the exam" {
					t.Errorf("badge achievement %v", subj["achievement"])
				}
				al, _ := subj["achievement"].(map[string]any)["alignment"].([]any)
				if len(al) != 2 {
					t.Fatalf("badge alignment %v", subj["achievement"])
				}
				first, second := al[0].(map[string]any), al[1].(map[string]any)
				if fmt.Sprint(first["type"]) != "[Alignment]" || first["targetName"] != "Programming in Go" ||
					first["targetUrl"] != "https://esco.example.org/skill/go" || first["targetFramework"] != "ESCO" || first["targetCode"] != "S1.2.3" {
					t.Errorf("first alignment %v", first)
				}
				if second["targetDescription"] != "Reviews others' code" || second["targetFramework"] != nil {
					t.Errorf("second alignment %v", second)
				}
			}
			if tpl == f.rdfc && (c.ExpiresAt == nil || c.ExpiresAt.Sub(*c.IssuedAt) < 364*24*time.Hour) {
				t.Errorf("validity period not applied: %v", c.ExpiresAt)
			}
			// Tampering breaks the signature.
			subj["degree"] = "Chemistry"
			var err2 error
			if tpl == f.jcs {
				err2 = vc.VerifyJCS(ctx, doc, f.resolver(t), vc.VerifyOptions{})
			} else {
				err2 = vc.VerifyRDFC(ctx, doc, f.resolver(t), vc.VerifyOptions{})
			}
			if !errors.Is(err2, vc.ErrInvalidProof) {
				t.Errorf("%s: tampered credential: %v", tpl.Name, err2)
			}
		}
	})
}

func statusEntries(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, e := range doc["credentialStatus"].([]any) {
		e := e.(map[string]any)
		out[e["statusPurpose"].(string)] = e
	}
	if len(out) != 2 {
		t.Fatalf("status entries %v", doc["credentialStatus"])
	}
	return out
}

// Concurrent issuance never shares a status index.
func TestConcurrentIssuanceUniqueIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		const n = 12
		var wg sync.WaitGroup
		errs := make(chan error, n)
		docs := make(chan []byte, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := f.is.Submit(context.Background(), f.sc, request(f.jcs, fmt.Sprint("R", i), fmt.Sprintf("r%d@example.org", i)),
					store.ViaAPI, "", store.Actor{})
				if err != nil {
					errs <- err
					return
				}
				docs <- out.JSON
			}()
		}
		wg.Wait()
		close(errs)
		close(docs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for b := range docs {
			for purpose, e := range statusEntries(t, reparse(t, b)) {
				k := purpose + e["statusListCredential"].(string) + "#" + e["statusListIndex"].(string)
				if seen[k] {
					t.Fatalf("index shared: %s", k)
				}
				seen[k] = true
			}
		}
		if len(seen) != 2*n {
			t.Fatalf("%d entries", len(seen))
		}
	})
}

func decodeList(t *testing.T, encoded string) []byte {
	t.Helper()
	if !strings.HasPrefix(encoded, "u") {
		t.Fatalf("encodedList %q is not multibase base64url", encoded[:5])
	}
	gz, err := base64.RawURLEncoding.DecodeString(encoded[1:])
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	bits, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return bits
}

// statusBit fetches a credential's status list credential, checks its
// proof and issuer, and reads the credential's bit.
func (f *fixture) statusBit(t *testing.T, doc map[string]any, purpose string) (bool, string) {
	t.Helper()
	e := statusEntries(t, doc)[purpose]
	u := e["statusListCredential"].(string)
	id := strings.TrimPrefix(u, base+"/status-lists/")
	sl, err := f.is.StatusListCredential(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	list := reparse(t, sl.JSON)
	f.verify(t, list)
	if list["issuer"] != f.org.DID || list["id"] != u {
		t.Fatalf("status list issuer %v id %v", list["issuer"], list["id"])
	}
	subj := list["credentialSubject"].(map[string]any)
	if subj["statusPurpose"] != purpose || subj["type"] != "BitstringStatusList" {
		t.Fatalf("status list subject %v", subj)
	}
	bits := decodeList(t, subj["encodedList"].(string))
	if len(bits)*8 != store.StatusListSize {
		t.Fatalf("list of %d bits", len(bits)*8)
	}
	i, _ := strconv.Atoi(e["statusListIndex"].(string))
	return bits[i/8]&(0x80>>(i%8)) != 0, sl.ETag
}

func TestRevokeSuspendUnsuspend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		a, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "A", "a@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "B", "b@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		da, dbb := reparse(t, a.JSON), reparse(t, b.JSON)
		if set, _ := f.statusBit(t, da, "revocation"); set {
			t.Fatal("new credential revoked")
		}
		_, etag1 := f.statusBit(t, da, "suspension")

		if _, err := f.sc.ChangeCredentialStatus(ctx, a.Credential.ID, store.ActionSuspend, "", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		set, etag2 := f.statusBit(t, da, "suspension")
		if !set || etag2 == etag1 {
			t.Fatalf("suspended: bit %v, etag changed %v", set, etag2 != etag1)
		}
		if set, _ := f.statusBit(t, dbb, "suspension"); set {
			t.Fatal("suspending A suspended B")
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, a.Credential.ID, store.ActionSuspend, "", store.ViaWeb, store.Actor{}); !errors.Is(err, store.ErrStatusChange) {
			t.Fatalf("suspend twice: %v", err)
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, a.Credential.ID, store.ActionUnsuspend, "", store.ViaAPI, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if set, _ := f.statusBit(t, da, "suspension"); set {
			t.Fatal("unsuspended credential still suspended")
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, a.Credential.ID, store.ActionRevoke, "", store.ViaWeb, store.Actor{}); !errors.Is(err, store.ErrStatusChange) {
			t.Fatalf("revoke without reason: %v", err)
		}
		c, err := f.sc.ChangeCredentialStatus(ctx, a.Credential.ID, store.ActionRevoke, "issued in error", store.ViaWeb, store.Actor{})
		if err != nil || c.Status != store.CredentialRevoked || c.RevokedAt == nil || *c.RevocationReason != "issued in error" {
			t.Fatalf("revoke: %+v %v", c, err)
		}
		if set, _ := f.statusBit(t, da, "revocation"); !set {
			t.Fatal("revoked credential not in the list")
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, a.Credential.ID, store.ActionUnsuspend, "", store.ViaWeb, store.Actor{}); !errors.Is(err, store.ErrStatusChange) {
			t.Fatalf("revocation is terminal: %v", err)
		}
		h, err := f.sc.CredentialStatusHistory(ctx, a.Credential.ID)
		if err != nil || len(h) != 4 || h[3].ToStatus != store.CredentialRevoked || h[2].Via != store.ViaAPI {
			t.Fatalf("history %v %v", h, err)
		}
		// The audit log names each change in words, in order.
		rows, err := db.SQL().QueryContext(ctx, storetest.Rebind(db.Dialect(), `SELECT action FROM audit_logs WHERE resource_id = ? AND action <> 'credential.issued' ORDER BY created_at, id`), a.Credential.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				t.Fatal(err)
			}
			actions = append(actions, a)
		}
		rows.Close()
		if want := []string{"credential.suspended", "credential.unsuspended", "credential.revoked"}; !slices.Equal(actions, want) {
			t.Fatalf("audit actions %v, want %v", actions, want)
		}
		// Another organization cannot touch it.
		other := db.Scoped("0190a0a0-0000-7000-8000-000000000000")
		if _, err := other.ChangeCredentialStatus(ctx, b.Credential.ID, store.ActionRevoke, "x", store.ViaWeb, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other org: %v", err)
		}
		// The list is kept in memory under its id, even when the caller's
		// string pointed into a buffer it then reuses (as Fiber's route
		// parameters do).
		buf := []byte(strings.TrimPrefix(statusEntries(t, dbb)["suspension"]["statusListCredential"].(string), base+"/status-lists/"))
		susID := string(buf)
		fresh := &issuance.Issuer{DB: db, Keys: f.is.Keys, BaseURL: f.is.BaseURL} // nothing in memory yet
		if _, err := fresh.StatusListCredential(ctx, unsafe.String(unsafe.SliceData(buf), len(buf))); err != nil {
			t.Fatal(err)
		}
		copy(buf, strings.Repeat("f", len(buf)))
		if !fresh.ServedListCached(susID) {
			t.Fatal("the served list's cache key changed with the caller's buffer")
		}
		// A revoked issuer's lists are gone, though served (and kept in memory) before.
		listID := strings.TrimPrefix(statusEntries(t, dbb)["revocation"]["statusListCredential"].(string), base+"/status-lists/")
		if _, err := db.SQL().ExecContext(ctx, "UPDATE organizations SET status = 'revoked' WHERE id = '"+f.org.ID+"'"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.is.StatusListCredential(ctx, listID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked issuer's status list: %v", err)
		}
		if _, err := f.is.StatusListCredential(ctx, "not-a-list"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("malformed list id: %v", err)
		}
	})
}

func TestKeysAndDIDDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		k1, err := f.is.EnsureKey(ctx, f.sc, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.is.EnsureKey(ctx, f.sc, store.Actor{})
		if err != nil || again.ID != k1.ID {
			t.Fatalf("EnsureKey made a second key: %v", err)
		}
		old, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "A", "a@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		k2, err := f.is.RotateKey(ctx, f.sc, store.Actor{})
		if err != nil || k2.ID == k1.ID {
			t.Fatal(err)
		}
		keys, _ := f.sc.SigningKeys(ctx)
		if len(keys) != 2 || keys[0].ID != k2.ID || keys[1].Status != store.KeyRetired || keys[1].RetiredAt == nil {
			t.Fatalf("keys after rotation %+v", keys)
		}
		doc, err := f.is.DIDDocument(ctx, f.org)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(doc)
		if doc["id"] != f.org.DID || !strings.Contains(string(b), k1.PublicKeyMultibase) || !strings.Contains(string(b), k2.PublicKeyMultibase) {
			t.Fatalf("DID document %s", b)
		}
		// The old credential still verifies; a new one is signed by the new key.
		f.verify(t, reparse(t, old.JSON))
		fresh, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "B", "b@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if vm := reparse(t, fresh.JSON)["proof"].(map[string]any)["verificationMethod"]; vm != f.org.DID+"#"+k2.KeyID {
			t.Fatalf("signed with %v", vm)
		}
		if *fresh.Credential.SigningKeyID != k2.ID {
			t.Fatal("signing key not recorded")
		}
	})
}

func TestDIDKeyIssuer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if err := f.is.SetDIDMethod(ctx, f.sc, store.DIDKey, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		org, _ := f.sc.Organization(ctx)
		if !strings.HasPrefix(org.DID, "did:key:z6Mk") || org.DIDMethod != store.DIDKey {
			t.Fatalf("DID %s", org.DID)
		}
		f.org = org
		out, err := f.is.Submit(ctx, f.sc, request(f.jcs, "A", "did:example:ada"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		doc := reparse(t, out.JSON)
		if err := vc.VerifyJCS(ctx, doc, vc.DIDKeyResolver, vc.VerifyOptions{}); err != nil {
			t.Fatal(err)
		}
		if doc["credentialSubject"].(map[string]any)["id"] != "did:example:ada" {
			t.Fatalf("subject id %v", doc["credentialSubject"])
		}
		// Rotating a did:key organization changes its DID; the old
		// credential's status list stays under the old DID, signed by the old key.
		if _, err := f.is.RotateKey(ctx, f.sc, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		org2, _ := f.sc.Organization(ctx)
		if org2.DID == org.DID {
			t.Fatal("DID did not follow the key")
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, out.Credential.ID, store.ActionRevoke, "lost", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if set, _ := f.statusBit(t, doc, "revocation"); !set {
			t.Fatal("not revoked")
		}
		// Back to did:web.
		if err := f.is.SetDIDMethod(ctx, f.sc, store.DIDWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if org3, _ := f.sc.Organization(ctx); org3.DID != "did:web:creds.example.org:orgs:example-uni" {
			t.Fatalf("did:web back: %s", org3.DID)
		}
	})
}

func TestIssueDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		parse := func(s string) map[string]any { return reparse(t, []byte(s)) }
		ok := `{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],
			"type":["VerifiableCredential","ExampleAlumniCredential"],
			"credentialSubject":{"id":"did:example:abc","alumniOf":"Example University"}}`
		for _, suite := range []string{"", vc.CryptosuiteJCS} {
			out, err := f.is.Submit(ctx, f.sc, issuance.Request{Document: &issuance.DocumentRequest{Credential: parse(ok), Cryptosuite: suite, SchemaID: f.rdfc.SchemaID}},
				store.ViaAPI, "", store.Actor{})
			if err != nil {
				t.Fatalf("%q: %v", suite, err)
			}
			doc := reparse(t, out.JSON)
			if doc["issuer"] != f.org.DID || doc["validFrom"] == nil || out.Credential.RecipientAddress != "did:example:abc" {
				t.Fatalf("issued %s", out.JSON)
			}
			f.verify(t, doc)
		}
		cases := []struct {
			name, doc string
			want      error
		}{
			{"another issuer", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:other","credentialSubject":{"id":"did:example:abc"}}`, issuance.ErrIssuer},
			{"no subject", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"]}`, issuance.ErrCredential},
			{"v1 context", `{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"credentialSubject":{"id":"did:example:abc"}}`, issuance.ErrCredential},
			{"undefined term", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"id":"did:example:abc","favouriteColour":"blue"}}`, vc.ErrUndefinedTerm},
			{"undefined type", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","MadeUpCredential"],"credentialSubject":{"id":"did:example:abc"}}`, vc.ErrUndefinedTerm},
			{"unknown context", `{"@context":["https://www.w3.org/ns/credentials/v2","https://evil.example/ctx"],"type":["VerifiableCredential"],"credentialSubject":{"id":"did:example:abc"}}`, vc.ErrUnknownContext},
			{"no recipient", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"name":"x"}}`, issuance.ErrCredential},
		}
		for _, c := range cases {
			_, err := f.is.Submit(ctx, f.sc, issuance.Request{Document: &issuance.DocumentRequest{Credential: parse(c.doc), SchemaID: f.rdfc.SchemaID}}, store.ViaAPI, "", store.Actor{})
			if !errors.Is(err, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			}
		}
		if _, err := f.is.Submit(ctx, f.sc, issuance.Request{Document: &issuance.DocumentRequest{Credential: parse(ok), Cryptosuite: "ecdsa-rdfc-2019", SchemaID: f.rdfc.SchemaID}},
			store.ViaAPI, "", store.Actor{}); !errors.Is(err, issuance.ErrCryptosuite) {
			t.Errorf("cryptosuite: %v", err)
		}
	})
}

// Data that does not match the schema is refused, field by field, before
// anything is signed; template defaults are typed by the schema.
func TestIssueChecksData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		_, err := f.is.Submit(ctx, f.sc, issuance.Request{Template: f.rdfc, RecipientName: "A", RecipientAddress: "a@example.org",
			Data: map[string]any{"credits": "lots"}}, store.ViaWeb, "", store.Actor{})
		var de *issuance.DataError
		if !errors.As(err, &de) || de.Fields["degree"] == "" || de.Fields["credits"] == "" {
			t.Fatalf("bad data: %v", err)
		}
		past := time.Now().Add(-time.Hour)
		if _, err := f.is.Submit(ctx, f.sc, issuance.Request{Template: f.rdfc, RecipientName: "A", RecipientAddress: "a@example.org",
			Data: map[string]any{"degree": "X"}, ExpiresAt: &past}, store.ViaWeb, "", store.Actor{}); !errors.Is(err, issuance.ErrCredential) {
			t.Fatalf("expiry in the past: %v", err)
		}
		out, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "A", "a@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if got := reparse(t, out.JSON)["credentialSubject"].(map[string]any)["credits"]; fmt.Sprint(got) != "180" {
			t.Fatalf("default credits %v (%T)", got, got)
		}
		if !strings.Contains(string(out.JSON), `"credits":180`) {
			t.Fatalf("the default is not a number: %s", out.JSON)
		}
		var count int64
		if err := db.SQL().QueryRow("SELECT count(*) FROM credentials").Scan(&count); err != nil || count != 1 {
			t.Fatalf("%d credentials stored (%v), want only the valid one", count, err)
		}
	})
}

// The recipient's email job is enqueued (Request.Email) inside the
// transaction that stores the credential: the queue sees the new row, and
// its failure leaves no credential behind (so a queued email and its
// credential commit together or not at all).
func TestIssueEmailIsTransactional(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		q := "SELECT count(*) FROM credentials WHERE id = ?"
		if db.Dialect() == store.Postgres {
			q = "SELECT count(*) FROM credentials WHERE id = $1"
		}
		boom := errors.New("queue unavailable")
		queue := &fakeQueue{t: t, query: q, err: boom}
		req := request(f.rdfc, "A", "a@example.org")
		req.Email = queue
		if _, err := f.is.Submit(ctx, f.sc, req, store.ViaWeb, "", store.Actor{}); !errors.Is(err, boom) {
			t.Fatalf("the queue's error: %v", err)
		}
		var n int
		if err := db.SQL().QueryRow("SELECT count(*) FROM credentials").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d credentials stored after the enqueue failed (%v)", n, err)
		}
		queue.err = nil
		out, err := f.is.Submit(ctx, f.sc, req, store.ViaWeb, "", store.Actor{})
		if err != nil || len(queue.jobs) != 2 || queue.jobs[1] != (notify.CredentialEmail{CredentialID: out.Credential.ID, OrganizationID: f.org.ID}) {
			t.Fatalf("issued %v with the jobs %v: %v", out.Credential, queue.jobs, err)
		}
	})
}

// fakeQueue records the jobs enqueued through it, checking that the
// credential they name is visible in their transaction.
type fakeQueue struct {
	t     *testing.T
	query string
	err   error
	jobs  []river.JobArgs
}

func (q *fakeQueue) EnqueueTx(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
	q.jobs = append(q.jobs, args)
	var n int
	if err := tx.QueryRowContext(ctx, q.query, args.(notify.CredentialEmail).CredentialID).Scan(&n); err != nil || n != 1 {
		q.t.Errorf("the queue does not see its credential: %d %v", n, err)
	}
	return q.err
}

// Credentials past their expiry are marked expired by the periodic job's
// store call, with a history entry; revoked and suspended ones are left.
func TestExpireCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		soon := time.Now().Add(time.Hour)
		var ids []string
		for i := range 3 {
			r := request(f.jcs, fmt.Sprint("R", i), fmt.Sprintf("r%d@example.org", i))
			r.ExpiresAt = &soon
			out, err := f.is.Submit(ctx, f.sc, r, store.ViaWeb, "", store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, out.Credential.ID)
		}
		lasting, err := f.is.Submit(ctx, f.sc, request(f.jcs, "L", "l@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, ids[1], store.ActionSuspend, "", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if n, err := db.ExpireCredentials(ctx, time.Now(), 1000, nil); err != nil || n != 0 {
			t.Fatalf("before expiry: %d %v", n, err)
		}
		if n, err := db.ExpireCredentials(ctx, soon.Add(time.Minute), 1000, nil); err != nil || n != 2 {
			t.Fatalf("after expiry: %d %v", n, err)
		}
		for id, want := range map[string]store.CredentialStatus{ids[0]: store.CredentialExpired, ids[1]: store.CredentialSuspended,
			ids[2]: store.CredentialExpired, lasting.Credential.ID: store.CredentialActive} {
			c, err := f.sc.Credential(ctx, id)
			if err != nil || c.Status != want {
				t.Errorf("%s: %s, want %s (%v)", id, c.Status, want, err)
			}
		}
		h, _ := f.sc.CredentialStatusHistory(ctx, ids[0])
		if last := h[len(h)-1]; last.ToStatus != store.CredentialExpired || last.Via != store.ViaSystem {
			t.Errorf("history %+v", last)
		}
		if n, _ := db.ExpireCredentials(ctx, soon.Add(time.Minute), 1000, nil); n != 0 {
			t.Errorf("expired twice: %d", n)
		}
		// An expired credential can still be revoked.
		if _, err := f.sc.ChangeCredentialStatus(ctx, ids[0], store.ActionRevoke, "superseded", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIssueMany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		reqs := make([]issuance.Request, 300)
		for i := range reqs {
			reqs[i] = request(f.rdfc, fmt.Sprint("R", i), fmt.Sprintf("r%d@example.org", i))
		}
		// The recipient rule is Submit's: one bad request refuses the lot.
		bad := append(slices.Clone(reqs[:2]), request(f.rdfc, "", "nobody@example.org"))
		if _, err := f.is.IssueMany(ctx, f.sc, bad, store.Actor{}); !errors.As(err, new(issuance.FieldErrors)) {
			t.Fatalf("a request without a name for an email address: %v", err)
		}
		creds, err := f.is.IssueMany(ctx, f.sc, reqs, store.Actor{})
		if err != nil || len(creds) != 300 {
			t.Fatalf("%d %v", len(creds), err)
		}
		var n, distinct int
		if err := db.SQL().QueryRow("SELECT count(*), count(DISTINCT status_list_index) FROM credentials").Scan(&n, &distinct); err != nil || n != 300 || distinct != 300 {
			t.Fatalf("%d credentials, %d distinct indexes (%v)", n, distinct, err)
		}
		// One issued afterwards takes the next index; each verifies.
		one, err := f.is.Submit(ctx, f.sc, request(f.rdfc, "Last", "last@example.org"), store.ViaWeb, "", store.Actor{})
		if err != nil || *one.Credential.StatusListIndex != 300 {
			t.Fatalf("next index %v %v", one.Credential.StatusListIndex, err)
		}
		for _, c := range []*store.Credential{creds[0], creds[299]} {
			b, err := f.is.SignedDocument(c)
			if err != nil {
				t.Fatal(err)
			}
			f.verify(t, reparse(t, b))
		}
		if _, err := f.sc.ChangeCredentialStatus(ctx, creds[150].ID, store.ActionRevoke, "x", store.ViaWeb, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	})
}
