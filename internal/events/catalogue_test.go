package events

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compile(t *testing.T, s Spec) *jsonschema.Schema {
	t.Helper()
	raw, err := json.Marshal(Schema(s))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("https://trustcred.test"+SchemaBase+string(s.Type), doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("https://trustcred.test" + SchemaBase + string(s.Type))
	if err != nil {
		t.Fatalf("%s: %v", s.Type, err)
	}
	return sch
}

func body(t *testing.T, s Spec, data any) any {
	t.Helper()
	d, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Body{Type: s.Type, Version: s.Version, Timestamp: time.Now().UTC(), Data: d})
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every event the issue names is in the catalogue, once, and each
// example is valid against the schema served for it; a body missing a
// required field, of another type or with a wrong field type is not.
func TestCatalogue(t *testing.T) {
	want := []Type{CredentialIssued, CredentialRevoked, CredentialSuspended, CredentialUnsuspended, CredentialExpired,
		CredentialVerified, BulkBatchCompleted, OrganizationApproved, OrganizationSuspended, MemberJoined, MemberRemoved,
		APIKeyCreated, APIKeyRevoked, ApprovalRequested, ApprovalDecided}
	seen := map[Type]bool{}
	for _, s := range Catalogue {
		if seen[s.Type] {
			t.Errorf("%s twice", s.Type)
		}
		seen[s.Type] = true
		if s.Version < 1 || s.Description == "" || s.Group == "" {
			t.Errorf("%s: version %d, description %q, group %q", s.Type, s.Version, s.Description, s.Group)
		}
	}
	for _, w := range want {
		if !Known(w) {
			t.Errorf("%s is not in the catalogue", w)
		}
	}
	if Known("credential.deleted") {
		t.Error("an unknown event is known")
	}
	for _, s := range Catalogue {
		sch := compile(t, s)
		if err := sch.Validate(body(t, s, s.Example)); err != nil {
			t.Errorf("%s: its example is not valid: %v", s.Type, err)
		}
		// Every required field is checked: drop each in turn.
		raw, _ := json.Marshal(s.Example)
		var fields map[string]any
		_ = json.Unmarshal(raw, &fields)
		for _, req := range Schema(s)["properties"].(map[string]any)["data"].(map[string]any)["required"].([]string) {
			cut := map[string]any{}
			for k, v := range fields {
				if k != req {
					cut[k] = v
				}
			}
			if err := sch.Validate(body(t, s, cut)); err == nil {
				t.Errorf("%s: valid without its required %q", s.Type, req)
			}
		}
		other := s
		other.Type = "credential.deleted"
		if err := sch.Validate(body(t, other, s.Example)); err == nil {
			t.Errorf("%s: a body of another type is valid", s.Type)
		}
	}
	s, _ := Lookup(CredentialIssued)
	bad := map[string]any{"credential": map[string]any{"id": 7}, "via": "api"}
	if err := compile(t, s).Validate(body(t, s, bad)); err == nil || !strings.Contains(err.Error(), "id") {
		t.Errorf("a number where the id's string belongs: %v", err)
	}
}
