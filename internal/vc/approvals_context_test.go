package vc

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateApproved = flag.Bool("update-approved", false, "sign testdata/trustcred/approved-rdfc.json again (only if the fixture itself must change)")

// approvedFixture is a credential as the approval runtime signs it
// (internal/approval.Evidence): the TrustCred diploma fixture with two
// TrustCredApproval evidence entries, signed with eddsa-rdfc-2022 by the
// W3C vector key (did:key). It was signed once, with the TrustCred
// context as it defines TrustCredApproval since issue 17, and stored.
const approvedFixture = "testdata/trustcred/approved-rdfc.json"

func signApprovedFixture(t *testing.T) {
	t.Helper()
	doc := vectorObject(t, "trustcred/diploma.json")
	did := "did:key:" + vectorPub
	doc["issuer"] = map[string]any{"id": did, "name": "Example University"}
	ev := func(n, who string, at string) map[string]any {
		return map[string]any{"id": doc["id"].(string) + "#approval-" + n, "type": []any{"TrustCredApproval"}, "approver": who,
			"approverRole": "reviewer", "approvedAt": at, "approvalStep": json.Number("1"), "requiredApprovals": json.Number("2"),
			"eligibleApprovers": json.Number("3")}
	}
	doc["evidence"] = []any{ev("1", "Rita Registrar", "2026-12-07T14:30:00Z"), ev("2", "Dean of Studies", "2026-12-07T15:02:11Z")}
	_, priv := vectorKeys(t)
	opts := vectorOptions()
	opts.VerificationMethod = did + "#" + vectorPub
	signed, err := SignRDFC(doc, opts, priv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(signed, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.FromSlash(approvedFixture), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A credential signed with its approvals as TrustCredApproval evidence
// under https://trustcred.org/ns/credentials/v1 still verifies: its
// canonical form is unchanged. The approval terms cannot move to a context
// of their own: a credential issued before names them only through the
// TrustCred v1 context, so taking them out of it would make
// TrustCredApproval an undefined term there (refused) and its signature
// unverifiable (docs/ARCHITECTURE.md, "Approvals a verifier can see").
func TestApprovedCredentialFixtureStillVerifies(t *testing.T) {
	if *updateApproved {
		signApprovedFixture(t)
	}
	b, err := os.ReadFile(filepath.FromSlash(approvedFixture))
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	doc := v.(map[string]any)
	if err := VerifyRDFC(context.Background(), doc, DIDKeyResolver, VerifyOptions{}); err != nil {
		t.Fatalf("the stored approved credential no longer verifies: %v", err)
	}
	nq, err := CanonicalizeRDFC(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<https://trustcred.org/ns/credentials#approver> "Rita Registrar"`,
		`<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://trustcred.org/ns/credentials#TrustCredApproval>`,
		`<https://trustcred.org/ns/credentials#approvedAt> "2026-12-07T14:30:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>`,
	} {
		if !strings.Contains(string(nq), want) {
			t.Errorf("canonical form lacks %s:\n%s", want, nq)
		}
	}
	// Without the approval terms in the TrustCred context the same
	// credential is refused: what a move out of v1 would do to it.
	ev := doc["evidence"].([]any)[0].(map[string]any)
	ev["type"] = []any{"TrustCredApprovalMoved"}
	if _, err := CanonicalizeRDFC(doc); err == nil {
		t.Error("an evidence type the context does not define was accepted")
	}
}
