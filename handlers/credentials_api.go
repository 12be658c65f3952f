package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
)

// CredentialsAPI serves /api/v1/credentials in the shapes of the W3C
// VC-API (issue, status) plus a list and a read; everything through the
// API key's organization handle.
type CredentialsAPI struct {
	Issuer *issuance.Issuer
}

// Largest request bodies the credential endpoints read.
const (
	MaxIssueBody  = 256 << 10
	maxStatusBody = 16 << 10
)

// APIStatus is a credential's status as the API reports it.
type APIStatus struct {
	Status           store.CredentialStatus `json:"status"` // active, suspended, revoked or expired
	RevokedAt        *time.Time             `json:"revokedAt"`
	RevocationReason *string                `json:"revocationReason"`
}

func apiStatus(c *store.Credential, now time.Time) APIStatus {
	return APIStatus{Status: c.EffectiveStatus(now), RevokedAt: c.RevokedAt, RevocationReason: c.RevocationReason}
}

// APIRecipient is whom a credential was issued to.
type APIRecipient struct {
	Address string  `json:"address"` // email or DID
	Name    *string `json:"name"`
}

// APITemplateRef names the template a credential was issued from.
type APITemplateRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// APICredential is one item of GET /api/v1/credentials.
type APICredential struct {
	ID        string          `json:"id"` // the credential's id: its public URL
	PublicID  string          `json:"publicId"`
	Status    APIStatus       `json:"status"`
	Recipient APIRecipient    `json:"recipient"`
	IssuedAt  *time.Time      `json:"issuedAt"`
	ExpiresAt *time.Time      `json:"expiresAt"`
	Template  *APITemplateRef `json:"template"`
}

// APICredentialList is GET /api/v1/credentials.
type APICredentialList struct {
	Credentials []APICredential `json:"credentials"`
	Next        *string         `json:"next"` // cursor of the next page; null on the last one
}

// APIStatusWaiting answers POST /api/v1/credentials/status (202) when the
// change waits for a second person (four eyes).
type APIStatusWaiting struct {
	CredentialID string `json:"credentialId"`
	Status       string `json:"status"` // "pending"
	RequestID    string `json:"requestId"`
	Action       string `json:"action"` // revoke, suspend
	Message      string `json:"message"`
}

// APIStatusChanged answers POST /api/v1/credentials/status.
type APIStatusChanged struct {
	CredentialID string    `json:"credentialId"`
	Status       APIStatus `json:"status"`
}

func problem(status int, title, detail string) error {
	return &render.Problem{Status: status, Title: title, Detail: detail}
}

// object reads a request body that must be one JSON object, refusing
// duplicate keys (a signer and a reader must not see different values).
func object(c *fiber.Ctx, limit int) (map[string]any, error) {
	body := c.Body()
	if len(body) > limit {
		return nil, problem(fiber.StatusRequestEntityTooLarge, "Request too large",
			fmt.Sprintf("The request body is %d bytes; this endpoint reads at most %d.", len(body), limit))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, problem(fiber.StatusBadRequest, "Malformed JSON", "The request body is empty; send a JSON object.")
	}
	if err := notUTF8(body); err != nil {
		return nil, err
	}
	v, err := vc.ParseJSON(body)
	if err != nil {
		return nil, problem(fiber.StatusBadRequest, "Malformed JSON",
			"The request body is not valid JSON: "+strings.TrimPrefix(err.Error(), vc.ErrJCS.Error()+": ")+".")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, problem(fiber.StatusBadRequest, "Malformed JSON", "The request body must be a JSON object.")
	}
	if err := jsonText(m, true); err != nil {
		return nil, err
	}
	return m, nil
}

// notUTF8 refuses a body written in UTF-16 or UTF-32 (JSON is UTF-8, RFC
// 8259) with a message that says so, rather than as malformed JSON.
func notUTF8(body []byte) error {
	if enc := text.Encoding(body); enc != "" {
		return problem(fiber.StatusBadRequest, "Not UTF-8",
			"The request body is "+enc+" text; send it as UTF-8.")
	}
	return nil
}

