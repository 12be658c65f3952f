package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"

	"github.com/trustcred/trustcred/internal/config"
)

// migrate runs "trustcred migrate up|down|status".
//
//	up           apply every pending migration (application and job queue)
//	down         roll back the latest application migration
//	down --to N  roll back to version N (0: drop every application table)
//	status       list the migrations and whether each is applied
func migrate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) (err error) {
	if len(args) == 0 {
		return usageError{errors.New("want up, down [--to VERSION] or status")}
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
	switch args[0] {
	case "up":
		if len(args) != 1 {
			return usageError{errors.New("up takes no arguments")}
		}
		return m.Up(ctx)
	case "down":
		switch {
		case len(args) == 1:
			return m.Down(ctx)
		case len(args) == 3 && (args[1] == "--to" || args[1] == "-to"):
			v, perr := strconv.ParseInt(args[2], 10, 64)
			if perr != nil || v < 0 {
				return usageError{fmt.Errorf("--to %q: want a version number, 0 or more", args[2])}
			}
			return m.DownTo(ctx, v)
		}
		return usageError{errors.New("down takes only --to VERSION")}
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tSTATE")
		for _, s := range st.App {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(tw, "%05d\t%s\t%s\n", s.Version, s.Name, state)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(out, "job queue schema: version %d of %d\n", st.RiverVersion, st.RiverLatest)
		fmt.Fprintf(out, "%s database: %s\n", db.Dialect(), st.Describe())
		return nil
	}
	return usageError{fmt.Errorf("unknown migrate command %q: want up, down or status", args[0])}
}
