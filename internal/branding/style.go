package branding

import "strings"

// Defaults are the colours of a public page whose organization chose none.
var Defaults = map[Role]RGB{
	Primary:   {0x1d, 0x4e, 0xd8}, // blue-700
	Secondary: {0x0f, 0x17, 0x2a}, // slate-900
	Accent:    {0x33, 0x41, 0x55}, // slate-700
}

// PreviewStyle is the base style of the public credential page for the brand colours
// (#rrggbb; empty or not a colour takes the default), with the colours used exactly as
// Uses says: white text on primary, secondary text on the page and card, accent for
// borders. The verdict (.tc-verdict) stays outside the scope, in TrustCred's colours.
// The result holds no "<".
func PreviewStyle(scope, primary, secondary, accent string) string {
	col := func(role Role, hex string) string {
		if c, err := ParseHex(hex); err == nil {
			return c.Hex()
		}
		return Defaults[role].Hex()
	}
	r := strings.NewReplacer(
		"SCOPE", "."+scope,
		"PRIMARY", col(Primary, primary),
		"SECONDARY", col(Secondary, secondary),
		"ACCENT", col(Accent, accent),
		"CARD", CardSurface.Hex(),
	)
	return r.Replace(`
body { margin: 0; font-family: system-ui, sans-serif; background: #ffffff; color: #1f2937; }
.tc-verdict { margin: 0; padding: 0.5rem 1rem; background: #ecfdf5; color: #065f46; font-size: 0.875rem; font-weight: 600; }
SCOPE { background: #ffffff; }
SCOPE .tc-header { background: PRIMARY; color: #ffffff; padding: 1rem; font-weight: 700; font-size: 1.125rem; }
SCOPE .tc-card { margin: 1rem; padding: 1.25rem; background: CARD; border: 2px solid ACCENT; border-radius: 0.5rem; }
SCOPE h1 { color: SECONDARY; font-size: 1.5rem; margin: 0 0 0.75rem; }
SCOPE .tc-link { color: SECONDARY; text-decoration: underline; }
SCOPE .tc-button { display: inline-block; background: PRIMARY; color: #ffffff; padding: 0.5rem 1rem; border-radius: 0.375rem; font-weight: 600; }
`)
}