// jsonText refuses a JSON document with a control character in any string
// (tab, CR and LF allowed in values), member names included, with 422 and
// the JSON pointer of the string. With names, a member called "name" (the
// recipient's, the issuer's, an achievement's) must be one line without
// invisible formatting characters either (text.Name): names are shown to
// others.
func jsonText(doc any, names bool) error {
	ptr, member, err := text.CheckJSON(doc, func(key string) text.Rule {
		if names && key == "name" {
			return text.Name
		}
		return text.MultiLine
	})
	if err == nil {
		return nil
	}
	where := "The value at " + ptr
	if member {
		where = "A member name of the object at " + ptr
		if ptr == "" {
			where = "A member name of the body"
		}
	}
	return problem(fiber.StatusUnprocessableEntity, "Characters not allowed", where+" "+err.Error()+".")
}

// Issue handles POST /api/v1/credentials/issue (VC-API): {"credential":
// {...}, "options": {"cryptosuite", "templateId"}} → 201
// {"verifiableCredential": {...}}. The credential is filed under the
// template's schema, or the organization's API schema without one.
// Unknown options are ignored.
func (h *CredentialsAPI) Issue(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	req, err := object(c, MaxIssueBody)
	if err != nil {
		return err
	}
	cred, ok := req["credential"].(map[string]any)
	if !ok {
		return problem(fiber.StatusBadRequest, "Malformed request",
			`The body must be {"credential": {...}, "options": {...}} with the credential a JSON object.`)
	}
	opts := map[string]any{}
	switch o := req["options"].(type) {
	case nil:
	case map[string]any:
		opts = o
	default:
		return problem(fiber.StatusBadRequest, "Malformed request", "options must be a JSON object.")
	}
	suite, ok := optString(opts, "cryptosuite")
	if !ok {
		return problem(fiber.StatusUnprocessableEntity, "Unsupported cryptosuite", sentence(issuance.ErrCryptosuite.Error()))
	}
	tplID, ok := optString(opts, "templateId")
	if !ok {
		return problem(fiber.StatusUnprocessableEntity, "Unknown template", "options.templateId must be the id of one of your organization's templates.")
	}
	dr := issuance.DocumentRequest{Credential: cred, Cryptosuite: suite}
	if tplID != "" {
		t, err := cl.Scope.Template(ctx, tplID)
		if errors.Is(err, store.ErrNotFound) {
			return problem(fiber.StatusUnprocessableEntity, "Unknown template", "Your organization has no template with the id "+strconv.Quote(tplID)+".")
		}
		if err != nil {
			return err
		}
		if !t.Active {
			return problem(fiber.StatusUnprocessableEntity, "Inactive template", "The template "+strconv.Quote(t.Name)+" is not active.")
		}
		dr.SchemaID, dr.TemplateID = t.SchemaID, t.ID
		if dr.Cryptosuite == "" {
			dr.Cryptosuite = issuance.Cryptosuite(t)
		}
	} else {
		s, err := cl.Scope.APISchema(ctx)
		if err != nil {
			return err
		}
		dr.SchemaID = s.ID
	}
	out, err := h.Issuer.Submit(ctx, cl.Scope, issuance.Request{Document: &dr}, store.ViaAPI, "", auth.Actor(c))
	if err != nil {
		return issueProblem(err)
	}
	c.Location("/api/v1/credentials/" + out.Credential.PublicID)
	if !out.Signed {
		// Its schema requires approval: stored pending, signed once the
		// reviewers approve it (approval.decided and credential.issued
		// follow).
		return c.Status(fiber.StatusAccepted).JSON(pendingBody(out.Credential))
	}
	return rawJSON(c, fiber.StatusCreated, "verifiableCredential", out.JSON, nil)
}

// optString is an optional string option: ("", true) when absent.
func optString(opts map[string]any, key string) (string, bool) {
	switch v := opts[key].(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(v), true
	}
	return "", false
}

