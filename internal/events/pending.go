package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trustcred/trustcred/store"
)

// Pending are the events published and not fanned out yet (their
// event_fanout jobs still in the queue), oldest first: what tests and
// tools read to see what a change published.
func Pending(ctx context.Context, db *store.DB) ([]Event, error) {
	args := "args::text" // River's SQLite driver stores args as SQLite's binary JSON
	if db.Dialect() == store.SQLite {
		args = "json(args)"
	}
	rows, err := db.SQL().QueryContext(ctx, "SELECT "+args+" FROM river_job WHERE kind = 'event_fanout' ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var f Fanout
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("events: event_fanout args %s: %w", raw, err)
		}
		out = append(out, f.Event)
	}
	return out, rows.Err()
}
