package web

import (
	"crypto/tls"
	"net"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/customdomain"
)

// ServeTLS serves app over TLS on ln for the organizations' custom domains
// (the certificate picked by SNI: customdomain.TLS), beside the plain
// listener app.Listener serves, which must have been started first (it
// builds the routes). The same handler and host routing answer both;
// app's shutdown closes both listeners.
func ServeTLS(app *fiber.App, ln net.Listener, picker *customdomain.TLS) error {
	return app.Server().Serve(tls.NewListener(ln, picker.Config()))
}
