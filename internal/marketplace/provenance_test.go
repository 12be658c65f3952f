package marketplace

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// A published version signed with a did:key verifies, names its signer,
// and refuses any change: of the snapshot, of the template or version it
// is for, or of who it claims as issuer.
func TestProvenance(t *testing.T) {
	ctx := context.Background()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := vc.DIDKeyMethod(pub)
	if err != nil {
		t.Fatal(err)
	}
	did, _, _ := strings.Cut(vm, "#")
	base, _, _ := updateFixture()
	base.Schema.Fields[1].Validation.Max = ptr(40.5)
	raw, err := SignProvenance(priv, vm, "tpl-1", 3, base, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	o, err := VerifyProvenance(ctx, raw, vc.DIDKeyResolver, "tpl-1", 3)
	if err != nil {
		t.Fatalf("a fresh signature: %v", err)
	}
	if o.Issuer != did || o.Snapshot.Name != base.Name || len(o.Snapshot.Schema.Fields) != 3 || *o.Snapshot.Schema.Fields[1].Validation.Max != 40.5 {
		t.Errorf("origin: %+v", o)
	}

	tamper := func(change func(doc map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		change(doc)
		out, _ := json.Marshal(doc)
		return out
	}
	other, _, _ := ed25519.GenerateKey(nil)
	otherDID, _ := vc.DIDKey(other)
	for name, c := range map[string]struct {
		raw      []byte
		tpl      string
		version  int
		contains string
	}{
		"a field label changed": {tamper(func(d map[string]any) {
			d["snapshot"].(map[string]any)["schema"].(map[string]any)["fields"].([]any)[0].(map[string]any)["label"] = "Course (edited)"
		}), "tpl-1", 3, "signature"},
		"the name changed":       {tamper(func(d map[string]any) { d["snapshot"].(map[string]any)["name"] = "Another" }), "tpl-1", 3, "signature"},
		"another issuer claimed": {tamper(func(d map[string]any) { d["issuer"] = otherDID }), "tpl-1", 3, ""},
		"another template's":     {raw, "tpl-2", 3, "template tpl-1 version 3"},
		"another version's":      {raw, "tpl-1", 4, "template tpl-1 version 3"},
		"no proof":               {tamper(func(d map[string]any) { delete(d, "proof") }), "tpl-1", 3, ""},
		"not JSON":               {[]byte("{"), "tpl-1", 3, ""},
		"a JSON array":           {[]byte("[]"), "tpl-1", 3, ""},
	} {
		_, err := VerifyProvenance(ctx, c.raw, vc.DIDKeyResolver, c.tpl, c.version)
		if !errors.Is(err, ErrProvenance) || !strings.Contains(err.Error(), c.contains) {
			t.Errorf("%s: %v, want ErrProvenance (%s)", name, err, c.contains)
		}
	}
	if _, err := SignProvenance(priv, "not-a-did-url", "tpl-1", 3, store.TemplateSnapshot{}, time.Now()); err == nil {
		t.Error("signed with a verification method that is not a DID URL")
	}
}
