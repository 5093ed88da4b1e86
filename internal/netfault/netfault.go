// Package netfault puts a toxiproxy proxy between a test's clients and a
// relay, to add latency, cap bandwidth, cut the link (an outage) or reset
// it, and to take those faults away again. Only test files import it.
package netfault

import (
	"context"
	"fmt"
	"strings"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/collectors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Proxy forwards a free loopback port to the upstream address.
type Proxy struct {
	Listen string // host:port the clients dial instead of the upstream
	p      *toxiproxy.Proxy
}

// Start runs a proxy named name on a free loopback port in front of upstream
// (host:port). It is stopped when the test ends.
func Start(t testing.TB, name, upstream string) *Proxy {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	srv.Metrics.ProxyMetrics = collectors.NewProxyMetricCollectors()
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("toxiproxy %s → %s: %v", name, upstream, err)
	}
	t.Cleanup(p.Stop)
	return &Proxy{Listen: p.Listen, p: p}
}

// Add adds the toxic name of type typ (latency, bandwidth, timeout,
// reset_peer, …) on stream ("upstream" or "downstream") with its
// attributes as a JSON object, e.g. `{"latency":100}`.
func (p *Proxy) Add(t testing.TB, name, typ, stream, attrs string) {
	t.Helper()
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"attributes":%s}`, name, typ, stream, attrs)
	if _, err := p.p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatalf("toxic %s: %v", name, err)
	}
}

// Both adds the toxic both ways, as name-up and name-down.
func (p *Proxy) Both(t testing.TB, name, typ, attrs string) {
	t.Helper()
	p.Add(t, name+"-up", typ, "upstream", attrs)
	p.Add(t, name+"-down", typ, "downstream", attrs)
}

// Remove takes the named toxics away.
func (p *Proxy) Remove(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := p.p.Toxics.RemoveToxic(context.Background(), n); err != nil {
			t.Fatalf("remove toxic %s: %v", n, err)
		}
	}
}

// RemoveBoth takes away a toxic added with Both.
func (p *Proxy) RemoveBoth(t testing.TB, name string) {
	t.Helper()
	p.Remove(t, name+"-up", name+"-down")
}

// Outage blackholes the link both ways (every byte held, nothing answered)
// until EndOutage.
func (p *Proxy) Outage(t testing.TB) { t.Helper(); p.Both(t, "outage", "timeout", `{"timeout":0}`) }

// EndOutage lets the link through again.
func (p *Proxy) EndOutage(t testing.TB) { t.Helper(); p.RemoveBoth(t, "outage") }
