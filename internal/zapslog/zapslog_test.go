package zapslog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/trustcred/trustcred/internal/zapslog"
)

func TestBridgeKeepsLevelNameAndFields(t *testing.T) {
	var buf bytes.Buffer
	log := zapslog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	log.Debug("below the configured level")
	log.Named("obtain").With(zap.String("identifier", "certs.example.edu")).
		Warn("could not get certificate", zap.Error(errors.New("no route")), zap.Int("attempt", 2))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want only the warning (debug is below info), got %d lines: %s", len(lines), buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"level": "WARN", "msg": "could not get certificate", "logger": "obtain",
		"identifier": "certs.example.edu", "error": "no route", "attempt": float64(2)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (line %s)", k, got[k], v, lines[0])
		}
	}
}
