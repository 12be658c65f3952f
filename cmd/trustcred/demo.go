package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/demo"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
)

// demoCmd runs "trustcred demo": migrate, then seed the demo data set into
// an empty database and print the accounts once.
func demoCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) (err error) {
	if len(args) != 0 {
		return usageError{errors.New("demo takes no arguments")}
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	m, err := db.Migrator(log)
	if err != nil {
		return err
	}
	if err := m.Up(ctx); err != nil {
		return err
	}
	keys, err := secret.Load(cfg.MasterKey, cfg.DataDir)
	if err != nil {
		return err
	}
	res, err := demo.Seed(ctx, db, keys, cfg.BaseURL)
	if errors.Is(err, store.ErrNotEmpty) {
		return errors.New("the database already has data; the demo is only seeded into an empty database")
	}
	if err != nil {
		return err
	}
	printDemo(out, res)
	return nil
}

// seedDemoIfEmpty is serve --demo: seed, or say why not, and go on serving.
func seedDemoIfEmpty(ctx context.Context, cfg config.Config, log *slog.Logger, db *store.DB, keys *secret.Keyring, out io.Writer) error {
	res, err := demo.Seed(ctx, db, keys, cfg.BaseURL)
	if errors.Is(err, store.ErrNotEmpty) {
		// Said where the passwords would have been, not only in the log:
		// whoever asked for the demo is looking there.
		where := "the data directory " + cfg.DataDir
		if cfg.DatabaseURL != "" {
			where = "the database of --database-url"
		}
		fmt.Fprintf(out, "Demo data not seeded: %s already has data, and the demo is seeded only into an empty one.\n"+
			"To look at the demo, start on a new data directory: trustcred serve --demo --data-dir ./demo-data\n", where)
		log.Warn("demo data not seeded: the database already has data")
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	printDemo(out, res)
	return nil
}

func printDemo(out io.Writer, res demo.Result) {
	fmt.Fprintln(out, "Demo data seeded. These passwords are shown only now; they are stored only as hashes.")
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tROLE\tORGANIZATION\tPASSWORD")
	for _, a := range res.Accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Email, a.Role, a.Organization, a.Password)
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\nAPI key for %s (scopes credentials:issue, credentials:read, templates:read):\n  %s\n", res.APIKeyOrg, res.APIKey)
}
