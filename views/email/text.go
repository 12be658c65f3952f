package email

import (
	"strings"
)

// Text is Layout as plain text: the sender, the body, the footer with the
// preferences link.
func Text(b Brand, body string) string {
	var s strings.Builder
	s.WriteString(b.Name)
	s.WriteString("\n\n")
	s.WriteString(strings.TrimRight(body, "\n"))
	s.WriteString("\n\n-- \nSent by " + b.Name + " through TrustCred.\nChange your notification preferences: " + b.PreferencesURL() + "\n")
	return s.String()
}

// NotificationText is NotificationHTML as plain text.
func NotificationText(b Brand, n Notification) string {
	var s strings.Builder
	if n.Critical {
		s.WriteString("[Security alert]\n")
	}
	s.WriteString(n.Title + "\n\n" + n.Message + "\n\nOpen it in TrustCred: " + n.OpenURL + "\n")
	return Text(b, s.String())
}

// DigestText is DigestHTML as plain text.
func DigestText(b Brand, d Digest) string {
	var s strings.Builder
	s.WriteString("Your notifications for " + d.Day + "\n")
	for _, it := range d.Items {
		s.WriteString("\n* " + it.At.Format("15:04") + " " + it.Title + "\n  " + strings.ReplaceAll(it.Message, "\n", "\n  ") + "\n  " + it.OpenURL + "\n")
	}
	return Text(b, s.String())
}
