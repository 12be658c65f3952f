package marketplace

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/store"
)

// Updates for adopters. A copy of a marketplace template records the
// version it was copied from (the base). When the publisher lists a newer
// version (theirs), the copy (mine, the adopter's template as it stands)
// is offered a three-way merge, item by item. The items are the
// template's name, description, kind, signature, validity, display and
// achievement properties, and each schema field by its name:
//
//   - the publisher did not change the item (base = theirs): the copy's
//     value stays, whatever the adopter did with it;
//   - the copy already has the publisher's value (mine = theirs): nothing
//     to do;
//   - the adopter did not change the item (mine = base): the publisher's
//     value is taken (a field added, removed or changed);
//   - both changed it differently: a conflict, listed with both values;
//     the adopter chooses theirs or keeps mine, item by item.
//
// Fields keep the copy's order; a field the update adds goes after the
// field that precedes it in the publisher's version. The copy's default
// values and PDF design are the adopter's and stay (a removed field loses
// its default). Applying writes a new version of the copy: when its
// fields change, a new version of its schema (the old one keeps its
// credentials).

// Change is one item the publisher changed between the copy's version and
// the listed one.
type Change struct {
	Key   string // "name", "display.title", "field:<name>"…: the form's choice is c.<Key>
	Label string // what people call the item
	Kind  string // added, removed or changed
	Old   string // the base version's value, for people ("" when added)
	New   string // the listed version's value ("" when removed)
	Mine  string // the copy's value (conflicts)
	// Details are a changed field's differences, one line each: "Label:
	// “Course” → “Course title”".
	Details []string
	State   string // apply (the copy had not changed it), same (the copy has it already) or conflict
}

// States of a change.
const (
	StateApply    = "apply"
	StateSame     = "same"
	StateConflict = "conflict"
)

// Choices of a conflict.
const (
	ChooseMine   = "mine"
	ChooseTheirs = "theirs"
)

// Diff is the update of a copy from its base version to the listed one.
type Diff struct {
	Changes []Change
	base    store.TemplateSnapshot
	theirs  store.TemplateSnapshot
	mine    store.TemplateSnapshot
}

// Conflicts are the changes the adopter must choose for.
func (d Diff) Conflicts() []Change {
	var out []Change
	for _, c := range d.Changes {
		if c.State == StateConflict {
			out = append(out, c)
		}
	}
	return out
}

// item is one mergeable property of a snapshot: present or not, and its
// value as JSON (compared as is: the same value marshals the same way).
type item struct {
	present bool
	value   string
	text    string // for people
}

type prop struct {
	key, label string
	get        func(*store.TemplateSnapshot) string
	set        func(*store.TemplateSnapshot, string)
}

func achievement(s *store.TemplateSnapshot) *store.Achievement {
	if s.Data.Achievement == nil {
		s.Data.Achievement = &store.Achievement{}
	}
	return s.Data.Achievement
}

// alignmentOf is the snapshot's alignment targets as JSON ("" for none),
// the form in which the update compares and carries them.
func alignmentOf(s *store.TemplateSnapshot) string {
	a := achievementOf(s).Alignment
	if len(a) == 0 {
		return ""
	}
	b, err := json.Marshal(a)
	if err != nil {
		return ""
	}
	return string(b)
}

// setAlignment sets the targets alignmentOf gave ("" for none).
func setAlignment(s *store.TemplateSnapshot, v string) {
	var a []store.Alignment
	if v != "" && json.Unmarshal([]byte(v), &a) != nil {
		return
	}
	achievement(s).Alignment = a
}

func achievementOf(s *store.TemplateSnapshot) store.Achievement {
	if s.Data.Achievement == nil {
		return store.Achievement{}
	}
	return *s.Data.Achievement
}

