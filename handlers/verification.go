package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/accept"
	"github.com/trustcred/trustcred/internal/design"
	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/qrcode"
	textrules "github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	view "github.com/trustcred/trustcred/views/verification"
)

// Verification serves the public verification pages and API: a
// credential's page behind its QR code, the upload form, and the VC-API
// verify endpoints. None of them needs an account or sets a cookie.
type Verification struct {
	Svc     *verify.Service // also keeps the pages made (Svc.Pages)
	Auth    *auth.Manager
	BaseURL string
	// AllowCustomJS: the pages link their issuer's own script (TRUSTCRED_ALLOW_CUSTOM_JS).
	AllowCustomJS bool

	// Pages served from the cache while stamps could not be read, and the
	// second that was last logged (at most one line a second).
	staleServed, staleLogged atomic.Int64
}

// maxDocument bounds a credential or presentation brought for checking.
const maxDocument = 1 << 20

// publicIDRE is the shape of a public id (issuance.NewPublicID).
var publicIDRE = regexp.MustCompile(`^[a-z2-7]{26}$`)

func (h *Verification) base() string { return strings.TrimRight(h.BaseURL, "/") }

func (h *Verification) visit(c *fiber.Ctx, method store.VerificationMethod) verify.Visit {
	// Copies: Fiber's strings point into the request buffer, which is reused
	// after the handler returns, and the log is written later.
	return verify.Visit{Method: method, IP: strings.Clone(c.IP()), UserAgent: strings.Clone(c.Get(fiber.HeaderUserAgent)),
		UserID: h.Auth.Viewer(c)}
}

