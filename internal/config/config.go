// Package config holds TrustCred's run-time configuration: one struct, read
// from TRUSTCRED_* environment variables and overridden by command-line flags.
// cmd/trustcred builds it once and passes it down; nothing reads the
// environment anywhere else.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything the process needs to know at start.
type Config struct {
	Addr            string        // listen address, e.g. ":8080"
	BaseURL         string        // public URL used in links and DIDs, no trailing slash
	DataDir         string        // SQLite file, keys and uploaded files live here
	DatabaseURL     string        // postgres://… selects PostgreSQL; empty means embedded SQLite
	LogLevel        slog.Level    // debug, info, warn, error
	LogFormat       string        // text or json
	Dev             bool          // development mode: error details on pages, verbose logs
	ShutdownTimeout time.Duration // how long in-flight requests and jobs get on SIGTERM
	Demo            bool          // serve: seed the demo data set into an empty database
	SessionIdle     time.Duration // a session unused this long ends
	SessionLifetime time.Duration // a session ends this long after sign-in
	LoginRateLimit  int           // sign-in and reset attempts per minute per IP; 0 disables
	SMTPURL         string        // smtp://user:pass@host:587?from=… ; empty: emails are logged in dev mode, refused otherwise
	DNSResolver     string        // host:port of the DNS server that domain verification asks; empty: the system's resolvers
	// OutboundAllowPrivate lets fetches of other issuers' DID documents and
	// status lists reach loopback and private addresses (tests, closed
	// networks); a did:web on a loopback host with a port is then fetched
	// over plain http.
	OutboundAllowPrivate bool
	// AllowCustomJS lets organizations' admins give their public pages a
	// script of their own (off by default: the field is not offered and a
	// saved script is not served).
	AllowCustomJS   bool
	PublicRateLimit int // public verification requests per minute per IP; 0 disables
	// PageCacheMB bounds the memory of credential pages kept ready to
	// serve (gzipped HTML with its verification); 0 keeps none.
	PageCacheMB int
	// WebhookRetentionDays is how long webhook delivery attempts stay in
	// the delivery log before the purge job deletes them.
	WebhookRetentionDays int
	// TrustedProxies are the reverse proxies (addresses or CIDR ranges)
	// whose X-Forwarded-For is believed: behind them, the client's address
	// (rate limits, logs, sessions) is the nearest one they did not add.
	TrustedProxies []netip.Prefix
	// DebugAddr, when set, serves Go's runtime profiles (net/http/pprof)
	// on this loopback address, for measuring the server under load.
	DebugAddr string
	// Twilio sends SMS notifications (all three of the account SID, the
	// auth token and the sending number, or none: SMS off). The auth token
	// is TRUSTCRED_TWILIO_AUTH_TOKEN, environment only, never a flag or the
	// database. TwilioBaseURL points the client elsewhere than
	// https://api.twilio.com (tests, a regional edge).
	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioFrom       string
	TwilioBaseURL    string
	// TLSAddr, when set, is a second listener serving HTTPS for the
	// organizations' verified custom domains (by SNI: the uploaded
	// certificate, else ACME when ACMECA is set). TrustCred's own host
	// stays behind its reverse proxy on Addr.
	TLSAddr string
	// ACMECA is the directory URL of the ACME CA that issues certificates
	// on demand for verified custom domains without an uploaded one
	// (e.g. https://acme-v02.api.letsencrypt.org/directory); empty: off.
	// ACMEEmail is the account's contact; ACMERootCA a PEM file of the
	// CA's root (a private or test CA), empty for the system's roots.
	ACMECA     string
	ACMEEmail  string
	ACMERootCA string
	// MasterKey is TRUSTCRED_MASTER_KEY: the keys that seal secrets at rest.
	// Environment only, never a flag (flags show in process lists). Empty
	// means a key file in the data directory, generated on first run.
	MasterKey string
}

// Dialect names the database the configuration selects.
func (c Config) Dialect() string {
	if c.DatabaseURL == "" {
		return "sqlite"
	}
	return "postgres"
}

// SQLitePath is the embedded database file used when no DatabaseURL is set.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "trustcred.db") }

// setting is one configurable value: its flag name, environment variable,
// default and help text.
type setting struct {
	flag, env, def, help string
	boolean              bool // "--dev" alone means true
}

