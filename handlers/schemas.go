package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/schemas"
)

// Schemas serves the credential schemas pages: the list, the field builder
// (new, edit, new version), a schema's page and its JSON Schema.
type Schemas struct {
	// Issuer's Events is where approval.requested is published when a
	// new schema waits for the organization's schema_creation workflow
	// (nil Issuer or Events: not published).
	Issuer *issuance.Issuer
}

// canWrite reports whether the signed-in user may design schemas and templates.
func canWrite(c *fiber.Ctx) bool {
	id := auth.Current(c)
	return id != nil && authz.Can(id.User.Role, authz.SchemasWrite)
}

// Index renders GET /schemas.
func (h *Schemas) Index(c *fiber.Ctx) error {
	list, err := auth.Current(c).Scope.Schemas(c.UserContext())
	if err != nil {
		return err
	}
	m := schemas.Index{CanWrite: canWrite(c)}
	for _, s := range list {
		m.Items = append(m.Items, schemas.ListItem{ID: s.ID, Name: s.Name, Version: s.Version, Fields: len(s.Fields),
			Templates: s.Templates, Active: s.Active, InUse: s.InUse, Approval: schemaApproval(&s.CredentialSchema), Updated: when(s.UpdatedAt)})
	}
	render.SetTitle(c, "Credential schemas")
	return render.Page(c, fiber.StatusOK, schemas.IndexPage(m))
}

// New renders GET /schemas/new: a builder with one empty text field.
func (h *Schemas) New(c *fiber.Ctx) error {
	f := schemas.Form{Action: "/schemas", Title: "New schema", Version: "1.0", Cancel: "/schemas",
		Builder: builder("", []schemas.Row{{Type: "text"}}, false, "", false)}
	if err := library(c, &f.Builder); err != nil {
		return err
	}
	render.SetTitle(c, "New schema")
	return render.Page(c, fiber.StatusOK, schemas.FormPage(f))
}

