// Package plivotest is an in-memory simulator of the part of Plivo's REST
// API (https://api.plivo.com/v1/Account/{auth_id}/) that switchboard uses:
// fetching the account, fetching a number and attaching it to an
// application, and listing, fetching, creating and updating applications,
// for main accounts and their subaccounts (AddSubaccount).
//
// It exists so that adapter tests, benchmarks and the dev sandbox exercise
// the real plivo-go SDK, unchanged, against something that answers like
// Plivo: the same paths (each ending in '/'), Basic auth, JSON bodies, JSON
// field names, null-versus-string conventions, the list envelope
// (api_id, meta{limit,next,offset,previous,total_count}, objects), an api_id
// (a UUID) in every answer but the 401, and Plivo's error bodies
// ({"api_id":...,"error":...}). The package's tests compare its answers
// field by field with the real responses recorded in plivo-go's fixtures
// (copied into testdata/), and its error answers with the status codes and
// bodies Plivo documents (testdata/errors.json).
//
// Subaccounts are modelled as Plivo documents them: a main account's
// credentials reach its subaccounts' numbers (each with sub_account set),
// create and list applications in a subaccount with the subaccount
// parameter, and move a number into a subaccount with subaccount on the
// number update; a subaccount's credentials reach only its own resources,
// and may not name a subaccount (400).
//
// Point the SDK at a Server with an http.RoundTripper that rewrites the
// scheme and host of https://api.plivo.com (setting the SDK's BaseUrl is
// not enough: it forces api.plivo.com over https for application calls),
// and adds a path prefix when the Server is mounted under one with
// http.StripPrefix. The resource URIs it returns are relative to the API
// root, as Plivo's are.
//
// A Server also injects the failures an adapter has to survive (latency,
// 500s with or without a body, requests that hang until the client gives
// up, bursts of 429s, Plivo's per-account rate limit, and application
// creates that are applied but answered with a 500), deterministically from
// a seed; see Faults. New servers start with Plivo's documented rate limit
// (DefaultRateLimit requests per DefaultRateWindow per account) and no
// other fault.
//
// Where Plivo's behaviour is not documented, the simulator chooses:
//   - The account fetch is served at /v1/Account/{auth_id}/ and at
//     /v1/Account/{auth_id}// (the path plivo-go v7 actually sends).
//   - Valid credentials used on another account's path, unknown paths and
//     unsupported methods answer 404 {"api_id":...,"error":"not found"}.
//   - app_name filters exactly (case-sensitive), or as a substring with
//     WithAppNameContains; names are not unique, as on Plivo. Applications
//     are listed newest first; limit must be 1..20.
//   - App ids are 17-digit numeric strings like Plivo's, from a counter, so
//     a later application has a larger id.
//   - Attaching a number (POST Number/{number}/) without app_id attaches
//     the account's default number application (one created or updated
//     with default_number_app=true), or detaches the number when there is
//     none: that is what Plivo does when app_id is omitted. An unknown
//     app_id answers 404.
//   - Bodies must be JSON objects (plivo-go sends JSON); parameters are
//     validated as documented: names [A-Za-z0-9_-], URLs absolute http(s),
//     methods GET or POST. Violations answer 400 with an "error" string.
//     Applications added with AddApplication (as in Plivo's console) may
//     have any printable name ("Demo Speak", as in Plivo's recorded list).
//   - sub_account, on a subaccount's numbers and applications, is the
//     subaccount's resource URI (/v1/Account/{main}/Subaccount/{sub}/);
//     Plivo documents a string naming the subaccount, not its form.
//   - A number attaches only to an application of the account renting it:
//     another account's app_id (the main account's, for a subaccount's
//     number) answers 404. A main account reaches its subaccounts'
//     applications by id (fetch, update); its list without subaccount holds
//     only its own, or its subaccounts' too with
//     WithSubaccountApplicationsListed. Valid credentials on a
//     subaccount's path (or any other account's) answer 404.
//   - Fields Plivo reports only for US toll-free or 10DLC numbers
//     (tendlc_*, toll_free_sms_verification*) are null.
package plivotest
