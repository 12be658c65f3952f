package handlers

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/templates"
)

// Templates serves the credential templates pages.
type Templates struct {
	Issuer *issuance.Issuer // builds the edit page's preview
	Verify *verify.Service  // resolves the key that signed an adopted copy's origin
}

// Sample recipient of a template's preview.
const (
	sampleRecipientName    = "Sample Recipient"
	sampleRecipientAddress = "recipient@example.org"
)

// Index renders GET /templates.
func (h *Templates) Index(c *fiber.Ctx) error {
	list, err := auth.Current(c).Scope.Templates(c.UserContext())
	if err != nil {
		return err
	}
	updates, err := auth.Current(c).Scope.AvailableUpdates(c.UserContext())
	if err != nil {
		return err
	}
	m := templates.Index{CanWrite: canWrite(c)}
	for i := range list {
		r := templateRow(&list[i].CredentialTemplate, list[i].SchemaName+" "+list[i].SchemaVersion, list[i].SchemaActive, m.CanWrite)
		r.UpdateVersion = updates[r.ID]
		m.Rows = append(m.Rows, r)
	}
	render.SetTitle(c, "Credential templates")
	return render.Page(c, fiber.StatusOK, templates.IndexPage(m))
}

func templateRow(t *store.CredentialTemplate, schema string, schemaActive, canWrite bool) templates.Row {
	d := t.TemplateData.Data()
	kind := string(d.Kind)
	for _, k := range templates.Kinds {
		if k.Value == kind {
			kind = k.Label
		}
	}
	return templates.Row{ID: t.ID, Name: t.Name, Kind: kind, Schema: schema, SchemaID: t.SchemaID, Cryptosuite: d.Cryptosuite,
		Active: t.Active, Public: t.IsPublic, SchemaActive: schemaActive, CanWrite: canWrite}
}

// New renders GET /templates/new (?schema_id= chooses the schema, and its
// default value inputs: the schema select asks for them this way).
func (h *Templates) New(c *fiber.Ctx) error {
	f := templates.Form{Action: "/templates", Title: "New template", Cancel: "/templates", SchemaID: c.Query("schema_id"),
		Kind: string(store.TemplateCertificate), Cryptosuite: store.CryptosuiteEdDSARDFC, Errors: templates.Errors{}}
	if err := h.fill(c, &f, nil, nil); err != nil {
		return err
	}
	if err := h.designChoices(c, &f, ""); err != nil {
		return err
	}
	render.SetTitle(c, f.Title)
	return render.Page(c, fiber.StatusOK, templates.FormPage(f))
}

