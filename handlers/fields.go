package handlers

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	fieldviews "github.com/trustcred/trustcred/views/fields"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/schemas"
)

// Fields serves the organization's field library (/settings/fields):
// template writers read it (schemas.write), administrators change it
// (org.manage).
type Fields struct{}

// Index renders GET /settings/fields.
func (h *Fields) Index(c *fiber.Ctx) error {
	m, err := fieldsPage(c)
	if err != nil {
		return err
	}
	render.SetTitle(c, "Field library")
	return render.Page(c, fiber.StatusOK, fieldviews.IndexPage(m))
}

func fieldsPage(c *fiber.Ctx) (fieldviews.Page, error) {
	id := auth.Current(c)
	list, err := id.Scope.CustomFields(c.UserContext())
	if err != nil {
		return fieldviews.Page{}, err
	}
	m := fieldviews.Page{CanWrite: authz.Can(id.User.Role, authz.OrgManage), New: newFieldForm()}
	for i := range list {
		sf := list[i].SchemaField()
		m.Rows = append(m.Rows, fieldviews.Row{ID: list[i].ID, Label: sf.Label, Name: sf.Name, Type: typeLabel(sf.Type), Rules: rules(sf), Required: sf.Required})
	}
	return m, nil
}

func newFieldForm() fieldviews.Form {
	return fieldviews.Form{Action: fieldviews.Path, Title: "Add a field", Submit: "Add to the library", Type: "text", Errors: fieldviews.Errors{}}
}

// parseField reads the form as one builder row, so that its numbers and
// choices are read as the schema builder reads them.
func parseField(c *fiber.Ctx, f *fieldviews.Form) (store.CustomFieldChange, fieldviews.Errors) {
	f.Name, f.Label, f.Type = strings.TrimSpace(c.FormValue("name")), c.FormValue("label"), c.FormValue("type")
	f.Description, f.Min, f.Max = c.FormValue("description"), strings.TrimSpace(c.FormValue("min")), strings.TrimSpace(c.FormValue("max"))
	f.Pattern, f.Options, f.Required = c.FormValue("pattern"), c.FormValue("options"), c.FormValue("required") != ""
	row := schemas.Row{Name: f.Name, Label: f.Label, Type: f.Type, Description: f.Description, Min: f.Min, Max: f.Max,
		Pattern: f.Pattern, Options: f.Options, Required: f.Required}
	sf, errs := rowsToFields([]schemas.Row{row})
	out := fieldviews.Errors{}
	for k, v := range errs {
		out[strings.TrimPrefix(k, "f.0.")] = v
	}
	return store.CustomFieldChange{Name: sf[0].Name, Label: sf[0].Label, Description: sf[0].Description, Type: store.FieldType(sf[0].Type),
		Required: sf[0].Required, Validation: sf[0].Validation, Options: sf[0].Options}, out
}

// save runs a create or update, or re-renders the form with every
// problem next to its input (422).
func (h *Fields) save(c *fiber.Ctx, f fieldviews.Form, id string) error {
	change, errs := parseField(c, &f)
	if fe := store.ValidateCustomField(change); fe != nil {
		for k, v := range fe {
			if _, ok := errs[k]; !ok {
				errs[k] = v + "."
			}
		}
	}
	if len(errs) == 0 {
		s, ctx, actor := auth.Current(c).Scope, c.UserContext(), auth.Actor(c)
		var err error
		if id == "" {
			_, err = s.CreateCustomField(ctx, change, actor)
		} else {
			_, err = s.UpdateCustomField(ctx, id, change, actor)
		}
		var fe store.FieldErrors
		switch {
		case errors.As(err, &fe):
			for k, v := range fe {
				errs[k] = v + "."
			}
		case err != nil:
			return err
		default:
			render.Flash(c, layout.FlashSuccess, "“"+strings.TrimSpace(change.Label)+"” is in the field library.")
			return render.Redirect(c, fieldviews.Path)
		}
	}
	f.Errors = errs
	if id != "" {
		render.SetTitle(c, f.Title)
		return render.Page(c, fiber.StatusUnprocessableEntity, fieldviews.EditPage(f))
	}
	m, err := fieldsPage(c)
	if err != nil {
		return err
	}
	m.New = f
	render.SetTitle(c, "Field library")
	return render.Page(c, fiber.StatusUnprocessableEntity, fieldviews.IndexPage(m))
}

// Create handles POST /settings/fields.
func (h *Fields) Create(c *fiber.Ctx) error { return h.save(c, newFieldForm(), "") }

// Edit renders GET /settings/fields/:id.
func (h *Fields) Edit(c *fiber.Ctx) error {
	cf, err := auth.Current(c).Scope.CustomField(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f := editFieldForm(cf)
	r := rowOf(cf.SchemaField())
	f.Name, f.Label, f.Type, f.Description, f.Min, f.Max, f.Pattern, f.Options, f.Required = r.Name, r.Label, r.Type, r.Description, r.Min, r.Max, r.Pattern, r.Options, r.Required
	render.SetTitle(c, f.Title)
	return render.Page(c, fiber.StatusOK, fieldviews.EditPage(f))
}

func editFieldForm(cf *store.CustomField) fieldviews.Form {
	return fieldviews.Form{Action: fieldviews.Path + "/" + cf.ID, Title: "Edit “" + cf.FieldLabel + "”", Submit: "Save field", Errors: fieldviews.Errors{}}
}

// Update handles POST /settings/fields/:id.
func (h *Fields) Update(c *fiber.Ctx) error {
	cf, err := auth.Current(c).Scope.CustomField(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.save(c, editFieldForm(cf), cf.ID)
}

// Delete handles POST /settings/fields/:id/delete.
func (h *Fields) Delete(c *fiber.Ctx) error {
	if err := auth.Current(c).Scope.DeleteCustomField(c.UserContext(), c.Params("id"), auth.Actor(c)); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The field is out of the library; schemas that inserted it keep their copy.")
	return render.Redirect(c, fieldviews.Path)
}
