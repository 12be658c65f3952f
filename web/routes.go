package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/handlers"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/store"
)

// routes lists every route of the application, grouped by the guard it
// needs. A route not listed here does not exist.
func routes(app *fiber.App, d Deps, m *auth.Manager) {
	system := &handlers.System{DB: d.DB, Migrator: d.Migrator, Jobs: d.Jobs, Log: d.Log}
	home := &handlers.Home{DB: d.DB}
	sessions := &handlers.Sessions{DB: d.DB, Auth: m, SetupToken: d.SetupToken}
	account := &handlers.Account{DB: d.DB, Auth: m}
	secondFactor := &handlers.SecondFactor{DB: d.DB, Auth: m, Keys: d.Keys}
	settings := handlers.Settings{}
	brand := handlers.Branding{AllowJS: d.Config.AllowCustomJS, Blobs: d.Blobs}
	members := &handlers.Members{Mailer: d.Mailer, BaseURL: d.Config.BaseURL, Events: d.Jobs, Log: d.Log}
	invitations := &handlers.Invitations{DB: d.DB, Auth: m, Events: d.Jobs}
	reset := &handlers.PasswordReset{DB: d.DB, Mailer: d.Mailer, BaseURL: d.Config.BaseURL, Log: d.Log}
	limited := rateLimit(d.Config.LoginRateLimit)
	api := handlers.API{}
	apiKeys := &handlers.APIKeys{BaseURL: d.Config.BaseURL, Events: d.Jobs}
	auditLog := &handlers.Audit{DB: d.DB}
	profile := &handlers.Profile{DB: d.DB, Blobs: d.Blobs, BaseURL: d.Config.BaseURL, DNSKey: d.Keys.Derive("dns-verification")[0],
		DNS: d.Services.DNS, Log: d.Log}
	dnsLimited := rateLimit(d.Config.LoginRateLimit)
	customDomain := &handlers.CustomDomain{Domains: d.Services.Domains, ACME: d.Config.ACMECA != ""}
	notifications := &handlers.Notifications{SMSAvailable: d.Config.SMSConfigured()}
	registrations := &handlers.Registrations{DB: d.DB, Mailer: d.Mailer, BaseURL: d.Config.BaseURL, Log: d.Log}
	issuers := &handlers.Issuers{DB: d.DB, AllowCustomJS: d.Config.AllowCustomJS}
	brandImages := &handlers.BrandImages{Blobs: d.Blobs}
	brandStyles := &handlers.BrandStyles{DB: d.DB, Blobs: d.Blobs, AllowJS: d.Config.AllowCustomJS}
	issuer := d.Services.Issuer
	orgConsole := &handlers.OrgConsole{DB: d.DB, Issuer: issuer, Events: d.Jobs, Log: d.Log}
	creds := &handlers.Credentials{Issuer: issuer, Emails: d.Jobs, Mailer: d.Mailer, Log: d.Log}
	signingKeys := &handlers.SigningKeys{Issuer: issuer}
	verification := &handlers.Verification{Svc: d.Services.Verify, Auth: m, BaseURL: d.Config.BaseURL, AllowCustomJS: d.Config.AllowCustomJS}
	public := rateLimit(d.Config.PublicRateLimit)
	certificates := &handlers.Certificates{DB: d.DB, Issuer: issuer, Blobs: d.Blobs, BaseURL: d.Config.BaseURL, Log: d.Log}
	certDesigns := &handlers.Designs{Certs: certificates}
	verifications := &handlers.Verifications{}
	schemas := &handlers.Schemas{Issuer: issuer}
	templates := &handlers.Templates{Issuer: issuer, Verify: d.Services.Verify}
	protocol := &handlers.Protocol{DB: d.DB, Issuer: issuer}
	credentialsAPI := &handlers.CredentialsAPI{Issuer: issuer}
	approvalsAPI := &handlers.ApprovalsAPI{Issuer: issuer}
	webhooksAPI := &handlers.WebhooksAPI{Hooks: d.Services.Webhooks, Jobs: d.Jobs}
	eventDocs := handlers.NewEvents()
	smsStatus := &handlers.SMSStatus{DB: d.DB, AuthToken: d.Config.TwilioAuthToken, BaseURL: d.Config.BaseURL, Log: d.Log}
	bulkIssue := &handlers.Bulk{Keys: d.Keys, Jobs: d.Jobs, BaseURL: d.Config.BaseURL, Blobs: d.Blobs, Certs: certificates.Renderer()}
	hooks := &handlers.Webhooks{Svc: d.Services.Webhooks, Jobs: d.Jobs}
	approvals := &handlers.Approvals{Svc: d.Services.Approvals}
	stepUpLimited := refusalLimit(d.Config.LoginRateLimit)
	approvalSettings := &handlers.ApprovalSettings{}
	delegation := &handlers.Delegation{}
	fieldLibrary := &handlers.Fields{}
	market := &handlers.Marketplace{DB: d.DB, Events: d.Jobs, Issuer: issuer}
	marketAPI := &handlers.MarketplaceAPI{DB: d.DB, Events: d.Jobs}
	moderation := &handlers.Moderation{DB: d.DB}

	// Probes, assets and the status panel: no session, no CSRF, and they
	// answer even when the database does not.
	app.Get("/healthz", system.Live)
	app.Get("/readyz", system.Ready)
	app.Get("/static/*", serveStatic)
	app.Get("/status", system.Status)
	// Public images: no session or CSRF cookie, so that caches may keep them.
	app.Get("/orgs/:slug/logo", profile.Logo)
	// An organization's look (and script, when allowed), linked by its public pages
	// only (immutable: the name is its hash).
	app.Get("/brand/:org/:file", brandStyles.Asset)
	app.Get("/brand-assets/:org/:name", brandStyles.BrandAsset)
	// What verifiers fetch (public, cacheable, CORS *; errors are Problem
	// Details): DID documents, status list credentials, the JSON-LD context.
	app.Get("/orgs/:slug/did.json", protocol.DIDDocument)
	app.Get("/.well-known/did.json", protocol.DomainDIDDocument)
	app.Get("/status-lists/:id", protocol.StatusList)
	app.Get("/ns/credentials/v1", protocol.Context)
	// What webhook receivers read: the JSON Schema of every event's body.
	app.Get("/api/v1/events/schemas", eventDocs.Schemas)
	app.Get("/api/v1/events/schemas/:type", eventDocs.Schema)

	// Public verification: anyone, no account, no cookie set, rate-limited
	// per IP.
	app.Get("/v/:id", public, verification.Page)
	app.Get("/v/:id/credential.json", public, verification.JSON)
	app.Get("/v/:id/qr.:format", public, verification.QR)
	app.Get("/v/:id/certificate.pdf", public, certificates.Public)
	// /verify is the same for anyone and sets no cookie, but a signed-in
	// person sees it in the staff shell: the session is read (never
	// started) and the CSRF token the shell's forms need passed on. Posting
	// a document changes nothing but a log line: no CSRF check.
	app.Get("/verify", public, m.Load(), m.CSRFToken(), auth.Chrome(), verification.Form)
	app.Post("/verify", public, m.Load(), m.CSRFToken(), auth.Chrome(), verification.Upload)
	app.Post("/api/v1/credentials/verify", public, verification.APICredential)
	app.Post("/api/v1/presentations/verify", public, verification.APIPresentation)

	// The API: an organization's bearer API key (with the scopes named), no
	// session cookie, no CSRF; errors are Problem Details JSON.
	app.Get("/api/v1/organization", m.APIKey(), api.Organization)
	app.Post("/api/v1/credentials/issue", m.APIKey(store.ScopeCredentialsIssue), credentialsAPI.Issue)
	app.Post("/api/v1/credentials/status", m.APIKey(store.ScopeCredentialsRevoke), credentialsAPI.SetStatus)
	app.Get("/api/v1/credentials", m.APIKey(store.ScopeCredentialsRead), credentialsAPI.List)
	app.Get("/api/v1/credentials/:publicId", m.APIKey(store.ScopeCredentialsRead), credentialsAPI.Show)
	// Approval requests, read-only: a key is not a person, so it cannot decide.
	app.Get("/api/v1/approvals", m.APIKey(store.ScopeCredentialsRead), approvalsAPI.List)
	app.Get("/api/v1/approvals/:id", m.APIKey(store.ScopeCredentialsRead), approvalsAPI.Show)
	app.Get("/api/v1/webhooks", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.List)
	app.Post("/api/v1/webhooks", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Create)
	app.Get("/api/v1/webhooks/:id", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Show)
	app.Patch("/api/v1/webhooks/:id", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Update)
	app.Delete("/api/v1/webhooks/:id", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Delete)
	app.Post("/api/v1/webhooks/:id/rotate", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Rotate)
	app.Post("/api/v1/webhooks/:id/test", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Test)
	app.Get("/api/v1/webhooks/:id/deliveries", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Deliveries)
	app.Post("/api/v1/webhooks/:id/deliveries/redeliver-failed", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.RedeliverFailed)
	app.Get("/api/v1/webhooks/:id/deliveries/:deliveryId", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Delivery)
	app.Post("/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver", m.APIKey(store.ScopeWebhooksManage), webhooksAPI.Redeliver)
	app.Get("/api/v1/marketplace/templates", m.APIKey(), marketAPI.List)
	app.Get("/api/v1/marketplace/templates/:id", m.APIKey(), marketAPI.Show)
	app.Post("/api/v1/marketplace/templates/:id/adopt", m.APIKey(store.ScopeTemplatesWrite), marketAPI.Adopt)

	// Twilio's status callbacks for notification text messages: no
	// session, no CSRF; the X-Twilio-Signature is checked instead.
	app.Post("/sms/twilio/status", smsStatus.Twilio)

	// Everything below sees the session, CSRF and flash middleware.
	app.Use(pageMiddleware(d, m)...)

	// Public: anyone, signed in or not.
	app.Get("/", home.Index)
	app.Get("/setup", sessions.SetupForm)
	app.Post("/setup", limited, sessions.Setup)
	app.Get("/login", sessions.LoginForm)
	app.Post("/login", limited, sessions.Login)
	app.Get("/login/mfa", secondFactor.LoginForm)
	app.Post("/login/mfa", limited, secondFactor.Login)
	app.Post("/logout", sessions.Logout)
	app.Get("/password/forgot", reset.ForgotForm)
	app.Post("/password/forgot", limited, reset.Forgot)
	app.Get("/password/reset/:token", reset.Form)
	app.Post("/password/reset/:token", limited, reset.Reset)
	app.Get("/invitations/:token", invitations.Show)
	app.Post("/invitations/:token", limited, invitations.Accept)
	app.Get("/register", registrations.Form)
	app.Post("/register", limited, registrations.Register)
	app.Get("/register/slug", registrations.Slug)
	app.Get("/confirm-email/:token", registrations.Confirm)
	app.Get("/orgs/:slug", issuers.Show)
	app.Get("/docs/events", eventDocs.Docs)
	// The template marketplace: anyone browses (the staff shell when signed
	// in); using a template copies it into one's organization (schemas.write).
	app.Get("/marketplace", market.Index)
	app.Get("/marketplace/:id", market.Show)
	app.Post("/marketplace/:id/adopt", m.Org(authz.SchemasWrite), market.Adopt)
	// Reviews, Helpful votes and reports of abuse: the staff of the
	// organizations (org.view); who may review is the store's check.
	app.Post("/marketplace/:id/reviews", m.Org(authz.OrgView), market.CreateReview)
	app.Post("/marketplace/:id/reviews/:rid", m.Org(authz.OrgView), market.UpdateReview)
	app.Post("/marketplace/:id/reviews/:rid/helpful", m.Org(authz.OrgView), market.VoteHelpful)
	app.Post("/marketplace/:id/reviews/:rid/report", m.Org(authz.OrgView), market.ReportReview)
	app.Post("/marketplace/:id/report", m.Org(authz.OrgView), market.ReportTemplate)

	// Signed in, any role: one's own account.
	app.Get("/account", m.User(), account.Overview)
	app.Post("/account/phone", m.User(), account.SavePhone)
	app.Get("/account/password", m.User(), account.PasswordForm)
	app.Post("/account/password", m.User(), account.ChangePassword)
	app.Get("/account/sessions", m.User(), account.Sessions)
	app.Post("/account/sessions/revoke-others", m.User(), account.RevokeOtherSessions)
	app.Post("/account/sessions/:id/revoke", m.User(), account.RevokeSession)
	app.Get("/account/mfa", m.User(), secondFactor.Show)
	app.Post("/account/mfa/setup", m.User(), secondFactor.Setup)
	app.Get("/account/mfa/qr.png", m.User(), secondFactor.QR)
	app.Post("/account/mfa/confirm", m.User(), secondFactor.Confirm)
	app.Post("/account/mfa/disable", m.User(), secondFactor.Disable)
	app.Post("/account/mfa/recovery-codes", m.User(), secondFactor.RecoveryCodes)
	app.Post("/confirm-email/resend", m.User(), limited, registrations.Resend)

	// Signed in, any role: one's own notifications.
	app.Get("/notifications", m.User(), notifications.Index)
	app.Get("/notifications/count", m.User(), notifications.Count)
	app.Get("/notifications/latest", m.User(), notifications.Latest)
	app.Post("/notifications/read-all", m.User(), notifications.ReadAll)
	app.Get("/notifications/deliveries", m.User(), notifications.History)
	app.Get("/notifications/preferences", m.User(), notifications.Preferences)
	app.Post("/notifications/preferences", m.User(), notifications.SavePreferences)
	app.Post("/notifications/:id/read", m.User(), notifications.MarkRead)
	app.Get("/notifications/:id/open", m.User(), notifications.Open)

	// Organization settings (org.manage).
	app.Get("/settings/security", m.Org(authz.OrgManage), settings.Security)
	app.Post("/settings/security", m.Org(authz.OrgManage), settings.UpdateSecurity)
	app.Get("/settings/profile", m.Org(authz.OrgManage), profile.Show)
	app.Post("/settings/profile", m.Org(authz.OrgManage), profile.Update)
	app.Post("/settings/profile/logo", m.Org(authz.OrgManage), profile.UploadLogo)
	app.Post("/settings/profile/logo/delete", m.Org(authz.OrgManage), profile.DeleteLogo)
	app.Post("/settings/profile/verify-domain", m.Org(authz.OrgManage), dnsLimited, profile.VerifyDomain)
	app.Post("/settings/categories", m.Org(authz.OrgManage), profile.AddCategory)
	app.Post("/settings/categories/:id/delete", m.Org(authz.OrgManage), profile.RemoveCategory)
	app.Get("/settings/keys", m.Org(authz.OrgManage), signingKeys.Show)
	app.Post("/settings/keys/rotate", m.Org(authz.OrgManage), signingKeys.Rotate)
	app.Post("/settings/keys/method", m.Org(authz.OrgManage), signingKeys.SetMethod)

	// The branding editor (branding.manage); its preview is a document of its own.
	app.Get("/settings/designs", m.Org(authz.BrandingManage), certDesigns.List)
	app.Get("/settings/designs/new", m.Org(authz.BrandingManage), certDesigns.New)
	app.Post("/settings/designs", m.Org(authz.BrandingManage), certDesigns.Save)
	app.Post("/settings/designs/builder", m.Org(authz.BrandingManage), certDesigns.Builder)
	app.Post("/settings/designs/preview", m.Org(authz.BrandingManage), certDesigns.Preview)
	app.Get("/settings/designs/:id", m.Org(authz.BrandingManage), certDesigns.Edit)
	app.Post("/settings/designs/:id", m.Org(authz.BrandingManage), certDesigns.Save)
	app.Get("/settings/branding", m.Org(authz.BrandingManage), brand.Show)
	app.Post("/settings/branding", m.Org(authz.BrandingManage), brand.Update)
	app.Post("/settings/branding/check", m.Org(authz.BrandingManage), brand.Check)
	app.Get("/settings/branding/preview", m.Org(authz.BrandingManage), brand.Preview)
	app.Post("/settings/branding/preview", m.Org(authz.BrandingManage), brand.Preview)
	app.Get("/settings/branding/email-preview", m.Org(authz.BrandingManage), brand.EmailPreview)
	app.Post("/settings/branding/email-preview", m.Org(authz.BrandingManage), brand.EmailPreview)
	app.Post("/settings/branding/revert", m.Org(authz.BrandingManage), brand.Revert)
	app.Post("/settings/branding/favicon", m.Org(authz.BrandingManage), brand.UploadFavicon)
	app.Post("/settings/branding/favicon/delete", m.Org(authz.BrandingManage), brand.DeleteFavicon)
	app.Get("/settings/branding/images", m.Org(authz.BrandingManage), brandImages.Show)
	app.Post("/settings/branding/images", m.Org(authz.BrandingManage), brandImages.Upload)
	app.Post("/settings/branding/images/:name/delete", m.Org(authz.BrandingManage), brandImages.Delete)

	// Webhooks and their delivery logs (webhooks.manage). /new before /:id.
	app.Get("/settings/domain", m.Org(authz.BrandingManage), customDomain.Show)
	app.Post("/settings/domain", m.Org(authz.BrandingManage), customDomain.Claim)
	app.Post("/settings/domain/check", m.Org(authz.BrandingManage), dnsLimited, customDomain.Check)
	app.Post("/settings/domain/delete", m.Org(authz.BrandingManage), customDomain.Remove)
	app.Post("/settings/domain/certificate", m.Org(authz.BrandingManage), customDomain.Upload)
	app.Post("/settings/domain/certificate/delete", m.Org(authz.BrandingManage), customDomain.RemoveCertificate)
	app.Post("/settings/domain/did", m.Org(authz.BrandingManage), customDomain.IssuerDID)
	app.Get("/settings/webhooks", m.Org(authz.WebhooksManage), hooks.Index)
	app.Get("/settings/webhooks/new", m.Org(authz.WebhooksManage), hooks.New)
	app.Post("/settings/webhooks", m.Org(authz.WebhooksManage), hooks.Create)
	app.Get("/settings/webhooks/:id", m.Org(authz.WebhooksManage), hooks.Edit)
	app.Post("/settings/webhooks/:id", m.Org(authz.WebhooksManage), hooks.Update)
	app.Post("/settings/webhooks/:id/rotate", m.Org(authz.WebhooksManage), hooks.Rotate)
	app.Post("/settings/webhooks/:id/delete", m.Org(authz.WebhooksManage), hooks.Delete)
	app.Post("/settings/webhooks/:id/test", m.Org(authz.WebhooksManage), hooks.Test)
	app.Get("/settings/webhooks/:id/deliveries", m.Org(authz.WebhooksManage), hooks.Deliveries)
	app.Get("/settings/webhooks/:id/deliveries/:deliveryId", m.Org(authz.WebhooksManage), hooks.Delivery)
	app.Post("/settings/webhooks/:id/deliveries/:deliveryId/redeliver", m.Org(authz.WebhooksManage), hooks.Redeliver)
	app.Post("/settings/webhooks/:id/redeliver-failed", m.Org(authz.WebhooksManage), hooks.RedeliverFailed)

	// The reviewer's inbox (approvals.decide). /count and /approve before /:id.
	app.Get("/approvals", m.Org(authz.ApprovalsDecide), approvals.Index)
	app.Get("/approvals/count", m.Org(authz.ApprovalsDecide), approvals.Count)
	app.Post("/approvals/approve", m.Org(authz.ApprovalsDecide), stepUpLimited, approvals.ApproveSelected)
	app.Post("/approvals/status-changes/:id/approve", m.Org(authz.ApprovalsDecide), approvals.ApproveStatusChange)
	app.Post("/approvals/status-changes/:id/reject", m.Org(authz.ApprovalsDecide), approvals.RejectStatusChange)
	app.Get("/approvals/resources/:id", m.Org(authz.ApprovalsDecide), approvals.ShowResource)
	app.Post("/approvals/resources/:id/approve", m.Org(authz.ApprovalsDecide), stepUpLimited, approvals.ApproveResource)
	app.Post("/approvals/resources/:id/reject", m.Org(authz.ApprovalsDecide), approvals.RejectResource)
	app.Get("/approvals/:id", m.Org(authz.ApprovalsDecide), approvals.Show)
	app.Get("/approvals/:id/sample", m.Org(authz.ApprovalsDecide), approvals.Sample)
	app.Post("/approvals/:id/approve", m.Org(authz.ApprovalsDecide), stepUpLimited, approvals.Approve)
	app.Post("/approvals/:id/reject", m.Org(authz.ApprovalsDecide), approvals.Reject)
	// The approval configuration (approvals.manage): rules, workflows and
	// their step editor, the policy. Fixed paths before :id.
	app.Get("/settings/approvals", m.Org(authz.ApprovalsManage), approvalSettings.Index)
	app.Post("/settings/approvals/policy", m.Org(authz.ApprovalsManage), approvalSettings.SavePolicy)
	app.Get("/settings/approvals/rules/new", m.Org(authz.ApprovalsManage), approvalSettings.NewRule)
	app.Post("/settings/approvals/rules", m.Org(authz.ApprovalsManage), approvalSettings.CreateRule)
	app.Get("/settings/approvals/rules/:id", m.Org(authz.ApprovalsManage), approvalSettings.EditRule)
	app.Post("/settings/approvals/rules/:id", m.Org(authz.ApprovalsManage), approvalSettings.UpdateRule)
	app.Post("/settings/approvals/rules/:id/activate", m.Org(authz.ApprovalsManage), approvalSettings.SetRuleActive(true))
	app.Post("/settings/approvals/rules/:id/deactivate", m.Org(authz.ApprovalsManage), approvalSettings.SetRuleActive(false))
	app.Post("/settings/approvals/rules/:id/delete", m.Org(authz.ApprovalsManage), approvalSettings.DeleteRule)
	app.Get("/settings/approvals/workflows/new", m.Org(authz.ApprovalsManage), approvalSettings.NewWorkflow)
	app.Post("/settings/approvals/workflows/editor", m.Org(authz.ApprovalsManage), approvalSettings.Editor)
	app.Post("/settings/approvals/workflows", m.Org(authz.ApprovalsManage), approvalSettings.CreateWorkflow)
	app.Get("/settings/approvals/workflows/:id", m.Org(authz.ApprovalsManage), approvalSettings.EditWorkflow)
	app.Post("/settings/approvals/workflows/:id", m.Org(authz.ApprovalsManage), approvalSettings.UpdateWorkflow)
	app.Post("/settings/approvals/workflows/:id/activate", m.Org(authz.ApprovalsManage), approvalSettings.SetWorkflowActive(true))
	app.Post("/settings/approvals/workflows/:id/deactivate", m.Org(authz.ApprovalsManage), approvalSettings.SetWorkflowActive(false))
	app.Post("/settings/approvals/workflows/:id/delete", m.Org(authz.ApprovalsManage), approvalSettings.DeleteWorkflow)
	// An approver's own delegate while away (approvals.decide).
	app.Get("/account/delegation", m.Org(authz.ApprovalsDecide), delegation.Show)
	app.Post("/account/delegation", m.Org(authz.ApprovalsDecide), delegation.Create)
	app.Post("/account/delegation/:id/delete", m.Org(authz.ApprovalsDecide), delegation.Delete)

	// Credentials: read (org.view), issue (credentials.issue), revoke and
	// suspend (credentials.revoke). The issue routes come before /:id.
	app.Get("/credentials", m.Org(authz.OrgView), creds.Index)
	app.Get("/credentials/issue", m.Org(authz.CredentialsIssue), creds.IssueForm)
	app.Post("/credentials/issue", m.Org(authz.CredentialsIssue), creds.Issue)
	app.Post("/credentials/issue/preview", m.Org(authz.CredentialsIssue), creds.Preview)
	// Bulk issuance from CSV files (credentials.issue).
	app.Get("/credentials/bulk", m.Org(authz.CredentialsIssue), bulkIssue.Index)
	app.Post("/credentials/bulk", m.Org(authz.CredentialsIssue), bulkIssue.Upload)
	app.Get("/credentials/bulk/new", m.Org(authz.CredentialsIssue), bulkIssue.New)
	app.Get("/credentials/bulk/template.csv", m.Org(authz.CredentialsIssue), bulkIssue.TemplateCSV)
	app.Get("/credentials/bulk/:id", m.Org(authz.CredentialsIssue), bulkIssue.Show)
	app.Get("/credentials/bulk/:id/review", m.Org(authz.CredentialsIssue), bulkIssue.Review)
	app.Post("/credentials/bulk/:id/mapping", m.Org(authz.CredentialsIssue), bulkIssue.Remap)
	app.Post("/credentials/bulk/:id/issue", m.Org(authz.CredentialsIssue), bulkIssue.Issue)
	app.Post("/credentials/bulk/:id/cancel", m.Org(authz.CredentialsIssue), bulkIssue.Cancel)
	app.Get("/credentials/bulk/:id/progress", m.Org(authz.CredentialsIssue), bulkIssue.Progress)
	app.Get("/credentials/bulk/:id/results.csv", m.Org(authz.CredentialsIssue), bulkIssue.Results)
	app.Get("/credentials/bulk/:id/zip", m.Org(authz.CredentialsIssue), bulkIssue.Zip)
	app.Post("/credentials/bulk/:id/zip", m.Org(authz.CredentialsIssue), bulkIssue.PrepareZip)
	app.Get("/credentials/bulk/:id/certificates.zip", m.Org(authz.CredentialsIssue), bulkIssue.DownloadZip)
	app.Get("/credentials/:id", m.Org(authz.OrgView), creds.Show)
	app.Get("/credentials/:id/credential.json", m.Org(authz.OrgView), creds.Download)
	app.Get("/credentials/:id/certificate.pdf", m.Org(authz.OrgView), certificates.Staff)
	app.Get("/credentials/:id/revoke", m.Org(authz.CredentialsRevoke), creds.ConfirmStatus("revoke"))
	app.Post("/credentials/:id/revoke", m.Org(authz.CredentialsRevoke), creds.ChangeStatus("revoke"))
	app.Get("/credentials/:id/suspend", m.Org(authz.CredentialsRevoke), creds.ConfirmStatus("suspend"))
	app.Post("/credentials/:id/suspend", m.Org(authz.CredentialsRevoke), creds.ChangeStatus("suspend"))
	app.Get("/credentials/:id/unsuspend", m.Org(authz.CredentialsRevoke), creds.ConfirmStatus("unsuspend"))
	app.Post("/credentials/:id/unsuspend", m.Org(authz.CredentialsRevoke), creds.ChangeStatus("unsuspend"))
	app.Post("/credentials/:id/status-change/withdraw", m.Org(authz.CredentialsRevoke), creds.WithdrawStatusChange)

	// Members of an organization, by permission (404 without an organization).
	app.Get("/api-keys", m.Org(authz.APIKeysManage), apiKeys.Index)
	app.Post("/api-keys", m.Org(authz.APIKeysManage), apiKeys.Create)
	app.Post("/api-keys/:id/revoke", m.Org(authz.APIKeysManage), apiKeys.Revoke)
	app.Get("/audit", m.Org(authz.AuditRead), auditLog.Org)
	app.Get("/verifications", m.Org(authz.OrgView), verifications.Index)

	// Credential schemas and templates: members read them (org.view), issuers
	// and admins design them (schemas.write). Fixed paths before :id.
	app.Get("/schemas", m.Org(authz.OrgView), schemas.Index)
	app.Get("/schemas/new", m.Org(authz.SchemasWrite), schemas.New)
	app.Post("/schemas", m.Org(authz.SchemasWrite), schemas.Create)
	app.Post("/schemas/builder", m.Org(authz.SchemasWrite), schemas.Builder)
	app.Post("/schemas/preview", m.Org(authz.SchemasWrite), schemas.Preview)
	app.Get("/schemas/:id", m.Org(authz.OrgView), schemas.Show)
	app.Get("/schemas/:id/schema.json", m.Org(authz.OrgView), schemas.Download)
	app.Get("/schemas/:id/edit", m.Org(authz.SchemasWrite), schemas.Edit)
	app.Post("/schemas/:id", m.Org(authz.SchemasWrite), schemas.Update)
	app.Post("/schemas/:id/activate", m.Org(authz.SchemasWrite), schemas.Activate)
	app.Post("/schemas/:id/deactivate", m.Org(authz.SchemasWrite), schemas.Deactivate)
	app.Get("/templates", m.Org(authz.OrgView), templates.Index)
	app.Get("/templates/new", m.Org(authz.SchemasWrite), templates.New)
	app.Post("/templates", m.Org(authz.SchemasWrite), templates.Create)
	app.Get("/templates/:id/edit", m.Org(authz.SchemasWrite), templates.Edit)
	app.Post("/templates/:id", m.Org(authz.SchemasWrite), templates.Update)
	app.Post("/templates/:id/activate", m.Org(authz.SchemasWrite), templates.Activate)
	app.Post("/templates/:id/deactivate", m.Org(authz.SchemasWrite), templates.Deactivate)
	app.Get("/templates/:id/update", m.Org(authz.SchemasWrite), templates.UpdateForm)
	// The field library: template writers read it, administrators change it.
	app.Get("/settings/fields", m.Org(authz.SchemasWrite), fieldLibrary.Index)
	app.Post("/settings/fields", m.Org(authz.OrgManage), fieldLibrary.Create)
	app.Get("/settings/fields/:id", m.Org(authz.OrgManage), fieldLibrary.Edit)
	app.Post("/settings/fields/:id", m.Org(authz.OrgManage), fieldLibrary.Update)
	app.Post("/settings/fields/:id/delete", m.Org(authz.OrgManage), fieldLibrary.Delete)
	app.Post("/templates/:id/update", m.Org(authz.SchemasWrite), templates.ApplyUpdate)
	// Publishing to the marketplace (templates.publish: administrators).
	app.Get("/templates/:id/publish", m.Org(authz.TemplatesPublish), market.PublishForm)
	app.Post("/templates/:id/publish", m.Org(authz.TemplatesPublish), market.Publish)
	app.Post("/templates/:id/unpublish", m.Org(authz.TemplatesPublish), market.Unpublish)

	// Organization administrators (members.manage): the members page.
	app.Get("/members", m.Org(authz.MembersManage), members.Index)
	app.Get("/members/invite", m.Org(authz.MembersManage), members.InviteForm)
	app.Post("/members/invite", m.Org(authz.MembersManage), members.Invite)
	app.Post("/members/:id/role", m.Org(authz.MembersManage), members.ChangeRole)
	app.Post("/members/:id/deactivate", m.Org(authz.MembersManage), members.Deactivate)
	app.Post("/members/:id/reactivate", m.Org(authz.MembersManage), members.Reactivate)
	app.Post("/members/:id/resend", m.Org(authz.MembersManage), members.Resend)

	// Platform operators: across organizations.
	app.Get("/admin/audit", m.Platform(), auditLog.Platform)
	app.Get("/admin/organizations", m.Platform(), orgConsole.Index)
	app.Get("/admin/organizations/:id", m.Platform(), orgConsole.Row)
	app.Post("/admin/organizations/:id/approve", m.Platform(), orgConsole.Approve)
	app.Get("/admin/organizations/:id/suspend", m.Platform(), orgConsole.SuspendForm)
	app.Post("/admin/organizations/:id/suspend", m.Platform(), orgConsole.Suspend)
	app.Post("/admin/organizations/:id/reactivate", m.Platform(), orgConsole.Reactivate)
	app.Get("/admin/organizations/:id/revoke", m.Platform(), orgConsole.RevokeForm)
	app.Post("/admin/organizations/:id/revoke", m.Platform(), orgConsole.Revoke)
	app.Post("/admin/organizations/:id/verified", m.Platform(), orgConsole.SetVerified)
	app.Get("/admin/marketplace", m.Platform(), moderation.Index)
	app.Post("/admin/marketplace/reviews/:id/hide", m.Platform(), moderation.HideReview)
	app.Post("/admin/marketplace/reviews/:id/restore", m.Platform(), moderation.RestoreReview)
	app.Post("/admin/marketplace/templates/:id/unlist", m.Platform(), moderation.UnlistTemplate)
	app.Post("/admin/marketplace/templates/:id/restore", m.Platform(), moderation.RestoreTemplate)
	app.Post("/admin/marketplace/reports/:id/dismiss", m.Platform(), moderation.DismissReport)
}
