package approval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trustcred/trustcred/internal/mfa"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/store"
)

// ErrStepUpRequired: the organization's policy asks approvers to re-enter
// their password or a code (store.ApprovalPolicy.StepUp) and the approval
// came without a Confirmed step-up of that kind for that person.
var ErrStepUpRequired = errors.New("approval: step-up required")

// StepUp is what an approver typed to confirm an approval: the password
// or an authenticator code, as the policy asks.
type StepUp struct {
	Password string
	Code     string
}

// Confirmed is a step-up checked by Service.Confirm for one person (the
// zero value: none). Only Confirm makes one, so a decision path cannot
// skip the check: ApproveConfirmed refuses a Confirmed of another person
// or of another kind than the policy asks now.
type Confirmed struct {
	userID string
	method store.StepUp
}

// StepUpError is a refused step-up: the form field it concerns
// ("step_up_password" or "step_up_code") and the sentence to show next
// to it.
type StepUpError struct {
	Field   string
	Message string
}

func (e *StepUpError) Error() string { return "approval: step-up refused: " + e.Message }

// The form fields of a step-up.
const (
	FieldPassword = "step_up_password"
	FieldCode     = "step_up_code"
)

// StepUpPolicy is what the organization asks approvers to re-enter.
func (s *Service) StepUpPolicy(ctx context.Context, sc *store.Scoped) (store.StepUp, error) {
	p, err := sc.ApprovalPolicy(ctx)
	if err != nil {
		return "", err
	}
	return p.StepUp, nil
}

// Confirm checks the step-up the organization's policy asks of the person
// (userID, a member of sc's organization) before an approval. A wrong
// password or code counts as a failed sign-in (store.DB.StepUpFailed: the
// same lock-out; a right one clears the count, as a sign-in does) and is
// a *StepUpError, as is a locked account and, for
// codes, an account without a second factor. A TOTP code works once (it
// is recorded as the last accepted step, as at sign-in).
func (s *Service) Confirm(ctx context.Context, sc *store.Scoped, userID string, in StepUp, actor store.Actor) (Confirmed, error) {
	method, err := s.StepUpPolicy(ctx, sc)
	if err != nil {
		return Confirmed{}, err
	}
	ok := Confirmed{userID: userID, method: method}
	if method == store.StepUpNone {
		return ok, nil
	}
	u, err := s.DB.UserByID(ctx, userID)
	if err != nil {
		return Confirmed{}, err
	}
	if u.OrganizationID == nil || *u.OrganizationID != sc.OrganizationID() {
		return Confirmed{}, store.ErrNotFound
	}
	field := FieldPassword
	if method == store.StepUpTOTP {
		field = FieldCode
	}
	now := time.Now()
	if u.LockedUntil != nil && u.LockedUntil.After(now) {
		return Confirmed{}, &StepUpError{field, "Too many wrong attempts: your account is locked for a while. Try again later."}
	}
	wrong := func(msg string) (Confirmed, error) {
		locked, err := s.DB.StepUpFailed(context.WithoutCancel(ctx), u.ID, now, actor)
		if err != nil {
			return Confirmed{}, err
		}
		if locked {
			msg = "Too many wrong attempts: your account is locked for a while. Try again later."
		}
		return Confirmed{}, &StepUpError{field, msg}
	}
	switch method {
	case store.StepUpPassword:
		switch {
		case in.Password == "":
			return Confirmed{}, &StepUpError{field, "Enter your password to approve."}
		case u.PasswordHash == nil:
			return Confirmed{}, &StepUpError{field, "Your account has no TrustCred password."}
		}
		switch err := password.Check(*u.PasswordHash, in.Password); {
		case errors.Is(err, password.ErrMismatch):
			return wrong("This is not your password.")
		case err != nil:
			return Confirmed{}, err
		}
	case store.StepUpTOTP:
		code := strings.TrimSpace(in.Code)
		switch {
		case !u.MFAEnabled:
			return Confirmed{}, &StepUpError{field, "Approving here needs a code from an authenticator app: turn on two-factor authentication in your account first."}
		case code == "":
			return Confirmed{}, &StepUpError{field, "Enter the 6-digit code from your authenticator app to approve."}
		}
		plain, err := s.Issuer.Keys.Open(u.MFASecretEncrypted, mfa.SecretContext)
		if err != nil {
			return Confirmed{}, fmt.Errorf("open the mfa secret of %s: %w", u.ID, err)
		}
		step, err := mfa.Verify(string(plain), code, now, u.MFALastStep)
		if errors.Is(err, mfa.ErrInvalidCode) || errors.Is(err, mfa.ErrReplayed) {
			return wrong("The code is wrong or was already used. Enter the next code your app shows.")
		}
		if err != nil {
			return Confirmed{}, err
		}
		switch err := s.DB.Account(u.ID).AcceptTOTPStep(ctx, step); {
		case errors.Is(err, store.ErrCodeUsed):
			return wrong("The code is wrong or was already used. Enter the next code your app shows.")
		case err != nil:
			return Confirmed{}, err
		}
	default:
		return Confirmed{}, fmt.Errorf("approval: unknown step-up %q", method)
	}
	if err := s.DB.StepUpSucceeded(ctx, u.ID); err != nil {
		return Confirmed{}, err
	}
	return ok, nil
}

// stepUpHeld reports whether c satisfies the policy for the approver, read
// in the decision's transaction (a policy changed since Confirm counts).
func stepUpHeld(ctx context.Context, tx *store.Scoped, approverID string, c *Confirmed) error {
	p, err := tx.ApprovalPolicy(ctx)
	if err != nil {
		return err
	}
	if p.StepUp == store.StepUpNone {
		return nil
	}
	if c == nil || c.userID != approverID || c.method != p.StepUp {
		return ErrStepUpRequired
	}
	return nil
}

// DecideStatusChange records a decision on a revocation or suspension
// waiting for a second person (issuance.Issuer.DecideStatusChange: the
// change is made on approval) through the same step-up policy as
// approvals: an approval needs the decider's Confirmed (Confirm; nil
// under a policy without step-up), checked against the policy read in the
// decision's transaction (ErrStepUpRequired otherwise, also for a
// Confirmed of another person); a rejection needs none.
func (s *Service) DecideStatusChange(ctx context.Context, sc *store.Scoped, requestID, deciderID string, approve bool, note string, c *Confirmed, actor store.Actor) (*store.StatusChangeRequest, error) {
	var out *store.StatusChangeRequest
	err := sc.InTx(ctx, func(tx *store.Scoped) error {
		if approve {
			if err := stepUpHeld(ctx, tx, deciderID, c); err != nil {
				return err
			}
		}
		var err error
		out, _, err = s.Issuer.DecideStatusChange(ctx, tx, requestID, deciderID, approve, note, actor)
		return err
	})
	return out, err
}
