package wasmtest

import (
	"io"
	"sync"
)

type logLine struct {
	level   LogLevel
	line    string // Envoy's rendering: "wasm log <prefix>: <message>"
	message string
}

// maxLogLines bounds the captured guest logs: a long-running host (the
// local gateway) keeps the newest lines only. Tests stay far below it.
const maxLogLines = 50_000

type logStore struct {
	mu    sync.Mutex
	lines []logLine
	sink  io.Writer
}

func (s *logStore) add(level LogLevel, prefix, message string) {
	l := logLine{level: level, line: "wasm log" + prefix + ": " + message, message: message}
	s.mu.Lock()
	if len(s.lines) >= maxLogLines {
		n := copy(s.lines, s.lines[len(s.lines)-maxLogLines/2:])
		clear(s.lines[n:])
		s.lines = s.lines[:n]
	}
	s.lines = append(s.lines, l)
	if s.sink != nil {
		_, _ = io.WriteString(s.sink, "["+level.String()+"] "+l.line+"\n")
	}
	s.mu.Unlock()
}

func (s *logStore) get(level LogLevel, raw bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.lines {
		if l.level == level {
			if raw {
				out = append(out, l.message)
			} else {
				out = append(out, l.line)
			}
		}
	}
	return out
}

// logPrefix is Envoy's log_prefix(): " <root_id> <vm_id>" for root contexts,
// " <plugin name> <root_id> <vm_id>" for stream contexts, empty parts left
// out (proxy-wasm-cpp-host PluginBase::makeLogPrefix / makeRootLogPrefix).
func logPrefix(c *hctx) string {
	if c == nil || c.plugin == nil {
		return ""
	}
	o := &c.plugin.opts
	prefix := ""
	if c.stream != nil && o.Name != "" {
		prefix += " " + o.Name
	}
	if o.RootID != "" {
		prefix += " " + o.RootID
	}
	if o.VMID != "" {
		prefix += " " + o.VMID
	}
	return prefix
}
