// Package useragent turns a User-Agent header into the few words a person
// recognises their device by ("Chrome on Linux"), for the sessions page. It
// is deliberately small: the common browsers and systems, in the order that
// their tokens overlap, and nothing else.
package useragent

import "strings"

// rule maps a token found in a User-Agent to a name. The first rule whose
// token appears wins, so more specific tokens come first.
type rule struct{ token, name string }

// browsers: Chromium-based browsers also send "Chrome/" and "Safari/",
// Chrome on iOS sends "Safari/" and "CriOS/", so the order matters.
var browsers = []rule{
	{"edg/", "Edge"}, {"edga/", "Edge"}, {"edgios/", "Edge"}, {"edge/", "Edge"},
	{"opr/", "Opera"}, {"opera", "Opera"},
	{"samsungbrowser/", "Samsung Internet"},
	{"vivaldi/", "Vivaldi"},
	{"yabrowser/", "Yandex Browser"},
	{"firefox/", "Firefox"}, {"fxios/", "Firefox"},
	{"crios/", "Chrome"}, {"chromium/", "Chromium"}, {"chrome/", "Chrome"},
	{"msie ", "Internet Explorer"}, {"trident/", "Internet Explorer"},
	{"safari/", "Safari"},
	{"curl/", "curl"}, {"wget/", "Wget"}, {"go-http-client/", "Go HTTP client"}, {"python-requests/", "Python requests"},
}

// systems: Android and ChromeOS also send "Linux", iPhones and iPads send
// "like Mac OS X".
var systems = []rule{
	{"windows phone", "Windows Phone"}, {"windows", "Windows"},
	{"iphone", "iPhone"}, {"ipad", "iPad"}, {"ipod", "iPod"},
	{"android", "Android"},
	{"cros", "ChromeOS"},
	{"macintosh", "macOS"}, {"mac os x", "macOS"},
	{"ubuntu", "Ubuntu"}, {"fedora", "Fedora"},
	{"linux", "Linux"}, {"x11", "Linux"},
	{"freebsd", "FreeBSD"}, {"openbsd", "OpenBSD"},
}

// Summary is a short description of the browser and system that sent ua:
// "Chrome on Linux", "Safari on iPhone", "Firefox", "Unknown browser on
// Windows", or "Unknown device".
func Summary(ua string) string {
	ua = strings.ToLower(ua)
	browser, system := match(ua, browsers), match(ua, systems)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "Unknown browser on " + system
	}
	return "Unknown device"
}

func match(ua string, rules []rule) string {
	for _, r := range rules {
		if strings.Contains(ua, r.token) {
			return r.name
		}
	}
	return ""
}
