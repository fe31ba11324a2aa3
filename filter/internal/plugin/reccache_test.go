package plugin

import "testing"

func TestRecordCache(t *testing.T) {
	c := newRecordCache(2)
	c.put("a", 1, []byte("A"), true)
	c.put("b", 1, nil, false)
	if rec, ok, hit := c.get("a", 1); !hit || !ok || string(rec) != "A" {
		t.Fatal("a")
	}
	if _, ok, hit := c.get("b", 1); !hit || ok {
		t.Fatal("negative entry")
	}
	if _, _, hit := c.get("a", 2); hit {
		t.Fatal("hit across generations")
	}
	c.put("a", 2, []byte("A2"), true) // refresh in place
	if rec, _, hit := c.get("a", 2); !hit || string(rec) != "A2" {
		t.Fatal("refresh")
	}
	c.put("c", 2, nil, false) // evicts the oldest slot (a)
	if _, _, hit := c.get("a", 2); hit {
		t.Fatal("not evicted")
	}
	var nilCache *recordCache
	nilCache.put("x", 1, nil, true)
	if _, _, hit := nilCache.get("x", 1); hit {
		t.Fatal("nil cache hit")
	}
}
