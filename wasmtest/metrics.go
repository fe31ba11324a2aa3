package wasmtest

import "sync"

// metric is one Envoy stat; every VM defining the same name shares it.
type metric struct {
	kind    uint32
	value   uint64
	samples []uint64
}

type metricStore struct {
	mu     sync.Mutex
	byName map[string]*metric
}

func newMetricStore() *metricStore { return &metricStore{byName: map[string]*metric{}} }

func (s *metricStore) define(kind uint32, name string) *metric {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byName[name]
	if m == nil {
		m = &metric{kind: kind}
		s.byName[name] = m
	}
	return m
}

func (s *metricStore) value(name string) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byName[name]
	if m == nil {
		return 0, false
	}
	if m.kind == metricHistogram {
		var sum uint64
		for _, v := range m.samples {
			sum += v
		}
		return sum, true
	}
	return m.value, true
}

func (s *metricStore) samples(name string) []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.byName[name]; m != nil {
		return append([]uint64(nil), m.samples...)
	}
	return nil
}

// increment follows Envoy's Context::incrementMetric: counters only go up,
// gauges add or subtract, histograms cannot be incremented.
func (s *metricStore) increment(m *metric, offset int64) status {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m.kind {
	case metricCounter:
		if offset <= 0 {
			return statusBadArgument
		}
		m.value += uint64(offset)
	case metricGauge:
		m.value = uint64(int64(m.value) + offset)
	default:
		return statusBadArgument
	}
	return statusOK
}

// record follows Context::recordMetric: counters add, gauges set,
// histograms record a sample.
func (s *metricStore) record(m *metric, v uint64) status {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m.kind {
	case metricCounter:
		m.value += v
	case metricGauge:
		m.value = v
	default:
		m.samples = append(m.samples, v)
	}
	return statusOK
}

// get follows Context::getMetric: histograms cannot be read.
func (s *metricStore) get(m *metric) (uint64, status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.kind == metricHistogram {
		return 0, statusBadArgument
	}
	return m.value, statusOK
}
