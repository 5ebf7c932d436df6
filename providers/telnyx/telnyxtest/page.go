package telnyxtest

import (
	"net/url"
	"strconv"
)

// Paging limits documented by Telnyx.
const (
	defaultPageSize = 20
	maxPageSize     = 250
)

// metaJSON is Telnyx's paging meta, in the key order of its examples.
type metaJSON struct {
	TotalPages   int `json:"total_pages"`
	TotalResults int `json:"total_results"`
	PageNumber   int `json:"page_number"`
	PageSize     int `json:"page_size"`
}

// page is a parsed page[number] and page[size].
type page struct{ number, size int }

func parsePage(q url.Values) (page, *apiError) {
	p := page{number: 1, size: defaultPageSize}
	for _, f := range []struct {
		name string
		out  *int
		max  int
	}{
		{"page[number]", &p.number, 0},
		{"page[size]", &p.size, maxPageSize},
	} {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || (f.max > 0 && n > f.max) {
			limit := "a positive integer"
			if f.max > 0 {
				limit = "an integer from 1 to " + strconv.Itoa(f.max)
			}
			return p, errBadRequest(f.name + " must be " + limit + ".").param(f.name)
		}
		*f.out = n
	}
	return p, nil
}

// cut returns the bounds of the page within total results, and its meta.
// A page past the end is empty, with the meta still describing the list.
func (p page) cut(total int) (start, end int, meta metaJSON) {
	start = min((p.number-1)*p.size, total)
	end = min(start+p.size, total)
	meta = metaJSON{
		TotalPages:   (total + p.size - 1) / p.size,
		TotalResults: total,
		PageNumber:   p.number,
		PageSize:     p.size,
	}
	return start, end, meta
}