var settings = []setting{
	{"addr", "TRUSTCRED_ADDR", ":8080", "listen address", false},
	{"base-url", "TRUSTCRED_BASE_URL", "", "public base URL used in links and DIDs (default derived from the address)", false},
	{"data-dir", "TRUSTCRED_DATA_DIR", "./data", "directory for the embedded database, keys and uploads", false},
	{"database-url", "TRUSTCRED_DATABASE_URL", "", "postgres://… to use PostgreSQL (default: embedded SQLite in the data directory)", false},
	{"log-level", "TRUSTCRED_LOG_LEVEL", "info", "log level: debug, info, warn, error", false},
	{"log-format", "TRUSTCRED_LOG_FORMAT", "text", "log format: text or json", false},
	{"dev", "TRUSTCRED_DEV", "false", "development mode (error details on pages)", true},
	{"shutdown-timeout", "TRUSTCRED_SHUTDOWN_TIMEOUT", "15s", "how long to wait for in-flight requests and jobs on shutdown", false},
	{"demo", "TRUSTCRED_DEMO", "false", "serve: seed the demo data set if the database is empty", true},
	{"session-idle", "TRUSTCRED_SESSION_IDLE", "1h", "sign out a session unused this long", false},
	{"session-lifetime", "TRUSTCRED_SESSION_LIFETIME", "12h", "sign out a session this long after sign-in", false},
	{"login-rate-limit", "TRUSTCRED_LOGIN_RATE_LIMIT", "10", "sign-in and password-reset attempts per minute per IP (0: no limit)", false},
	{"smtp-url", "TRUSTCRED_SMTP_URL", "", "SMTP server for invitations and resets: smtp[s]://user:pass@host:port?from=Name%20<addr>", false},
	{"dns-resolver", "TRUSTCRED_DNS_RESOLVER", "", "DNS server (host:port) for domain verification (default: the system's resolvers)", false},
	{"outbound-allow-private", "TRUSTCRED_OUTBOUND_ALLOW_PRIVATE", "false", "let verification fetch DID documents and status lists from loopback and private addresses", true},
	{"allow-custom-js", "TRUSTCRED_ALLOW_CUSTOM_JS", "false", "let organizations add their own JavaScript to their public pages (a separate file under the CSP, never on staff pages)", true},
	{"public-rate-limit", "TRUSTCRED_PUBLIC_RATE_LIMIT", "300", "public verification requests (pages, uploads, API) per minute per IP (0: no limit)", false},
	{"trusted-proxies", "TRUSTCRED_TRUSTED_PROXIES", "", "reverse proxies whose X-Forwarded-For gives the client's address: addresses or CIDR ranges, comma-separated (empty: none)", false},
	{"page-cache-mb", "TRUSTCRED_PAGE_CACHE_MB", "512", "memory (MB) for public credential pages kept ready to serve, about 5 KB each (0: none)", false},
	{"webhook-retention-days", "TRUSTCRED_WEBHOOK_RETENTION_DAYS", "30", "days webhook delivery attempts stay in the delivery log (1 to 3650)", false},
	{"twilio-account-sid", "TRUSTCRED_TWILIO_ACCOUNT_SID", "", "Twilio account SID for SMS notifications (with TRUSTCRED_TWILIO_AUTH_TOKEN and --twilio-from; empty: no SMS)", false},
	{"twilio-from", "TRUSTCRED_TWILIO_FROM", "", "the Twilio number SMS notifications come from, in E.164 (+14155550100)", false},
	{"twilio-base-url", "TRUSTCRED_TWILIO_BASE_URL", "https://api.twilio.com", "base URL of Twilio's REST API", false},
	{"tls-addr", "TRUSTCRED_TLS_ADDR", "", "host:port of the HTTPS listener for organizations' verified custom domains (empty: off)", false},
	{"acme-ca", "TRUSTCRED_ACME_CA", "", "ACME directory URL for automatic certificates of verified custom domains (needs --tls-addr; empty: uploaded certificates only)", false},
	{"acme-email", "TRUSTCRED_ACME_EMAIL", "", "contact email of the ACME account", false},
	{"acme-root-ca", "TRUSTCRED_ACME_ROOT_CA", "", "PEM file of the ACME server's root certificate, for a private CA (empty: the system's roots)", false},
	{"debug-addr", "TRUSTCRED_DEBUG_ADDR", "", "loopback host:port serving Go's runtime profiles (/debug/pprof/); empty: off", false},
}

// Settings lists the environment variables, flags and defaults, for help
// output and documentation.
func Settings() [][3]string {
	out := make([][3]string, 0, len(settings))
	for _, s := range settings {
		out = append(out, [3]string{s.env, "--" + s.flag, s.def})
	}
	return out
}

