package twiliotest

import (
	"net/url"
	"strconv"
	"strings"
)

// Paging limits documented by Twilio.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// pageJSON is Twilio's list envelope for IncomingPhoneNumbers, in Twilio's
// key order. next_page_uri is null on the last page: twilio-go follows it
// until it is.
type pageJSON struct {
	FirstPageURI         string       `json:"first_page_uri"`
	End                  int          `json:"end"`
	PreviousPageURI      *string      `json:"previous_page_uri"`
	IncomingPhoneNumbers []numberJSON `json:"incoming_phone_numbers"`
	URI                  string       `json:"uri"`
	PageSize             int          `json:"page_size"`
	Start                int          `json:"start"`
	NextPageURI          *string      `json:"next_page_uri"`
	Page                 int          `json:"page"`
}

// listQuery is a parsed IncomingPhoneNumbers list request.
type listQuery struct {
	filters     [][2]string // as sent, in Twilio's order, for the page URIs
	phone       string
	friendly    string
	hasFriendly bool
	betaOnly    *bool
	origin      string
	pageSize    int
	page        int
	pageToken   string
}

func parseListQuery(q url.Values) (listQuery, *apiError) {
	lq := listQuery{pageSize: defaultPageSize}
	for _, name := range []string{"FriendlyName", "Beta", "PhoneNumber", "Origin"} {
		if v, ok := q[name]; ok && len(v) > 0 {
			lq.filters = append(lq.filters, [2]string{name, v[0]})
		}
	}
	if v, ok := q["FriendlyName"]; ok && len(v) > 0 {
		lq.friendly, lq.hasFriendly = v[0], true
	}
	// A '+' sent unencoded arrives as a space; the digits still match.
	lq.phone = strings.TrimSpace(q.Get("PhoneNumber"))
	if v := q.Get("Beta"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return lq, errInvalid(CodeInvalidParameter, "Beta must be true or false")
		}
		lq.betaOnly = &b
	}
	lq.origin = q.Get("Origin")
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			// The spec's maximum for PageSize is 1000.
			return lq, errInvalid(CodeInvalidParameter, "PageSize must be an integer from 1 to 1000")
		}
		lq.pageSize = n
	}
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return lq, errInvalid(CodeInvalidParameter, "Page must be a non-negative integer")
		}
		lq.page = n
	}
	lq.pageToken = q.Get("PageToken")
	return lq, nil
}

// matches applies the filters. PhoneNumber matches partially, like
// Twilio's: it may be any part of the E.164 number, and '*' stands for any
// digit. FriendlyName matches exactly. Beta=false leaves out numbers new to
// Twilio; Beta=true (Twilio's default) includes them.
func (lq *listQuery) matches(n *Number) bool {
	if lq.phone != "" && !containsPattern(n.PhoneNumber, lq.phone) {
		return false
	}
	if lq.hasFriendly && n.FriendlyName != lq.friendly {
		return false
	}
	if lq.betaOnly != nil && !*lq.betaOnly && n.Beta {
		return false
	}
	if lq.origin != "" && n.Origin != lq.origin {
		return false
	}
	return true
}

// containsPattern reports whether pattern occurs in s, '*' matching any
// digit.
func containsPattern(s, pattern string) bool {
	for i := 0; i+len(pattern) <= len(s); i++ {
		ok := true
		for j := 0; j < len(pattern); j++ {
			c, p := s[i+j], pattern[j]
			if p == c || (p == '*' && c >= '0' && c <= '9') {
				continue
			}
			ok = false
			break
		}
		if ok {
			return true
		}
	}
	return false
}

// cut cuts one page out of the matching numbers. A PageToken ("PA"
// followed by the SID of the last number of the previous page, the form
// Twilio's next_page_uri carries) wins over Page, so pages stay stable
// when numbers are added; Page alone counts pages of PageSize.
func (lq *listQuery) cut(accountSID string, all []*Number) pageJSON {
	start := lq.page * lq.pageSize
	if sid, ok := strings.CutPrefix(lq.pageToken, "PA"); ok {
		for i, n := range all {
			if n.SID == sid {
				start = i + 1
				break
			}
		}
	}
	start = min(start, len(all))
	end := min(start+lq.pageSize, len(all))
	items := all[start:end]

	out := pageJSON{
		FirstPageURI:         lq.uri(accountSID, 0, ""),
		End:                  start,
		IncomingPhoneNumbers: make([]numberJSON, 0, len(items)),
		URI:                  lq.uri(accountSID, lq.page, lq.pageToken),
		PageSize:             lq.pageSize,
		Start:                start,
		Page:                 lq.page,
	}
	for _, n := range items {
		out.IncomingPhoneNumbers = append(out.IncomingPhoneNumbers, n.wire())
	}
	if len(items) > 0 {
		out.End = start + len(items) - 1
	}
	if lq.page > 0 {
		prev := lq.uri(accountSID, lq.page-1, "")
		out.PreviousPageURI = &prev
	}
	if end < len(all) {
		next := lq.uri(accountSID, lq.page+1, "PA"+items[len(items)-1].SID)
		out.NextPageURI = &next
	}
	return out
}

// uri builds a page URI relative to the API root, as Twilio does: the
// filters as sent, then PageSize, Page and PageToken.
func (lq *listQuery) uri(accountSID string, page int, token string) string {
	var b strings.Builder
	b.WriteString(apiRoot + accountSID + "/IncomingPhoneNumbers.json?")
	for _, f := range lq.filters {
		b.WriteString(f[0] + "=" + url.QueryEscape(f[1]) + "&")
	}
	b.WriteString("PageSize=" + strconv.Itoa(lq.pageSize) + "&Page=" + strconv.Itoa(page))
	if token != "" {
		b.WriteString("&PageToken=" + url.QueryEscape(token))
	}
	return b.String()
}