// issueProblem words an issuance error for the client; unexpected errors
// are returned as they are (500, logged).
func issueProblem(err error) error {
	var ce *issuance.CredentialError
	var fe store.FieldErrors
	var rfe issuance.FieldErrors
	switch {
	case errors.As(err, &rfe):
		return problem(fiber.StatusUnprocessableEntity, "Invalid credential", apiRecipientProblem(rfe))
	case errors.Is(err, issuance.ErrIssuer):
		return problem(fiber.StatusUnprocessableEntity, "Wrong issuer",
			sentence(err.Error())+" Leave issuer out or name your organization's DID; an API key issues only for its own organization.")
	case errors.As(err, &ce):
		// not capitalised: it may begin with a property name (validUntil …)
		return problem(fiber.StatusUnprocessableEntity, "Invalid credential", strings.TrimSuffix(ce.Msg, ".")+".")
	case errors.Is(err, issuance.ErrCryptosuite):
		return problem(fiber.StatusUnprocessableEntity, "Unsupported cryptosuite", sentence(err.Error()))
	case errors.Is(err, vc.ErrUndefinedTerm):
		term := strings.TrimPrefix(err.Error(), vc.ErrUndefinedTerm.Error()+": ")
		return problem(fiber.StatusUnprocessableEntity, "Undefined term",
			"The credential uses a term its @context does not define: "+term+
				". JSON-LD processing would drop it, so the signature would not cover it: add a context that defines it, or remove it.")
	case errors.Is(err, vc.ErrUnknownContext):
		return problem(fiber.StatusUnprocessableEntity, "Unknown context",
			unknownContext(err)+": TrustCred only uses the JSON-LD contexts it ships and never fetches others; for credentials: "+
				strings.Join([]string{vc.ContextCredentialsV2, vc.ContextCredentialsExamples, vc.ContextOpenBadgesV3, vc.ContextTrustCred}, ", ")+".")
	case errors.Is(err, vc.ErrTooAmbiguous):
		return problem(fiber.StatusUnprocessableEntity, "Invalid JSON-LD",
			"The credential cannot be canonicalized in reasonable time: too many of its objects without an id are identical and linked to each other. Give them ids.")
	case errors.Is(err, vc.ErrJSONLD):
		return problem(fiber.StatusUnprocessableEntity, "Invalid JSON-LD", "The credential is not valid JSON-LD under its @context.")
	case errors.As(err, &fe):
		if msg, ok := fe["recipient_address"]; ok {
			return problem(fiber.StatusUnprocessableEntity, "Invalid credential",
				"credentialSubject.id (or email) must be the recipient's DID or email address: "+msg+".")
		}
		return problem(fiber.StatusUnprocessableEntity, "Invalid credential", sentence(fe.Error()))
	case errors.Is(err, issuance.ErrOrganizationInactive):
		return problem(fiber.StatusForbidden, "Organization not active", sentence(err.Error()))
	}
	return err
}

// apiRecipientProblem words what issuance.CheckRecipient found for the
// credentialSubject of a client's credential.
func apiRecipientProblem(fe issuance.FieldErrors) string {
	var msgs []string
	switch fe[issuance.FieldRecipientAddress] {
	case "":
	case issuance.TooLong:
		msgs = append(msgs, "credentialSubject.id (or email) is too long: an email address has at most "+
			strconv.Itoa(issuance.MaxEmail)+" characters, a DID at most "+strconv.Itoa(issuance.MaxDID)+".")
	case issuance.NotDID:
		msgs = append(msgs, "credentialSubject.id is not a valid DID (did:method:identifier).")
	default:
		msgs = append(msgs, "credentialSubject.id (or email) must be the recipient's DID or email address.")
	}
	switch fe[issuance.FieldRecipientName] {
	case "":
	case issuance.Missing:
		msgs = append(msgs, "credentialSubject.name is required when the recipient is an email address.")
	case issuance.TooLong:
		msgs = append(msgs, "credentialSubject.name must have at most "+strconv.Itoa(issuance.MaxRecipientName)+" characters.")
	default:
		msgs = append(msgs, "credentialSubject.name must be one line of printable characters.")
	}
	return strings.Join(msgs, " ")
}

