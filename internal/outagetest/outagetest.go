// Package outagetest simulates a database outage without stopping the
// shared PostgreSQL server: a fresh test database reached through a TCP
// forwarder that a test can stop (open connections cut, new ones refused,
// as when the server is down) and start again on the same address.
package outagetest

import (
	"context"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Proxy forwards TCP connections from its address to the database server.
type Proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// Postgres returns a fresh, migrated PostgreSQL database reached through a
// Proxy (skipped like storetest when PostgreSQL is not there), and the
// proxy. The database is dropped when the test ends.
func Postgres(t testing.TB) (*store.DB, *Proxy) {
	t.Helper()
	direct := storetest.Open(t, store.Postgres) // creates the database, drops it at the end
	var name string
	if err := direct.SQL().QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, target: u.Host, conns: map[net.Conn]struct{}{}}
	p.Start()
	t.Cleanup(p.Stop)
	u.Host, u.Path = p.addr, "/"+name
	db, err := store.Open(context.Background(), store.Options{DatabaseURL: u.String(), Logger: storetest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, p
}

// Start listens (again) on the proxy's address and forwards connections.
func (p *Proxy) Start() {
	p.t.Helper()
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("outagetest: listen on %s: %v", addr, err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.forward(c)
		}
	}()
}

func (p *Proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // stopped meanwhile
		p.mu.Unlock()
		_ = c.Close()
		_ = up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	pipe := func(dst, src net.Conn) {
		defer p.wg.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		_ = dst.Close()
		_ = src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}
	p.wg.Add(2)
	go pipe(up, c)
	go pipe(c, up)
}

// Stop is the outage: the proxy stops listening (new connections are
// refused) and cuts every open connection. Stopping twice is harmless.
func (p *Proxy) Stop() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	p.wg.Wait()
}

// Addr is the address the database is reached at.
func (p *Proxy) Addr() string { return p.addr }
