package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// userWithEmail creates a user like env.User, but with this email (a
// mailtest.Address, unique on the shared mail server).
func userWithEmail(t *testing.T, env *webtest.Env, role store.Role, org *store.Organization, email string) *store.User {
	t.Helper()
	u := env.User(role, org)
	if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE users SET email = ? WHERE id = ?"), email, u.ID); err != nil {
		t.Fatal(err)
	}
	u.Email = email
	return u
}

// scalar runs a query returning one value.
func scalar[T any](t *testing.T, env *webtest.Env, q string, args ...any) T {
	t.Helper()
	var v T
	if err := env.DB.SQL().QueryRowContext(context.Background(), storetest.Rebind(env.DB.Dialect(), q), args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// linkIn finds the link to path prefix in an email's text and returns it
// as a local path.
func linkIn(t *testing.T, env *webtest.Env, text, prefix string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(env.Config.BaseURL+prefix) + `[A-Za-z0-9_-]+`)
	link := re.FindString(text)
	if link == "" {
		t.Fatalf("no %s link in the email:\n%s", prefix, text)
	}
	return strings.TrimPrefix(link, env.Config.BaseURL)
}

// sectionOf returns the element with data-testid id, up to the next
// </section> (good enough to compare two renderings of the same page).
func sectionOf(body, id string) string {
	i := strings.Index(body, `data-testid="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

const waitMail = 15 * time.Second