// Edit renders GET /templates/:id/edit.
func (h *Templates) Edit(c *fiber.Ctx) error {
	t, err := auth.Current(c).Scope.Template(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	d := t.TemplateData.Data()
	f := templates.Form{Action: "/templates/" + t.ID, Title: "Edit " + t.Name, Cancel: "/templates", ID: t.ID, Name: t.Name,
		SchemaID: t.SchemaID, Kind: string(d.Kind), Cryptosuite: d.Cryptosuite, IsPublic: t.IsPublic,
		DisplayTitle: d.Display.Title, DisplayDescription: d.Display.Description, DisplayCriteria: d.Display.Criteria, DisplayImageURL: d.Display.ImageURL,
		DesignID: d.DesignID, Errors: templates.Errors{}}
	if t.Description != nil {
		f.Description = *t.Description
	}
	if d.ValidityDays > 0 {
		f.ValidityDays = strconv.Itoa(d.ValidityDays)
	}
	if a := d.Achievement; a != nil {
		f.AchievementName, f.AchievementDescription, f.AchievementCriteria, f.AchievementImage = a.Name, a.Description, a.Criteria, a.ImageURL
		for _, al := range a.Alignment {
			f.Alignments = append(f.Alignments, templates.Alignment{TargetName: al.TargetName, TargetURL: al.TargetURL,
				TargetFramework: al.TargetFramework, TargetCode: al.TargetCode, TargetDescription: al.TargetDescription})
		}
	}
	if err := h.fill(c, &f, t.Schema, d.Defaults); err != nil {
		return err
	}
	if err := h.designChoices(c, &f, d.DesignID); err != nil {
		return err
	}
	if err := h.marketInfo(c, &f, t); err != nil {
		return err
	}
	if err := h.preview(c, &f, t); err != nil {
		return err
	}
	render.SetTitle(c, f.Title)
	return render.Page(c, fiber.StatusOK, templates.FormPage(f))
}

// preview adds what a credential of the saved template looks like: issued
// to a sample recipient with the template's default values, as its public
// page shows it, and the unsigned JSON-LD behind it. A template that could
// not be signed gets a note saying why instead.
func (h *Templates) preview(c *fiber.Ctx, f *templates.Form, t *store.CredentialTemplate) error {
	if h.Issuer == nil || t.Schema == nil {
		return nil
	}
	data, _ := credschema.Coerce(t.Schema.Fields, t.TemplateData.Data().Defaults)
	cur := auth.Current(c)
	doc, err := h.Issuer.Preview(c.UserContext(), cur.Scope, issuance.Request{Template: t,
		RecipientName: sampleRecipientName, RecipientAddress: sampleRecipientAddress, Data: data})
	if err == nil {
		_, err = vc.CanonicalizeRDFC(doc)
	}
	if err != nil {
		msg, known := issueError(err)
		if !known {
			return err
		}
		f.PreviewNote = msg
		return nil
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	f.Preview = string(b)
	f.PreviewHuman = previewHuman(doc, t, cur.Org, sampleRecipientName)
	return nil
}

// fill adds the schema choices (active schemas, and the template's own
// even if inactive) and the chosen schema's default inputs.
func (h *Templates) fill(c *fiber.Ctx, f *templates.Form, current *store.CredentialSchema, defaults map[string]string) error {
	list, err := auth.Current(c).Scope.Schemas(c.UserContext())
	if err != nil {
		return err
	}
	f.Schemas = []templates.Choice{{Value: "", Label: "Choose a schema…"}}
	var chosen *store.CredentialSchema
	for i := range list {
		s := &list[i].CredentialSchema
		if s.ID == f.SchemaID {
			chosen = s
		}
		if s.Active || (current != nil && s.ID == current.ID) {
			label := s.Name + " " + s.Version
			if !s.Active {
				label += " (inactive)"
			}
			f.Schemas = append(f.Schemas, templates.Choice{Value: s.ID, Label: label})
		}
	}
	if chosen == nil {
		return nil
	}
	for _, fd := range chosen.Fields {
		d := templates.Default{Name: fd.Name, Label: fd.Label, Type: string(fd.Type), Value: defaults[fd.Name]}
		for _, o := range fd.Options {
			d.Options = append(d.Options, templates.Choice{Value: o.Value, Label: o.Label})
		}
		f.Defaults = append(f.Defaults, d)
	}
	return nil
}

// designChoices adds the certificate designs a template may choose:
// TrustCred's default, the organization's active designs, and the
// template's current one even if inactive (marked, and refused on save).
// Admins get a link to the chosen design's editor.
func (h *Templates) designChoices(c *fiber.Ctx, f *templates.Form, current string) error {
	cur := auth.Current(c)
	rows, err := cur.Scope.Designs(c.UserContext())
	if err != nil {
		return err
	}
	f.Designs = []templates.Choice{{Value: "", Label: templates.DefaultDesign}}
	for _, r := range rows {
		if !r.Active && r.ID != current {
			continue
		}
		label := r.Name
		if !r.Active {
			label += " (inactive)"
		} else {
			f.ActiveDesigns = append(f.ActiveDesigns, r.ID)
		}
		f.Designs = append(f.Designs, templates.Choice{Value: r.ID, Label: label})
		if r.ID == f.DesignID && authz.Can(cur.User.Role, authz.BrandingManage) {
			f.DesignURL = "/settings/designs/" + r.ID
		}
	}
	return nil
}

// Create handles POST /templates.
func (h *Templates) Create(c *fiber.Ctx) error {
	f := templates.Form{Action: "/templates", Title: "New template", Cancel: "/templates"}
	return h.save(c, f)
}

// Update handles POST /templates/:id.
func (h *Templates) Update(c *fiber.Ctx) error {
	t, err := auth.Current(c).Scope.Template(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f := templates.Form{Action: "/templates/" + t.ID, Title: "Edit " + t.Name, Cancel: "/templates", ID: t.ID}
	return h.save(c, f)
}

// save validates every input, each default against its schema field, and
// creates or updates the template.
func (h *Templates) save(c *fiber.Ctx, f templates.Form) error {
	s, ctx := auth.Current(c).Scope, c.UserContext()
	v := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	f.Name, f.Description, f.SchemaID, f.Kind, f.Cryptosuite = v("name"), v("description"), v("schema_id"), v("kind"), v("cryptosuite")
	f.ValidityDays, f.DesignID = v("validity_days"), v("design_id")
	f.DisplayTitle, f.DisplayDescription, f.DisplayCriteria, f.DisplayImageURL = v("display_title"), v("display_description"), v("display_criteria"), v("display_image_url")
	f.AchievementName, f.AchievementDescription, f.AchievementCriteria, f.AchievementImage = v("achievement_name"), v("achievement_description"), v("achievement_criteria"), v("achievement_image_url")
	f.Errors = templates.Errors{}
	// The alignment rows: alignment.<i>.<column>, in order; more rows than
	// allowed are read so that the limit is said, not silently applied.
	for i := 0; i < 5*store.MaxAlignments && c.Request().PostArgs().Has(fmt.Sprintf("alignment.%d.target_name", i)); i++ {
		col := func(name string) string { return v(fmt.Sprintf("alignment.%d.%s", i, name)) }
		f.Alignments = append(f.Alignments, templates.Alignment{TargetName: col("target_name"), TargetURL: col("target_url"),
			TargetFramework: col("target_framework"), TargetCode: col("target_code"), TargetDescription: col("target_description")})
	}
	// Add and remove a row: the page comes back changed and unsaved.
	op := c.FormValue("op")
	rowsOnly := op == "alignment-add" || strings.HasPrefix(op, "alignment-remove:")
	if rowsOnly {
		if op == "alignment-add" {
			if len(f.Alignments) >= store.MaxAlignments {
				f.Errors["alignment"] = fmt.Sprintf("An achievement aligns to at most %d targets.", store.MaxAlignments)
			} else {
				f.Alignments = append(f.Alignments, templates.Alignment{})
			}
		} else if i, err := strconv.Atoi(strings.TrimPrefix(op, "alignment-remove:")); err == nil && i >= 0 && i < len(f.Alignments) {
			f.Alignments = slices.Delete(f.Alignments, i, i+1)
		}
	}

	var current *store.CredentialSchema
	currentDesign := ""
	if f.ID != "" {
		if t, err := s.Template(ctx, f.ID); err == nil {
			// Whether it is public is the marketplace's publish page's to change.
			current, f.IsPublic, currentDesign = t.Schema, t.IsPublic, t.TemplateData.Data().DesignID
			if err := h.marketInfo(c, &f, t); err != nil {
				return err
			}
		}
	}
	var schema *store.CredentialSchema
	if f.SchemaID != "" {
		if cs, err := s.Schema(ctx, f.SchemaID); err == nil {
			schema = cs
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	defaults := map[string]string{}
	if schema != nil {
		for _, fd := range schema.Fields {
			if val := v("default_" + fd.Name); val != "" {
				defaults[fd.Name] = val
			}
		}
	}
	if err := h.fill(c, &f, current, defaults); err != nil {
		return err
	}
	if err := h.designChoices(c, &f, currentDesign); err != nil {
		return err
	}
	if rowsOnly {
		render.SetTitle(c, f.Title)
		return render.Page(c, fiber.StatusOK, templates.FormPage(f))
	}

	days := 0
	if f.ValidityDays != "" {
		n, err := strconv.Atoi(f.ValidityDays)
		if err != nil {
			f.Errors["validity_days"] = "Enter a whole number of days, such as 365, or leave it empty."
		}
		days = n
	}
	if f.DesignID != "" && !f.DesignActive() {
		f.Errors["design_id"] = templateMessage("design_id", "")
	}
	data := store.TemplateData{Kind: store.TemplateType(f.Kind), Cryptosuite: f.Cryptosuite, ValidityDays: days, Defaults: defaults, DesignID: f.DesignID,
		Display: store.TemplateDisplay{Title: f.DisplayTitle, Description: f.DisplayDescription, Criteria: f.DisplayCriteria, ImageURL: f.DisplayImageURL}}
	if data.Kind == store.TemplateBadge {
		data.Achievement = &store.Achievement{Name: f.AchievementName, Description: f.AchievementDescription, Criteria: f.AchievementCriteria, ImageURL: f.AchievementImage}
		for _, al := range f.Alignments {
			data.Achievement.Alignment = append(data.Achievement.Alignment, store.Alignment{TargetName: al.TargetName, TargetURL: al.TargetURL,
				TargetFramework: al.TargetFramework, TargetCode: al.TargetCode, TargetDescription: al.TargetDescription})
		}
	}
	change := store.TemplateChange{Name: f.Name, Description: f.Description, SchemaID: f.SchemaID, IsPublic: f.IsPublic, Data: data}
	for k, msg := range store.ValidateTemplate(change, schema) {
		if _, ok := f.Errors[k]; !ok {
			f.Errors[k] = templateMessage(k, msg)
		}
	}
	// Each default must be a value its field accepts (missing ones are fine).
	if schema != nil && len(defaults) > 0 {
		typed, errs := credschema.Coerce(schema.Fields, defaults)
		for k, msg := range errs {
			f.Errors["default_"+k] = "This default " + msg + "."
		}
		if compiled, err := credschema.Compile(json.RawMessage(schema.SchemaDefinition)); err == nil {
			for k, msg := range compiled.Validate(typed) {
				if _, given := typed[k]; given {
					f.Errors["default_"+k] = "This default " + msg + "."
				}
			}
		}
	}
	checkForm(c, f.Errors)
	if len(f.Errors) > 0 {
		render.SetTitle(c, f.Title)
		return render.Page(c, fiber.StatusUnprocessableEntity, templates.FormPage(f))
	}
	var t *store.CredentialTemplate
	var err error
	if f.ID == "" {
		t, err = s.CreateTemplate(ctx, change, auth.Actor(c))
	} else {
		t, err = s.UpdateTemplate(ctx, f.ID, change, auth.Actor(c))
	}
	var fe store.FieldErrors
	if errors.As(err, &fe) { // the schema changed meanwhile
		for k, msg := range fe {
			f.Errors[k] = templateMessage(k, msg)
		}
		render.SetTitle(c, f.Title)
		return render.Page(c, fiber.StatusUnprocessableEntity, templates.FormPage(f))
	}
	if err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "Template “"+t.Name+"” saved.")
	return render.Redirect(c, "/templates")
}

// templateMessage turns the store's message into a sentence for the form.
func templateMessage(key, msg string) string {
	switch key {
	case "schema_id":
		switch msg {
		case store.ErrSchemaAwaitingApproval.Error():
			return "This schema awaits approval by your organization's reviewers: choose another, or wait until they approve it."
		case store.ErrSchemaRejected.Error():
			return "The reviewers rejected this schema: choose another."
		}
		return "Choose one of your organization's active schemas."
	case "kind":
		return "Choose a kind from the list."
	case "cryptosuite":
		return "Choose a signature from the list."
	case "design_id":
		return "Choose one of your organization's active designs, or TrustCred's default."
	}
	if msg == "" {
		return ""
	}
	return "This " + msg + "."
}

// Activate handles POST /templates/:id/activate.
func (h *Templates) Activate(c *fiber.Ctx) error { return h.setActive(c, true) }

// Deactivate handles POST /templates/:id/deactivate.
func (h *Templates) Deactivate(c *fiber.Ctx) error { return h.setActive(c, false) }

// setActive answers htmx with the row, else goes back to the list.
func (h *Templates) setActive(c *fiber.Ctx, active bool) error {
	t, err := auth.Current(c).Scope.SetTemplateActive(c.UserContext(), c.Params("id"), active, auth.Actor(c))
	if errors.Is(err, store.ErrSchemaInactive) {
		if render.IsPartial(c) {
			t, err2 := auth.Current(c).Scope.Template(c.UserContext(), c.Params("id"))
			if err2 != nil {
				return err2
			}
			render.Flash(c, layout.FlashError, "“"+t.Name+"” cannot be activated: its schema is inactive. Activate the schema or choose another one first.")
			return render.Page(c, fiber.StatusUnprocessableEntity, templates.RowView(rowOfTemplate(t)))
		}
		render.Flash(c, layout.FlashError, "The template cannot be activated: its schema is inactive. Activate the schema or choose another one first.")
		return render.Redirect(c, "/templates")
	}
	if err != nil {
		return err
	}
	if render.IsPartial(c) {
		return render.Component(c, fiber.StatusOK, templates.RowView(rowOfTemplate(t)))
	}
	state := "inactive"
	if active {
		state = "active"
	}
	render.Flash(c, layout.FlashSuccess, "“"+t.Name+"” is "+state+".")
	return render.Redirect(c, "/templates")
}

func rowOfTemplate(t *store.CredentialTemplate) templates.Row {
	schema, active := "", false
	if t.Schema != nil {
		schema, active = t.Schema.Name+" "+t.Schema.Version, t.Schema.Active
	}
	return templateRow(t, schema, active, true)
}

// marketInfo adds an existing template's place in the marketplace to its
// form: where it came from when it was adopted, whether it is listed, and
// the publish page for those who may publish.
func (h *Templates) marketInfo(c *fiber.Ctx, f *templates.Form, t *store.CredentialTemplate) error {
	id := auth.Current(c)
	s, ctx := id.Scope, c.UserContext()
	a, err := s.Adoption(ctx, t.ID)
	if err != nil {
		return err
	}
	if a != nil {
		f.BasedOn = &templates.BasedOn{Name: a.SourceName, Issuer: a.SourceIssuer, Version: a.SourceVersion}
		if a.SourceTemplateID != nil {
			f.BasedOn.URL = "/marketplace/" + *a.SourceTemplateID
		}
		if a.Provenance != nil && len(*a.Provenance) > 0 && a.SourceTemplateID != nil && h.Verify != nil {
			o, err := marketplace.VerifyProvenance(ctx, *a.Provenance, h.keyResolver(), *a.SourceTemplateID, a.SourceVersion)
			switch {
			case err == nil:
				f.BasedOn.SignedBy = o.Issuer
			case errors.Is(err, marketplace.ErrProvenance):
				f.BasedOn.Unverified = true
			default:
				return err
			}
		}
		u, err := s.TemplateUpdate(ctx, t.ID)
		if err != nil {
			return err
		}
		if u != nil {
			f.Update = &templates.AvailableUpdate{Version: u.Version, URL: "/templates/" + t.ID + "/update"}
		}
	}
	m := &templates.Market{Public: t.IsPublic}
	if t.IsPublic {
		l, err := s.Listing(ctx, t.ID)
		if err != nil {
			return err
		}
		if l == nil { // public by the old flag, never published
			m.Public = false
		} else {
			m.Version, m.URL = l.Version, "/marketplace/"+t.ID
		}
	}
	if authz.Can(id.User.Role, authz.TemplatesPublish) {
		m.PublishURL = "/templates/" + t.ID + "/publish"
	}
	f.Market = m
	return nil
}

// UpdateForm renders GET /templates/:id/update (schemas.write): the update
// the source of an adopted copy offers, change by change. A template
// without one is the 404 page.
func (h *Templates) UpdateForm(c *fiber.Ctx) error {
	u, d, err := h.update(c)
	if err != nil {
		return err
	}
	m := updateView(u, d, nil, nil)
	render.SetTitle(c, "Update "+u.Template.Name)
	return render.Page(c, fiber.StatusOK, templates.UpdatePage(m))
}

// update is the update of the template the route names.
func (h *Templates) update(c *fiber.Ctx) (*store.TemplateUpdate, marketplace.Diff, error) {
	u, err := auth.Current(c).Scope.TemplateUpdate(c.UserContext(), c.Params("id"))
	if err == nil && u == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, marketplace.Diff{}, err
	}
	return u, marketplace.NewDiff(u.Base, u.Theirs, u.Mine()), nil
}

// choiceInput is the name of a conflict's select: the change's key with
// only letters, digits and dashes.
func choiceInput(key string) string {
	return "choice-" + strings.NewReplacer(":", "-", ".", "-").Replace(key)
}

func updateView(u *store.TemplateUpdate, d marketplace.Diff, choices, errs map[string]string) templates.Update {
	m := templates.Update{ID: u.Template.ID, Name: u.Template.Name, Source: u.Adoption.SourceName, Publisher: u.Publisher,
		From: u.Adoption.SourceVersion, To: u.Version, CopyVersion: u.Template.Version,
		Action: "/templates/" + u.Template.ID + "/update", Cancel: "/templates/" + u.Template.ID + "/edit"}
	if u.Adoption.SourceTemplateID != nil {
		m.URL = "/marketplace/" + *u.Adoption.SourceTemplateID
	}
	for _, c := range d.Changes {
		v := templates.UpdateChange{Label: c.Label, Kind: c.Kind, Old: c.Old, New: c.New, Mine: c.Mine, Details: c.Details,
			State: c.State, Choice: choices[c.Key], Error: errs[c.Key]}
		if c.State == marketplace.StateConflict {
			v.Input = choiceInput(c.Key)
		}
		m.Changes = append(m.Changes, v)
	}
	return m
}

// ApplyUpdate handles POST /templates/:id/update (schemas.write): the
// update merged with the adopter's choices, as a new version of the copy.
// A conflict left open is 422 with the message at its choice; a page made
// before the copy or the listing changed is 409 with the page made again.
func (h *Templates) ApplyUpdate(c *fiber.Ctx) error {
	u, d, err := h.update(c)
	if err != nil {
		return err
	}
	choices := map[string]string{}
	for _, x := range d.Conflicts() {
		if v := c.FormValue(choiceInput(x.Key)); v == marketplace.ChooseMine || v == marketplace.ChooseTheirs {
			choices[x.Key] = v
		}
	}
	copyVersion, _ := strconv.Atoi(c.FormValue("copy_version"))
	toVersion, _ := strconv.Atoi(c.FormValue("to_version"))
	t, err := marketplace.ApplyUpdate(c.UserContext(), auth.Current(c).Scope, u.Template.ID, copyVersion, toVersion, choices, auth.Actor(c))
	var open marketplace.ErrChoices
	var fe store.FieldErrors
	switch {
	case errors.As(err, &open):
		errs := map[string]string{}
		for _, k := range open {
			errs[k] = "Choose whether to keep yours or take the update."
		}
		m := updateView(u, d, choices, errs)
		m.Error = "You and the publisher both changed some things: choose for each of them below."
		render.SetTitle(c, "Update "+u.Template.Name)
		return render.Page(c, fiber.StatusUnprocessableEntity, templates.UpdatePage(m))
	case errors.Is(err, store.ErrTemplateChanged):
		m := updateView(u, d, choices, nil)
		m.Error = "The template or the published version changed while you were choosing: here is the update as it is now."
		render.SetTitle(c, "Update "+u.Template.Name)
		return render.Page(c, fiber.StatusConflict, templates.UpdatePage(m))
	case errors.As(err, &fe):
		m := updateView(u, d, choices, nil)
		msgs := make([]string, 0, len(fe))
		for _, v := range fe {
			msgs = append(msgs, v)
		}
		slices.Sort(msgs)
		m.Error = "The merged template would not be valid: " + strings.Join(msgs, " ") + " Keep your version where it conflicts, or change your template first."
		render.SetTitle(c, "Update "+u.Template.Name)
		return render.Page(c, fiber.StatusUnprocessableEntity, templates.UpdatePage(m))
	case err != nil:
		return err
	}
	render.Flash(c, layout.FlashSuccess, "“"+t.Name+"” now has version "+strconv.Itoa(u.Version)+" of “"+u.Adoption.SourceName+"”.")
	return render.Redirect(c, "/templates/"+t.ID+"/edit")
}

// keyResolver resolves a verification method as verification does: this
// server's DIDs from its database, others through the fetcher.
func (h *Templates) keyResolver() vc.KeyResolver {
	return func(ctx context.Context, vm string) (ed25519.PublicKey, error) {
		k, _, err := h.Verify.Verifier.Resolver.Key(ctx, vm, vc.PurposeAssertion)
		return k, err
	}
}
