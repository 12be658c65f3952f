package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/approval"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/bulk"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/sms"
	"github.com/trustcred/trustcred/internal/verifylog"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/web"
)

// jobPeriod, when set (tests only), runs every periodic job, and a
// notification's look whether email has been set up, at this period.
var jobPeriod time.Duration

// serve runs the web server and the job queue until ctx is cancelled (by
// SIGINT or SIGTERM), then stops accepting, lets in-flight requests and
// running jobs finish within the shutdown timeout, and closes the database.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) (err error) {
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()

	migrator, err := db.Migrator(log)
	if err != nil {
		return err
	}
	if err := migrator.Up(ctx); err != nil {
		return err
	}
	// Load (on first run: generate) the master key now, so that a missing or
	// unreadable key stops the server at start, not at the first secret.
	keys, err := secret.Load(cfg.MasterKey, cfg.DataDir)
	if err != nil {
		return err
	}
	if cfg.Demo {
		if err := seedDemoIfEmpty(ctx, cfg, log, db, keys, out); err != nil {
			return err
		}
	}

	mailer, err := mail.FromConfig(cfg.SMTPURL, cfg.Dev, log)
	if err != nil {
		return fmt.Errorf("smtp-url: %w", err)
	}
	// Verification logs are written in batches; closing the writer after
	// the server has stopped writes what is queued, so none is lost.
	vlogs := verifylog.New(db, log, verifylog.Options{})
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if cerr := vlogs.Close(closeCtx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("write verification logs: %w", cerr))
		}
	}()
	// The long-lived services, built once: the handlers and the workers
	// share them.
	services := web.NewServices(cfg, db, keys, vlogs, log)

	blobs, err := blob.NewDisk(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		return err
	}
	defer blobs.Close()
	workers := jobs.NewWorkers()
	if jobPeriod != 0 {
		workers.Hurry(jobPeriod)
	}
	jobs.AddPurge(workers, db, cfg.SessionIdle, log)
	issuance.RegisterExpire(workers, services.Issuer, log)
	customdomain.Register(workers, services.Domains)
	marketplace.RegisterTrending(workers, db, log)
	customdomain.RegisterExpiry(workers, services.Domains)
	var texts sms.Provider = sms.Unconfigured{}
	if cfg.SMSConfigured() {
		texts = &sms.Twilio{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken, From: cfg.TwilioFrom, BaseURL: cfg.TwilioBaseURL}
	}
	notify.Register(workers, notify.Deps{DB: db, Mailer: mailer, SMS: texts, BaseURL: cfg.BaseURL, Log: log, EmailWait: jobPeriod})
	bulk.Register(workers, db, services.Issuer, log)
	bulk.RegisterZip(workers, db, &certificate.Renderer{Issuer: services.Issuer, Blobs: blobs, BaseURL: cfg.BaseURL, Log: log}, blobs, log)
	approval.Register(workers, services.Approvals)
	// Events fan out to their consumers in jobs: webhooks and notifications.
	events.Register(workers, db, log, services.Webhooks, notify.Events{})
	webhook.Register(workers, services.Webhooks, time.Duration(cfg.WebhookRetentionDays)*24*time.Hour)
	queue, err := jobs.New(db, log, workers)
	if err != nil {
		return err
	}
	// From here on the services publish their events through the queue.
	services.Publish(queue)
	if err := queue.Start(ctx); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if serr := queue.Stop(stopCtx); serr != nil {
			err = errors.Join(err, fmt.Errorf("stop job queue: %w", serr))
		}
	}()

	setupToken, err := setupTokenIfNeeded(ctx, db)
	if err != nil {
		return err
	}
	if setupToken != "" {
		log.Warn("no administrator yet: open the setup page to create one; the token is valid until then",
			"url", cfg.BaseURL+"/setup?token="+setupToken)
	}
	app := web.New(web.Deps{Config: cfg, DB: db, Migrator: migrator, Jobs: queue, Keys: keys, Mailer: mailer, Blobs: blobs,
		Log: log, SetupToken: setupToken, Services: services})
	if cfg.DebugAddr != "" {
		stop, err := serveProfiles(cfg.DebugAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "url", cfg.BaseURL, "database", db.Dialect(), "dev", cfg.Dev)

	served := make(chan error, 2)
	if cfg.TLSAddr != "" {
		tln, err := net.Listen("tcp", cfg.TLSAddr)
		if err != nil {
			return fmt.Errorf("listen tls: %w", err)
		}
		picker, err := customdomain.NewTLS(services.Domains, &customdomain.ACME{CA: cfg.ACMECA, Email: cfg.ACMEEmail,
			RootCA: cfg.ACMERootCA, Storage: filepath.Join(cfg.DataDir, "acme"), TLSPort: tln.Addr().(*net.TCPAddr).Port, Log: log})
		if err != nil {
			_ = tln.Close()
			return err
		}
		defer picker.Close()
		log.Info("serving custom domains over TLS", "addr", tln.Addr().String(), "acme", cfg.ACMECA != "")
		// Once the plain listener has built the routes.
		app.Hooks().OnListen(func(fiber.ListenData) error {
			go func() { served <- web.ServeTLS(app, tln, picker) }()
			return nil
		})
	}
	go func() { served <- app.Listener(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	start := time.Now()
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		log.Warn("in-flight requests did not finish in time", "error", err)
	}
	<-served
	log.Info("web server stopped", "took", time.Since(start))
	return nil
}

// setupTokenIfNeeded returns a fresh one-time token for /setup while the
// platform has no administrator, so that a server reachable from the
// internet cannot be claimed by whoever finds it first.
func setupTokenIfNeeded(ctx context.Context, db *store.DB) (string, error) {
	done, err := db.HasSuperAdmin(ctx)
	if err != nil || done {
		return "", err
	}
	return auth.NewToken(), nil
}

func openDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	return store.Open(ctx, store.Options{
		DatabaseURL: cfg.DatabaseURL,
		SQLitePath:  cfg.SQLitePath(),
		Logger:      log,
	})
}

// serveProfiles serves net/http/pprof's handlers on the (loopback) debug
// address, apart from the application's router and middleware.
func serveProfiles(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	log.Warn("serving runtime profiles", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { _ = srv.Close() }, nil
}
