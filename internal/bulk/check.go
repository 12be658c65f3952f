package bulk

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/store"
)

// Targets of the recipient: besides the schema's fields, a column may give
// the recipient's name or address (an email or a DID).
const (
	RecipientName    = "recipient_name"
	RecipientAddress = "recipient_address"
)

// Mapping says which column gives each target: target (a schema field
// name, RecipientName or RecipientAddress) → CSV header. A target without
// a column is absent.
type Mapping map[string]string

// Target is what a column can be mapped to.
type Target struct {
	Key      string // field name, RecipientName or RecipientAddress
	Label    string
	Required bool
	Hint     string // the field's type and whether it is required, for the mapping form
}

// Targets lists what columns can be mapped to: the recipient first, then
// the schema's fields in order.
func Targets(fields []store.SchemaField) []Target {
	out := []Target{
		{Key: RecipientName, Label: "Recipient name", Hint: "text, required for an email address"},
		{Key: RecipientAddress, Label: "Recipient email or DID", Required: true, Hint: "email address or DID, required"},
	}
	for _, f := range fields {
		hint := string(f.Type)
		if f.Required {
			hint += ", required"
		} else {
			hint += ", optional"
		}
		label := f.Label
		if label == "" {
			label = f.Name
		}
		out = append(out, Target{Key: f.Name, Label: label, Required: f.Required, Hint: hint})
	}
	return out
}

// fold is a header or name compared without case, spaces, underscores,
// hyphens or dots: "Recipient Email", "recipient_email" and
// "RecipientEmail" are the same.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '.' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// recipient aliases, strongest first: an exact recipient_* header wins over
// a bare "email" (which a schema field may also claim).
var (
	nameAliases    = [][]string{{"recipientname"}, {"name", "fullname", "studentname"}}
	addressAliases = [][]string{{"recipientemail", "recipientdid", "recipientaddress"}, {"email", "emailaddress", "did", "recipient"}}
)

// AutoMap maps headers to targets: a header whose folded text is a schema
// field's name or label gives that field; recipient_name and
// recipient_email (or recipient_did, recipient_address) give the
// recipient, and, when no field claimed them, "name" and "email" too. Each
// header serves at most one target.
func AutoMap(headers []string, fields []store.SchemaField) Mapping {
	m := Mapping{}
	used := map[string]bool{}
	find := func(names ...string) string {
		for _, h := range headers {
			if used[h] {
				continue
			}
			for _, n := range names {
				if fold(h) == fold(n) {
					return h
				}
			}
		}
		return ""
	}
	claim := func(target, h string) {
		if h != "" {
			m[target], used[h] = h, true
		}
	}
	claim(RecipientName, find(nameAliases[0]...))
	claim(RecipientAddress, find(addressAliases[0]...))
	for _, f := range fields {
		claim(f.Name, find(f.Name))
	}
	for _, f := range fields {
		if _, ok := m[f.Name]; !ok && f.Label != "" {
			claim(f.Name, find(f.Label))
		}
	}
	if _, ok := m[RecipientName]; !ok {
		claim(RecipientName, find(nameAliases[1]...))
	}
	if _, ok := m[RecipientAddress]; !ok {
		claim(RecipientAddress, find(addressAliases[1]...))
	}
	return m
}

// Clean keeps the mapping's entries whose target is known and whose header
// is one of the file's, each header for one target at most (the first
// target in Targets order wins).
func Clean(m Mapping, headers []string, fields []store.SchemaField) Mapping {
	out := Mapping{}
	used := map[string]bool{}
	for _, t := range Targets(fields) {
		h, ok := m[t.Key]
		if !ok || used[h] {
			continue
		}
		for _, x := range headers {
			if x == h {
				out[t.Key], used[h] = h, true
				break
			}
		}
	}
	return out
}

// CellError is one problem of one row: the column it is in (the CSV header,
// or the target's label when no column is mapped to it) and what is wrong.
type CellError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func (e CellError) String() string {
	if e.Column == "" {
		return e.Message
	}
	return e.Column + ": " + e.Message
}

// Join writes a row's errors on one line each, as the batch row stores them.
func Join(errs []CellError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.String()
	}
	return strings.Join(parts, "\n")
}

// Checked is a row ready to issue.
type Checked struct {
	RecipientName    string
	RecipientAddress string
	Data             map[string]any // typed, the template's defaults included
}

// Checker checks rows of one file against one template.
type Checker struct {
	fields   []store.SchemaField
	labels   map[string]string // target → label
	schema   *credschema.Schema
	defaults map[string]string
	mapping  Mapping
	index    map[string]int // header → column index
	headers  []string
}

// NewChecker prepares the checks of a template's rows under a mapping.
// The template must have its Schema loaded. A schema whose JSON Schema
// document is empty is checked against the one its fields build.
func NewChecker(t *store.CredentialTemplate, headers []string, m Mapping) (*Checker, error) {
	if t == nil || t.Schema == nil {
		return nil, fmt.Errorf("bulk: template without its schema")
	}
	fields := []store.SchemaField(t.Schema.Fields)
	s, err := issuance.Schema(t.Schema)
	if err != nil {
		return nil, fmt.Errorf("bulk: schema %s: %w", t.Schema.ID, err)
	}
	c := &Checker{fields: fields, schema: s, defaults: t.TemplateData.Data().Defaults, mapping: Clean(m, headers, fields),
		index: map[string]int{}, labels: map[string]string{}, headers: headers}
	for i, h := range headers {
		c.index[h] = i
	}
	for _, tg := range Targets(fields) {
		c.labels[tg.Key] = tg.Label
	}
	return c, nil
}

