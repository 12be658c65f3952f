package store

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
	"gorm.io/gorm/schema"

	"github.com/trustcred/trustcred/internal/text"
)

// The validator (go-playground/validator) is the mirror of the migrations'
// CHECK constraints, and only that: the `validate` tags on the models say in
// Go what the database will refuse, so that a bad row is refused with the
// column named before the INSERT instead of as a driver error (tests hold the
// tags to the CHECKs on both dialects: TestValidateAgreesWithDatabase,
// TestValidateOneofMatchesMigrations). Forms do not use it, by decision: a
// form field is not a column (a date becomes an expiry timestamp, a blank
// input becomes NULL, a schema's fields become one JSON document), and
// the forms word each refusal for their page (handlers/forms.go, with
// internal/text's rules, which the `line`, `text` and `name` tags share).
// A rule a form adds beyond the CHECKs belongs to the form; a CHECK added to
// a migration gets its tag here. Asking whether a value fits a column is
// the one other use (internal/bulk's recipient check borrows the tag of
// credentials.recipient_address).

// FieldErrors maps a column name to what is wrong with its value, in plain English
// ("is required", "must be one of: …"), for a form to show next to each field.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	cols := make([]string, 0, len(e))
	for c := range e {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " " + e[c]
	}
	return strings.Join(parts, "; ")
}

// Validate checks a model's `validate` tags: the fields a form binds to, kept at least as
// strict as the migrations' CHECK constraints. Values are judged as Save would write them:
// fields with a database default (status, role…) must be set first, and an optional
// (pointer) field is skipped only when nil, so a form should turn a blank input into nil.
// Associations are not validated with the row. The error wraps FieldErrors:
//
//	var fe store.FieldErrors
//	if errors.As(err, &fe) { … fe["slug"] … }
func Validate(v any) error {
	err := validate().Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		if err != nil {
			return fmt.Errorf("store: validate: %w", err)
		}
		return nil
	}
	fe := FieldErrors{}
	for _, e := range verrs {
		col, _, _ := strings.Cut(e.Field(), "[")
		if _, seen := fe[col]; !seen {
			fe[col] = message(e)
		}
	}
	return fmt.Errorf("store: invalid %s: %w", reflect.Indirect(reflect.ValueOf(v)).Type().Name(), fe)
}

// validate is the one validator, built on first use: it caches each struct's parsed tags.
var validate = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(column)
	for tag, fn := range formats {
		if err := v.RegisterValidation(tag, fn); err != nil {
			panic(err)
		}
	}
	v.RegisterStructValidation(credentialRules, Credential{})
	return v
})

// column names a field in errors: its GORM column, else its JSON name.
func column(f reflect.StructField) string {
	if c := schema.ParseTagSetting(f.Tag.Get("gorm"), ";")["COLUMN"]; c != "" {
		return c
	}
	if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
		return n
	}
	return schema.NamingStrategy{}.ColumnName("", f.Name)
}

var (
	slugRE   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)                                                           // organizations.slug CHECK
	colourRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)                                                                  // organization_branding.*_color CHECK
	phoneRE  = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)                                                               // sms_deliveries.phone_number CHECK (E.164)
	blobRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9/_.-]{0,200}$`)                                                      // blob.ValidKey's pattern; organizations.logo_key CHECK is <> ''
	didRE    = regexp.MustCompile(`^did:[a-z0-9]+:([A-Za-z0-9._:-]|%[0-9A-Fa-f]{2})*([A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$`) // W3C DID syntax
)

// formats are the validation tags TrustCred adds to the validator's own.
var formats = map[string]validator.Func{
	"slug":    matches(slugRE),
	"hexrgb":  matches(colourRE),
	"phone":   matches(phoneRE),
	"did":     matches(didRE),
	"blobkey": matches(blobRE),
	"httpurl": urlWithScheme("http", "https"),
	"ldapurl": urlWithScheme("ldap", "ldaps"),
	// internal/text's rules, which every form and the API apply too: a
	// line, a text of several lines, a name shown to others.
	"line": textRule(text.SingleLine),
	"text": textRule(text.MultiLine),
	"name": textRule(text.Name),
}

func textRule(r text.Rule) validator.Func {
	return func(fl validator.FieldLevel) bool { return text.Check(fl.Field().String(), r) == nil }
}

func matches(re *regexp.Regexp) validator.Func {
	return func(fl validator.FieldLevel) bool { return re.MatchString(fl.Field().String()) }
}

// urlWithScheme accepts an absolute URL with a host whose scheme, written in lower case as
// the CHECK constraints require, is one of schemes.
func urlWithScheme(schemes ...string) validator.Func {
	return func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return false
		}
		for _, sc := range schemes {
			if strings.HasPrefix(s, sc+"://") {
				return true
			}
		}
		return false
	}
}

// credentialRules mirrors the credentials CHECK (status <> 'revoked' OR revoked_at IS NOT NULL).
func credentialRules(sl validator.StructLevel) {
	c := sl.Current().Interface().(Credential)
	if c.Status == CredentialRevoked && c.RevokedAt == nil {
		sl.ReportError(c.RevokedAt, "revoked_at", "RevokedAt", "revoked_at", "")
	}
}

// message says in plain English what is wrong with one field.
func message(e validator.FieldError) string {
	each := strings.Contains(e.Field(), "[") // an element of a list column
	switch e.Tag() {
	case "required":
		return "is required"
	case "oneof":
		values := strings.ReplaceAll(e.Param(), " ", ", ")
		if each {
			return "may only contain: " + values
		}
		return "must be one of: " + values
	case "min", "max":
		bound := map[string]string{"min": "at least", "max": "at most"}[e.Tag()]
		switch e.Kind() {
		case reflect.String:
			return fmt.Sprintf("must be %s %s characters long", bound, e.Param())
		case reflect.Slice, reflect.Map:
			return fmt.Sprintf("must have %s %s items", bound, e.Param())
		}
		return fmt.Sprintf("must be %s %s", bound, e.Param())
	case "email":
		return "must be an email address"
	case "email|did":
		return "must be an email address or a DID"
	case "did":
		return "must be a DID, like did:web:example.com"
	case "slug":
		return "must be lower-case letters and digits separated by single hyphens, like example-university"
	case "hexrgb":
		return "must be a colour like #1a2b3c"
	case "phone":
		return "must be a phone number in international format, like +14155550123"
	case "url":
		return "must be a URL"
	case "blobkey":
		return "must be a storage key of lower-case letters, digits and / _ . -"
	case "httpurl":
		return "must be an http:// or https:// URL"
	case "ldapurl":
		return "must be an ldap:// or ldaps:// URL"
	case "fqdn":
		return "must be a domain name, like example.edu"
	case "revoked_at":
		return "is required when the status is revoked"
	case "line":
		return "must be one line of text without control characters"
	case "text":
		return "must be text without control characters"
	case "name":
		return "must be one line without control or invisible formatting characters"
	}
	return "is not valid"
}
