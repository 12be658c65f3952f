package notification

import (
	"time"

	"github.com/trustcred/trustcred/views/ui"
)

// Channel is how one notification went out on one channel, for people.
type Channel struct {
	Name   string // In app, Email, Text message
	Status string // Shown, Sent, Delivered, Failed, Waiting, In the daily digest, Skipped
	Tone   ui.Tone
	At     *time.Time // when it was sent or delivered; nil when not (yet)
	AtVerb string     // "Sent" or "Delivered"
	Reason string     // why it failed or was skipped
}

// HistoryEntry is one notification of the delivery history.
type HistoryEntry struct {
	ID, Title, Type string
	SentAt          time.Time
	Critical        bool
	Channels        []Channel
}

// TypeLabel is the notification's type for people.
func (e HistoryEntry) TypeLabel() string { return TypeLabel(e.Type) }

// History is GET /notifications/deliveries: where each of one's
// notifications went, one page of them.
type History struct {
	Entries []HistoryEntry
	Error   string // a paging link that is not valid
	Older   string // link to the next (older) page; "" on the last page
	Newest  string // link back to the first page; "" on the first page
}
