package plivo

import (
	"net/http"
	"strings"

	plivo "github.com/plivo/plivo-go/v7"

	"github.com/switchboardhq/switchboard/providers"
)

// Subaccounts. A Plivo main account's credentials reach the numbers of its
// subaccounts: Plivo reports them with sub_account set. Such a number can
// only be attached to an application of the subaccount, so the adapter
// lists, creates and updates the route's application with the subaccount
// parameter Plivo documents on those calls. plivo-go v7.57.0 has that
// parameter on the application list only, and reads sub_account nowhere,
// so these calls go through the SDK's own request path (Client.NewRequest
// and ExecuteRequest, exactly what its services call) with the adapter's
// types.

// numberBody is the part of the number resource the adapter reads.
type numberBody struct {
	Number       string  `json:"number"`
	Application  *string `json:"application"`
	VoiceEnabled bool    `json:"voice_enabled"`
	SubAccount   *string `json:"sub_account"`
}

// listedApp is an application of a list, with the account it belongs to.
type listedApp struct {
	plivo.Application
	SubAccount *string `json:"sub_account"`
}

type applicationList struct {
	plivo.BaseListResponse
	Objects []listedApp `json:"objects"`
}

// createParams and updateParams are plivo-go's with subaccount.
type createParams struct {
	plivo.ApplicationCreateParams
	Subaccount string `json:"subaccount,omitempty"`
}

type updateParams struct {
	plivo.ApplicationUpdateParams
	Subaccount string `json:"subaccount,omitempty"`
}

// getNumber fetches the number digits, as plivo-go's Numbers.Get does.
func (c *call) getNumber(digits string) (numberBody, error) {
	var n numberBody
	err := c.run(providers.KindNotOwned, func() error {
		req, err := c.sdk.NewRequest(http.MethodGet, nil, "Number/%s", digits)
		if err != nil {
			return err
		}
		return c.sdk.ExecuteRequest(req, &n)
	})
	return n, err
}

// voice sends an application request as plivo-go's Applications service
// does: marked as a voice request, which sends it to api.plivo.com and
// makes the SDK resend it on a 5xx (see edge).
func (c *call) voice(method string, params, out any, format string, args ...any) error {
	req, err := c.sdk.NewRequest(method, params, format, args...)
	if err != nil {
		return err
	}
	return c.sdk.ExecuteRequest(req, out, map[string]any{"is_voice_request": true, "retry": 0})
}

// subaccountID is the auth ID in a sub_account value: Plivo documents a
// string naming the subaccount, either its auth ID or its resource URI
// ("/v1/Account/MA…/Subaccount/SA…/", what the simulator sends). ok is
// false when the value names no subaccount the adapter can tell.
func subaccountID(v *string) (id string, ok bool) {
	if v == nil || *v == "" {
		return "", true
	}
	s := strings.TrimSuffix(*v, "/")
	s = s[strings.LastIndex(s, "/")+1:]
	if !isSubaccountID(s) {
		return "", false
	}
	return s, true
}

// isSubaccountID reports whether s has the shape of a subaccount's auth ID:
// "SA" and at least one more letter or digit.
func isSubaccountID(s string) bool {
	return len(s) > len("SA") && strings.HasPrefix(s, "SA") && alnum(s)
}
