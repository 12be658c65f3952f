package marketplace

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/store"
)

func ptr[T any](v T) *T { return &v }

func names(fs []store.SchemaField) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func changeOf(d Diff, key string) *Change {
	for i := range d.Changes {
		if d.Changes[i].Key == key {
			return &d.Changes[i]
		}
	}
	return nil
}

// updateFixture: the publisher's version 1 (base) and 2 (theirs), and an
// adopter's copy of version 1 with its own edits.
func updateFixture() (base, theirs, mine store.TemplateSnapshot) {
	course := store.SchemaField{Name: "course", Label: "Course", Type: store.SchemaFieldText, Required: true}
	hours := store.SchemaField{Name: "hours", Label: "Hours", Type: store.SchemaFieldNumber}
	venue := store.SchemaField{Name: "venue", Label: "Venue", Type: store.SchemaFieldText}
	base = store.TemplateSnapshot{Name: "First Aid", Description: "Basic first aid.",
		Data:   store.TemplateData{Kind: store.TemplateCertificate, Cryptosuite: store.CryptosuiteEdDSARDFC, Display: store.TemplateDisplay{Title: "First Aid"}},
		Schema: store.SchemaSnapshot{Name: "First Aid", Version: "1.0", Fields: []store.SchemaField{course, hours, venue}}}

	theirs = base
	theirs.Description = "Basic life support and first aid." // mine kept it: applies
	theirs.Data.Display.Title = "First Aid Certificate"      // mine changed it too: conflict
	theirs.Data.ValidityDays = 730                           // mine has the same: same
	c2 := course
	c2.Label, c2.Validation = "Course title", store.ValidationRules{MaxLength: ptr(100)} // mine kept: applies
	h2 := hours
	h2.Validation = store.ValidationRules{Min: ptr(1.0), Max: ptr(40.0)} // mine changed its label: conflict
	expiry := store.SchemaField{Name: "expires", Label: "Expires on", Type: store.SchemaFieldDate}
	theirs.Schema.Fields = []store.SchemaField{c2, expiry, h2} // venue removed (mine kept it: removed)

	mine = base
	mine.Name = "ACME First Aid" // the publisher did not touch it: stays
	mine.Data.Display.Title = "ACME First Aid"
	mine.Data.ValidityDays = 730
	h3 := hours
	h3.Label = "Training hours"
	own := store.SchemaField{Name: "instructor", Label: "Instructor", Type: store.SchemaFieldText}
	mine.Schema.Fields = []store.SchemaField{course, own, h3, venue}
	return base, theirs, mine
}

func TestDiffStates(t *testing.T) {
	d := NewDiff(updateFixture())
	want := map[string][2]string{ // key: kind, state
		"description":       {"changed", StateApply},
		"display.title":     {"changed", StateConflict},
		"validity_days":     {"changed", StateSame},
		"field:course":      {"changed", StateApply},
		"field:hours":       {"changed", StateConflict},
		"field:venue":       {"removed", StateApply},
		"field:expires":     {"added", StateApply},
		"name":              {}, // the publisher did not change it
		"field:instructor":  {}, // the adopter's own
		"display.criteria":  {},
		"achievement.name":  {},
		"field:nonexistent": {},
	}
	for key, w := range want {
		c := changeOf(d, key)
		switch {
		case w[0] == "" && c != nil:
			t.Errorf("%s: listed as %+v, want not in the diff", key, *c)
		case w[0] != "" && c == nil:
			t.Errorf("%s: not in the diff", key)
		case c != nil && (c.Kind != w[0] || c.State != w[1]):
			t.Errorf("%s: %s/%s, want %s/%s", key, c.Kind, c.State, w[0], w[1])
		}
	}
	if n := len(d.Changes); n != 7 {
		t.Errorf("%d changes, want 7: %+v", n, d.Changes)
	}
	// Worded for people: the field's attributes that changed, old → new.
	c := changeOf(d, "field:course")
	if got := strings.Join(c.Details, "\n"); !strings.Contains(got, "Label: “Course” → “Course title”") ||
		!strings.Contains(got, "Validation: none → at most 100 characters") || strings.Contains(got, "Type") {
		t.Errorf("course details:\n%s", got)
	}
	if c := changeOf(d, "field:expires"); c.New != "“Expires on” (date, optional)" {
		t.Errorf("added field: %q", c.New)
	}
	if c := changeOf(d, "field:hours"); !strings.Contains(c.Mine, "Training hours") || !strings.Contains(c.New, "at least 1, at most 40") {
		t.Errorf("conflicting field: mine %q, theirs %q", c.Mine, c.New)
	}
	if c := changeOf(d, "display.title"); c.Old != "First Aid" || c.New != "First Aid Certificate" || c.Mine != "ACME First Aid" {
		t.Errorf("conflicting title: %+v", *c)
	}
	if got := len(d.Conflicts()); got != 2 {
		t.Errorf("%d conflicts, want 2", got)
	}
}

