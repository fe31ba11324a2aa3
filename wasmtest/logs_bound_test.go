package wasmtest

import (
	"strconv"
	"testing"
)

func TestLogStoreIsBounded(t *testing.T) {
	var s logStore
	for i := 0; i < 3*maxLogLines; i++ {
		s.add(LogInfo, "", strconv.Itoa(i))
	}
	got := s.get(LogInfo, true)
	if len(got) > maxLogLines || len(got) < maxLogLines/2 {
		t.Fatalf("kept %d lines, want between %d and %d", len(got), maxLogLines/2, maxLogLines)
	}
	if last := got[len(got)-1]; last != strconv.Itoa(3*maxLogLines-1) {
		t.Fatalf("newest line lost: last kept %s", last)
	}
}