// unknownContext says which @context is not supported (err is
// vc.ErrUnknownContext): the start of a sentence.
func unknownContext(err error) string {
	var uc *vc.UnknownContextError
	if errors.As(err, &uc) {
		return fmt.Sprintf("The @context %q is not supported", uc.URL)
	}
	return "The credential's @context names a context that is not supported"
}

// rawJSON answers {"<key>": <raw>, ...extra} keeping the signed document's
// bytes as they were signed and stored.
func rawJSON(c *fiber.Ctx, status int, key string, raw []byte, extra map[string]any) error {
	var buf bytes.Buffer
	buf.WriteString(`{"` + key + `":`)
	buf.Write(raw)
	for k, v := range extra {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.WriteString(`,"` + k + `":`)
		buf.Write(b)
	}
	buf.WriteString("}")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(status).Send(buf.Bytes())
}

// Show handles GET /api/v1/credentials/:publicId: the signed credential and
// its current status. Another organization's credential is 404.
func (h *CredentialsAPI) Show(c *fiber.Ctx) error {
	cl := auth.API(c)
	cr, err := cl.Scope.CredentialByPublicID(c.UserContext(), c.Params("publicId"))
	if errors.Is(err, store.ErrNotFound) || err == nil && len(cr.EncryptedData) == 0 {
		return credentialNotFound()
	}
	if err != nil {
		return err
	}
	switch cr.Status {
	case store.CredentialPending, store.CredentialRejected:
		return c.JSON(pendingBody(cr))
	}
	doc, err := h.Issuer.SignedDocument(cr)
	if err != nil {
		return err
	}
	return rawJSON(c, fiber.StatusOK, "verifiableCredential", doc, map[string]any{"status": apiStatus(cr, time.Now())})
}

// pendingCredential is the API's answer for a credential that is not
// signed: pending (awaiting approval) or rejected by its reviewers.
type pendingCredential struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func pendingBody(cr *store.Credential) pendingCredential {
	msg := "The credential's schema requires approval: it is stored and will be signed once its reviewers approve it."
	if cr.Status == store.CredentialRejected {
		msg = "The credential's reviewers rejected it: it will not be signed."
	}
	return pendingCredential{ID: cr.PublicID, Status: string(cr.Status), Message: msg}
}

func credentialNotFound() error {
	return problem(fiber.StatusNotFound, "Credential not found", "Your organization has no credential with this id.")
}

// List handles GET /api/v1/credentials?status=&limit=&cursor=: the
// organization's credentials newest first, a page at a time.
func (h *CredentialsAPI) List(c *fiber.Ctx) error {
	cl := auth.API(c)
	limit, err := apiLimit(c, store.DefaultAPIPage, store.MaxAPIPage)
	if err != nil {
		return err
	}
	status := store.CredentialStatus(c.Query("status"))
	switch status {
	case "", store.CredentialActive, store.CredentialSuspended, store.CredentialRevoked, store.CredentialExpired:
	default:
		return problem(fiber.StatusBadRequest, "Invalid status", "status must be active, suspended, revoked or expired.")
	}
	page, err := cl.Scope.APICredentials(c.UserContext(), status, c.Query("cursor"), limit)
	if errors.Is(err, store.ErrBadCursor) {
		return badCursor()
	}
	if err != nil {
		return err
	}
	now := time.Now()
	out := APICredentialList{Credentials: make([]APICredential, 0, len(page.Credentials))}
	for i := range page.Credentials {
		cr := &page.Credentials[i]
		item := APICredential{
			ID: h.Issuer.CredentialURL(cr.PublicID), PublicID: cr.PublicID, Status: apiStatus(cr, now),
			Recipient: APIRecipient{Address: cr.RecipientAddress, Name: cr.RecipientName},
			IssuedAt:  cr.IssuedAt, ExpiresAt: cr.ExpiresAt,
		}
		if cr.Template != nil {
			item.Template = &APITemplateRef{ID: cr.Template.ID, Name: cr.Template.Name}
		}
		out.Credentials = append(out.Credentials, item)
	}
	if page.Next != "" {
		out.Next = &page.Next
	}
	return c.JSON(out)
}

