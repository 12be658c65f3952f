package issuance

import (
	"context"
	"time"

	"github.com/trustcred/trustcred/store"
)

// ChangeStatus is the one function through which an issued credential's
// status changes (revoke, suspend, unsuspend), whoever asks: the
// credential's page, the API, the demo. The store flips the credential's
// bit in its status list, updates the credential and writes its history
// and audit entry in one transaction (store.Scoped.ChangeCredentialStatus);
// what must follow a status change (events, webhooks, notifications) hooks
// in here, and in ExpireDue for expiry, never in the callers.
// ErrNotFound for another organization's credential;
// *store.StatusChangeError (store.ErrStatusChange) for a change its status
// does not allow. A reason is required to revoke.
func ChangeStatus(ctx context.Context, sc *store.Scoped, id string, action store.StatusAction, reason string, via store.StatusChannel, actor store.Actor) (*store.Credential, error) {
	return sc.ChangeCredentialStatus(ctx, id, action, reason, via, actor)
}

// ExpireDue is ChangeStatus's batch variant for expiry: it marks at most
// limit active credentials whose expiry is before now as expired, across
// organizations (the periodic expire_credentials job), and says how many.
func ExpireDue(ctx context.Context, db *store.DB, now time.Time, limit int) (int, error) {
	return db.ExpireCredentials(ctx, now, limit)
}
