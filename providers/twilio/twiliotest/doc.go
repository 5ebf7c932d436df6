// Package twiliotest is an in-memory simulator of the part of Twilio's
// 2010-04-01 REST API that switchboard uses: fetching an account, listing
// and fetching incoming phone numbers, and updating a number's voice
// configuration.
//
// It exists so that adapter tests, benchmarks and the dev sandbox exercise
// the real twilio-go SDK, unchanged, against something that answers like
// Twilio: the same paths, Basic auth, form-encoded bodies, JSON field names,
// null-versus-empty conventions, paging envelope and error bodies. Point the
// SDK at a Server with an http.RoundTripper that rewrites the scheme and host
// of https://api.twilio.com (and adds a path prefix when the Server is
// mounted under one with http.StripPrefix; the URIs it returns are relative
// to the API root, as Twilio's are, so paging keeps working under a prefix).
// The package's tests validate every exchange against Twilio's published
// OpenAPI description so the simulator cannot silently drift from the real
// API.
//
// A Server also injects the failures an adapter has to survive (latency,
// 500s, requests that hang until the client gives up, bursts of 429s, a
// per-account concurrency limit, and writes that are applied but answered
// with a 500), deterministically from a seed; see Faults.
//
// Where Twilio's behaviour is not documented, the simulator chooses:
//   - Valid credentials used on another account's path answer 404 with code
//     20404, not 401 or 403: Twilio reports resources outside the
//     authenticated account as not found. A main account's auth token
//     reaches its subaccounts' resources (AddSubaccount), as Twilio
//     documents; an API key (AddAPIKey) reaches only its own account's,
//     and, as a standard key, cannot fetch the account (401, 20003).
//   - An account's status is enforced: every request but the account fetch
//     for an account that is suspended or closed, or whose parent is,
//     answers code 20005 ("Account not active"), with HTTP 401 (Twilio
//     does not document the status). The fetch still reports the status.
//   - Empty values are rendered as Twilio's published examples render them:
//     voice_url, voice_fallback_url, trunk_sid and the other resource SIDs
//     as null; sms_url, sms_fallback_url, status_callback and the
//     application SIDs as "". Adapters must treat both as "not set".
//   - Update parameters are validated as documented, no more leniently:
//     methods must be exactly GET or POST, URLs absolute http(s) (or empty,
//     which clears them), SIDs well formed (or empty, which detaches the
//     application or trunk) and naming an application or trunk of the
//     number's own account (AddApplication, AddTrunk, or a fixture's
//     number on it). Errors are 400s with code 21502 for URLs, 22108
//     ("Invalid Application SID": malformed, nonexistent or another
//     account's, https://www.twilio.com/docs/api/errors/22108) for
//     application SIDs, and 20001 otherwise, trunk SIDs included (Twilio
//     documents no code of its own for them). Parameters the
//     simulator does not model (EmergencyStatus, AddressSid, BundleSid,
//     ...) are ignored, as Twilio ignores unknown ones; an AccountSid other
//     than the number's (a transfer) is refused.
//   - Page URIs carry a PageToken ("PA" and the SID of the previous page's
//     last number), as Twilio's next_page_uri does.
package twiliotest
