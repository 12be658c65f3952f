package config

import (
	"flag"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) string { return env[k] })
}

func TestDefaultsNeedNoConfiguration(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: ":8080", BaseURL: "http://localhost:8080", DataDir: "./data", LogLevel: slog.LevelInfo,
		LogFormat: "text", ShutdownTimeout: 15 * time.Second, SessionIdle: time.Hour, SessionLifetime: 12 * time.Hour, LoginRateLimit: 10, PublicRateLimit: 300, PageCacheMB: 512, WebhookRetentionDays: 30, TwilioBaseURL: "https://api.twilio.com"}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults = %+v\nwant       %+v", c, want)
	}
	if c.Dialect() != "sqlite" || c.SQLitePath() != "data/trustcred.db" {
		t.Fatalf("dialect %q path %q", c.Dialect(), c.SQLitePath())
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	env := map[string]string{
		"TRUSTCRED_ADDR":         "127.0.0.1:9000",
		"TRUSTCRED_DATABASE_URL": "postgres://u@db/trustcred",
		"TRUSTCRED_LOG_LEVEL":    "debug",
		"TRUSTCRED_LOG_FORMAT":   "JSON",
		"TRUSTCRED_DEV":          "true",
		"TRUSTCRED_BASE_URL":     "https://creds.example.org/",
	}
	c0, err := load(t, map[string]string{"TRUSTCRED_MASTER_KEY": "k", "TRUSTCRED_DEMO": "1"})
	if err != nil || c0.MasterKey != "k" || !c0.Demo {
		t.Errorf("master key %q demo %v err %v", c0.MasterKey, c0.Demo, err)
	}
	c, err := load(t, env, "--addr", ":7000", "--data-dir", "/var/lib/trustcred")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7000" {
		t.Errorf("flag must override the environment: addr %q", c.Addr)
	}
	if c.Demo || c.MasterKey != "" {
		t.Errorf("demo %v master key %q", c.Demo, c.MasterKey)
	}
	if c.DataDir != "/var/lib/trustcred" || c.Dialect() != "postgres" || c.LogLevel != slog.LevelDebug ||
		c.LogFormat != "json" || !c.Dev || c.BaseURL != "https://creds.example.org" {
		t.Errorf("config = %+v", c)
	}
}

func TestBaseURLDerivedFromAddress(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://localhost:8080",
		"0.0.0.0:80":     "http://localhost:80",
		"127.0.0.1:9999": "http://127.0.0.1:9999",
		"[::1]:8443":     "http://[::1]:8443",
	} {
		c, err := load(t, nil, "--addr", addr)
		if err != nil {
			t.Fatal(err)
		}
		if c.BaseURL != want {
			t.Errorf("addr %s: base URL %q, want %q", addr, c.BaseURL, want)
		}
	}
}

func TestDNSResolver(t *testing.T) {
	c, err := load(t, map[string]string{"TRUSTCRED_DNS_RESOLVER": "127.0.0.1:5353"})
	if err != nil || c.DNSResolver != "127.0.0.1:5353" {
		t.Fatalf("from the environment: %q %v", c.DNSResolver, err)
	}
	c, err = load(t, map[string]string{"TRUSTCRED_DNS_RESOLVER": "127.0.0.1:5353"}, "--dns-resolver", "[::1]:53")
	if err != nil || c.DNSResolver != "[::1]:53" {
		t.Fatalf("the flag overrides the environment: %q %v", c.DNSResolver, err)
	}
	c, err = load(t, nil, "--dns-resolver", "ns1.example.org:53")
	if err != nil || c.DNSResolver != "ns1.example.org:53" {
		t.Fatalf("a host name: %q %v", c.DNSResolver, err)
	}
}

