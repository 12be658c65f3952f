package handlers

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
)

// apiProblem is one entry of a VC-API verification's errors.
type apiProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// apiVerification is the VC-API verification response, with TrustCred's
// per-check results and verdict beside the standard fields.
type apiVerification struct {
	Verified bool           `json:"verified"`
	Verdict  string         `json:"verdict,omitempty"`
	Checks   []string       `json:"checks"`
	Warnings []apiProblem   `json:"warnings"`
	Errors   []apiProblem   `json:"errors"`
	Results  []verify.Check `json:"results,omitempty"`
}

type apiPresentationVerification struct {
	apiVerification
	CredentialResults []apiVerification `json:"credentialResults"`
}

func apiResult(checks []verify.Check, verified bool, verdict string) apiVerification {
	out := apiVerification{Verified: verified, Verdict: verdict, Checks: []string{}, Warnings: []apiProblem{}, Errors: []apiProblem{}, Results: checks}
	for _, c := range checks {
		switch {
		case c.Skipped:
		case c.Passed:
			out.Checks = append(out.Checks, c.Name)
		default:
			out.Errors = append(out.Errors, apiProblem{Type: "https://trustcred.org/problems/verification/" + c.Name,
				Title: checkTitles[c.Name] + " failed", Detail: c.Detail})
		}
	}
	return out
}

// readBody decodes a JSON API request body (at most 1 MB, duplicate keys
// refused) as an object.
func readBody(c *fiber.Ctx) (map[string]any, error) {
	body := c.Body()
	if len(body) > maxDocument {
		return nil, &render.Problem{Status: fiber.StatusRequestEntityTooLarge, Title: "Request too large", Detail: "The request body is larger than 1 MB."}
	}
	if err := notUTF8(body); err != nil {
		return nil, err
	}
	v, err := vc.ParseJSON(body)
	if err != nil {
		return nil, &render.Problem{Status: fiber.StatusBadRequest, Title: "Malformed JSON", Detail: "The request body is not valid JSON."}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &render.Problem{Status: fiber.StatusBadRequest, Title: "Malformed request", Detail: "The request body must be a JSON object."}
	}
	if verify.CheckComplexity(m) != nil {
		return nil, &render.Problem{Status: fiber.StatusUnprocessableEntity, Title: "Too complex",
			Detail: fmt.Sprintf("The document has more than %d objects and arrays or is nested deeper than %d; it is not verified.", verify.MaxNodes, verify.MaxDepth)}
	}
	if err := jsonText(m, false); err != nil {
		return nil, err
	}
	return m, nil
}

// apiMethod is how an API call was made: mobile_app when its options say
// {"client": "mobile_app"}, api otherwise.
func apiMethod(opts map[string]any) store.VerificationMethod {
	if opts["client"] == string(store.VerifiedByMobileApp) {
		return store.VerifiedByMobileApp
	}
	return store.VerifiedByAPI
}

// errCheckUnavailable answers a verification that could not be completed
// (verify.Unavailable): 503 with Retry-After (the error handler sets it),
// never a verdict, never the cause.
var errCheckUnavailable = &render.Problem{Status: fiber.StatusServiceUnavailable, Title: "Verification unavailable",
	Detail: "The check could not be completed right now: something it needs could not be reached. This says nothing about the document; try again in a moment."}

// retryAfter is the Retry-After, in seconds, of a verification that could
// not be completed (the same as the error handler's).
const retryAfter = "10"

// APICredential handles POST /api/v1/credentials/verify (VC-API): 200
// with verified true, 400 with verified false and the failed checks as
// errors, or 503 Problem Details when a check could not be made right now.
// Unknown option keys are ignored.
func (h *Verification) APICredential(c *fiber.Ctx) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	doc, ok := body["verifiableCredential"].(map[string]any)
	if !ok {
		return &render.Problem{Status: fiber.StatusUnprocessableEntity, Title: "Missing credential",
			Detail: "The request must have a verifiableCredential object."}
	}
	opts, _ := body["options"].(map[string]any)
	r := h.Svc.Document(c.UserContext(), doc, h.visit(c, apiMethod(opts)))
	if r.Verdict == verify.Unavailable {
		return errCheckUnavailable
	}
	status := fiber.StatusOK
	if !r.Verified {
		status = fiber.StatusBadRequest
	}
	return c.Status(status).JSON(apiResult(r.Checks, r.Verified, r.Verdict))
}

// APIPresentation handles POST /api/v1/presentations/verify (VC-API):
// options.challenge and options.domain must match the proof's; an
// unsigned presentation is accepted only with options.allowUnsigned.
func (h *Verification) APIPresentation(c *fiber.Ctx) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	doc, ok := body["verifiablePresentation"].(map[string]any)
	if !ok {
		return &render.Problem{Status: fiber.StatusUnprocessableEntity, Title: "Missing presentation",
			Detail: "The request must have a verifiablePresentation object."}
	}
	opts, _ := body["options"].(map[string]any)
	po := verify.PresentationOptions{}
	po.Challenge, _ = opts["challenge"].(string)
	po.Domain, _ = opts["domain"].(string)
	po.AllowUnsigned, _ = opts["allowUnsigned"].(bool)
	r := h.Svc.Presentation(c.UserContext(), doc, po, h.visit(c, apiMethod(opts)))
	if r.Unavailable {
		return errCheckUnavailable
	}
	out := apiPresentationVerification{apiVerification: apiResult(r.Checks, r.Verified, ""), CredentialResults: []apiVerification{}}
	for _, cr := range r.Credentials {
		out.CredentialResults = append(out.CredentialResults, apiResult(cr.Checks, cr.Verified, cr.Verdict))
		if !cr.Verified {
			out.Errors = append(out.Errors, apiProblem{Type: "https://trustcred.org/problems/verification/credential",
				Title: "A credential in the presentation did not verify", Detail: joinErrors(cr.Errors())})
		}
	}
	status := fiber.StatusOK
	if !r.Verified {
		status = fiber.StatusBadRequest
	}
	return c.Status(status).JSON(out)
}

func joinErrors(errs []string) string {
	out := ""
	for i, e := range errs {
		if i > 0 {
			out += " "
		}
		out += e
	}
	return out
}