// Page renders GET /v/:id, the credential's public page. ?via=qr (the QR
// code's link) logs the view as a QR scan.
func (h *Verification) Page(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id")) // a cache key: must outlive the request buffer
	if !publicIDRE.MatchString(id) {
		return store.ErrNotFound
	}
	method := store.VerifiedByWebInterface
	if c.Query("via") == "qr" {
		method = store.VerifiedByQRCode
	}
	visit := h.visit(c, method)
	// The page made for a custom domain links sign-in and /verify on TrustCred's
	// host; the one for TrustCred's host links them relative: cached apart.
	key := id
	if render.OnCustomDomain(c) {
		key = id + "@domain"
	}
	stamp, err := h.Svc.Stamp(c.UserContext(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		// The database cannot say whether the cached page still holds: a
		// page already made keeps being served with its verdict (a
		// revocation made before the outage had bumped its stamp, so it
		// is not among them); one never made cannot be.
		e, ok := h.Svc.Pages.Last(key, h.Svc.Now())
		if !ok {
			return err
		}
		h.noteStale(c, err)
		h.Svc.LogPage(e, visit)
		return h.send(c, e)
	}
	switch store.CredentialStatus(stamp.Status) {
	case store.CredentialPending:
		return h.awaiting(c, id)
	case store.CredentialRejected, store.CredentialDraft:
		return store.ErrNotFound // never signed: nothing to verify
	}
	e, hit := h.Svc.Pages.Get(key, stamp, h.Svc.Now())
	if hit {
		h.Svc.LogPage(e, visit)
	} else {
		v, err := h.Svc.CredentialAt(c.UserContext(), id, stamp, visit)
		if err != nil {
			return err
		}
		if e, err = h.page(c, v); err != nil {
			return err
		}
		from, until := verify.Window(v.Document)
		h.Svc.Pages.Put(key, stamp, e, from, until)
	}
	return h.send(c, e)
}

// awaiting renders the page of a credential that waits for its
// approvals: who will issue it, none of its data.
func (h *Verification) awaiting(c *fiber.Ctx, id string) error {
	cred, err := h.Svc.DB.PublicCredential(c.UserContext(), id)
	if err != nil {
		return err
	}
	if cred.Issuer == nil {
		return store.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	render.SetTitle(c, "Awaiting approval")
	return render.Page(c, fiber.StatusOK, view.AwaitingPage(view.Awaiting{IssuerName: cred.Issuer.Name}))
}

// noteStale logs that cached pages are being served without their stamp:
// once a second at most, with how many were since, so that an outage under
// load does not write a line per request.
func (h *Verification) noteStale(c *fiber.Ctx, err error) {
	h.staleServed.Add(1)
	now, last := time.Now().Unix(), h.staleLogged.Load()
	if now != last && h.staleLogged.CompareAndSwap(last, now) {
		h.Svc.Logger().WarnContext(c.UserContext(), "credential stamps unreadable; serving cached pages",
			"pages", h.staleServed.Swap(0), "err", err)
	}
}

// send writes a cached page: as it is to clients that accept gzip,
// inflated for the others (which the compress middleware may then encode
// in another coding they accept; never gzip twice).
func (h *Verification) send(c *fiber.Ctx, e *verify.Page) error {
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Vary(fiber.HeaderAcceptEncoding)
	if accept.Encoding(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(e.HTML)
	}
	zr, err := gzip.NewReader(bytes.NewReader(e.HTML))
	if err != nil {
		return err
	}
	html, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return c.Send(html)
}

func (h *Verification) page(c *fiber.Ctx, v *verify.Viewed) (*verify.Page, error) {
	m := h.credentialModel(v)
	look, err := publicLook(c.UserContext(), h.Svc.DB, v.Credential.IssuerID, h.AllowCustomJS)
	if err != nil {
		return nil, err
	}
	m.BrandScope = look.ScopeClass()
	render.SetBrand(c, look.Brand())
	desc := fmt.Sprintf("Issued by %s. Verification: %s.", m.IssuerName, strings.ToLower(m.Verdict.Headline()))
	if m.RecipientName != "" {
		desc = fmt.Sprintf("Awarded to %s by %s. Verification: %s.", m.RecipientName, m.IssuerName, strings.ToLower(m.Verdict.Headline()))
	}
	meta := []layout.Meta{{Property: "og:type", Content: "website"}, {Property: "og:title", Content: m.Title},
		{Property: "og:description", Content: desc}, {Property: "og:url", Content: m.URL},
		{Property: "og:site_name", Content: "TrustCred"}, {Property: "twitter:card", Content: "summary"}}
	if m.IssuerLogo != "" {
		meta = append(meta, layout.Meta{Property: "og:image", Content: h.base() + m.IssuerLogo})
	}
	render.SetTitle(c, m.Title)
	render.SetMeta(c, meta...)
	html, err := render.FullPage(c, view.CredentialPage(m))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(html); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &verify.Page{HTML: bytes.Clone(buf.Bytes()), Report: verify.Report(v.Result), Verdict: v.Result.Verdict,
		CredentialID: v.Credential.ID, OrganizationID: v.Credential.IssuerID}, nil
}

// JSON serves GET /v/:id/credential.json, the signed credential.
func (h *Verification) JSON(c *fiber.Ctx) error {
	id := c.Params("id")
	if !publicIDRE.MatchString(id) {
		return store.ErrNotFound
	}
	cred, err := h.Svc.DB.PublicCredential(c.UserContext(), id)
	if err != nil {
		return err
	}
	if cred.Issuer == nil || cred.Issuer.Status == store.OrganizationRevoked || !signed(cred) {
		return store.ErrNotFound
	}
	b, err := h.Svc.Issuer.SignedDocument(cred)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vc+ld+json")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="credential-`+id+`.json"`)
	return c.Send(b)
}

// signed reports whether a credential was signed: a pending (awaiting
// approval), rejected or draft one has no signed document to give out.
func signed(c *store.Credential) bool {
	switch c.Status {
	case store.CredentialPending, store.CredentialRejected, store.CredentialDraft:
		return false
	}
	return true
}

// QR serves GET /v/:id/qr.png and /v/:id/qr.svg: the page's link with
// ?via=qr, so that scans are logged as such.
func (h *Verification) QR(c *fiber.Ctx) error {
	id, format := c.Params("id"), c.Params("format")
	if !publicIDRE.MatchString(id) || (format != "png" && format != "svg") {
		return store.ErrNotFound
	}
	if _, err := h.Svc.DB.PublicCredential(c.UserContext(), id); err != nil {
		return err
	}
	link := h.base() + "/v/" + id + "?via=qr"
	var b []byte
	var err error
	if format == "png" {
		b, err = qrcode.PNG(link, 8)
		c.Set(fiber.HeaderContentType, "image/png")
	} else {
		b, err = qrcode.SVG(link)
		c.Set(fiber.HeaderContentType, "image/svg+xml")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if c.Query("download") != "" {
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="credential-`+id+`-qr.`+format+`"`)
	}
	return c.Send(b)
}

var checkTitles = map[string]string{
	verify.CheckFormat:     "Credential format",
	verify.CheckSignature:  "Signature",
	verify.CheckIssuer:     "Issuer's key",
	"holder":               "Holder's key",
	verify.CheckRevocation: "Not revoked",
	verify.CheckSuspension: "Not suspended",
	verify.CheckValidity:   "Validity dates",
	verify.CheckSchema:     "Data matches its schema",
}

func checks(in []verify.Check) []view.Check {
	out := make([]view.Check, 0, len(in))
	for _, c := range in {
		title := checkTitles[c.Name]
		if title == "" {
			title = c.Name
		}
		out = append(out, view.Check{Title: title, Passed: c.Passed, Skipped: c.Skipped, Unknown: c.Unknown, Detail: c.Detail})
	}
	return out
}

func dayOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2 January 2006")
}

func (h *Verification) credentialModel(v *verify.Viewed) view.Credential {
	c, doc := v.Credential, v.Document
	url := h.base() + "/v/" + c.PublicID
	var fields []store.SchemaField
	if c.Schema != nil {
		fields = c.Schema.Fields
	}
	m := view.Credential{
		Human: humanCredential(doc, fields), PublicID: c.PublicID, URL: url, JSONURL: url + "/credential.json",
		QRPNG: "/v/" + c.PublicID + "/qr.png", QRSVG: "/v/" + c.PublicID + "/qr.svg",
		Verdict: view.Verdict(v.Result.Verdict), Checks: checks(v.Result.Checks),
	}
	m.IssuerName, m.IssuerURL, m.IssuerVerified = c.Issuer.Name, "/orgs/"+c.Issuer.Slug, c.Issuer.Verified
	m.IssuedAt, m.ValidUntil = dayOf(c.IssuedAt), dayOf(c.ExpiresAt)
	if c.Issuer.LogoKey != nil {
		m.IssuerLogo = "/orgs/" + c.Issuer.Slug + "/logo"
	}
	m.IssuerDID = v.Result.Issuer
	if c.RecipientName != nil {
		m.RecipientName = *c.RecipientName
	}
	if m.Title == "" && c.Template != nil {
		m.Title = c.Template.Name
	}
	if m.Title == "" {
		m.Title = "Credential"
	}
	m.LinkedInURL = linkedIn(m.Title, c, url)
	m.Approvals = signedApprovals(doc)
	return m
}

// signedApprovals reads the TrustCredApproval evidence of a signed
// document (nil when it has none).
func signedApprovals(doc map[string]any) *view.Approvals {
	list, _ := doc["evidence"].([]any)
	var out view.Approvals
	for _, e := range list {
		m, _ := e.(map[string]any)
		if m == nil || !hasType(m["type"], vc.TypeTrustCredApproval) {
			continue
		}
		name, _ := m["approver"].(string)
		role, _ := m["approverRole"].(string)
		when := ""
		if s, ok := m["approvedAt"].(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				when = t.UTC().Format("2 January 2006, 15:04 UTC")
			}
		}
		out.People = append(out.People, view.Approver{Name: name, Role: role, When: when})
		out.Required = max(out.Required, number(m["requiredApprovals"]))
		out.Eligible = max(out.Eligible, number(m["eligibleApprovers"]))
	}
	if len(out.People) == 0 {
		return nil
	}
	return &out
}

func hasType(v any, t string) bool {
	switch x := v.(type) {
	case string:
		return x == t
	case []any:
		for _, y := range x {
			if y == t {
				return true
			}
		}
	}
	return false
}

// number is a JSON number of a parsed document as an int (0 otherwise).
func number(v any) int {
	switch n := v.(type) {
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}

// linkedIn is LinkedIn's "add a licence or certification" link, filled.
func linkedIn(title string, c *store.Credential, link string) string {
	q := url.Values{}
	q.Set("startTask", "CERTIFICATION_NAME")
	q.Set("name", title)
	q.Set("organizationName", c.Issuer.Name)
	if c.IssuedAt != nil {
		q.Set("issueYear", fmt.Sprint(c.IssuedAt.Year()))
		q.Set("issueMonth", fmt.Sprint(int(c.IssuedAt.Month())))
	}
	if c.ExpiresAt != nil {
		q.Set("expirationYear", fmt.Sprint(c.ExpiresAt.Year()))
		q.Set("expirationMonth", fmt.Sprint(int(c.ExpiresAt.Month())))
	}
	q.Set("certUrl", link)
	q.Set("certId", c.PublicID)
	return "https://www.linkedin.com/profile/add?" + q.Encode()
}

// Form renders GET /verify.
func (h *Verification) Form(c *fiber.Ctx) error {
	render.SetTitle(c, "Verify a credential")
	return render.Page(c, fiber.StatusOK, view.UploadPage(view.Upload{}))
}

var errTooLarge = errors.New("the document is larger than 1 MB")

// Upload handles POST /verify: a pasted or uploaded credential or
// presentation, from any issuer.
func (h *Verification) Upload(c *fiber.Ctx) error {
	render.SetTitle(c, "Verify a credential")
	text := c.FormValue("credential")
	raw := []byte(text)
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > maxDocument {
			return render.Page(c, fiber.StatusRequestEntityTooLarge, view.UploadPage(view.Upload{Error: "The file is larger than 1 MB."}))
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		raw, err = io.ReadAll(io.LimitReader(f, maxDocument+1))
		_ = f.Close()
		if err != nil {
			return err
		}
		text = ""
	}
	shown := text
	if len(shown) > maxDocument {
		shown = ""
	}
	fail := func(status int, msg string) error {
		return render.Page(c, status, view.UploadPage(view.Upload{Text: shown, Error: msg}))
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return fail(fiber.StatusUnprocessableEntity, "Paste a credential's JSON or choose a file.")
	}
	if len(raw) > maxDocument {
		return fail(fiber.StatusRequestEntityTooLarge, "The document is larger than 1 MB.")
	}
	// A certificate PDF carries its signed credential: that is what is
	// verified, and the page's text is compared with it.
	var pdfText *view.PDFText
	if bytes.HasPrefix(raw, []byte("%PDF-")) {
		cert, err := design.Read(raw)
		if err != nil {
			return fail(fiber.StatusUnprocessableEntity, "This PDF carries no credential. TrustCred's certificate PDFs have the signed credential attached: upload the PDF as it was downloaded, or the credential's JSON.")
		}
		tc := cert.CheckText()
		pdfText = &view.PDFText{Matches: tc.Matches, Signed: tc.Signed, Differences: tc.Differences}
		raw, shown = cert.Credential, ""
	}
	doc, err := parseDocument(raw)
	if err != nil {
		return fail(fiber.StatusUnprocessableEntity, err.Error())
	}
	visit := h.visit(c, store.VerifiedByWebInterface)
	var res view.Result
	if isPresentation(doc) {
		pr := h.Svc.Presentation(c.UserContext(), doc, verify.PresentationOptions{AllowUnsigned: true}, visit)
		res = view.Result{Kind: "presentation", Verdict: "invalid", Checks: checks(pr.Checks), Issuer: pr.Holder}
		if pr.Verified {
			res.Verdict = "valid"
		} else if pr.Unavailable {
			res.Verdict = verify.Unavailable
		}
		for _, cr := range pr.Credentials {
			res.Credentials = append(res.Credentials, h.resultModel(c.UserContext(), cr))
		}
	} else {
		res = h.resultModel(c.UserContext(), h.Svc.Document(c.UserContext(), doc, visit))
	}
	res.PDF = pdfText
	status := fiber.StatusOK
	if res.Verdict == verify.Unavailable {
		// The page says so; the status tells caches and scripts to come back.
		status = fiber.StatusServiceUnavailable
		c.Set(fiber.HeaderRetryAfter, retryAfter)
	}
	return render.Page(c, status, view.UploadPage(view.Upload{Text: shown, Result: &res}))
}

func (h *Verification) resultModel(ctx context.Context, r *verify.Result) view.Result {
	out := view.Result{Kind: "credential", Verdict: view.Verdict(r.Verdict), Checks: checks(r.Checks), Issuer: r.Issuer}
	if r.Document == nil {
		return out
	}
	var fields []store.SchemaField
	if pid := h.Svc.Local.PublicID(r.Document); pid != "" {
		out.OurPage = "/v/" + pid
		// Ours: the schema's labels. A lookup that fails only costs the
		// labels (the names are humanized instead).
		if cr, err := h.Svc.DB.PublicCredential(ctx, pid); err == nil && cr.Schema != nil {
			fields = cr.Schema.Fields
		}
	}
	hv := humanCredential(r.Document, fields)
	out.Title, out.Subject = hv.Title, hv.Fields
	subj, _ := r.Document["credentialSubject"].(map[string]any)
	out.RecipientName, _ = subj["name"].(string)
	if id, _ := subj["id"].(string); id != "" {
		out.Subject = append(out.Subject, view.Field{Label: "Recipient's DID", Value: id})
	}
	if iss, ok := r.Document["issuer"].(map[string]any); ok {
		out.IssuerClaimed, _ = iss["name"].(string)
	}
	h.nameIssuer(ctx, r, &out)
	return out
}

// nameIssuer says who the issuer is, when its DID does and the issuer check
// passed (the key is the DID's): one of our organizations by name, or a
// did:web's domain. A DID that says nothing (did:key of no organization
// here) stays unnamed; the name the document gives itself is only shown as
// such.
func (h *Verification) nameIssuer(ctx context.Context, r *verify.Result, out *view.Result) {
	if c, ok := r.Check(verify.CheckIssuer); !ok || !c.Passed || r.Issuer == "" {
		return
	}
	var org *store.Organization
	var err error
	if prefix, perr := did.Web(h.base(), "orgs"); perr == nil && strings.HasPrefix(r.Issuer, prefix+":") {
		org, err = h.Svc.DB.OrganizationBySlug(ctx, strings.TrimPrefix(r.Issuer, prefix+":"))
	} else {
		org, err = h.Svc.DB.OrganizationByDID(ctx, r.Issuer)
	}
	if err == nil && org.Status != store.OrganizationRevoked {
		out.IssuerName, out.IssuerURL, out.IssuerVerified = org.Name, "/orgs/"+org.Slug, org.Verified
		if org.Verified && org.Domain != nil {
			out.IssuerDomain = *org.Domain
		}
		return
	}
	out.IssuerDomain = didWebDomain(r.Issuer)
}

// didWebDomain is the host of a did:web ("did:web:example.com:issuers:1"
// is example.com; a port is percent-encoded), or "".
func didWebDomain(id string) string {
	rest, ok := strings.CutPrefix(id, "did:web:")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, ":")
	if h, err := url.PathUnescape(host); err == nil {
		return h
	}
	return host
}

// parseDocument reads a credential or presentation (or a VC-API body that
// wraps one), with an error worded for the person who brought it.
func parseDocument(raw []byte) (map[string]any, error) {
	if enc := textrules.Encoding(raw); enc != "" {
		return nil, errors.New("This document is " + enc + " text: save it as UTF-8 and try again.")
	}
	v, err := vc.ParseJSON(raw)
	if err != nil {
		return nil, errors.New("This is not valid JSON: " + strings.TrimPrefix(err.Error(), "vc: cannot canonicalize: "))
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("The JSON must be an object: a credential or a presentation.")
	}
	if verify.CheckComplexity(doc) != nil {
		return nil, fmt.Errorf("The document is too complex to verify: at most %d objects and arrays, nested at most %d deep.", verify.MaxNodes, verify.MaxDepth)
	}
	if ptr, member, err := textrules.CheckJSON(doc, func(string) textrules.Rule { return textrules.MultiLine }); err != nil {
		switch {
		case member && ptr == "":
			return nil, errors.New("A member name of the document " + err.Error() + ".")
		case member:
			return nil, errors.New("A member name of the object at " + ptr + " " + err.Error() + ".")
		}
		return nil, errors.New("The value at " + ptr + " " + err.Error() + ".")
	}
	for _, k := range []string{"verifiableCredential", "verifiablePresentation"} {
		if inner, ok := doc[k].(map[string]any); ok && doc["@context"] == nil {
			return inner, nil
		}
	}
	return doc, nil
}

func isPresentation(doc map[string]any) bool {
	switch t := doc["type"].(type) {
	case string:
		return t == "VerifiablePresentation"
	case []any:
		return slices.Contains(t, any("VerifiablePresentation"))
	}
	return false
}
