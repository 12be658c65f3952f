package verify

import (
	"context"
	"fmt"
)

// PresentationOptions are what the verifier expects of a presentation's
// proof.
type PresentationOptions struct {
	Challenge     string // required in the proof when set
	Domain        string // required in the proof when set
	AllowUnsigned bool   // accept a presentation without proof
}

// PresentationResult is the outcome of verifying a presentation: its own
// checks and each embedded credential's result.
type PresentationResult struct {
	Verified bool `json:"verified"`
	// Unavailable: nothing checked says no, but something could not be
	// checked right now (the presentation's key, or a credential whose
	// verdict is Unavailable).
	Unavailable bool      `json:"unavailable,omitempty"`
	Checks      []Check   `json:"checks"`
	Credentials []*Result `json:"credentials"`
	Holder      string    `json:"holder,omitempty"`
}

// Cause is the error behind the first check that could not be made, the
// presentation's or a credential's (for the log).
func (r *PresentationResult) Cause() error {
	for _, c := range r.Checks {
		if c.Unknown && c.cause != nil {
			return c.cause
		}
	}
	for _, cr := range r.Credentials {
		if err := cr.Cause(); err != nil {
			return err
		}
	}
	return nil
}

// Errors are the details of the presentation's failed checks and of its
// credentials'.
func (r *PresentationResult) Errors() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.Passed && !c.Skipped {
			out = append(out, c.Detail)
		}
	}
	for i, cr := range r.Credentials {
		for _, e := range cr.Errors() {
			out = append(out, fmt.Sprintf("credential %d: %s", i+1, e))
		}
	}
	return out
}

// Presentation verifies a Verifiable Presentation: its structure, its
// proof (purpose authentication, signed by the holder, with the expected
// challenge and domain) unless unsigned presentations are allowed, and
// every credential in it.
func (v *Verifier) Presentation(ctx context.Context, doc map[string]any, opts PresentationOptions) *PresentationResult {
	r := &PresentationResult{}
	holder := issuerID(doc["holder"])
	r.Holder = holder
	ctxs, _ := doc["@context"].([]any)
	if len(ctxs) == 0 || ctxs[0] != "https://www.w3.org/ns/credentials/v2" || !hasType(doc["type"], "VerifiablePresentation") {
		r.Checks = append(r.Checks, Check{Name: CheckFormat, Detail: "Not a W3C Verifiable Presentation 2.0 (first @context the credentials v2 context, type VerifiablePresentation)."})
		return r
	}
	r.Checks = append(r.Checks, Check{Name: CheckFormat, Passed: true, Detail: "A W3C Verifiable Presentation (data model 2.0)."})
	_, signed := doc["proof"]
	switch {
	case !signed && opts.AllowUnsigned:
		r.Checks = append(r.Checks, Check{Name: CheckSignature, Passed: true, Skipped: true, Detail: "The presentation is not signed, which was allowed."})
	case !signed:
		r.Checks = append(r.Checks, Check{Name: CheckSignature, Detail: "The presentation is not signed: it has no proof."})
	default:
		p, _ := doc["proof"].(map[string]any)
		var problems []string
		if opts.Challenge != "" && (p == nil || p["challenge"] != opts.Challenge) {
			problems = append(problems, "its challenge is not the one expected")
		}
		if opts.Domain != "" && (p == nil || p["domain"] != opts.Domain) {
			problems = append(problems, "its domain is not the one expected")
		}
		sig, iss := v.proof(ctx, doc, holder, "authentication")
		if holder == "" && sig.Passed {
			// No holder named: the proof only shows who presented.
			iss = Check{Name: CheckIssuer, Passed: true, Skipped: true, Detail: "The presentation names no holder."}
		}
		if len(problems) > 0 {
			sig.Passed, sig.Unknown = false, false
			sig.Detail = "The presentation's proof was not made for this request: " + joinAnd(problems) + "."
		}
		sig.Name, iss.Name = CheckSignature, "holder"
		r.Checks = append(r.Checks, sig, iss)
	}
	var creds []any
	switch c := doc["verifiableCredential"].(type) {
	case map[string]any:
		creds = []any{c}
	case []any:
		creds = c
	}
	if len(creds) > MaxPresentationCredentials {
		// Each may mean fetches from the servers it names.
		r.Checks = append(r.Checks, Check{Name: CheckFormat, Detail: fmt.Sprintf(
			"The presentation holds %d credentials; at most %d are verified in one request.", len(creds), MaxPresentationCredentials)})
		return r
	}
	for _, c := range creds {
		m, ok := c.(map[string]any)
		if !ok {
			r.Credentials = append(r.Credentials, (&Result{Checks: []Check{{Name: CheckFormat, Detail: "An embedded credential is not a JSON object (enveloped credentials are not supported)."}}}).finish())
			continue
		}
		r.Credentials = append(r.Credentials, v.Credential(ctx, m))
	}
	failed, unknown := false, false
	for _, c := range r.Checks {
		switch {
		case c.Unknown:
			unknown = true
		case !c.Passed:
			failed = true
		}
	}
	for _, c := range r.Credentials {
		switch {
		case c.Verdict == Unavailable:
			unknown = true
		case !c.Verified:
			failed = true
		}
	}
	r.Verified = !failed && !unknown
	r.Unavailable = !failed && unknown
	return r
}

// MaxPresentationCredentials bounds the credentials of one presentation.
const MaxPresentationCredentials = 20

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return s[0] + " and " + joinAnd(s[1:])
}
