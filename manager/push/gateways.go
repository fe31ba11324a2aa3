package push

import (
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/certgate/certgate/manager/xds"
)

// GatewayStatus is what the manager knows of one gateway.
type GatewayStatus struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"` // "filter" (long-poll) or "xds" (Envoy node)
	Environment string    `json:"environment"`
	Address     string    `json:"address,omitempty"`
	LastSeen    time.Time `json:"lastSeen"`
	// Version is the config version the gateway has applied (filter: the
	// since of its last poll) or ACKed (xDS).
	Version uint64 `json:"version"`
}

// Gateways remembers the long-polling filters.
type Gateways struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]GatewayStatus
}

// NewGateways returns an empty registry.
func NewGateways() *Gateways { return &Gateways{now: time.Now, m: map[string]GatewayStatus{}} }

// maxGateways bounds the registry so unauthenticated-looking churn cannot grow it without end.
const maxGateways = 100_000

// Seen records a poll.
func (g *Gateways) Seen(s GatewayStatus) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s.LastSeen = g.now()
	key := s.Kind + "/" + s.ID
	if _, ok := g.m[key]; !ok && len(g.m) >= maxGateways {
		return
	}
	g.m[key] = s
}

// List returns every known gateway, by environment then id.
func (g *Gateways) List() []GatewayStatus {
	g.mu.Lock()
	out := make([]GatewayStatus, 0, len(g.m))
	for _, s := range g.m {
		out = append(out, s)
	}
	g.mu.Unlock()
	sortGateways(out)
	return out
}

// gatewayDTO is one row of GET /gateways.
type gatewayDTO struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Environment string `json:"environment"`
	Address     string `json:"address,omitempty"`
	LastSeen    string `json:"lastSeen"`
	Version     uint64 `json:"version"`
	Connected   bool   `json:"connected"`
	UpToDate    bool   `json:"upToDate"`
}

type gatewayListDTO struct {
	ConfigVersion uint64       `json:"configVersion"`
	Count         int          `json:"count"`
	List          []gatewayDTO `json:"list"`
}

// ListGateways serves GET /gateways: every long-polling filter and xDS
// node (nodes may be nil), with the version each has applied (filter) or
// ACKed (xDS), so an operator sees a change arrive everywhere.
func ListGateways(pub *Publisher, gws *Gateways, nodes func() []xds.NodeStatus) gin.HandlerFunc {
	return func(c *gin.Context) { c.JSON(http.StatusOK, gatewayList(pub.Version(), gws, nodes)) }
}

func gatewayList(current uint64, gws *Gateways, nodes func() []xds.NodeStatus) gatewayListDTO {
	out := gatewayListDTO{ConfigVersion: current, List: []gatewayDTO{}}
	for _, s := range gws.List() {
		out.List = append(out.List, gatewayDTO{ID: s.ID, Kind: s.Kind, Environment: s.Environment, Address: s.Address,
			LastSeen: s.LastSeen.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Version: s.Version, Connected: true, UpToDate: s.Version == current})
	}
	if nodes != nil {
		for _, n := range nodes() {
			out.List = append(out.List, gatewayDTO{ID: n.NodeID, Kind: "xds", Environment: n.Environment, Address: n.Address,
				LastSeen: n.LastSeen.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Version: n.AckedVersion, Connected: n.Connected, UpToDate: n.AckedVersion == current})
		}
	}
	sort.SliceStable(out.List, func(i, j int) bool {
		a, b := out.List[i], out.List[j]
		if a.Environment != b.Environment {
			return a.Environment < b.Environment
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.ID < b.ID
	})
	out.Count = len(out.List)
	return out
}

func sortGateways(s []GatewayStatus) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Environment != s[j].Environment {
			return s[i].Environment < s[j].Environment
		}
		if s[i].Kind != s[j].Kind {
			return s[i].Kind < s[j].Kind
		}
		return s[i].ID < s[j].ID
	})
}
