package notify

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	netmail "net/mail"
	"strings"

	"github.com/riverqueue/river"

	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/email"
)

// CredentialEmail is the job that emails a credential's recipient the link
// to it ({base}/v/{public_id}).
type CredentialEmail struct {
	CredentialID   string `json:"credential_id" river:"unique"`
	OrganizationID string `json:"organization_id"`
}

// Kind is the River job kind.
func (CredentialEmail) Kind() string { return "credential_email" }

// InsertOpts: one email per credential (enqueueing it again while the job
// exists does nothing), after jobs of the default priority: a bulk batch
// queues thousands of them, and its own job, snoozed between runs, must
// not wait behind them for a worker (SQLite has two).
func (CredentialEmail) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, Priority: 2}
}

// CredentialEmailWorker works CredentialEmail jobs.
type CredentialEmailWorker struct {
	river.WorkerDefaults[CredentialEmail]
	DB      *store.DB
	Mailer  mail.Mailer
	BaseURL string
	Log     *slog.Logger
}

// Work sends the email, unless there is nothing to send it to or the
// recipient does not want it: a DID recipient, a credential that is gone
// or no longer active, a user with that address whose preferences turn
// email off for issued credentials, or email not configured
// (mail.ErrNotConfigured: skipped quietly). A failed send is retried.
func (w *CredentialEmailWorker) Work(ctx context.Context, j *river.Job[CredentialEmail]) error {
	sc := w.DB.Scoped(j.Args.OrganizationID)
	c, err := sc.Credential(ctx, j.Args.CredentialID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	addr := strings.TrimSpace(c.RecipientAddress)
	if c.Status != store.CredentialActive || addr == "" || strings.HasPrefix(addr, "did:") {
		return nil
	}
	allowed, err := w.DB.CredentialEmailAllowed(ctx, addr)
	if err != nil {
		return err
	}
	if !allowed {
		w.Log.Info("credential email not sent: the recipient turned these emails off", "credential", c.ID)
		return nil
	}
	org, err := sc.Organization(ctx)
	if err != nil {
		return err
	}
	msg := w.message(c, org)
	if msg.HTML, err = w.html(ctx, c, org); err != nil {
		return err
	}
	err = w.Mailer.Send(ctx, msg)
	switch {
	case errors.Is(err, mail.ErrNotConfigured):
		return nil
	case errors.Is(err, mail.ErrInvalidMessage):
		w.Log.Error("credential email refused; not retried", "credential", c.ID, "error", err)
		return nil
	}
	return err
}

// message is the email: who issued what, and the link.
func (w *CredentialEmailWorker) message(c *store.Credential, org *store.Organization) mail.Message {
	name := ""
	if c.RecipientName != nil {
		name = *c.RecipientName
	}
	oneLine := strings.NewReplacer("\r", " ", "\n", " ").Replace
	what := "a credential"
	if c.Template != nil && c.Template.Name != "" {
		what = "“" + c.Template.Name + "”"
	}
	link := strings.TrimRight(w.BaseURL, "/") + "/v/" + c.PublicID
	var b strings.Builder
	if name != "" {
		b.WriteString("Hello " + oneLine(name) + ",\n\n")
	} else {
		b.WriteString("Hello,\n\n")
	}
	b.WriteString(org.Name + " has issued you " + what + ".\n\n")
	b.WriteString("View and share it here: " + link + "\n\n")
	b.WriteString("Anyone you give this link to can check that the credential is genuine.\n")
	b.WriteString("\n-- \nIf you have a TrustCred account, you can turn these emails off in your notification preferences: " +
		strings.TrimRight(w.BaseURL, "/") + "/notifications/preferences\n")
	to := (&netmail.Address{Name: oneLine(name), Address: c.RecipientAddress}).String()
	return mail.Message{To: to, Subject: oneLine(org.Name + " issued you " + what), Text: b.String()}
}

// html is the email's HTML part, in the base email layout with the organization's
// look (its logo and colours); the text part says the same.
func (w *CredentialEmailWorker) html(ctx context.Context, c *store.Credential, org *store.Organization) (string, error) {
	name, template := "", ""
	if c.RecipientName != nil {
		name = *c.RecipientName
	}
	if c.Template != nil {
		template = c.Template.Name
	}
	return CredentialHTML(ctx, brand(ctx, w.DB, w.BaseURL, org.ID), org.Name, name, template, c.PublicID)
}

// CredentialHTML is the HTML part of the email that gives a credential's recipient
// (name, may be "") the link to it (/v/{publicID}), issued by orgName from a template
// (may be ""), from b. The branding editor's email preview renders it too.
func CredentialHTML(ctx context.Context, b email.Brand, orgName, name, template, publicID string) (string, error) {
	greeting := "Hello,"
	if strings.TrimSpace(name) != "" {
		greeting = "Hello " + name + ","
	}
	what := "a credential"
	if template != "" {
		what = "“" + template + "”"
	}
	var buf bytes.Buffer
	err := email.CredentialHTML(b, email.Credential{Greeting: greeting, Issued: orgName + " has issued you " + what + ".",
		Link: b.BaseURL + "/v/" + publicID}).Render(ctx, &buf)
	return buf.String(), err
}

// EnqueueCredentialEmail enqueues the email that sends a credential's
// recipient the link to it, inside tx (the transaction that stores the
// credential). Enqueueing the same credential again while its job exists
// does nothing. The job decides whether to send (SMTP configured, an email
// recipient, their preferences).
func EnqueueCredentialEmail(ctx context.Context, q jobs.Enqueuer, tx *sql.Tx, credentialID, orgID string) error {
	return q.EnqueueTx(ctx, tx, CredentialEmail{CredentialID: credentialID, OrganizationID: orgID})
}
