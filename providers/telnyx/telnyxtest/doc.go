// Package telnyxtest is an in-memory simulator of the part of Telnyx's v2
// REST API that switchboard uses: the account balance, phone numbers
// (list, fetch, update) and Call Control applications (list, fetch,
// create, update).
//
// It exists so that adapter tests, benchmarks and the dev sandbox exercise
// the Telnyx adapter against something that answers like Telnyx: the same
// paths, Bearer API keys, JSON bodies and field names, null-versus-empty
// conventions, {data, meta} paging envelope, {errors: [...]} error bodies
// with Telnyx's codes, and the x-ratelimit-* headers on every answer.
// Serve a Server with net/http/httptest (or mount it under a prefix with
// http.StripPrefix, as the dev sandbox does) and point the adapter's base
// URL at it.
//
// A Server also injects the failures an adapter has to survive (latency,
// 500s, requests that hang until the client gives up, bursts of 429s with
// or without Retry-After, a per-key request limit, and application creates
// that are applied but answered with a 500), deterministically from a
// seed; see Faults.
//
// State is per API key: each key is one account with its own numbers and
// connections. Connections are Call Control applications (the ones the
// API above manages) or other kinds (credential or FQDN connections, i.e.
// SIP trunks), which numbers can be on but the application endpoints do
// not show.
//
// Where Telnyx's behaviour is not documented, the simulator chooses:
//   - filter[phone_number] matches digits anywhere in the number; a value
//     with a non-digit (the '+' of E.164 included) matches nothing, and
//     fewer than 3 digits is a 400 (code 10015), as is a
//     filter[application_name][contains] shorter than 3 characters.
//     Stricter than a lenient server, so adapters cannot come to rely on
//     an ignored filter.
//   - page[number] below 1 and page[size] outside 1..250 are 400s (code
//     10015), not clamped.
//   - Applications are listed newest first unless sort says otherwise
//     (created_at, connection_name, active, each optionally with '-'),
//     matching "if not given, results are sorted by created_at in
//     descending order"; numbers in the order they were bought.
//   - PATCH of a number with a connection_id the account does not have is
//     a 422 with code 10013 ("Missing association", source pointer
//     /connection_id); an unknown number or application id is a 404 with
//     code 10005. Malformed JSON or a field of the wrong type is a 400
//     with code 10015; a body that is not application/json is a 415 with
//     code 10014. Unknown fields are ignored.
//   - Creating or updating an application without application_name or
//     webhook_event_url is a 422 with code 10004 (Telnyx's SDKs require
//     both on updates too); a webhook URL that is not absolute http(s) is
//     a 422 with code 10003; other invalid values are 422s with code
//     10015. inbound and outbound settings are rendered with Telnyx's
//     defaults and not settable.
//   - A key marked read-only gets 403 (code 10010) on every write; a key
//     marked NoBalance gets 403 (code 10010) on GET /v2/balance only
//     (SandboxNoBalanceAPIKey). A 403 comes after authentication: the
//     key is valid.
//   - Paths that do not exist, and methods a path does not take, are 404s
//     with code 10005, after authentication.
//   - The x-ratelimit-* headers describe a fixed window per API key. With
//     no limit configured they report a nominal limit of
//     NominalRateLimit per minute that is never enforced; a configured
//     limit (Faults.RateLimit) is enforced with 429s (code 10011) that
//     carry no Retry-After, only the headers.
package telnyxtest
