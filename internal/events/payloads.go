package events

import (
	"time"

	"github.com/trustcred/trustcred/store"
)

// APIKeyOf is the payload of an API key event.
func APIKeyOf(k *store.APIKey, at time.Time) APIKey {
	scopes := make([]string, len(k.Permissions))
	for i, s := range k.Permissions {
		scopes[i] = string(s)
	}
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: scopes, At: at.UTC()}
}

// MemberOf is the payload of a member event.
func MemberOf(m *store.Member, at time.Time) Member {
	return Member{UserID: m.ID, Email: m.Email, Role: string(m.Role), At: at.UTC()}
}
