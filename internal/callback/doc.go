// Package callback delivers signed completion callbacks: when a job that
// carries a callback_url reaches a terminal state, the worker POSTs an
// Event as JSON to that URL, as a task of its own so that a slow or failing
// receiver is retried without holding up, or failing, the job.
//
// Callbacks cross the internet to a URL a customer typed, so the package is
// built around two dangers. A receiver must be able to tell switchboard's
// requests from forged or replayed ones: every request is signed. And
// switchboard must not be turned into a proxy towards its own network: URLs
// are checked (Policy.CheckURL), and the connection is checked again after
// DNS resolution (Policy.Client).
//
// # Verifying a callback (for receivers)
//
// Each request carries
//
//	Content-Type: application/json
//	Switchboard-Event-Id: <the event's id, also in the body>
//	Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// where v1 is HMAC-SHA256 keyed with the callback secret over the bytes
// "<t>.<raw body>". To verify:
//
//  1. Read the raw body; do not re-encode parsed JSON, which changes bytes.
//  2. Split the header on ",", and each part on the first "=": take t and
//     every v1 (there are two while a secret is being rotated).
//  3. Compute HMAC-SHA256(secret, t + "." + body), hex-encoded, and compare
//     it with each v1 in constant time; one must match.
//  4. Reject the request when t is more than 5 minutes from your clock:
//     a captured request cannot be replayed later.
//  5. Deduplicate on the event id: a callback is delivered at least once,
//     and the same event may arrive again after a timeout.
//
// Verify implements these steps; docs/callbacks.md has a standalone
// version for receivers (this package is internal to switchboard) and an
// openssl one. Answer 2xx once the event is stored; 4xx
// (other than 408 and 429) tells switchboard to stop retrying, anything
// else makes it retry on the schedule of RetryDelay, up to MaxRetry times.
package callback
