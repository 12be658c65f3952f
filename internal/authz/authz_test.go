package authz

import (
	"testing"

	"github.com/trustcred/trustcred/store"
)

func TestTable(t *testing.T) {
	for _, r := range []store.Role{store.RoleSuperAdmin, store.RoleAdmin, store.RoleIssuer, store.RoleReviewer, store.RoleVerifier, store.RoleRecipient} {
		if !Can(r, AccountUse) {
			t.Errorf("%s cannot use their own account", r)
		}
		for _, p := range Permissions(r) {
			if !Can(store.RoleSuperAdmin, p) {
				t.Errorf("%s may %s but super_admin may not", r, p)
			}
		}
	}
	cases := []struct {
		role store.Role
		p    Permission
		want bool
	}{
		{store.RoleAdmin, MembersManage, true},
		{store.RoleAdmin, PlatformManage, false},
		{store.RoleIssuer, CredentialsIssue, true},
		{store.RoleIssuer, MembersManage, false},
		{store.RoleAdmin, TemplatesPublish, true},
		{store.RoleIssuer, TemplatesPublish, false},
		{store.RoleIssuer, ApprovalsDecide, false},
		{store.RoleReviewer, ApprovalsDecide, true},
		{store.RoleReviewer, CredentialsIssue, false},
		{store.RoleAdmin, ApprovalsManage, true},
		{store.RoleSuperAdmin, ApprovalsManage, true},
		{store.RoleIssuer, ApprovalsManage, false},
		{store.RoleReviewer, ApprovalsManage, false},
		{store.RoleVerifier, ApprovalsManage, false},
		{store.RoleRecipient, ApprovalsManage, false},
		{store.RoleVerifier, OrgView, false},
		{store.RoleRecipient, CredentialsVerify, false},
		{store.Role("owner"), AccountUse, false},
	}
	for _, c := range cases {
		if got := Can(c.role, c.p); got != c.want {
			t.Errorf("Can(%s, %s) = %v, want %v", c.role, c.p, got, c.want)
		}
	}
	if len(Permissions(store.RoleSuperAdmin)) != len(All) {
		t.Error("super_admin lacks a permission")
	}
}
