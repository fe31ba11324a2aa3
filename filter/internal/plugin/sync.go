package plugin

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"github.com/certgate/certgate/filter/internal/syncer"
	"github.com/certgate/certgate/shared"
)

// poller keeps shared data current from the manager's long-poll. Every VM
// (Envoy worker) ticks, but only the one holding the shared-data lease
// polls, so a process makes one poll whatever its worker count; when that
// VM stops renewing, another takes over from the applied version recorded
// in shared data. Answers are applied as one generation; a malformed or
// failed answer is logged and ignored (the last good data stays), and the
// next poll waits with capped exponential backoff and jitter.
type poller struct {
	cfg      SyncConfig
	lease    syncer.Lease
	backoff  syncer.Backoff
	gateway  string
	inFlight bool
	nextAt   int64 // unix ms before which no poll starts (backoff)
	applied  gauge
	polls    lazyCounter
	failures lazyCounter
}

// gauge is a lazily defined proxy-wasm gauge.
type gauge struct {
	name    string
	g       proxywasm.MetricGauge
	defined bool
}

func (g *gauge) set(v int64) {
	if !g.defined {
		g.g = proxywasm.DefineGaugeMetric(g.name)
		g.defined = true
	}
	g.g.Add(v - g.g.Value()) // proxy-wasm gauges only move by offsets
}

func newPoller(cfg SyncConfig) *poller {
	owner := randomID()
	p := &poller{
		cfg:      cfg,
		lease:    syncer.Lease{Owner: owner, TTL: 3 * cfg.TickMillis},
		backoff:  syncer.Backoff{BaseMillis: 250, MaxMillis: 30_000},
		gateway:  cfg.GatewayID,
		applied:  gauge{name: "certgate.sync.applied_version"},
		polls:    lazyCounter{name: "certgate.sync.polls"},
		failures: lazyCounter{name: "certgate.sync.failures"},
	}
	if p.gateway == "" {
		p.gateway = "certgate-" + owner
	}
	if p.cfg.Authority == "" {
		p.cfg.Authority = cfg.Cluster
	}
	return p
}

// randomID is 8 random bytes in hex (WASI random_get); a clock fallback
// keeps VMs apart if the host has no randomness.
func randomID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		binary.LittleEndian.PutUint64(b[:], uint64(time.Now().UnixNano()))
	}
	return hex.EncodeToString(b[:])
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// tick renews or takes the lease and starts a poll when due.
func (p *poller) tick() {
	now := nowMillis()
	if !p.lease.Acquire(sharedKV{}, now) {
		return
	}
	if p.inFlight || now < p.nextAt {
		return
	}
	p.poll()
}

// waitSeconds is how long the manager may hold a poll: a little less than
// the call's timeout, so a quiet manager answers 304 before Envoy times out.
func (p *poller) waitSeconds() int {
	w := p.cfg.TimeoutMillis/1000 - 2
	if w < 0 {
		return 0
	}
	return int(w)
}

func (p *poller) poll() {
	since := syncer.Applied(sharedKV{})
	headers := [][2]string{
		{":method", "GET"},
		{":path", syncer.PollPath(p.cfg.PollPath, p.cfg.Environment, since, p.waitSeconds())},
		{":authority", p.cfg.Authority},
		{"accept", shared.ContentTypeDelta},
		{shared.HeaderGateway, p.gateway},
	}
	if p.cfg.Token != "" {
		headers = append(headers, [2]string{"authorization", "Bearer " + p.cfg.Token})
	}
	if _, err := proxywasm.DispatchHttpCall(p.cfg.Cluster, headers, nil, nil, uint32(p.cfg.TimeoutMillis), p.onResponse); err != nil {
		proxywasm.LogWarnf("certgate: sync: cannot call cluster %q: %v", p.cfg.Cluster, err)
		p.fail()
		return
	}
	p.inFlight = true
	p.polls.inc(1)
}

// onResponse handles a poll's answer (Envoy calls it with no headers on a
// timeout or reset). Like every callback it ends by releasing the buffers
// the host allocated during it (hostmem_tinygo.go): the answer's headers and
// body, and every shared-data read of the apply.
func (p *poller) onResponse(numHeaders, bodySize, numTrailers int) {
	p.handleResponse(bodySize)
	releaseHostAllocs()
}

func (p *poller) handleResponse(bodySize int) {
	p.inFlight = false
	status := ""
	if hs, err := proxywasm.GetHttpCallResponseHeaders(); err == nil {
		for _, h := range hs {
			if h[0] == ":status" {
				status = h[1]
				break
			}
		}
	}
	switch status {
	case "200":
		body, err := proxywasm.GetHttpCallResponseBody(0, bodySize)
		if err != nil {
			proxywasm.LogWarnf("certgate: sync: reading the answer: %v", err)
			p.fail()
			return
		}
		d, err := shared.DecodeDelta(body)
		if err != nil {
			proxywasm.LogWarnf("certgate: sync: malformed or partial answer (%d bytes) ignored; keeping version %d", len(body), syncer.Applied(sharedKV{}))
			p.fail()
			return
		}
		if err := syncer.Apply(sharedKV{}, &d); err != nil {
			proxywasm.LogWarnf("certgate: sync: answer %d (since %d) not applied: %v", d.Version, d.Since, err)
			p.fail()
			return
		}
		p.applied.set(int64(d.Version))
		proxywasm.LogInfof("certgate: sync: applied version %d (%d writes, full=%v)", d.Version, len(d.Writes), d.Full)
	case "304":
	case "":
		proxywasm.LogWarnf("certgate: sync: no answer from cluster %q (timeout or reset)", p.cfg.Cluster)
		p.fail()
		return
	default:
		proxywasm.LogWarnf("certgate: sync: manager answered %s; keeping version %d", status, syncer.Applied(sharedKV{}))
		p.fail()
		return
	}
	p.backoff.Success()
	p.nextAt = 0
	if p.lease.Acquire(sharedKV{}, nowMillis()) {
		p.poll() // long-poll: ask again at once
	}
}

func (p *poller) fail() {
	p.failures.inc(1)
	var b [8]byte
	_, _ = rand.Read(b[:])
	p.nextAt = nowMillis() + p.backoff.Failure(binary.LittleEndian.Uint64(b[:]))
}
