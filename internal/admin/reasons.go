package admin

import "github.com/switchboardhq/switchboard/internal/store"

// reasonWords says each failure reason in plain words: a title for tables
// and a sentence for the job page.
var reasonWords = map[string]struct{ Title, Explain string }{
	store.ReasonBadCredentials: {"Bad credentials", "The provider refused the account's credentials. Ask the customer to check the account id and token; retrying as it is will fail again."},
	store.ReasonNotOwned:       {"Number not owned", "The provider account does not own this number. Retrying will not help unless the number is moved into the account."},
	store.ReasonConflict:       {"Conflict / configured elsewhere", "The number is wired somewhere else (a SIP trunk, another target, another organization). Release it there, or retry the request with override."},
	store.ReasonOutage:         {"Provider outage", "The provider was down or kept answering with server errors until switchboard gave up. Retry once the provider is back."},
	store.ReasonRateLimited:    {"Rate limited", "The provider kept refusing with \"too many requests\" until switchboard gave up. Retry later, or in smaller batches."},
	store.ReasonTimeout:        {"Timed out", "An attempt ran out of time waiting for the provider. Retry; if it keeps happening, the provider is slow."},
	store.ReasonInvalid:        {"Invalid request", "The request cannot succeed as it was made (bad input, unknown user or target, no connection for the provider). Fix the request; retrying will fail again."},
	store.ReasonInternal:       {"Internal error", "Switchboard's own infrastructure (database, Redis) failed, or a bug. The logs have the detail; retry once it is fixed."},
	store.ReasonCancelled:      {"Cancelled", "An operator (or the HTTP API) cancelled the job while it was waiting to retry; its claims on numbers were released. Retry it to ask again."},
}

// reasonTitle is the plain-words title of a reason, or the reason itself
// for one this version does not know ("" for records from before reasons).
func reasonTitle(reason string) string {
	if w, ok := reasonWords[reason]; ok {
		return w.Title
	}
	if reason == "" {
		return "Unknown (recorded before reasons)"
	}
	return reason
}

func reasonExplain(reason string) string { return reasonWords[reason].Explain }
