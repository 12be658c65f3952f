package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/store"
)

// Exit codes: 2 for what is wrong in the command line or its input and can
// be told without the database (flags, email shape, role, password policy,
// scopes, durations); 1 for what the database refuses (unknown
// organization, email taken) and other failures.

// adminCreate runs "trustcred admin create": a user with a role, for
// operators and scripts. The password comes from standard input, never
// from the command line (where ps and shell history would keep it).
func adminCreate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var email, role, slug, name string
	var fromStdin bool
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the user's email address (required)")
		fs.StringVar(&role, "role", "", "super_admin, admin, issuer, reviewer, verifier or recipient (required)")
		fs.StringVar(&slug, "org", "", "slug of the user's organization (required for every role but super_admin)")
		fs.StringVar(&name, "name", "", "display name")
		fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input (required)")
	}
	return withFlags("admin create", args, getenv, stderr, define, func(cfg config.Config, rest []string, log *slog.Logger) (err error) {
		if len(rest) > 0 {
			return usageError{fmt.Errorf("unexpected argument %q", rest[0])}
		}
		email, slug, name = store.NormalizeEmail(email), strings.TrimSpace(slug), strings.TrimSpace(name)
		r := store.Role(strings.TrimSpace(role))
		switch {
		case email == "":
			return usageError{errors.New("--email is required")}
		case role == "":
			return usageError{errors.New("--role is required")}
		case !r.Valid():
			return usageError{fmt.Errorf("--role %q: want super_admin, admin, issuer, reviewer, verifier or recipient", role)}
		case slug == "" && r != store.RoleSuperAdmin:
			return usageError{fmt.Errorf("--org is required for the role %s (only a super_admin may have no organization)", r)}
		case utf8.RuneCountInString(name) > 200:
			return usageError{errors.New("--name: use at most 200 characters")}
		case !fromStdin:
			return usageError{errors.New("--password-stdin is required: pipe the password in; it is never taken from the command line")}
		}
		u := &store.User{Email: email, Role: r, EmailVerified: true, Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: name})}
		var fe store.FieldErrors
		if err := store.Validate(u); errors.As(err, &fe) {
			return usageError{fmt.Errorf("%s", fe.Error())}
		} else if err != nil {
			return err
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return usageError{err}
		}
		if err := password.Validate(pw, email); err != nil {
			return usageError{fmt.Errorf("the password %w", err)}
		}
		hash, err := password.Hash(pw)
		if err != nil {
			return err
		}
		u.PasswordHash = &hash

		db, err := openMigrated(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, db.Close()) }()
		actor := store.Actor{UserAgent: "trustcred admin create"}
		where := "the platform"
		if slug != "" {
			org, err := db.OrganizationBySlug(ctx, slug)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no organization has the slug %q", slug)
			}
			if err != nil {
				return err
			}
			u.OrganizationID, actor.OrganizationID, where = &org.ID, &org.ID, org.Name+" ("+org.Slug+")"
		}
		// A member added to an organization is heard of like one who
		// accepted an invitation: member.joined, committed with the account
		// (a queue that only inserts: the server works the job).
		var then func(tx *store.Scoped, u *store.User) error
		if u.OrganizationID != nil {
			q, qerr := jobs.New(db, log, jobs.NewWorkers())
			if qerr != nil {
				return qerr
			}
			defer func() { err = errors.Join(err, q.Stop(context.WithoutCancel(ctx))) }()
			then = events.Joined(ctx, q)
		}
		if err := db.CreateUserThen(ctx, u, actor, then); err != nil {
			if errors.Is(err, store.ErrEmailTaken) {
				return fmt.Errorf("an account with the email %s already exists", email)
			}
			return err
		}
		fmt.Fprintf(stdout, "Created %s, %s of %s.\n", u.Email, u.Role, where)
		return nil
	})
}

// readPassword reads one line from r: the password, without its line end.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if pw == "" {
		return "", errors.New("no password on standard input: pipe it in, e.g. trustcred admin create … --password-stdin < file")
	}
	return pw, nil
}

// apikeyCreate runs "trustcred apikey create": a key for an organization,
// printed once on standard output and nowhere else (the database keeps its
// hash; the log and standard error get only its visible prefix).
func apikeyCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var slug, name, scopeList, expiresIn string
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&slug, "org", "", "slug of the organization (required)")
		fs.StringVar(&name, "name", "", "what uses the key, at most 100 characters (required)")
		fs.StringVar(&scopeList, "scopes", "", "comma-separated scopes, e.g. credentials:issue,credentials:read (required)")
		fs.StringVar(&expiresIn, "expires", "", "lifetime, e.g. 720h; default: never expires")
	}
	return withFlags("apikey create", args, getenv, stderr, define, func(cfg config.Config, rest []string, log *slog.Logger) (err error) {
		if len(rest) > 0 {
			return usageError{fmt.Errorf("unexpected argument %q", rest[0])}
		}
		slug, name = strings.TrimSpace(slug), strings.TrimSpace(name)
		switch {
		case slug == "":
			return usageError{errors.New("--org is required")}
		case name == "":
			return usageError{errors.New("--name is required")}
		case utf8.RuneCountInString(name) > 100:
			return usageError{errors.New("--name: use at most 100 characters")}
		}
		var scopes []store.APIScope
		for _, s := range strings.Split(scopeList, ",") {
			sc := store.APIScope(strings.TrimSpace(s))
			if sc == "" {
				continue
			}
			if !sc.Valid() {
				var all []string
				for _, a := range store.APIScopes() {
					all = append(all, string(a))
				}
				return usageError{fmt.Errorf("--scopes: unknown scope %q; want some of %s", sc, strings.Join(all, ", "))}
			}
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
		if len(scopes) == 0 {
			return usageError{errors.New("--scopes is required: at least one scope, e.g. --scopes credentials:read")}
		}
		var expires *time.Time
		if expiresIn != "" {
			d, err := time.ParseDuration(expiresIn)
			if err != nil || d < time.Minute {
				return usageError{fmt.Errorf("--expires %q: want a duration of at least 1m, such as 720h", expiresIn)}
			}
			t := time.Now().UTC().Add(d)
			expires = &t
		}

		db, err := openMigrated(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, db.Close()) }()
		org, err := db.OrganizationBySlug(ctx, slug)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no organization has the slug %q", slug)
		}
		if err != nil {
			return err
		}
		key, visible, hash := apikey.New()
		k := &store.APIKey{Name: name, KeyHash: hash, Prefix: visible, Permissions: datatypes.NewJSONSlice(scopes), ExpiresAt: expires}
		// An operator tool acts for the organization named on the command
		// line, as the web tier does for a signed-in member.
		if err := db.Scoped(org.ID).CreateAPIKey(ctx, k, store.Actor{UserAgent: "trustcred apikey create"}); err != nil {
			return err
		}
		until := "never expires"
		if expires != nil {
			until = "expires " + expires.Format(time.RFC3339)
		}
		names := make([]string, len(scopes))
		for i, s := range scopes {
			names[i] = string(s)
		}
		fmt.Fprintf(stderr, "Created API key %q (%s…) for %s with scopes %s; it %s.\n"+
			"The key goes to standard output, this once: TrustCred keeps only its hash.\n", name, visible, org.Slug, strings.Join(names, ","), until)
		fmt.Fprintln(stdout, key)
		return nil
	})
}

// openMigrated opens the database and applies pending migrations, so that
// an operator can create the first accounts before the first serve.
func openMigrated(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	m, err := db.Migrator(log)
	if err == nil {
		err = m.Up(ctx)
	}
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}
