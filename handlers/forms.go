package handlers

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/internal/text"
)

// formText is every free-text field a page form reads, with the rule of
// internal/text its value must pass: a single line unless MultiLine (the
// textareas), and Name for the names shown to others (organizations,
// people, recipients, categories, achievements). Fields whose name begins
// with a prefix of formTextPrefixes are the values of schema fields
// (issue form, template defaults).
//
// Each form that reads one of these calls checkForm, which puts what is
// wrong next to the field (422); the page middleware leaves these fields to
// the forms (FormField) and refuses the same characters in any other field
// of a request up front (400 naming the field), so that no field is left
// unchecked.
var formText = map[string]text.Rule{
	"name": text.Name, "admin_name": text.Name, "recipient_name": text.Name, "category": text.Name, "achievement_name": text.Name,
	"description": text.MultiLine, "display_description": text.MultiLine, "display_criteria": text.MultiLine,
	"achievement_description": text.MultiLine, "achievement_criteria": text.MultiLine, "reason": text.MultiLine,
	"slug": text.SingleLine, "domain": text.SingleLine, "website": text.SingleLine, "metadata_uri": text.SingleLine,
	"contact_email": text.SingleLine, "email": text.SingleLine, "recipient_address": text.SingleLine,
	"expires": text.SingleLine, "date": text.SingleLine, "version": text.SingleLine, "validity_days": text.SingleLine,
	"url": text.SingleLine, "since": text.SingleLine,
	// The approval settings: a rule's name and the workflow form's numbers
	// (its name is "name"), the delegation's dates.
	"rule_name": text.SingleLine, "required": text.SingleLine, "auto_approve": text.SingleLine,
	"escalation_timeout": text.SingleLine, "bulk_sample": text.SingleLine, "starts_at": text.SingleLine, "ends_at": text.SingleLine,
	"display_title": text.SingleLine, "display_image_url": text.SingleLine, "achievement_image_url": text.SingleLine,
	// The bulk form's pasted rows and file: bulk.Parse checks them as a CSV
	// file, naming the row and column of a control character, and the
	// upload checks the file's name (kept with the batch).
	"text": text.MultiLine, "file": text.SingleLine,
}

var formTextPrefixes = map[string]text.Rule{dataPrefix: text.MultiLine, "default_": text.MultiLine,
	// The workflow step editor's fields: step_0_name, step_0_required…
	"step_": text.SingleLine}

// formRule is the rule of a form field, and whether a form checks it.
func formRule(field string) (text.Rule, bool) {
	if r, ok := formText[field]; ok {
		return r, true
	}
	for p, r := range formTextPrefixes {
		if strings.HasPrefix(field, p) {
			return r, true
		}
	}
	return text.MultiLine, false
}

// FormField reports whether the forms check field themselves (checkForm),
// so that the page middleware leaves it to them.
func FormField(field string) bool {
	_, ok := formRule(field)
	return ok
}

// checkForm checks every field the request posted, urlencoded or
// multipart, against its rule (formText; a field no form knows may be
// several lines), and puts what is wrong under the field's name in errs,
// replacing what the form found: a control or invisible character is
// the problem to fix first. Each form calls it before it decides.
func checkForm(c *fiber.Ctx, errs map[string]string) {
	check := func(k, v string) {
		rule, _ := formRule(k)
		if err := text.Check(v, rule); err != nil {
			errs[k] = "This field " + err.Error() + "."
		}
	}
	ct := c.Request().Header.ContentType()
	switch {
	case bytes.HasPrefix(ct, []byte(fiber.MIMEApplicationForm)):
		c.Request().PostArgs().VisitAll(func(k, v []byte) { check(string(k), string(v)) })
	case bytes.HasPrefix(ct, []byte(fiber.MIMEMultipartForm)):
		if mf, err := c.MultipartForm(); err == nil {
			for k, vs := range mf.Value {
				for _, v := range vs {
					check(k, v)
				}
			}
		}
	}
}

// Checks shared by the forms that ask for a person's name or a new
// password (setup, registration, invitations, password reset and change),
// so that every one of them refuses the same things with the same words.

// checkPersonName puts what is wrong with a person's name, if anything,
// under field.
func checkPersonName(errs map[string]string, field, name string) {
	switch {
	case name == "":
		errs[field] = "Enter your name."
	case utf8.RuneCountInString(name) > 200:
		errs[field] = "Use at most 200 characters."
	case !printable(name):
		errs[field] = "Use letters, digits, spaces and punctuation only."
	}
}

// checkNewPassword puts what is wrong with a new password (the policy of
// internal/password, for this email) under "password", or a confirmation
// that differs under "confirm".
func checkNewPassword(errs map[string]string, pw, confirm, email string) {
	if err := password.Validate(pw, email); err != nil {
		errs["password"] = "Password " + err.Error() + "."
	} else if pw != confirm {
		errs["confirm"] = "The two passwords differ."
	}
}

// printable reports whether s is a name of one line: valid UTF-8, without
// control or invisible formatting characters (text.Name).
func printable(s string) bool {
	return text.Check(s, text.Name) == nil
}
