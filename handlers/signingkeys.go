package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/signingkeys"
)

// SigningKeys serves /settings/keys: the organization's DID, its method
// (did:web or did:key) and its signing keys, with rotation.
type SigningKeys struct {
	Issuer *issuance.Issuer
}

// Show renders GET /settings/keys.
func (h *SigningKeys) Show(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, signingkeys.Errors{})
}

func (h *SigningKeys) page(c *fiber.Ctx, status int, errs signingkeys.Errors) error {
	sc := auth.Current(c).Scope
	org, err := sc.Organization(c.UserContext())
	if err != nil {
		return err
	}
	keys, err := sc.SigningKeys(c.UserContext())
	if err != nil {
		return err
	}
	m := signingkeys.Model{DID: org.DID, Method: string(org.DIDMethod), DIDDocURL: "/orgs/" + org.Slug + "/did.json", Errors: errs}
	for _, k := range keys {
		row := signingkeys.Key{ID: k.ID, Multibase: k.PublicKeyMultibase, Status: string(k.Status),
			Created: stamp(k.CreatedAt), CreatedISO: k.CreatedAt.UTC().Format(time.RFC3339)}
		if k.RetiredAt != nil {
			row.Retired, row.RetiredISO = stamp(*k.RetiredAt), k.RetiredAt.UTC().Format(time.RFC3339)
		}
		m.Keys = append(m.Keys, row)
	}
	render.SetTitle(c, "Signing keys")
	return render.Page(c, status, signingkeys.Page(m))
}

// Rotate handles POST /settings/keys/rotate: with the box ticked, a new
// active key; the old one is retired.
func (h *SigningKeys) Rotate(c *fiber.Ctx) error {
	if c.FormValue("confirm") != "yes" {
		return h.page(c, fiber.StatusUnprocessableEntity, signingkeys.Errors{"confirm-rotate": "Tick the box to confirm the rotation."})
	}
	if _, err := h.Issuer.RotateKey(c.UserContext(), auth.Current(c).Scope, auth.Actor(c)); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "A new key signs from now on. The old key is retired and stays published, so what it signed keeps verifying.")
	return render.Redirect(c, signingkeys.Path)
}

// SetMethod handles POST /settings/keys/method: switch between did:web and
// did:key, with the box ticked.
func (h *SigningKeys) SetMethod(c *fiber.Ctx) error {
	m := store.DIDMethod(c.FormValue("method"))
	if !m.Valid() {
		return h.page(c, fiber.StatusUnprocessableEntity, signingkeys.Errors{"method": "Choose did:web or did:key."})
	}
	if c.FormValue("confirm") != "yes" {
		return h.page(c, fiber.StatusUnprocessableEntity, signingkeys.Errors{"confirm-method": "Tick the box to confirm the switch."})
	}
	if err := h.Issuer.SetDIDMethod(c.UserContext(), auth.Current(c).Scope, m, auth.Actor(c)); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "New credentials are issued under did:"+string(m)+".")
	return render.Redirect(c, signingkeys.Path)
}