// SetStatus handles POST /api/v1/credentials/status (VC-API
// updateCredentialStatus): {"credentialId", "credentialStatus": {"type":
// "BitstringStatusListEntry", "statusPurpose": "revocation"|"suspension"},
// "status": true|false, "reason"?}. Revocation is permanent: status false
// for revocation is refused.
func (h *CredentialsAPI) SetStatus(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	req, err := object(c, maxStatusBody)
	if err != nil {
		return err
	}
	invalid := func(detail string) error {
		return problem(fiber.StatusUnprocessableEntity, "Invalid status request", detail)
	}
	id, _ := req["credentialId"].(string)
	if strings.TrimSpace(id) == "" {
		return invalid("credentialId is required: the credential's id (its URL) or its public id.")
	}
	cs, _ := req["credentialStatus"].(map[string]any)
	if cs == nil || cs["type"] != "BitstringStatusListEntry" {
		return invalid(`credentialStatus must be {"type": "BitstringStatusListEntry", "statusPurpose": "revocation" or "suspension"}.`)
	}
	set, ok := req["status"].(bool)
	if !ok {
		return invalid("status is required: true to set the status, false to clear it.")
	}
	reason := ""
	switch r := req["reason"].(type) {
	case nil:
	case string:
		reason = strings.TrimSpace(r)
	default:
		return invalid("reason must be a string.")
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return invalid("reason must be at most 1000 characters.")
	}
	var action store.StatusAction
	switch purpose := cs["statusPurpose"]; {
	case purpose == "revocation" && set:
		action = store.ActionRevoke
		if reason == "" {
			reason = "Revoked through the API"
		}
	case purpose == "revocation":
		return invalid("Revocation is permanent: a revoked credential cannot be reinstated. Use suspension for a status that can be cleared.")
	case purpose == "suspension" && set:
		action = store.ActionSuspend
	case purpose == "suspension":
		action = store.ActionUnsuspend
	default:
		return invalid(`credentialStatus.statusPurpose must be "revocation" or "suspension".`)
	}
	publicID := strings.TrimPrefix(strings.TrimSpace(id), h.Issuer.CredentialURL(""))
	if publicID == "" || strings.ContainsAny(publicID, "/:?#") {
		return credentialNotFound()
	}
	cr, err := cl.Scope.CredentialByPublicID(ctx, publicID)
	if errors.Is(err, store.ErrNotFound) {
		return credentialNotFound()
	}
	if err != nil {
		return err
	}
	out, err := h.Issuer.RequestStatusChange(ctx, cl.Scope, cr.ID, action, reason, store.ViaAPI, auth.Actor(c))
	switch {
	case errors.Is(err, store.ErrStatusChange):
		return problem(fiber.StatusConflict, "Status change refused", sentence(strings.TrimPrefix(err.Error(), store.ErrStatusChange.Error()+": ")))
	case errors.Is(err, store.ErrStatusChangeWaiting):
		return problem(fiber.StatusConflict, "Status change refused", "A revocation or suspension of this credential already waits for approval.")
	case err != nil:
		return err
	}
	if out.Waiting != nil {
		// Four eyes: a person of the organization approves it in the inbox.
		return c.Status(fiber.StatusAccepted).JSON(APIStatusWaiting{CredentialID: h.Issuer.CredentialURL(cr.PublicID),
			Status: "pending", RequestID: out.Waiting.ID, Action: string(action),
			Message: "The organization requires a second person to approve this change: it takes effect once an administrator or reviewer approves it."})
	}
	return c.JSON(APIStatusChanged{CredentialID: h.Issuer.CredentialURL(out.Credential.PublicID), Status: apiStatus(out.Credential, time.Now())})
}
