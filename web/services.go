package web

import (
	"log/slog"
	"time"

	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/internal/verifylog"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/store"
)

// Services are the long-lived domain services of one process, shared by
// the handlers and the workers that need them. The process builds them
// once with NewServices (cmd/trustcred serve, internal/webtest: the same
// constructor, so that tests run what production runs) and passes them in
// Deps; the route table only wires handlers to them.
type Services struct {
	Issuer *issuance.Issuer    // signing keys, credential documents, status lists
	Verify *verify.Service     // verification of ours and anyone's, with its caches and log
	DNS    *dnsverify.Verifier // domain ownership checks
	// Webhooks is the door to organizations' webhooks and their delivery
	// (the events' fan-out consumer and the delivery worker).
	Webhooks *webhook.Service
	// Approvals is the door of approval decisions on pending credentials
	// and the signing of approved ones (its worker: approval.Register).
	Approvals *approval.Service
	// Domains is the door to organizations' custom domains: the claim's
	// rules, the DNS check, the periodic re-check.
	Domains *customdomain.Service
}

// Publish wires the queue the services publish their events through: the
// issuer's credential events (issued, revoked, suspended, unsuspended,
// expired) and the verification log writer's credential.verified, each in
// the transaction of its change. The process calls it once its queue is
// built, before it serves or starts the queue; until then (tools, the
// demo's seeding) nothing is published.
func (s Services) Publish(q jobs.Enqueuer) {
	s.Issuer.Events = q
	s.Approvals.Queue = q
	if s.Verify.Logs != nil {
		s.Verify.Logs.Publish(q, s.Issuer.BaseURL)
	}
}

// viewsCached is how many verified views of our credentials the
// verification service keeps (the pages made from them are bounded by
// bytes instead: TRUSTCRED_PAGE_CACHE_MB).
const viewsCached = 256

// dnsTimeout bounds one domain ownership lookup.
const dnsTimeout = 5 * time.Second

// NewServices builds the services from the configuration. logs writes
// the verification logs (nil: not logged); closing it after the server
// has stopped is the caller's.
func NewServices(cfg config.Config, db *store.DB, keys *secret.Keyring, logs *verifylog.Writer, log *slog.Logger) Services {
	issuer := &issuance.Issuer{DB: db, Keys: keys, BaseURL: cfg.BaseURL}
	v := verify.NewService(db, issuer, &verify.Fetcher{AllowPrivate: cfg.OutboundAllowPrivate}, logs, viewsCached)
	v.Log = log
	v.Pages = verify.NewPages(int64(cfg.PageCacheMB) << 20)
	hooks := &webhook.Service{DB: db, Keys: keys, Issuer: issuer, AllowPrivate: cfg.OutboundAllowPrivate, Log: log,
		Sender: webhook.NewSender(cfg.OutboundAllowPrivate, webhook.AttemptTimeout)}
	dns := dnsverify.New(cfg.DNSResolver, dnsTimeout)
	domains := &customdomain.Service{DB: db, DNS: dns, Key: keys.Derive("dns-verification")[0], Keys: keys, BaseURL: cfg.BaseURL, Log: log}
	return Services{Issuer: issuer, Verify: v, DNS: dns, Webhooks: hooks, Domains: domains,
		Approvals: &approval.Service{DB: db, Issuer: issuer, Log: log}}
}