func TestMergeKeepsTheAdoptersEdits(t *testing.T) {
	base, theirs, mine := updateFixture()
	d := NewDiff(base, theirs, mine)
	_, err := d.Merge(map[string]string{"display.title": ChooseMine})
	var missing ErrChoices
	if !errors.As(err, &missing) || !slices.Equal([]string(missing), []string{"field:hours"}) {
		t.Fatalf("a conflict left open: %v, want ErrChoices [field:hours]", err)
	}
	if _, err := d.Merge(map[string]string{"display.title": "both", "field:hours": ChooseMine}); err == nil {
		t.Fatal("an unknown choice was taken")
	}
	out, err := d.Merge(map[string]string{"display.title": ChooseMine, "field:hours": ChooseTheirs})
	if err != nil {
		t.Fatal(err)
	}
	if out.Name != "ACME First Aid" || out.Description != "Basic life support and first aid." ||
		out.Data.Display.Title != "ACME First Aid" || out.Data.ValidityDays != 730 {
		t.Errorf("merged template: %+v", out)
	}
	// venue removed, expires added after course (its predecessor in theirs),
	// instructor (the adopter's) kept in place, hours as theirs.
	if got := names(out.Schema.Fields); !slices.Equal(got, []string{"course", "expires", "instructor", "hours"}) {
		t.Errorf("merged fields %v", got)
	}
	if f := out.Schema.Fields[0]; f.Label != "Course title" || f.Validation.MaxLength == nil {
		t.Errorf("course not updated: %+v", f)
	}
	if f := out.Schema.Fields[3]; f.Label != "Hours" || f.Validation.Max == nil || *f.Validation.Max != 40 {
		t.Errorf("hours not theirs: %+v", f)
	}
	// The document is built from the merged fields.
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(out.Schema.Definition, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Properties) != 4 || doc.Properties["expires"] == nil || doc.Properties["venue"] != nil {
		t.Errorf("merged document: %s", out.Schema.Definition)
	}
	// The diff's inputs are unchanged (the merge works on copies).
	if names(d.mine.Schema.Fields)[1] != "instructor" || len(mine.Schema.Fields) != 4 {
		t.Error("Merge changed the copy it was given")
	}

	// Keeping mine everywhere still takes what the adopter had not changed.
	out, err = d.Merge(map[string]string{"display.title": ChooseMine, "field:hours": ChooseMine})
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Schema.Fields[3]; f.Label != "Training hours" || f.Validation.Max != nil {
		t.Errorf("hours not mine: %+v", f)
	}
}

// A copy nobody edited takes the whole new version: fields, order and
// the publisher's document.
func TestMergeUntouchedCopyBecomesTheNewVersion(t *testing.T) {
	base, theirs, _ := updateFixture()
	theirs.Schema.Definition = json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","x-hand":"written"}`)
	out, err := NewDiff(base, theirs, base).Merge(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names(out.Schema.Fields), names(theirs.Schema.Fields)) || string(out.Schema.Definition) != string(theirs.Schema.Definition) ||
		out.Description != theirs.Description || out.Data.Display.Title != theirs.Data.Display.Title {
		t.Errorf("untouched copy merged into %+v", out)
	}
}

// A removed field the adopter changed is a conflict; keeping it keeps it.
func TestMergeRemovedButEdited(t *testing.T) {
	base, theirs, mine := updateFixture()
	mine.Schema.Fields[3].Label = "Training venue"
	d := NewDiff(base, theirs, mine)
	if c := changeOf(d, "field:venue"); c == nil || c.State != StateConflict || !strings.Contains(c.Mine, "Training venue") {
		t.Fatalf("venue: %+v", c)
	}
	out, err := d.Merge(map[string]string{"display.title": ChooseTheirs, "field:hours": ChooseMine, "field:venue": ChooseMine})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names(out.Schema.Fields), "venue") || out.Data.Display.Title != "First Aid Certificate" {
		t.Errorf("merged %v %q", names(out.Schema.Fields), out.Data.Display.Title)
	}
	out, _ = d.Merge(map[string]string{"display.title": ChooseTheirs, "field:hours": ChooseMine, "field:venue": ChooseTheirs})
	if slices.Contains(names(out.Schema.Fields), "venue") {
		t.Errorf("venue kept though theirs was chosen: %v", names(out.Schema.Fields))
	}
}
