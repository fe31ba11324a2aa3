package api

import (
	"fmt"
	"net/url"
)

// paginationDTO is WSO2's PaginationDTO; next/previous are relative links,
// empty when there is no such page.
type paginationDTO struct {
	Offset   int    `json:"offset"`
	Limit    int    `json:"limit"`
	Total    int    `json:"total"`
	Next     string `json:"next"`
	Previous string `json:"previous"`
}

// paginate builds the links for path with extra query parameters.
func paginate(path string, extra url.Values, offset, limit, total int) paginationDTO {
	link := func(off int) string {
		q := url.Values{}
		for k, v := range extra {
			q[k] = v
		}
		q.Set("limit", fmt.Sprint(limit))
		q.Set("offset", fmt.Sprint(off))
		return path + "?" + q.Encode()
	}
	p := paginationDTO{Offset: offset, Limit: limit, Total: total}
	if offset+limit < total {
		p.Next = link(offset + limit)
	}
	if offset > 0 {
		p.Previous = link(max(0, offset-limit))
	}
	return p
}