// Edit renders GET /schemas/:id/edit: the builder with the schema's
// fields; for a schema in use, the form for its next version.
func (h *Schemas) Edit(c *fiber.Ctx) error {
	s := auth.Current(c).Scope
	cs, err := s.Schema(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := h.editForm(c, cs)
	if err != nil {
		return err
	}
	rows := make([]schemas.Row, len(cs.Fields))
	for i, fd := range cs.Fields {
		rows[i] = rowOf(fd)
	}
	built, _ := credschema.Build(cs.Name, cs.Fields)
	advanced := !sameDocument(built, cs.SchemaDefinition)
	f.Builder = builder(cs.Name, rows, advanced, pretty(cs.SchemaDefinition), false)
	if err := library(c, &f.Builder); err != nil {
		return err
	}
	render.SetTitle(c, f.Title)
	return render.Page(c, fiber.StatusOK, schemas.FormPage(f))
}

// editForm is the edit page's frame: in place, or the next version of a
// schema in use (name fixed, the next free version suggested).
func (h *Schemas) editForm(c *fiber.Ctx, cs *store.CredentialSchema) (schemas.Form, error) {
	s := auth.Current(c).Scope
	inUse, err := s.SchemaInUse(c.UserContext(), cs.ID)
	if err != nil {
		return schemas.Form{}, err
	}
	f := schemas.Form{Action: "/schemas/" + cs.ID, Title: "Edit " + cs.Name + " " + cs.Version, Name: cs.Name, Version: cs.Version,
		Cancel: "/schemas/" + cs.ID, Errors: schemas.Errors{}}
	if inUse {
		versions, err := s.SchemaVersions(c.UserContext(), cs.Name)
		if err != nil {
			return schemas.Form{}, err
		}
		taken := map[string]bool{}
		for _, v := range versions {
			taken[v.Version] = true
		}
		next := store.NextVersion(cs.Version)
		for taken[next] {
			next = store.NextVersion(next)
		}
		f.Title, f.InUse, f.NameLocked, f.FromVersion, f.Version = "New version of "+cs.Name, true, true, cs.Version, next
	}
	return f, nil
}

// Create handles POST /schemas: a builder action (without JavaScript) or save.
func (h *Schemas) Create(c *fiber.Ctx) error {
	f := schemas.Form{Action: "/schemas", Title: "New schema", Cancel: "/schemas", Errors: schemas.Errors{}}
	return h.submit(c, f, nil)
}

// Update handles POST /schemas/:id: in place while no credential uses the
// schema, else a new version.
func (h *Schemas) Update(c *fiber.Ctx) error {
	cs, err := auth.Current(c).Scope.Schema(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := h.editForm(c, cs)
	if err != nil {
		return err
	}
	return h.submit(c, f, cs)
}

// submit applies a builder action or saves the form.
func (h *Schemas) submit(c *fiber.Ctx, f schemas.Form, cs *store.CredentialSchema) error {
	if !f.NameLocked {
		f.Name = strings.TrimSpace(c.FormValue("name"))
	}
	f.Version = strings.TrimSpace(c.FormValue("version"))
	rows, advanced, text, op := parseBuilder(c)
	if op != "" && op != "save" {
		// A builder button without JavaScript: the page again, changed, nothing saved.
		rows, err := fromLibrary(c, op, rows)
		if err != nil {
			return err
		}
		rows, advanced, text = apply(op, rows, advanced, text, f.Name)
		f.Builder = builder(f.Name, rows, advanced, text, false)
		if err := library(c, &f.Builder); err != nil {
			return err
		}
		render.SetTitle(c, f.Title)
		return render.Page(c, fiber.StatusOK, schemas.FormPage(f))
	}
	checkNameVersion(&f)
	checkForm(c, f.Errors)
	f.Builder = builder(f.Name, rows, advanced, text, true)
	fields, def, ok := assemble(f.Name, rows, advanced, text)
	if !ok || len(f.Errors) > 0 || len(f.Builder.Errors) > 0 || f.Builder.JSONError != "" {
		return h.invalid(c, f)
	}
	s, ctx, actor := auth.Current(c).Scope, c.UserContext(), auth.Actor(c)
	change := store.SchemaChange{Name: f.Name, Version: f.Version, Fields: fields, Definition: def}
	var saved *store.CredentialSchema
	var err error
	if cs != nil && !f.InUse {
		saved, err = s.UpdateSchema(ctx, cs.ID, change, actor)
	} else {
		saved, err = h.create(ctx, s, cs, change, actor)
	}
	var fe store.FieldErrors
	switch {
	case errors.As(err, &fe):
		for k, v := range fe {
			switch k {
			case "version":
				if v == "a schema with this name and version exists" {
					v = "Your organization already has " + f.Name + " " + f.Version + ". Choose another version."
				}
				f.Errors["version"] = v
			case "name":
				f.Errors["name"] = "The name " + v + "."
			default:
				f.Errors[""] = "The schema could not be saved: " + k + " " + v + "."
			}
		}
		return h.invalid(c, f)
	case errors.Is(err, store.ErrSchemaAwaitingApproval):
		f.Errors[""] = "This schema waits for its reviewers' approval: it cannot change until they decide. If it needs changes, ask a reviewer to reject it with a note, then make it again."
		return h.invalid(c, f)
	case errors.Is(err, store.ErrSchemaInUse):
		f.Errors[""] = "Credentials were issued with this schema a moment ago, so it can no longer change. Open it again to make a new version."
		return h.invalid(c, f)
	case err != nil:
		return err
	}
	switch {
	case saved.ApprovalStatus == store.SchemaPendingApproval:
		render.Flash(c, layout.FlashSuccess, "Schema “"+saved.Name+"” "+saved.Version+" saved. It waits for approval: your organization's reviewers are told, and it can be used once they approve it.")
	case cs == nil:
		render.Flash(c, layout.FlashSuccess, "Schema “"+saved.Name+"” "+saved.Version+" created.")
	case f.InUse:
		render.Flash(c, layout.FlashSuccess, "Version "+saved.Version+" of “"+saved.Name+"” created. Version "+cs.Version+" stays as it was for the credentials issued with it.")
	default:
		render.Flash(c, layout.FlashSuccess, "Schema “"+saved.Name+"” "+saved.Version+" saved.")
	}
	return render.Redirect(c, "/schemas/"+saved.ID)
}

func (h *Schemas) invalid(c *fiber.Ctx, f schemas.Form) error {
	if err := library(c, &f.Builder); err != nil {
		return err
	}
	render.SetTitle(c, f.Title)
	return render.Page(c, fiber.StatusUnprocessableEntity, schemas.FormPage(f))
}

var versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$`)

// checkNameVersion validates the schema's name and version.
func checkNameVersion(f *schemas.Form) {
	if f.Errors == nil {
		f.Errors = schemas.Errors{}
	}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		f.Errors["name"] = "Enter a name, such as “Bachelor's Degree”."
	case n > credschema.MaxSchemaName:
		f.Errors["name"] = "Use at most 200 characters."
	case strings.ContainsAny(f.Name, "\r\n"):
		f.Errors["name"] = "Keep the name on one line."
	}
	switch {
	case f.Version == "":
		f.Errors["version"] = "Enter a version, such as 1.0."
	case !versionRE.MatchString(f.Version):
		f.Errors["version"] = "Use letters, digits, dots, hyphens or underscores (at most 50), such as 1.0."
	}
}

// Builder handles POST /schemas/builder: a row added, removed or moved, a
// type changed, the advanced editor opened or closed; the builder alone.
func (h *Schemas) Builder(c *fiber.Ctx) error {
	rows, advanced, text, op := parseBuilder(c)
	name := strings.TrimSpace(c.FormValue("name"))
	rows, err := fromLibrary(c, op, rows)
	if err != nil {
		return err
	}
	rows, advanced, text = apply(op, rows, advanced, text, name)
	b := builder(name, rows, advanced, text, false)
	if err := library(c, &b); err != nil {
		return err
	}
	return render.Component(c, fiber.StatusOK, schemas.BuilderView(b))
}

// Preview handles POST /schemas/preview: the JSON Schema the fields make,
// and the advanced editor's check.
func (h *Schemas) Preview(c *fiber.Ctx) error {
	rows, advanced, text, _ := parseBuilder(c)
	name := strings.TrimSpace(c.FormValue("name"))
	b := builder(name, rows, advanced, text, false)
	return render.Component(c, fiber.StatusOK, schemas.PreviewResponse(b))
}

// Show renders GET /schemas/:id.
func (h *Schemas) Show(c *fiber.Ctx) error {
	s, ctx := auth.Current(c).Scope, c.UserContext()
	cs, err := s.Schema(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	inUse, err := s.SchemaInUse(ctx, cs.ID)
	if err != nil {
		return err
	}
	versions, err := s.SchemaVersions(ctx, cs.Name)
	if err != nil {
		return err
	}
	m := schemas.Show{ID: cs.ID, Name: cs.Name, Version: cs.Version, Active: cs.Active, InUse: inUse,
		JSON: pretty(cs.SchemaDefinition), CanWrite: canWrite(c), Approval: schemaApproval(cs)}
	if m.Approval != "" {
		if err := schemaApprovalNote(c, cs, &m); err != nil {
			return err
		}
	}
	for _, f := range cs.Fields {
		m.Fields = append(m.Fields, schemas.Field{Name: f.Name, Label: f.Label, Type: typeLabel(f.Type), Required: f.Required, Rules: rules(f)})
	}
	for _, v := range versions {
		m.Versions = append(m.Versions, schemas.Version{ID: v.ID, Version: v.Version, Created: when(v.CreatedAt), Active: v.Active, Current: v.ID == cs.ID})
	}
	render.SetTitle(c, cs.Name+" "+cs.Version)
	return render.Page(c, fiber.StatusOK, schemas.ShowPage(m))
}

// Download handles GET /schemas/:id/schema.json: the JSON Schema as a file.
func (h *Schemas) Download(c *fiber.Ctx) error {
	cs, err := auth.Current(c).Scope.Schema(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/schema+json")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+fileName(cs.Name+"-"+cs.Version)+`.schema.json"`)
	c.Set("X-Content-Type-Options", "nosniff")
	return c.SendString(pretty(cs.SchemaDefinition) + "\n")
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName makes a download name of ASCII letters, digits, dots, hyphens and underscores.
func fileName(s string) string {
	n := strings.Trim(unsafeFileChars.ReplaceAllString(s, "-"), "-.")
	if n == "" {
		return "schema"
	}
	return n
}

// Activate handles POST /schemas/:id/activate.
func (h *Schemas) Activate(c *fiber.Ctx) error { return h.setActive(c, true) }

// Deactivate handles POST /schemas/:id/deactivate.
func (h *Schemas) Deactivate(c *fiber.Ctx) error { return h.setActive(c, false) }

func (h *Schemas) setActive(c *fiber.Ctx, active bool) error {
	cs, err := auth.Current(c).Scope.SetSchemaActive(c.UserContext(), c.Params("id"), active, auth.Actor(c))
	if errors.Is(err, store.ErrSchemaAwaitingApproval) || errors.Is(err, store.ErrSchemaRejected) {
		render.Flash(c, layout.FlashError, "The schema cannot be activated: "+err.Error()+".")
		return render.Redirect(c, "/schemas/"+c.Params("id"))
	}
	if err != nil {
		return err
	}
	if active {
		render.Flash(c, layout.FlashSuccess, "“"+cs.Name+"” "+cs.Version+" is active: templates and issuance may use it.")
	} else {
		render.Flash(c, layout.FlashSuccess, "“"+cs.Name+"” "+cs.Version+" is inactive: no new template may use it. Credentials issued with it are not affected.")
	}
	return render.Redirect(c, "/schemas/"+cs.ID)
}

// --- the builder's state, all of it in the form ---

// parseBuilder reads the rows (f.<i>.<column>, i from 0 while the row's
// type input is there), the advanced editor and the button pressed.
func parseBuilder(c *fiber.Ctx) (rows []schemas.Row, advanced bool, text, op string) {
	args := c.Request().PostArgs()
	for i := 0; i <= credschema.MaxFields && args.Has(schemas.Input(i, "type")); i++ {
		v := func(col string) string { return string(args.Peek(schemas.Input(i, col))) }
		rows = append(rows, schemas.Row{Name: strings.TrimSpace(v("name")), Label: v("label"), Type: v("type"),
			Description: v("description"), Min: strings.TrimSpace(v("min")), Max: strings.TrimSpace(v("max")),
			Pattern: v("pattern"), Options: v("options"), Required: v("required") != ""})
	}
	return rows, c.FormValue("advanced") == "on", c.FormValue("schema_json"), c.FormValue("op")
}

// apply performs a builder action: add, remove:<i>, up:<i>, down:<i>,
// advanced (edit the JSON by hand, starting from the built one) or basic
// (back to the built one). Anything else changes nothing.
func apply(op string, rows []schemas.Row, advanced bool, text, name string) ([]schemas.Row, bool, string) {
	verb, arg, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(arg)
	valid := err == nil && i >= 0 && i < len(rows)
	switch {
	case verb == "add" && len(rows) < credschema.MaxFields:
		rows = append(rows, schemas.Row{Type: "text"})
	case verb == "remove" && valid:
		rows = slices.Delete(rows, i, i+1)
	case verb == "up" && valid && i > 0:
		rows[i-1], rows[i] = rows[i], rows[i-1]
	case verb == "down" && valid && i < len(rows)-1:
		rows[i+1], rows[i] = rows[i], rows[i+1]
	case verb == "advanced" && !advanced:
		advanced = true
		if fields, errs := rowsToFields(rows); len(errs) == 0 {
			if def, err := credschema.Build(name, fields); err == nil {
				text = string(def)
			}
		}
	case verb == "basic":
		advanced, text = false, ""
	}
	return rows, advanced, text
}

// builder is the builder's view: the rows, the preview built from them and,
// when check is set (a save), every problem next to its input.
func builder(name string, rows []schemas.Row, advanced bool, text string, check bool) schemas.Builder {
	b := schemas.Builder{Rows: rows, Advanced: advanced, JSON: text, MaxRows: credschema.MaxFields, Errors: schemas.Errors{}}
	fields, errs := rowsToFields(rows)
	def, err := credschema.Build(name, fields)
	var fe credschema.FieldErrors
	switch {
	case errors.As(err, &fe):
		for k, msg := range builderErrors(fe) {
			if _, ok := errs[k]; !ok { // what could not be read says so first
				errs[k] = msg
			}
		}
	case err != nil:
		errs["fields"] = "These fields cannot make a schema."
	case len(errs) == 0:
		b.Preview = string(def)
	}
	if b.Preview == "" {
		b.PreviewNote = "The preview appears when every field has a valid name, label and type."
		if first := firstError(rows, errs); first != "" {
			b.PreviewNote += " " + first
		}
	}
	if advanced {
		if _, err := credschema.CompileFor(json.RawMessage(text), fields); err != nil {
			b.JSONError = schemaProblem(err)
		} else {
			b.JSONOK = true
		}
	}
	if check {
		b.Errors = errs
	}
	return b
}

// assemble is what a save stores: the fields and the document (the hand
// written one when advanced), ok false when either has a problem.
func assemble(name string, rows []schemas.Row, advanced bool, text string) ([]store.SchemaField, json.RawMessage, bool) {
	fields, errs := rowsToFields(rows)
	if len(errs) > 0 {
		return nil, nil, false
	}
	def, err := credschema.Build(name, fields)
	if err != nil {
		return nil, nil, false
	}
	if advanced {
		if _, err := credschema.CompileFor(json.RawMessage(text), fields); err != nil {
			return nil, nil, false
		}
		def = json.RawMessage(text)
	}
	return fields, def, true
}

// schemaProblem says why a hand-written document cannot be used.
func schemaProblem(err error) string {
	var se *credschema.SchemaError
	if errors.As(err, &se) {
		return "This JSON Schema cannot be used:\n" + strings.Join(se.Problems, "\n")
	}
	return "This JSON Schema cannot be used."
}

// builderErrors places credschema's errors on the builder's inputs.
func builderErrors(fe credschema.FieldErrors) schemas.Errors {
	out := schemas.Errors{}
	for cell, msg := range fe {
		if cell.Row < 0 {
			out["fields"] = msg
		} else {
			out[schemas.Input(cell.Row, cell.Column)] = msg
		}
	}
	return out
}

// firstError is the first problem in row order, for the preview's note.
func firstError(rows []schemas.Row, errs schemas.Errors) string {
	if m := errs["fields"]; m != "" {
		return m
	}
	for i := range rows {
		for _, col := range []string{"name", "label", "type", "description", "min", "max", "pattern", "options"} {
			if m := errs[schemas.Input(i, col)]; m != "" {
				return fmt.Sprintf("Field %d, %s: %s", i+1, col, m)
			}
		}
	}
	return ""
}

// rowsToFields reads the typed rows: bounds as numbers or lengths by type,
// options one per line; rules that do not apply to a row's type are
// dropped (credschema.Normalize).
func rowsToFields(rows []schemas.Row) ([]store.SchemaField, schemas.Errors) {
	errs := schemas.Errors{}
	fields := make([]store.SchemaField, len(rows))
	for i, r := range rows {
		f := store.SchemaField{Name: r.Name, Label: r.Label, Type: store.SchemaFieldType(r.Type), Required: r.Required,
			Description: r.Description, Validation: store.ValidationRules{Pattern: r.Pattern}}
		length := f.Type == store.SchemaFieldText || f.Type == store.SchemaFieldEmail || f.Type == store.SchemaFieldURL
		for _, b := range []struct {
			col, v string
			n      **float64
			l      **int
		}{{"min", r.Min, &f.Validation.Min, &f.Validation.MinLength}, {"max", r.Max, &f.Validation.Max, &f.Validation.MaxLength}} {
			if b.v == "" || !credschema.Applies(f.Type, b.col) {
				continue
			}
			if length {
				n, err := strconv.Atoi(b.v)
				if err != nil || n < 0 || n > 1_000_000 {
					errs[schemas.Input(i, b.col)] = "Enter a whole number of characters, such as 100."
					continue
				}
				*b.l = &n
			} else {
				n, err := strconv.ParseFloat(b.v, 64)
				if err != nil || !numberLike.MatchString(b.v) {
					errs[schemas.Input(i, b.col)] = "Enter a number, such as 0 or 2.5."
					continue
				}
				*b.n = &n
			}
		}
		if f.Type == store.SchemaFieldSelect {
			for _, line := range strings.Split(strings.ReplaceAll(r.Options, "\r\n", "\n"), "\n") {
				value, label, _ := strings.Cut(line, "|")
				value, label = strings.TrimSpace(value), strings.TrimSpace(label)
				if value == "" && label == "" {
					continue
				}
				if label == "" {
					label = value
				}
				f.Options = append(f.Options, store.FieldOption{Value: value, Label: label})
			}
		}
		fields[i] = credschema.Normalize(f)
	}
	return fields, errs
}

var numberLike = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// rowOf is a stored field as a builder row.
func rowOf(f store.SchemaField) schemas.Row {
	r := schemas.Row{Name: f.Name, Label: f.Label, Type: string(f.Type), Description: f.Description, Pattern: f.Validation.Pattern, Required: f.Required}
	v := f.Validation
	if v.MinLength != nil {
		r.Min = strconv.Itoa(*v.MinLength)
	}
	if v.MaxLength != nil {
		r.Max = strconv.Itoa(*v.MaxLength)
	}
	if v.Min != nil {
		r.Min = strconv.FormatFloat(*v.Min, 'f', -1, 64)
	}
	if v.Max != nil {
		r.Max = strconv.FormatFloat(*v.Max, 'f', -1, 64)
	}
	var opts []string
	for _, o := range f.Options {
		if o.Label != "" && o.Label != o.Value {
			opts = append(opts, o.Value+" | "+o.Label)
		} else {
			opts = append(opts, o.Value)
		}
	}
	r.Options = strings.Join(opts, "\n")
	return r
}

// typeLabel is how a field type reads on a page.
func typeLabel(t store.SchemaFieldType) string {
	for _, c := range schemas.Types {
		if c.Value == string(t) {
			return c.Label
		}
	}
	return string(t)
}

// rules says a field's constraints in words.
func rules(f store.SchemaField) string {
	var parts []string
	v := f.Validation
	num := func(p *float64) string { return strconv.FormatFloat(*p, 'f', -1, 64) }
	switch {
	case v.MinLength != nil && v.MaxLength != nil:
		parts = append(parts, fmt.Sprintf("%d to %d characters", *v.MinLength, *v.MaxLength))
	case v.MinLength != nil:
		parts = append(parts, fmt.Sprintf("at least %d characters", *v.MinLength))
	case v.MaxLength != nil:
		parts = append(parts, fmt.Sprintf("at most %d characters", *v.MaxLength))
	}
	switch {
	case v.Min != nil && v.Max != nil:
		parts = append(parts, "from "+num(v.Min)+" to "+num(v.Max))
	case v.Min != nil:
		parts = append(parts, "at least "+num(v.Min))
	case v.Max != nil:
		parts = append(parts, "at most "+num(v.Max))
	}
	if v.Pattern != "" {
		parts = append(parts, "pattern "+v.Pattern)
	}
	if len(f.Options) > 0 {
		vals := make([]string, len(f.Options))
		for i, o := range f.Options {
			vals[i] = o.Label
		}
		parts = append(parts, "one of: "+strings.Join(vals, ", "))
	}
	return strings.Join(parts, "; ")
}

// pretty indents a stored JSON document for people.
func pretty(def datatypes.JSON) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, def, "", "  "); err != nil {
		return string(def)
	}
	return buf.String()
}