func TestInvalidSettingsAreNamed(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "8080"}, "addr"},
		{[]string{"--database-url", "mysql://x"}, "database-url"},
		{[]string{"--log-level", "loud"}, "log-level"},
		{[]string{"--log-format", "xml"}, "log-format"},
		{[]string{"--dev=maybe"}, "dev"},
		{[]string{"--base-url", "example.org"}, "base-url"},
		{[]string{"--base-url", "https://x.org/?a=b"}, "base-url"},
		{[]string{"--shutdown-timeout", "-1s"}, "shutdown-timeout"},
		{[]string{"--data-dir", " "}, "data-dir"},
		{[]string{"--demo=sure"}, "demo"},
		{[]string{"--session-idle", "10s"}, "session-idle"},
		{[]string{"--session-lifetime", "forever"}, "session-lifetime"},
		{[]string{"--session-idle", "2h", "--session-lifetime", "1h"}, "longer than session-lifetime"},
		{[]string{"--login-rate-limit", "-1"}, "login-rate-limit"},
		{[]string{"--dns-resolver", "127.0.0.1"}, "dns-resolver"},
		{[]string{"--dns-resolver", ":53"}, "dns-resolver"},
		{[]string{"--dns-resolver", "127.0.0.1:0"}, "dns-resolver"},
		{[]string{"--dns-resolver", "127.0.0.1:domain"}, "dns-resolver"},
		{[]string{"--dns-resolver", "127.0.0.1:65536"}, "dns-resolver"},
	}
	for _, tc := range cases {
		_, err := load(t, nil, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one naming %s", tc.args, err, tc.want)
		}
	}
	// Several mistakes are all reported at once.
	_, err := load(t, nil, "--log-level", "loud", "--log-format", "xml")
	if err == nil || !strings.Contains(err.Error(), "log-level") || !strings.Contains(err.Error(), "log-format") {
		t.Errorf("err = %v, want both mistakes", err)
	}
}

func TestSettingsDocumentEveryVariable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings() {
		if !strings.HasPrefix(s[0], "TRUSTCRED_") || !strings.HasPrefix(s[1], "--") {
			t.Errorf("bad setting %v", s)
		}
		seen[s[0]] = true
	}
	for _, v := range []string{"TRUSTCRED_ADDR", "TRUSTCRED_BASE_URL", "TRUSTCRED_DATA_DIR", "TRUSTCRED_DATABASE_URL",
		"TRUSTCRED_LOG_LEVEL", "TRUSTCRED_LOG_FORMAT", "TRUSTCRED_DEV", "TRUSTCRED_DNS_RESOLVER"} {
		if !seen[v] {
			t.Errorf("%s missing", v)
		}
	}
}

