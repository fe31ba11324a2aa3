package wasmtest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
)

// TestSharedDataCAS covers Envoy's SharedData::set / get semantics, including
// proxytest divergence 1: a cas=0 write to an existing key succeeds.
func TestSharedDataCAS(t *testing.T) {
	h := newHost(t, HostOptions{})
	p := newPlugin(t, h, probeOptions(t))
	sd := h.SharedData()
	if err := sd.Set("k", []byte("host"), 0); err != nil {
		t.Fatal(err)
	}
	_, cas, _ := sd.Get("k")

	// The guest sees value and CAS.
	_, up := do(t, p, StreamOptions{}, "shared-get", "x-key", "k")
	if mustHeader(t, up, "x-result") != "ok" || mustHeader(t, up, "x-value") != "host" || mustHeader(t, up, "x-cas") != strconv.Itoa(int(cas)) {
		t.Fatalf("guest get = %v, want ok/host/%d", up, cas)
	}

	cases := []struct {
		name, value, cas, want string
	}{
		{"ok/cas-0-overwrites-existing-key", "v1", "0", "ok"},
		{"fail/stale-cas", "v2", strconv.Itoa(int(cas)), "cas mismatch"},
		{"ok/cas-0-again", "v3", "0", "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, up := do(t, p, StreamOptions{}, "shared-set", "x-key", "k", "x-value", tc.value, "x-cas", tc.cas)
			if got := mustHeader(t, up, "x-result"); got != tc.want {
				t.Fatalf("set(cas=%s) = %s, want %s", tc.cas, got, tc.want)
			}
		})
	}
	v, cas2, ok := sd.Get("k")
	if !ok || string(v) != "v3" || cas2 == cas {
		t.Fatalf("after writes: %q cas %d (was %d)", v, cas2, cas)
	}
	// Current CAS succeeds; the host API reports mismatches too.
	_, up = do(t, p, StreamOptions{}, "shared-set", "x-key", "k", "x-value", "v4", "x-cas", strconv.Itoa(int(cas2)))
	if mustHeader(t, up, "x-result") != "ok" {
		t.Fatalf("set with current cas: %v", up)
	}
	if err := sd.Set("k", []byte("x"), cas2); !errors.Is(err, ErrCasMismatch) {
		t.Fatalf("host Set with stale cas = %v, want ErrCasMismatch", err)
	}
	// A non-zero CAS on a missing key writes (SharedData::set only checks existing keys).
	_, up = do(t, p, StreamOptions{}, "shared-set", "x-key", "fresh", "x-value", "f", "x-cas", "12345")
	if mustHeader(t, up, "x-result") != "ok" {
		t.Fatalf("set of a missing key with cas: %v", up)
	}
	_, up = do(t, p, StreamOptions{}, "shared-get", "x-key", "absent")
	if mustHeader(t, up, "x-result") != "not found" {
		t.Fatalf("get of a missing key: %v", up)
	}
}

// TestSharedDataScopedByVMID: Envoy keys shared data by vm_id.
func TestSharedDataScopedByVMID(t *testing.T) {
	h := newHost(t, HostOptions{})
	a := probeOptions(t)
	b := a
	b.VMID = "other-vm"
	pa, pb := newPlugin(t, h, a), newPlugin(t, h, b)
	do(t, pa, StreamOptions{}, "shared-set", "x-key", "scoped", "x-value", "a", "x-cas", "0")
	_, up := do(t, pb, StreamOptions{}, "shared-get", "x-key", "scoped")
	if mustHeader(t, up, "x-result") != "not found" {
		t.Fatalf("vm %q sees vm %q's data: %v", b.VMID, a.VMID, up)
	}
	if v, _, _ := h.SharedDataFor(testVM).Get("scoped"); string(v) != "a" {
		t.Fatalf("SharedDataFor(%q) = %q", testVM, v)
	}
}

// TestSharedDataAcrossVMs: N VMs driven from N goroutines share one store;
// the guests' CAS loops lose no increment.
func TestSharedDataAcrossVMs(t *testing.T) {
	const workers, perWorker = 4, 25
	h := newHost(t, HostOptions{})
	opts := probeOptions(t)
	opts.Workers = workers
	p := newPlugin(t, h, opts)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				s, err := p.NewStream(t.Context(), StreamOptions{Worker: w})
				if err != nil {
					errs <- err
					return
				}
				if _, err := s.RequestHeaders(reqHeaders("shared-incr", "x-key", "hits"), true); err != nil {
					errs <- err
					return
				}
				if r, _ := HeaderValue(s.UpstreamRequestHeaders(), "x-result"); r != "ok" {
					errs <- errors.New("incr result " + r)
					return
				}
				if err := s.Close(); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := sharedString(h, "hits"); got != strconv.Itoa(workers*perWorker) {
		t.Fatalf("hits = %s, want %d", got, workers*perWorker)
	}
}

func TestSharedQueue(t *testing.T) {
	h := newHost(t, HostOptions{})
	opts := probeOptions(t)
	opts.Workers = 2
	opts.Config = []byte("queue=jobs")
	p := newPlugin(t, h, opts)

	// Worker 1 enqueues onto the queue (registered by both roots; the last
	// registration owns it), the owner's root gets proxy_on_queue_ready.
	_, up := do(t, p, StreamOptions{Worker: 1}, "enqueue", "x-queue", "jobs", "x-value", "job-1")
	if mustHeader(t, up, "x-result") != "ok" {
		t.Fatalf("enqueue: %v", up)
	}
	waitFor(t, h, func() bool { return sharedString(h, "queue_last") == "job-1" })
	if !hasLog(h, LogInfo, "queue ready id=1 data=job-1") {
		t.Fatalf("queue ready log missing: %q", h.Logs(LogInfo))
	}
	if !h.SharedData().Enqueue("jobs", []byte("job-2")) {
		t.Fatal("host Enqueue failed")
	}
	waitFor(t, h, func() bool { return sharedString(h, "queue_last") == "job-2" })

	_, up = do(t, p, StreamOptions{}, "enqueue", "x-queue", "nope", "x-value", "x")
	if got := mustHeader(t, up, "x-result"); got != "not found" {
		t.Fatalf("enqueue to an unknown queue = %s, want not found", got)
	}
	_, up = do(t, p, StreamOptions{}, "enqueue", "x-vm", "another-vm", "x-queue", "jobs", "x-value", "x")
	if got := mustHeader(t, up, "x-result"); got != "not found" {
		t.Fatalf("enqueue to another vm_id's queue = %s, want not found", got)
	}
}
