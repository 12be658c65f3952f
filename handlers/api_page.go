package handlers

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
)

// The paging parameters every API list reads the same way: ?limit= and
// ?cursor= (the next value of a previous page), each refused with a 400
// problem naming the parameter.

func badCursor() error {
	return &render.Problem{Status: fiber.StatusBadRequest, Title: "Invalid cursor",
		Detail: "cursor must be the next value of a previous page, as it was given.",
		Errors: []render.FieldError{{Parameter: "cursor", Detail: "Not a cursor of this list."}}}
}

// apiLimit reads ?limit= (1..max, def when absent).
func apiLimit(c *fiber.Ctx, def, maxLimit int) (int, error) {
	s := c.Query("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		d := fmt.Sprintf("limit must be a whole number from 1 to %d.", maxLimit)
		return 0, &render.Problem{Status: fiber.StatusBadRequest, Title: "Invalid limit", Detail: d,
			Errors: []render.FieldError{{Parameter: "limit", Detail: d}}}
	}
	return n, nil
}

// apiCursor reads ?cursor= (nil when absent): a (created_at, id) cursor
// as a previous page gave it, else badCursor.
func apiCursor(c *fiber.Ctx) (*store.Cursor, error) {
	s := c.Query("cursor")
	if s == "" {
		return nil, nil
	}
	cur, err := store.ParseCursor(s)
	if err != nil || !cur.Timed() {
		return nil, badCursor()
	}
	return cur, nil
}
