// Package sim is the machinery the provider simulators (twiliotest,
// plivotest, telnyxtest) share: per-endpoint call counters, the faults'
// JSON form and validation helpers, the HTTP handler that reads and
// replaces faults, and the Decider that applies faults to each request
// (latency and jitter, hangs, 500s, 429 bursts, a concurrency limit) from
// a seeded random source.
//
// It knows nothing of any provider's wire format: each simulator keeps its
// own exported Faults type, its own error bodies and its own rate limits,
// and passes them in. It lives under providers/internal because the
// simulators are test infrastructure, not an API.
package sim
