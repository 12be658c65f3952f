package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func ptrTo[T any](v T) *T { return &v }

// The field library: fields are created, listed, changed and removed
// through the organization's handle, each audited; bad input is a field
// error keyed as the form's inputs, never a half-written row.
func TestCustomFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := org(t, db, "acme")
		s := db.Scoped(o.ID)
		for name, c := range map[string]struct {
			change store.CustomFieldChange
			key    string
		}{
			"no name":         {store.CustomFieldChange{Label: "Campus", Type: store.FieldText}, "name"},
			"bad name":        {store.CustomFieldChange{Name: "2campus", Label: "Campus", Type: store.FieldText}, "name"},
			"reserved name":   {store.CustomFieldChange{Name: "id", Label: "Id", Type: store.FieldText}, "name"},
			"no label":        {store.CustomFieldChange{Name: "campus", Label: " ", Type: store.FieldText}, "label"},
			"bidi label":      {store.CustomFieldChange{Name: "campus", Label: "Cam\u202epus", Type: store.FieldText}, "label"},
			"file type":       {store.CustomFieldChange{Name: "campus", Label: "Campus", Type: store.FieldFile}, "type"},
			"select, no":      {store.CustomFieldChange{Name: "campus", Label: "Campus", Type: store.FieldSelect}, "options"},
			"select, twice":   {store.CustomFieldChange{Name: "campus", Label: "Campus", Type: store.FieldSelect, Options: []store.FieldOption{{Value: "a", Label: "A"}, {Value: "a", Label: "B"}}}, "options"},
			"min above max":   {store.CustomFieldChange{Name: "hours", Label: "Hours", Type: store.FieldNumber, Validation: store.ValidationRules{Min: ptrTo(5.0), Max: ptrTo(1.0)}}, "max"},
			"bad pattern":     {store.CustomFieldChange{Name: "code", Label: "Code", Type: store.FieldText, Validation: store.ValidationRules{Pattern: "("}}, "pattern"},
			"length reversed": {store.CustomFieldChange{Name: "code", Label: "Code", Type: store.FieldText, Validation: store.ValidationRules{MinLength: ptrTo(5), MaxLength: ptrTo(2)}}, "max"},
		} {
			_, err := s.CreateCustomField(ctx, c.change, store.Actor{})
			var fe store.FieldErrors
			if !errors.As(err, &fe) || fe[c.key] == "" {
				t.Errorf("%s: %v, want a field error on %s", name, err, c.key)
			}
		}
		if l, _ := s.CustomFields(ctx); len(l) != 0 {
			t.Fatalf("refused fields were stored: %+v", l)
		}
		campus, err := s.CreateCustomField(ctx, store.CustomFieldChange{Name: "campus", Label: "Campus", Type: store.FieldSelect, Required: true,
			Options:    []store.FieldOption{{Value: "north", Label: "North"}, {Value: "south", Label: "South"}},
			Validation: store.ValidationRules{Min: ptrTo(1.0)}}, store.Actor{}) // a rule of another type is dropped
		if err != nil {
			t.Fatal(err)
		}
		hours, err := s.CreateCustomField(ctx, store.CustomFieldChange{Name: "hours", Label: "Contact hours", Type: store.FieldNumber,
			Validation: store.ValidationRules{Min: ptrTo(0.0), Max: ptrTo(200.0)}}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		var fe store.FieldErrors
		if _, err := s.CreateCustomField(ctx, store.CustomFieldChange{Name: "campus", Label: "Other", Type: store.FieldText}, store.Actor{}); !errors.As(err, &fe) || fe["name"] == "" {
			t.Errorf("a second field named campus: %v", err)
		}
		list, err := s.CustomFields(ctx)
		if err != nil || len(list) != 2 || list[0].FieldLabel != "Campus" || list[1].FieldLabel != "Contact hours" {
			t.Fatalf("the library: %+v %v", list, err)
		}
		sf := list[0].SchemaField()
		if sf.Name != "campus" || sf.Type != store.SchemaFieldSelect || !sf.Required || len(sf.Options) != 2 || sf.Validation.Min != nil {
			t.Errorf("campus as a schema field: %+v", sf)
		}
		if _, err := s.UpdateCustomField(ctx, hours.ID, store.CustomFieldChange{Name: "campus", Label: "Hours", Type: store.FieldNumber}, store.Actor{}); !errors.As(err, &fe) || fe["name"] == "" {
			t.Errorf("renaming onto another field's name: %v", err)
		}
		got, err := s.UpdateCustomField(ctx, hours.ID, store.CustomFieldChange{Name: "hours", Label: "Hours of training", Type: store.FieldNumber,
			Validation: store.ValidationRules{Max: ptrTo(100.0)}}, store.Actor{})
		if err != nil || got.FieldLabel != "Hours of training" || got.ValidationRules.Data().Max == nil || *got.ValidationRules.Data().Max != 100 {
			t.Errorf("update: %+v %v", got, err)
		}
		if err := s.DeleteCustomField(ctx, campus.ID, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CustomField(ctx, campus.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a deleted field: %v", err)
		}
		for action, n := range map[string]int{"custom_field.created": 1, "custom_field.updated": 1, "custom_field.deleted": 1} {
			id := hours.ID
			if action != "custom_field.updated" {
				id = campus.ID
			}
			if got := auditCount(t, db, action, id); got != n {
				t.Errorf("%s audited %d times, want %d", action, got, n)
			}
		}
	})
}