// props are the template's mergeable properties, in the order the diff
// lists them.
var props = []prop{
	{"name", "Name", func(s *store.TemplateSnapshot) string { return s.Name }, func(s *store.TemplateSnapshot, v string) { s.Name = v }},
	{"description", "Description", func(s *store.TemplateSnapshot) string { return s.Description }, func(s *store.TemplateSnapshot, v string) { s.Description = v }},
	{"kind", "Kind", func(s *store.TemplateSnapshot) string { return string(s.Data.Kind) }, func(s *store.TemplateSnapshot, v string) { s.Data.Kind = store.TemplateType(v) }},
	{"cryptosuite", "Signature", func(s *store.TemplateSnapshot) string { return s.Data.Cryptosuite }, func(s *store.TemplateSnapshot, v string) { s.Data.Cryptosuite = v }},
	{"validity_days", "Valid for (days)", func(s *store.TemplateSnapshot) string {
		if s.Data.ValidityDays == 0 {
			return ""
		}
		return strconv.Itoa(s.Data.ValidityDays)
	}, func(s *store.TemplateSnapshot, v string) { s.Data.ValidityDays, _ = strconv.Atoi(v) }},
	{"display.title", "Display title", func(s *store.TemplateSnapshot) string { return s.Data.Display.Title }, func(s *store.TemplateSnapshot, v string) { s.Data.Display.Title = v }},
	{"display.description", "Display description", func(s *store.TemplateSnapshot) string { return s.Data.Display.Description }, func(s *store.TemplateSnapshot, v string) { s.Data.Display.Description = v }},
	{"display.criteria", "Display criteria", func(s *store.TemplateSnapshot) string { return s.Data.Display.Criteria }, func(s *store.TemplateSnapshot, v string) { s.Data.Display.Criteria = v }},
	{"display.image_url", "Display image URL", func(s *store.TemplateSnapshot) string { return s.Data.Display.ImageURL }, func(s *store.TemplateSnapshot, v string) { s.Data.Display.ImageURL = v }},
	{"achievement.name", "Achievement name", func(s *store.TemplateSnapshot) string { return achievementOf(s).Name }, func(s *store.TemplateSnapshot, v string) { achievement(s).Name = v }},
	{"achievement.description", "Achievement description", func(s *store.TemplateSnapshot) string { return achievementOf(s).Description }, func(s *store.TemplateSnapshot, v string) { achievement(s).Description = v }},
	{"achievement.criteria", "Achievement criteria", func(s *store.TemplateSnapshot) string { return achievementOf(s).Criteria }, func(s *store.TemplateSnapshot, v string) { achievement(s).Criteria = v }},
	{"achievement.image_url", "Achievement image URL", func(s *store.TemplateSnapshot) string { return achievementOf(s).ImageURL }, func(s *store.TemplateSnapshot, v string) { achievement(s).ImageURL = v }},
	// The alignment targets change as one item, compared and carried as
	// their JSON (the update page shows that text).
	{"achievement.alignment", "Achievement alignment", func(s *store.TemplateSnapshot) string { return alignmentOf(s) }, func(s *store.TemplateSnapshot, v string) { setAlignment(s, v) }},
}

const fieldKey = "field:"

func fieldItem(fields []store.SchemaField, name string) (store.SchemaField, item) {
	for _, f := range fields {
		if f.Name == name {
			b, _ := json.Marshal(f)
			return f, item{present: true, value: string(b), text: f.Label}
		}
	}
	return store.SchemaField{}, item{}
}

// NewDiff compares the base, listed (theirs) and copy (mine) versions of
// a template: every item the publisher changed, with what the copy does
// with it.
func NewDiff(base, theirs, mine store.TemplateSnapshot) Diff {
	d := Diff{base: base, theirs: theirs, mine: mine}
	state := func(b, t, m item) string {
		switch {
		case m == t:
			return StateSame
		case m == b:
			return StateApply
		}
		return StateConflict
	}
	for _, p := range props {
		b, t, m := p.get(&base), p.get(&theirs), p.get(&mine)
		if b == t {
			continue
		}
		c := Change{Key: p.key, Label: p.label, Kind: "changed", Old: b, New: t, Mine: m,
			State: state(item{true, b, b}, item{true, t, t}, item{true, m, m})}
		d.Changes = append(d.Changes, c)
	}
	var names []string
	for _, fs := range [][]store.SchemaField{base.Schema.Fields, theirs.Schema.Fields} {
		for _, f := range fs {
			if !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		}
	}
	for _, n := range names {
		bf, b := fieldItem(base.Schema.Fields, n)
		tf, t := fieldItem(theirs.Schema.Fields, n)
		mf, m := fieldItem(mine.Schema.Fields, n)
		if b == t {
			continue
		}
		c := Change{Key: fieldKey + n, Label: "Field “" + n + "”", State: state(b, t, m)}
		switch {
		case !b.present:
			c.Kind, c.New, c.Details = "added", describeField(tf), nil
		case !t.present:
			c.Kind, c.Old = "removed", describeField(bf)
		default:
			c.Kind, c.Old, c.New, c.Details = "changed", describeField(bf), describeField(tf), fieldDetails(bf, tf)
		}
		if m.present {
			c.Mine = describeField(mf)
		} else {
			c.Mine = "not in your copy"
		}
		d.Changes = append(d.Changes, c)
	}
	return d
}

