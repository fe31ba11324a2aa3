package main

import (
	"strconv"
	"strings"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

type pluginContext struct {
	types.DefaultPluginContext
	id       uint32
	requests proxywasm.MetricCounter
	ticks    proxywasm.MetricCounter
	gauge    proxywasm.MetricGauge
	hist     proxywasm.MetricHistogram
}

// OnPluginStart implements types.PluginContext. Configuration is
// "key=value;..." with keys fail, tick (ms) and queue (name to register).
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	cfg, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogErrorf("plugin config: %v", err)
	}
	name, _ := proxywasm.GetProperty([]string{"plugin_name"})
	proxywasm.LogInfof("plugin start root=%d name=%s config=%s", p.id, name, cfg)
	p.requests = proxywasm.DefineCounterMetric("probe_requests_total")
	p.ticks = proxywasm.DefineCounterMetric("probe_ticks_total")
	p.gauge = proxywasm.DefineGaugeMetric("probe_gauge")
	p.hist = proxywasm.DefineHistogramMetric("probe_latency")
	for _, kv := range strings.Split(string(cfg), ";") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "fail":
			return types.OnPluginStartStatusFailed
		case "tick":
			ms, _ := strconv.Atoi(v)
			if err := proxywasm.SetTickPeriodMilliSeconds(uint32(ms)); err != nil {
				proxywasm.LogErrorf("tick: %v", err)
			}
		case "queue":
			id, err := proxywasm.RegisterSharedQueue(v)
			proxywasm.LogInfof("queue %s registered id=%d err=%v", v, id, err)
		}
	}
	return types.OnPluginStartStatusOK
}

// OnTick implements types.PluginContext.
func (p *pluginContext) OnTick() {
	p.ticks.Increment(1)
	proxywasm.LogInfof("tick root=%d", p.id)
}

// OnQueueReady implements types.PluginContext.
func (p *pluginContext) OnQueueReady(id uint32) {
	data, err := proxywasm.DequeueSharedQueue(id)
	proxywasm.LogInfof("queue ready id=%d data=%s err=%v", id, data, err)
	if err == nil {
		_ = proxywasm.SetSharedData("queue_last", data, 0)
	}
}

// NewHttpContext implements types.PluginContext.
func (p *pluginContext) NewHttpContext(id uint32) types.HttpContext {
	p.requests.Increment(1)
	return &httpContext{id: id, plugin: p}
}
