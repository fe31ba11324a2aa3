package domain

import (
	"regexp"
	"slices"
	"time"
)

// Time units a tier may count over.
var TimeUnits = []string{"sec", "min", "hour", "day"}

// Tier is a subscription throttling policy: requestCount requests per
// unitTime timeUnit. An Unlimited tier does not throttle.
type Tier struct {
	Name         string
	DisplayName  string
	Description  string
	RequestCount int64
	UnitTime     int64
	TimeUnit     string
	Unlimited    bool
}

var tierNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Window returns the length of the tier's counting window.
func (t Tier) Window() time.Duration {
	unit := map[string]time.Duration{"sec": time.Second, "min": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[t.TimeUnit]
	return time.Duration(t.UnitTime) * unit
}

// ValidateTierName checks a tier name (1-64 of letters, digits, '.', '_', '-').
func ValidateTierName(name string) error {
	if !tierNameRE.MatchString(name) {
		return Invalid(CodeValidation, "Invalid tier name", "tier name must be 1-64 characters of letters, digits, '.', '_' or '-', got %q", name)
	}
	return nil
}

// Normalize fills defaults: displayName = name, unitTime 1.
func (t *Tier) Normalize() {
	if t.DisplayName == "" {
		t.DisplayName = t.Name
	}
	if t.UnitTime == 0 {
		t.UnitTime = 1
	}
	if t.Unlimited {
		t.RequestCount = 0
	}
}

// Validate checks a normalized tier.
func (t Tier) Validate() error {
	if err := ValidateTierName(t.Name); err != nil {
		return err
	}
	switch {
	case len(t.DisplayName) > 128 || len(t.Description) > 1024:
		return Invalid(CodeValidation, "Invalid tier", "displayName is limited to 128 and description to 1024 characters")
	case !slices.Contains(TimeUnits, t.TimeUnit):
		return Invalid(CodeValidation, "Invalid timeUnit", "timeUnit must be one of sec, min, hour, day, got %q", t.TimeUnit)
	case t.UnitTime < 1 || t.UnitTime > 1_000_000:
		return Invalid(CodeValidation, "Invalid unitTime", "unitTime must be between 1 and 1000000, got %d", t.UnitTime)
	case !t.Unlimited && (t.RequestCount < 1 || t.RequestCount > 1<<40):
		return Invalid(CodeValidation, "Invalid requestCount", "requestCount must be at least 1 (or set unlimited), got %d", t.RequestCount)
	}
	return nil
}

// DefaultTiers are the tiers a new store is seeded with (WSO2's defaults).
func DefaultTiers() []Tier {
	return []Tier{
		{Name: "Bronze", DisplayName: "Bronze", Description: "Allows 1000 requests per minute", RequestCount: 1000, UnitTime: 1, TimeUnit: "min"},
		{Name: "Silver", DisplayName: "Silver", Description: "Allows 2000 requests per minute", RequestCount: 2000, UnitTime: 1, TimeUnit: "min"},
		{Name: "Gold", DisplayName: "Gold", Description: "Allows 5000 requests per minute", RequestCount: 5000, UnitTime: 1, TimeUnit: "min"},
		{Name: "Unlimited", DisplayName: "Unlimited", Description: "Allows unlimited requests", UnitTime: 1, TimeUnit: "min", Unlimited: true},
	}
}

// DefaultTierName is used when a certificate upload names no tier.
const DefaultTierName = "Unlimited"
