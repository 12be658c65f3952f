package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// A did:web naming a loopback listener through an IPv6 form is refused
// before any connection is made: the dialer's Control hook reports
// ErrBlockedAddress (it runs before connect), and the listener sees nothing.
func TestWebDIDToEmbeddedLoopbackIsNotContacted(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	r := Resolver{Fetcher: &Fetcher{TTL: -1}}
	for _, host := range []string{"::127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "64:ff9b:1::7f00:1", "2002:7f00:1::1"} {
		did := "did:web:" + strings.ReplaceAll(url.PathEscape(fmt.Sprintf("[%s]:%d", host, port)), ":", "%3A")
		_, err := r.Document(context.Background(), did)
		if !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: %v, want ErrBlockedAddress", did, err)
		}
	}
	l.Close()
	<-done
	if n := accepted.Load(); n != 0 {
		t.Fatalf("the loopback listener accepted %d connections", n)
	}
}