// Load registers every setting as a flag on fs (with the environment value,
// if any, as its default), parses args and returns the validated config.
// getenv is os.Getenv in production and a map lookup in tests.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	vals := make(map[string]*string, len(settings))
	for _, s := range settings {
		def := s.def
		if v := strings.TrimSpace(getenv(s.env)); v != "" {
			def = v
		}
		v := &value{s: def, boolean: s.boolean}
		fs.Var(v, s.flag, s.help+" ("+s.env+")")
		vals[s.flag] = &v.s
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	get := func(name string) string { return strings.TrimSpace(*vals[name]) }

	var errs []error
	c := Config{
		MasterKey: getenv("TRUSTCRED_MASTER_KEY"),
		// A secret like the master key: environment only.
		TwilioAuthToken:  strings.TrimSpace(getenv("TRUSTCRED_TWILIO_AUTH_TOKEN")),
		TwilioAccountSID: get("twilio-account-sid"),
		TwilioFrom:       get("twilio-from"),
		TwilioBaseURL:    strings.TrimRight(get("twilio-base-url"), "/"),
		Addr:             get("addr"),
		DataDir:          get("data-dir"),
		DatabaseURL:      get("database-url"),
		SMTPURL:          get("smtp-url"),
		DNSResolver:      get("dns-resolver"),
		LogFormat:        strings.ToLower(get("log-format")),
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port, e.g. :8080", c.Addr))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data-dir must not be empty"))
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("database-url must be a postgres:// or postgresql:// URL"))
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("log-level"))); err != nil {
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", get("log-level")))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: want text or json", c.LogFormat))
	}
	dev, err := strconv.ParseBool(get("dev"))
	if err != nil {
		errs = append(errs, fmt.Errorf("dev %q: want true or false", get("dev")))
	}
	c.Dev = dev
	if c.Demo, err = strconv.ParseBool(get("demo")); err != nil {
		errs = append(errs, fmt.Errorf("demo %q: want true or false", get("demo")))
	}
	c.ShutdownTimeout, err = time.ParseDuration(get("shutdown-timeout"))
	if err != nil || c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown-timeout %q: want a positive duration such as 15s", get("shutdown-timeout")))
	}
	for _, d := range []struct {
		name string
		into *time.Duration
	}{{"session-idle", &c.SessionIdle}, {"session-lifetime", &c.SessionLifetime}} {
		v, err := time.ParseDuration(get(d.name))
		if err != nil || v < time.Minute {
			errs = append(errs, fmt.Errorf("%s %q: want a duration of at least 1m, such as 30m or 12h", d.name, get(d.name)))
		}
		*d.into = v
	}
	if c.SessionIdle > c.SessionLifetime && c.SessionLifetime >= time.Minute {
		errs = append(errs, fmt.Errorf("session-idle %s is longer than session-lifetime %s", c.SessionIdle, c.SessionLifetime))
	}
	if c.LoginRateLimit, err = strconv.Atoi(get("login-rate-limit")); err != nil || c.LoginRateLimit < 0 {
		errs = append(errs, fmt.Errorf("login-rate-limit %q: want a whole number, 0 or more", get("login-rate-limit")))
	}
	if err := resolverAddr(c.DNSResolver); err != nil {
		errs = append(errs, err)
	}
	if c.OutboundAllowPrivate, err = strconv.ParseBool(get("outbound-allow-private")); err != nil {
		errs = append(errs, fmt.Errorf("outbound-allow-private %q: want true or false", get("outbound-allow-private")))
	}
	if c.AllowCustomJS, err = strconv.ParseBool(get("allow-custom-js")); err != nil {
		errs = append(errs, fmt.Errorf("allow-custom-js %q: want true or false", get("allow-custom-js")))
	}
	if c.PublicRateLimit, err = strconv.Atoi(get("public-rate-limit")); err != nil || c.PublicRateLimit < 0 {
		errs = append(errs, fmt.Errorf("public-rate-limit %q: want a whole number, 0 or more", get("public-rate-limit")))
	}
	if c.TrustedProxies, err = proxies(get("trusted-proxies")); err != nil {
		errs = append(errs, err)
	}
	if c.PageCacheMB, err = strconv.Atoi(get("page-cache-mb")); err != nil || c.PageCacheMB < 0 {
		errs = append(errs, fmt.Errorf("page-cache-mb %q: want a whole number of megabytes, 0 or more", get("page-cache-mb")))
	}
	if c.WebhookRetentionDays, err = strconv.Atoi(get("webhook-retention-days")); err != nil || c.WebhookRetentionDays < 1 || c.WebhookRetentionDays > 3650 {
		errs = append(errs, fmt.Errorf("webhook-retention-days %q: want a whole number of days from 1 to 3650", get("webhook-retention-days")))
	}
	c.TLSAddr, c.ACMECA, c.ACMEEmail, c.ACMERootCA = get("tls-addr"), get("acme-ca"), get("acme-email"), get("acme-root-ca")
	if c.TLSAddr != "" {
		if _, _, err := net.SplitHostPort(c.TLSAddr); err != nil {
			errs = append(errs, fmt.Errorf("tls-addr %q: want host:port, e.g. :8443", c.TLSAddr))
		}
	}
	if c.ACMECA != "" {
		if u, err := url.Parse(c.ACMECA); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("acme-ca %q: want the https:// URL of an ACME directory", c.ACMECA))
		}
		if c.TLSAddr == "" {
			errs = append(errs, errors.New("acme-ca needs tls-addr: certificates are served by the TLS listener"))
		}
	}
	if c.DebugAddr = get("debug-addr"); c.DebugAddr != "" {
		if err := loopbackAddr(c.DebugAddr); err != nil {
			errs = append(errs, err)
		}
	}
	if set := btoi(c.TwilioAccountSID != "") + btoi(c.TwilioAuthToken != "") + btoi(c.TwilioFrom != ""); set != 0 && set != 3 {
		errs = append(errs, errors.New("twilio: set all of TRUSTCRED_TWILIO_ACCOUNT_SID, TRUSTCRED_TWILIO_AUTH_TOKEN and TRUSTCRED_TWILIO_FROM, or none"))
	}
	if c.TwilioFrom != "" && (!strings.HasPrefix(c.TwilioFrom, "+") || len(c.TwilioFrom) < 8) {
		errs = append(errs, fmt.Errorf("twilio-from %q: want an E.164 number such as +14155550100", c.TwilioFrom))
	}
	if u, err := url.Parse(c.TwilioBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("twilio-base-url %q: want an http(s) URL", c.TwilioBaseURL))
	}
	base, err := baseURL(get("base-url"), c.Addr)
	if err != nil {
		errs = append(errs, err)
	}
	c.BaseURL = base
	return c, errors.Join(errs...)
}

