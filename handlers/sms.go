package handlers

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/sms"
	"github.com/trustcred/trustcred/store"
)

// SMSStatus serves POST /sms/twilio/status: Twilio's status callbacks for
// the text messages notifications sent (notify sets the URL on each). The
// request must carry Twilio's X-Twilio-Signature over the public URL and
// the POST parameters, keyed with the auth token; anything else is 403.
// No session, no CSRF: Twilio is the caller.
type SMSStatus struct {
	DB        *store.DB
	AuthToken string // TRUSTCRED_TWILIO_AUTH_TOKEN; "": SMS off, the route answers 404
	BaseURL   string // the public URL Twilio was given, without the path
	Log       *slog.Logger
}

// twilioStatuses maps Twilio's MessageStatus to sms_deliveries.status;
// absent ones (queued, accepted, sending, scheduled) change nothing.
var twilioStatuses = map[string]store.SMSStatus{
	"sent": store.SMSSent, "delivered": store.SMSDelivered, "failed": store.SMSFailed, "undelivered": store.SMSFailed,
}

// Twilio handles one callback.
func (h *SMSStatus) Twilio(c *fiber.Ctx) error {
	if h.AuthToken == "" {
		return fiber.ErrNotFound
	}
	params := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) { params.Add(string(k), string(v)) })
	full := strings.TrimRight(h.BaseURL, "/") + string(c.Request().URI().RequestURI())
	if !sms.ValidTwilioSignature(h.AuthToken, full, params, c.Get("X-Twilio-Signature")) {
		h.Log.Warn("SMS status callback refused: bad signature", "ip", c.IP())
		return c.Status(fiber.StatusForbidden).SendString("invalid signature")
	}
	sid := params.Get("MessageSid")
	status, known := twilioStatuses[params.Get("MessageStatus")]
	if sid == "" {
		return c.Status(fiber.StatusBadRequest).SendString("MessageSid is required")
	}
	if !known {
		return c.SendStatus(fiber.StatusNoContent)
	}
	why := ""
	if status == store.SMSFailed {
		why = "Twilio: " + params.Get("MessageStatus")
		if code := params.Get("ErrorCode"); code != "" {
			why += " (error " + code + ")"
		}
	}
	err := h.DB.UpdateSMSStatus(c.UserContext(), "twilio", sid, status, why, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return c.Status(fiber.StatusNotFound).SendString("unknown message")
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
