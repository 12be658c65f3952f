// Command trustcred is the TrustCred server and its operator tools.
//
//	trustcred serve                 run the web server and the job queue
//	trustcred migrate up|down|status
//	trustcred admin create          create a user (password from stdin)
//	trustcred apikey create         create an organization API key
//	trustcred demo
//	trustcred version
//
// Configuration comes from TRUSTCRED_* environment variables; flags override
// them (trustcred serve -h lists both).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/trustcred/trustcred/internal/config"
)

// version is set at release build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `TrustCred: issue and verify W3C Verifiable Credentials.

Usage:
  trustcred serve                      run the web server and the job queue
  trustcred migrate up|down|status     apply, roll back (one step) or list migrations
  trustcred admin create --email E --role ROLE [--org SLUG] [--name NAME] --password-stdin
                                       create a user; the password is read from standard input
  trustcred apikey create --org SLUG --name N --scopes a,b [--expires 720h]
                                       create an API key and print it, once, on standard output
  trustcred demo                       seed demo organizations, users and settings into an empty database
  trustcred version                    print the version

Run "trustcred serve -h" for the configuration flags and TRUSTCRED_* variables; every
command takes them.
`

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = withConfig("serve", rest, getenv, stderr, func(cfg config.Config, args []string, log *slog.Logger) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unexpected argument %q", args[0])}
			}
			return serve(ctx, cfg, log, stdout)
		})
	case "migrate":
		err = withConfig("migrate", rest, getenv, stderr, func(cfg config.Config, args []string, log *slog.Logger) error {
			return migrate(ctx, cfg, log, args, stdout)
		})
	case "demo":
		err = withConfig("demo", rest, getenv, stderr, func(cfg config.Config, args []string, log *slog.Logger) error {
			return demoCmd(ctx, cfg, log, args, stdout)
		})
	case "admin", "apikey":
		if len(rest) == 0 || rest[0] != "create" {
			err = usageError{fmt.Errorf("want %s create (run \"trustcred %[1]s create -h\" for its flags)", cmd)}
			break
		}
		if cmd == "admin" {
			err = adminCreate(ctx, rest[1:], getenv, stdin, stdout, stderr)
		} else {
			err = apikeyCreate(ctx, rest[1:], getenv, stdout, stderr)
		}
	case "version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "trustcred: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	var usageErr usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usageErr):
		fmt.Fprintf(stderr, "trustcred %s: %v\n", cmd, err)
		return 2
	default:
		fmt.Fprintf(stderr, "trustcred %s: %v\n", cmd, err)
		return 1
	}
}

// usageError is a mistake in the command line, answered with exit code 2.
type usageError struct{ error }

// withConfig parses the configuration flags of a command, builds the logger
// and calls fn with the remaining arguments.
func withConfig(name string, args []string, getenv func(string) string, stderr io.Writer,
	fn func(config.Config, []string, *slog.Logger) error,
) error {
	return withFlags(name, args, getenv, stderr, nil, fn)
}

// withFlags is withConfig for a command with flags of its own, which define
// adds to the configuration flags: both may come in any order.
func withFlags(name string, args []string, getenv func(string) string, stderr io.Writer,
	define func(*flag.FlagSet), fn func(config.Config, []string, *slog.Logger) error,
) error {
	fs := flag.NewFlagSet("trustcred "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if define != nil {
		define(fs)
	}
	cfg, err := config.Load(fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return usageError{fmt.Errorf("configuration: %w", err)}
	}
	return fn(cfg, fs.Args(), newLogger(cfg, stderr))
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func versionString() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		return "trustcred " + v + " " + info.GoVersion
	}
	return "trustcred " + v
}