// value is a flag holding text; a boolean one may be given without a value.
// Parsing into typed fields happens in Load, so that every mistake is
// reported with the setting's name.
type value struct {
	s       string
	boolean bool
}

func (v *value) String() string     { return v.s }
func (v *value) Set(s string) error { v.s = s; return nil }
func (v *value) IsBoolFlag() bool   { return v.boolean }

// baseURL validates an explicit base URL or derives one from the listen
// address (":8080" → "http://localhost:8080").
func baseURL(explicit, addr string) (string, error) {
	if explicit == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return "", nil // reported for addr already
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port), nil
	}
	u, err := url.Parse(explicit)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("base-url %q: want an absolute http(s) URL such as https://credentials.example.org", explicit)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base-url %q: must not have a query or fragment", explicit)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// resolverAddr checks the DNS server address: empty (the system's
// resolvers) or host:port with a port from 1 to 65535.
func resolverAddr(addr string) error {
	if addr == "" {
		return nil
	}
	if host, ok := hostPort(addr); !ok || host == "" {
		return fmt.Errorf("dns-resolver %q: want host:port, e.g. 127.0.0.1:53 or [2001:db8::53]:53", addr)
	}
	return nil
}

// hostPort splits host:port and checks the port is 1 to 65535.
func hostPort(addr string) (host string, ok bool) {
	host, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	return host, err == nil && perr == nil && n >= 1 && n <= 65535
}

// loopbackAddr checks the debug address: profiles expose the process's
// internals, so they are served on a loopback address only.
func loopbackAddr(addr string) error {
	host, ok := hostPort(addr)
	if !ok {
		return fmt.Errorf("debug-addr %q: want a loopback host:port such as 127.0.0.1:6060", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("debug-addr %q: profiles are served on a loopback address only, such as 127.0.0.1:6060", addr)
	}
	return nil
}

// proxies parses the trusted proxies: addresses (a /32 or /128) or CIDR
// ranges, comma-separated.
func proxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted-proxies %q: want addresses or CIDR ranges such as 10.0.0.0/8, comma-separated", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SMSConfigured reports whether the Twilio settings are given.
func (c Config) SMSConfigured() bool { return c.TwilioAccountSID != "" }