func TestOutboundAndPublicLimit(t *testing.T) {
	c, err := load(t, map[string]string{"TRUSTCRED_OUTBOUND_ALLOW_PRIVATE": "true", "TRUSTCRED_PUBLIC_RATE_LIMIT": "0"})
	if err != nil || !c.OutboundAllowPrivate || c.PublicRateLimit != 0 {
		t.Fatalf("from the environment: %+v %v", c, err)
	}
	if _, err := load(t, map[string]string{"TRUSTCRED_PUBLIC_RATE_LIMIT": "-1"}); err == nil || !strings.Contains(err.Error(), "public-rate-limit") {
		t.Fatalf("negative limit: %v", err)
	}
	if _, err := load(t, map[string]string{"TRUSTCRED_OUTBOUND_ALLOW_PRIVATE": "maybe"}); err == nil || !strings.Contains(err.Error(), "outbound-allow-private") {
		t.Fatalf("bad boolean: %v", err)
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := load(t, map[string]string{"TRUSTCRED_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,::1,10.1.2.3/16"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "::1/128", "10.1.0.0/16"}
	if len(c.TrustedProxies) != len(want) {
		t.Fatalf("%v, want %v", c.TrustedProxies, want)
	}
	for i, p := range c.TrustedProxies {
		if p.String() != want[i] {
			t.Errorf("proxy %d: %s, want %s", i, p, want[i])
		}
	}
	if c, err := load(t, map[string]string{}); err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("no proxy is trusted by default: %v %v", c.TrustedProxies, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.org", "10.0.0.1:80"} {
		if _, err := load(t, map[string]string{"TRUSTCRED_TRUSTED_PROXIES": bad}); err == nil || !strings.Contains(err.Error(), "trusted-proxies") {
			t.Errorf("%s must be refused: %v", bad, err)
		}
	}
}

func TestPageCacheMB(t *testing.T) {
	if c, err := load(t, map[string]string{"TRUSTCRED_PAGE_CACHE_MB": "64"}); err != nil || c.PageCacheMB != 64 {
		t.Fatalf("from the environment: %d %v", c.PageCacheMB, err)
	}
	for _, bad := range []string{"-1", "lots", "1.5"} {
		if _, err := load(t, map[string]string{"TRUSTCRED_PAGE_CACHE_MB": bad}); err == nil || !strings.Contains(err.Error(), "page-cache-mb") {
			t.Errorf("%s must be refused: %v", bad, err)
		}
	}
}

func TestDebugAddrLoopbackOnly(t *testing.T) {
	c, err := load(t, map[string]string{})
	if err != nil || c.DebugAddr != "" {
		t.Fatalf("profiles must be off by default: %q %v", c.DebugAddr, err)
	}
	for _, ok := range []string{"127.0.0.1:6060", "localhost:6060", "[::1]:6060"} {
		if c, err := load(t, map[string]string{"TRUSTCRED_DEBUG_ADDR": ok}); err != nil || c.DebugAddr != ok {
			t.Errorf("%s: %q %v", ok, c.DebugAddr, err)
		}
	}
	for _, bad := range []string{":6060", "0.0.0.0:6060", "10.0.0.1:6060", "127.0.0.1", "127.0.0.1:0", "example.org:6060"} {
		if _, err := load(t, map[string]string{"TRUSTCRED_DEBUG_ADDR": bad}); err == nil || !strings.Contains(err.Error(), "debug-addr") {
			t.Errorf("%s must be refused: %v", bad, err)
		}
	}
}

func TestWebhookRetention(t *testing.T) {
	if c, err := load(t, map[string]string{"TRUSTCRED_WEBHOOK_RETENTION_DAYS": "7"}); err != nil || c.WebhookRetentionDays != 7 {
		t.Fatalf("from the environment: %d %v", c.WebhookRetentionDays, err)
	}
	for _, bad := range []string{"0", "-1", "3651", "a week", "1.5"} {
		if _, err := load(t, map[string]string{"TRUSTCRED_WEBHOOK_RETENTION_DAYS": bad}); err == nil || !strings.Contains(err.Error(), "webhook-retention-days") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Twilio: all three settings or none; the auth token comes from the
// environment only.
func TestTwilio(t *testing.T) {
	c, err := load(t, map[string]string{"TRUSTCRED_TWILIO_ACCOUNT_SID": "AC1", "TRUSTCRED_TWILIO_AUTH_TOKEN": "tok", "TRUSTCRED_TWILIO_FROM": "+14155550100"})
	if err != nil || !c.SMSConfigured() || c.TwilioAuthToken != "tok" || c.TwilioFrom != "+14155550100" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := load(t, map[string]string{"TRUSTCRED_TWILIO_ACCOUNT_SID": "AC1"}); err == nil || !strings.Contains(err.Error(), "or none") {
		t.Fatalf("SID alone: %v", err)
	}
	if _, err := load(t, map[string]string{"TRUSTCRED_TWILIO_ACCOUNT_SID": "AC1", "TRUSTCRED_TWILIO_AUTH_TOKEN": "tok", "TRUSTCRED_TWILIO_FROM": "0612"}); err == nil {
		t.Fatal("a From that is not E.164 was accepted")
	}
	if _, err := load(t, map[string]string{"TRUSTCRED_TWILIO_BASE_URL": "ftp://x"}); err == nil {
		t.Fatal("an ftp base URL was accepted")
	}
}

func TestTLSAndACME(t *testing.T) {
	c, err := load(t, map[string]string{"TRUSTCRED_TLS_ADDR": ":8443", "TRUSTCRED_ACME_CA": "https://acme.example/dir", "TRUSTCRED_ACME_EMAIL": "ops@example.org"})
	if err != nil || c.TLSAddr != ":8443" || c.ACMECA != "https://acme.example/dir" || c.ACMEEmail != "ops@example.org" {
		t.Fatalf("from the environment: %+v %v", c, err)
	}
	if c, err := load(t, nil); err != nil || c.TLSAddr != "" || c.ACMECA != "" {
		t.Fatalf("off by default: %+v %v", c, err)
	}
	for env, want := range map[string]map[string]string{
		"tls-addr":       {"TRUSTCRED_TLS_ADDR": "8443"},
		"acme-ca":        {"TRUSTCRED_TLS_ADDR": ":8443", "TRUSTCRED_ACME_CA": "http://acme.example/dir"},
		"needs tls-addr": {"TRUSTCRED_ACME_CA": "https://acme.example/dir"},
	} {
		if _, err := load(t, want); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(env, "needs ")) {
			t.Errorf("%s: %v", env, err)
		}
	}
}
