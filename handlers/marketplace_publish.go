package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	mkt "github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/marketplace"
)

// PublishForm renders GET /templates/:id/publish (templates.publish): the
// quality check of the template as it stands, and the publishing form.
func (h *Marketplace) PublishForm(c *fiber.Ctx) error {
	p, err := h.publishPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	render.SetTitle(c, "Publish "+p.Name)
	return render.Page(c, fiber.StatusOK, marketplace.PublishPage(p))
}

// publishPage is the publishing page of one of the organization's
// templates, its form filled from the listing when it was published.
func (h *Marketplace) publishPage(c *fiber.Ctx, id string) (marketplace.Publish, error) {
	s, ctx := auth.Current(c).Scope, c.UserContext()
	t, problems, err := mkt.Review(ctx, s, id)
	if err != nil {
		return marketplace.Publish{}, err
	}
	p := marketplace.Publish{TemplateID: t.ID, Name: t.Name, Version: t.Version, Licence: string(store.DefaultLicence), Errors: marketplace.Errors{}}
	for _, pr := range problems {
		p.Problems = append(p.Problems, marketplace.Problem{Message: pr.Message, Fix: pr.Fix})
	}
	if t.CategoryID != nil {
		p.CategoryID = *t.CategoryID
	}
	l, err := s.Listing(ctx, t.ID)
	if err != nil {
		return p, err
	}
	if l != nil {
		p.Licence, p.Summary = string(l.Licence), l.Summary
		p.Public, p.ListedVersion = t.IsPublic, l.Version
	}
	cats, err := h.DB.CrossOrg().TemplateCategories(ctx)
	if err != nil {
		return p, err
	}
	for _, cat := range cats {
		label := cat.Name
		if cat.ParentCategoryID != nil {
			label = "— " + label
		}
		p.Categories = append(p.Categories, marketplace.Option{Value: cat.ID, Label: label})
	}
	for _, l := range store.Licences() {
		p.Licences = append(p.Licences, marketplace.Option{Value: string(l), Label: l.Title()})
	}
	return p, nil
}

// Publish handles POST /templates/:id/publish: the quality check runs
// again on the version the form showed; a problem, a changed template or
// a bad field re-renders the page (422) with what to fix.
func (h *Marketplace) Publish(c *fiber.Ctx) error {
	p, err := h.publishPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	p.CategoryID, p.Licence, p.Summary = strings.TrimSpace(c.FormValue("category_id")), c.FormValue("licence"), strings.TrimSpace(c.FormValue("summary"))
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || version < 1 {
		version = 0 // never a template's: reported as a change
	}
	pub := store.Publication{CategoryID: p.CategoryID, Licence: store.Licence(p.Licence), Summary: p.Summary}
	if h.Issuer != nil { // the version is signed by the organization's issuer key (its provenance)
		scope, ctx := auth.Current(c).Scope, c.UserContext()
		if _, err := h.Issuer.EnsureKey(ctx, scope, auth.Actor(c)); err != nil {
			return err
		}
		priv, vm, err := h.Issuer.OrganizationKey(ctx, scope)
		if err != nil {
			return err
		}
		pub.Sign = mkt.Signer(priv, vm)
	}
	_, err = mkt.Publish(c.UserContext(), auth.Current(c).Scope, h.Events, p.TemplateID, version, pub, auth.Actor(c))
	var fe store.FieldErrors
	var problems mkt.Problems
	switch {
	case err == nil:
		render.Flash(c, layout.FlashSuccess, "Version "+strconv.Itoa(p.Version)+" of "+p.Name+" is in the marketplace.")
		return render.Redirect(c, marketplace.Path+"/"+p.TemplateID)
	case errors.As(err, &fe):
		for k, v := range fe {
			p.Errors[k] = v + "."
		}
	case errors.As(err, &problems):
		// The page already lists them (publishPage ran the same check).
	case errors.Is(err, store.ErrTemplateChanged):
		p.Errors[""] = "The template changed since this page was opened: check version " + strconv.Itoa(p.Version) + " below and publish again."
	case errors.Is(err, store.ErrTemplateInactive):
		p.Errors[""] = "The template is inactive: activate it before publishing it."
	default:
		return err
	}
	render.SetTitle(c, "Publish "+p.Name)
	return render.Page(c, fiber.StatusUnprocessableEntity, marketplace.PublishPage(p))
}

// Unpublish handles POST /templates/:id/unpublish: out of the catalogue;
// adopters keep their copies.
func (h *Marketplace) Unpublish(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := auth.Current(c).Scope.UnpublishTemplate(c.UserContext(), id, auth.Actor(c)); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The template is no longer in the marketplace.")
	return render.Redirect(c, "/templates/"+id+"/edit")
}
