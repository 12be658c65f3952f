package ui

import (
	"testing"

	"github.com/a-h/templ"
)

// A select is named by its label, keeps the chosen option, and says what
// is wrong next to it.
func TestSelectLabelValueAndError(t *testing.T) {
	opts := []Option{{"active", "Active"}, {"revoked", "Revoked"}}
	html := render(t, Select(SelectProps{Name: "status", Label: "Status", Placeholder: "Any status", Options: opts, Value: "revoked",
		Attrs: templ.Attributes{"hx-get": "/credentials"}}))
	has(t, html, `<label for="f-status"`, `>Status</label>`, `<select id="f-status" name="status"`, `hx-get="/credentials"`,
		`<option value="">Any status</option>`, `<option value="active">Active</option>`, `<option value="revoked" selected>Revoked</option>`)
	hasNot(t, html, `aria-invalid`)

	bad := render(t, Select(SelectProps{Name: "role", Label: "Role", Options: opts, Error: "Choose a role from the list.", Required: true}))
	has(t, bad, `<select id="f-role" name="role"`, `required`, `aria-invalid="true"`, `aria-describedby="e-role"`,
		`<p id="e-role"`, `data-testid="error-role"`, `Choose a role from the list.`)

	row := render(t, Select(SelectProps{Name: "role", ID: "role-7", Label: "Role of ann@example.org", HideLabel: true, Options: opts, Compact: true}))
	has(t, row, `<label for="role-7" class="sr-only">Role of ann@example.org</label>`, `<select id="role-7" name="role"`)
}

// A required select says so next to its label, to eyes and to screen
// readers.
func TestSelectRequiredMark(t *testing.T) {
	html := render(t, Select(SelectProps{Name: "grade", Label: "Grade", Required: true, Options: []Option{{Value: "a", Label: "A"}}}))
	has(t, html, `Grade<span`, `aria-hidden="true">*</span>`, `(required)</span></label>`, `<select`, `required`)
	hasNot(t, render(t, Select(SelectProps{Name: "grade", Label: "Grade"})), `(required)`)
}
