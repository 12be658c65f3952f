package marketplace_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Review reads the template's design as its PDF does: a version 1 design
// saved by the editor is checked (pale text on its navy page is found,
// with the design editor as where to fix it); once the design is inactive
// the PDF uses TrustCred's default, and so does the check.
func TestReviewChecksTheDesign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := &store.Organization{Name: "Pub", Slug: "pub", Type: store.OrganizationCorporate, Status: store.OrganizationActive, DID: "did:web:x:orgs:pub"}
		if err := db.CreateOrganization(ctx, org, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		s := db.Scoped(org.ID)
		d := design.Default()
		d.Background.Colour = "#1e3a8a"
		d.Elements[0].Colour = "#ffffff" // white on navy: fine
		d.Elements[3].Colour = "#64748b" // slate on navy: 2.4:1
		d.Elements[1].Colour, d.Elements[4].Colour, d.Elements[5].Colour = "#ffffff", "#ffffff", "#ffffff"
		for i := 6; i < len(d.Elements); i++ {
			if d.Elements[i].Type == design.TypeText || d.Elements[i].Type == design.TypeField {
				d.Elements[i].Colour = "#f8fafc"
			}
		}
		designID, err := s.SaveDesign(ctx, "", "Navy", d.JSON(), store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		fields := []store.SchemaField{{Name: "hours", Label: "Hours", Type: store.SchemaFieldText}}
		def, err := credschema.Build("Aid", fields)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := s.CreateSchema(ctx, store.SchemaChange{Name: "Aid", Version: "1.0", Fields: fields, Definition: def}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		desc := "What it is for."
		tpl, err := s.CreateTemplate(ctx, store.TemplateChange{Name: "First Aid", Description: desc, SchemaID: cs.ID,
			Data: store.TemplateData{Kind: store.TemplateCertificate, Cryptosuite: store.CryptosuiteEdDSARDFC, DesignID: designID}}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		_, problems, err := marketplace.Review(ctx, s, tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) != 1 || problems[0].Code != "contrast" || !strings.Contains(problems[0].Message, "Element 4 of the design \"Navy\" (#64748b on #1e3a8a") ||
			problems[0].Fix != "/settings/designs/"+designID {
			t.Fatalf("problems %+v", problems)
		}
		if _, err := db.SQL().ExecContext(ctx, storetest.Rebind(db.Dialect(), "UPDATE custom_credential_templates SET is_active = ? WHERE id = ?"), false, designID); err != nil {
			t.Fatal(err)
		}
		if _, problems, err := marketplace.Review(ctx, s, tpl.ID); err != nil || len(problems) != 0 {
			t.Errorf("with the design inactive (the default design): %+v %v", problems, err)
		}
	})
}