// sameDocument compares two JSON documents by value.
func sameDocument(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// library offers the organization's field library in the builder.
func library(c *fiber.Ctx, b *schemas.Builder) error {
	list, err := auth.Current(c).Scope.CustomFields(c.UserContext())
	if err != nil {
		return err
	}
	b.Library = nil
	for _, f := range list {
		b.Library = append(b.Library, schemas.Choice{Value: f.ID, Label: f.FieldLabel + " (" + f.FieldName + ")"})
	}
	return nil
}

// fromLibrary performs "Add from library" (op library): the chosen field
// of the organization's library, appended as a row. A field that is not
// the organization's (or none chosen) adds nothing.
func fromLibrary(c *fiber.Ctx, op string, rows []schemas.Row) ([]schemas.Row, error) {
	if op != "library" || len(rows) >= credschema.MaxFields {
		return rows, nil
	}
	f, err := auth.Current(c).Scope.CustomField(c.UserContext(), c.FormValue("library_field"))
	if errors.Is(err, store.ErrNotFound) {
		return rows, nil
	}
	if err != nil {
		return nil, err
	}
	return append(rows, rowOf(f.SchemaField())), nil
}

// create makes a new schema (from is nil) or the next version of from, in
// one transaction with approval.requested when it waits for the
// organization's schema_creation workflow.
func (h *Schemas) create(ctx context.Context, s *store.Scoped, from *store.CredentialSchema, change store.SchemaChange, actor store.Actor) (*store.CredentialSchema, error) {
	var saved *store.CredentialSchema
	err := s.InTx(ctx, func(tx *store.Scoped) error {
		var err error
		if from == nil {
			saved, err = tx.CreateSchema(ctx, change, actor)
		} else {
			saved, err = tx.NewSchemaVersion(ctx, from.ID, change, actor)
		}
		if err != nil || saved.ApprovalStatus != store.SchemaPendingApproval || h.Issuer == nil || h.Issuer.Events == nil {
			return err
		}
		req, err := tx.ResourceApprovalFor(ctx, store.KindSchema, saved.ID)
		if err != nil {
			return err
		}
		return approval.PublishSchemaRequested(ctx, tx, h.Issuer.Events, saved, req, string(store.ViaWeb))
	})
	return saved, err
}

// schemaApproval is the schema's approval as its views show it: "" when
// it is usable.
func schemaApproval(cs *store.CredentialSchema) string {
	if cs.ApprovalStatus == store.SchemaApproved {
		return ""
	}
	return string(cs.ApprovalStatus)
}

// schemaApprovalNote adds the link to a waiting or rejected schema's
// request (for those who may open the inbox) and the rejection's note.
func schemaApprovalNote(c *fiber.Ctx, cs *store.CredentialSchema, m *schemas.Show) error {
	id := auth.Current(c)
	req, err := id.Scope.ResourceApprovalFor(c.UserContext(), store.KindSchema, cs.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if authz.Can(id.User.Role, authz.ApprovalsDecide) {
		m.ApprovalLink = "/approvals/resources/" + req.ID
	}
	if req.DecisionNote != nil {
		m.RejectNote = ": " + *req.DecisionNote
	}
	return nil
}