var fieldTypes = map[store.SchemaFieldType]string{store.SchemaFieldText: "text", store.SchemaFieldNumber: "number",
	store.SchemaFieldDate: "date", store.SchemaFieldEmail: "email address", store.SchemaFieldURL: "web address",
	store.SchemaFieldSelect: "choice", store.SchemaFieldBoolean: "yes or no"}

func typeName(t store.SchemaFieldType) string {
	if n, ok := fieldTypes[t]; ok {
		return n
	}
	return string(t)
}

// describeField is a field in one line: “Course title” (text, required, at most 100 characters).
func describeField(f store.SchemaField) string {
	parts := []string{typeName(f.Type)}
	if f.Required {
		parts = append(parts, "required")
	} else {
		parts = append(parts, "optional")
	}
	if v := validation(f); v != "" {
		parts = append(parts, v)
	}
	return "“" + f.Label + "” (" + strings.Join(parts, ", ") + ")"
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// validation is a field's rules in words, "" for none.
func validation(f store.SchemaField) string {
	v := f.Validation
	var parts []string
	if v.MinLength != nil {
		parts = append(parts, fmt.Sprintf("at least %d characters", *v.MinLength))
	}
	if v.MaxLength != nil {
		parts = append(parts, fmt.Sprintf("at most %d characters", *v.MaxLength))
	}
	if v.Min != nil {
		parts = append(parts, "at least "+num(*v.Min))
	}
	if v.Max != nil {
		parts = append(parts, "at most "+num(*v.Max))
	}
	if v.Pattern != "" {
		parts = append(parts, "matching "+v.Pattern)
	}
	if len(f.Options) > 0 {
		var o []string
		for _, x := range f.Options {
			o = append(o, x.Label)
		}
		parts = append(parts, "one of "+strings.Join(o, ", "))
	}
	return strings.Join(parts, ", ")
}

// fieldDetails are the differences of a changed field, one line each.
func fieldDetails(a, b store.SchemaField) []string {
	var out []string
	line := func(what, x, y string) {
		if x != y {
			out = append(out, what+": "+orNone(x)+" → "+orNone(y))
		}
	}
	line("Label", quote(a.Label), quote(b.Label))
	line("Type", typeName(a.Type), typeName(b.Type))
	req := func(r bool) string {
		if r {
			return "required"
		}
		return "optional"
	}
	line("Required", req(a.Required), req(b.Required))
	line("Description", quote(a.Description), quote(b.Description))
	line("Validation", validation(a), validation(b))
	return out
}

func quote(s string) string {
	if s == "" {
		return ""
	}
	return "“" + s + "”"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// ErrChoices is a merge refused because conflicts were not chosen for:
// the keys of the changes without a valid choice.
type ErrChoices []string

func (e ErrChoices) Error() string {
	return "marketplace: choose for every conflicting change: " + strings.Join(e, ", ")
}

// Merge is the copy with the update applied: every change in state apply,
// and each conflict as chosen (choices by change key: ChooseMine or
// ChooseTheirs; a conflict without one is ErrChoices). The schema's
// document is the listed version's when the merged fields are its fields,
// the copy's when they are the copy's, and built from the fields
// otherwise.
func (d Diff) Merge(choices map[string]string) (store.TemplateSnapshot, error) {
	var missing ErrChoices
	take := map[string]bool{} // keys whose value becomes theirs
	for _, c := range d.Changes {
		switch c.State {
		case StateApply:
			take[c.Key] = true
		case StateConflict:
			switch choices[c.Key] {
			case ChooseTheirs:
				take[c.Key] = true
			case ChooseMine:
			default:
				missing = append(missing, c.Key)
			}
		}
	}
	if len(missing) > 0 {
		return store.TemplateSnapshot{}, missing
	}
	out := d.mine
	// Copy what the merge changes in place, so that d.mine stays as read.
	if d.mine.Data.Achievement != nil {
		a := *d.mine.Data.Achievement
		out.Data.Achievement = &a
	}
	out.Schema.Fields = slices.Clone(d.mine.Schema.Fields)
	for _, p := range props {
		if take[p.key] {
			p.set(&out, p.get(&d.theirs))
		}
	}
	if a := out.Data.Achievement; a != nil && a.Name == "" && a.Description == "" && a.Criteria == "" && a.ImageURL == "" && len(a.Alignment) == 0 {
		out.Data.Achievement = nil
	}
	for _, c := range d.Changes {
		if !take[c.Key] || !strings.HasPrefix(c.Key, fieldKey) {
			continue
		}
		name := strings.TrimPrefix(c.Key, fieldKey)
		tf, t := fieldItem(d.theirs.Schema.Fields, name)
		i := slices.IndexFunc(out.Schema.Fields, func(f store.SchemaField) bool { return f.Name == name })
		switch {
		case !t.present && i >= 0:
			out.Schema.Fields = slices.Delete(out.Schema.Fields, i, i+1)
		case t.present && i >= 0:
			out.Schema.Fields[i] = tf
		case t.present:
			out.Schema.Fields = slices.Insert(out.Schema.Fields, insertAt(out.Schema.Fields, d.theirs.Schema.Fields, name), tf)
		}
	}
	switch {
	case sameFields(out.Schema.Fields, d.mine.Schema.Fields):
		out.Schema.Definition = d.mine.Schema.Definition
	case sameFields(out.Schema.Fields, d.theirs.Schema.Fields) && len(d.theirs.Schema.Definition) > 0:
		out.Schema.Definition = d.theirs.Schema.Definition
	default:
		def, err := credschema.Build(out.Schema.Name, out.Schema.Fields)
		if err != nil {
			return store.TemplateSnapshot{}, fmt.Errorf("marketplace: the merged fields: %w", err)
		}
		out.Schema.Definition = def
	}
	return out, nil
}

// insertAt is where a field the update adds goes: after the field that
// precedes it in the publisher's version and is in the copy, or first.
func insertAt(fields, theirs []store.SchemaField, name string) int {
	j := slices.IndexFunc(theirs, func(f store.SchemaField) bool { return f.Name == name })
	for k := j - 1; k >= 0; k-- {
		if i := slices.IndexFunc(fields, func(f store.SchemaField) bool { return f.Name == theirs[k].Name }); i >= 0 {
			return i + 1
		}
	}
	return 0
}

func sameFields(a, b []store.SchemaField) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// ApplyUpdate is the one door of "Apply update": in one transaction, it
// reads the copy's update, checks that the copy is still at copyVersion
// and the source still lists toVersion (store.ErrTemplateChanged
// otherwise: the page the adopter chose on is out of date), merges with
// the adopter's choices (ErrChoices for a conflict left open) and writes
// the result as a new version of the copy. No update available is
// store.ErrNotFound.
func ApplyUpdate(ctx context.Context, s *store.Scoped, templateID string, copyVersion, toVersion int, choices map[string]string, actor store.Actor) (*store.CredentialTemplate, error) {
	var out *store.CredentialTemplate
	err := s.InTx(ctx, func(tx *store.Scoped) error {
		u, err := tx.TemplateUpdate(ctx, templateID)
		if err != nil {
			return err
		}
		if u == nil {
			return store.ErrNotFound
		}
		if u.Template.Version != copyVersion || u.Version != toVersion {
			return store.ErrTemplateChanged
		}
		d := NewDiff(u.Base, u.Theirs, u.Mine())
		merged, err := d.Merge(choices)
		if err != nil {
			return err
		}
		taken := 0
		for _, c := range d.Changes {
			if c.State == StateApply || (c.State == StateConflict && choices[c.Key] == ChooseTheirs) {
				taken++
			}
		}
		out, err = tx.ApplyTemplateUpdate(ctx, templateID, store.TemplateMerge{CopyVersion: copyVersion,
			FromVersion: u.Adoption.SourceVersion, ToVersion: u.Version, Merged: merged, Changes: taken}, actor)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