// Mapping is the mapping the checker uses (cleaned of unknown targets and
// headers).
func (c *Checker) Mapping() Mapping { return c.mapping }

// MappingProblems are what is wrong with the mapping itself: a required
// target without a column (and without a template default). Every row
// would fail the same way, so the review page says it once.
func (c *Checker) MappingProblems() []string {
	var out []string
	if _, ok := c.mapping[RecipientAddress]; !ok {
		out = append(out, "No column gives the recipient’s email or DID: choose one for “Recipient email or DID”.")
	}
	for _, f := range c.fields {
		if _, ok := c.mapping[f.Name]; ok || !f.Required {
			continue
		}
		if strings.TrimSpace(c.defaults[f.Name]) != "" {
			continue
		}
		out = append(out, fmt.Sprintf("No column gives “%s”, which is required.", c.labels[f.Name]))
	}
	return out
}

// column is where an error about a target is shown: its header, or its
// label when no column is mapped to it.
func (c *Checker) column(target string) string {
	if h, ok := c.mapping[target]; ok {
		return h
	}
	if l, ok := c.labels[target]; ok {
		return l
	}
	return target
}

// value is a row's value for a target, trimmed ("" when unmapped).
func (c *Checker) value(values []string, target string) string {
	h, ok := c.mapping[target]
	if !ok {
		return ""
	}
	i, ok := c.index[h]
	if !ok || i >= len(values) {
		return ""
	}
	return strings.TrimSpace(values[i])
}

// Check checks one row: the recipient's address (an email or a DID) and
// name, and the schema's fields (credschema.Coerce, then Validate, with the
// template's defaults under the row's values). It returns the row ready to
// issue, or its errors, ordered by column.
func (c *Checker) Check(row Row) (*Checked, []CellError) {
	var errs []CellError
	add := func(target, msg string) {
		errs = append(errs, CellError{Row: row.Number, Column: c.column(target), Message: msg})
	}
	out := &Checked{RecipientName: c.value(row.Values, RecipientName), RecipientAddress: c.value(row.Values, RecipientAddress)}
	// Parse refuses control characters; rows stored before it did (or
	// sealed by other means) are checked again here, before the database.
	// The recipient's name is shown to others: no invisible formatting
	// characters either, as on every other way in.
	controls := map[string]string{}
	for target := range c.mapping {
		rule := text.MultiLine
		if target == RecipientName {
			rule = text.SingleLine | text.Name
		}
		if p := Control(c.value(row.Values, target), rule); p != "" {
			controls[target] = p
		}
	}
	// The recipient's rules are issuance's, the same for every way in;
	// a control character is said in the cell's own words first.
	rfe := issuance.CheckRecipient(out.RecipientName, out.RecipientAddress)
	for _, target := range []string{RecipientAddress, RecipientName} {
		if msg := controls[target]; msg != "" {
			add(target, msg)
		} else if p, ok := rfe[target]; ok {
			add(target, cellProblem(target, p))
		}
	}
	raw := map[string]string{}
	for k, v := range c.defaults {
		raw[k] = v
	}
	for _, f := range c.fields {
		if v := c.value(row.Values, f.Name); v != "" {
			raw[f.Name] = v
		}
	}
	data, coerceErrs := credschema.Coerce(c.fields, raw)
	fieldErrs := map[string]string{}
	for k, v := range coerceErrs {
		fieldErrs[k] = v
	}
	for k, v := range c.schema.Validate(data) {
		if _, ok := fieldErrs[k]; !ok {
			fieldErrs[k] = v
		}
	}
	for _, f := range c.fields {
		if msg, ok := controls[f.Name]; ok {
			fieldErrs[f.Name] = msg
		}
	}
	order := map[string]int{}
	for i, f := range c.fields {
		order[f.Name] = i
	}
	keys := make([]string, 0, len(fieldErrs))
	for k := range fieldErrs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, iok := order[keys[i]]
		oj, jok := order[keys[j]]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		if k == "" {
			add("", fieldErrs[k])
			continue
		}
		add(k, fieldErrs[k])
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out.Data = data
	return out, nil
}

// cellProblem words what issuance.CheckRecipient found for a CSV cell.
func cellProblem(target string, p issuance.Problem) string {
	if target == RecipientName {
		switch p {
		case issuance.Missing:
			return "is required when the recipient is an email address: the recipient’s name"
		case issuance.TooLong:
			return fmt.Sprintf("must be at most %d characters", issuance.MaxRecipientName)
		}
		return "must be one line of printable characters"
	}
	switch p {
	case issuance.Missing:
		return "is required: the recipient’s email address or DID"
	case issuance.TooLong:
		return fmt.Sprintf("is too long: an email address has at most %d characters, a DID at most %d", issuance.MaxEmail, issuance.MaxDID)
	}
	return "must be an email address (like ada@example.org) or a DID (like did:web:example.org)"
}
