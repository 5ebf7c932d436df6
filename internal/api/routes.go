package api

import "net/http"

// endpoint is one route: a ServeMux method and path pattern, and its handler.
type endpoint struct {
	Method  string
	Path    string
	Handler http.Handler
}

// endpoints lists every endpoint of the API. NewServer registers exactly
// these, and openapi.json describes exactly these (a test checks both ways).
// Every POST and DELETE is wrapped in idempotent, in its family's
// envelope (idempotency.go; a test checks).
func (s *server) endpoints() []endpoint {
	return []endpoint{
		{"GET", "/healthz", Healthz()},
		{"GET", "/readyz", Readyz(s.Ping, s.Store)},
		{"GET", "/openapi.json", s.openAPI()},

		// Seeds 000-002: SFVoPI apps and their numbers (apps.go, links.go).
		{"POST", "/sfvopi/apps", s.idempotent(familySFVoPI, s.createApp())},
		{"GET", "/sfvopi/apps/{app_id}", s.getApp()},
		{"DELETE", "/sfvopi/apps/{app_id}", s.idempotent(familySFVoPI, s.deleteApp())},
		{"POST", "/sfvopi/apps/{app_id}/numbers", s.idempotent(familySFVoPI, s.linkNumber())},
		{"GET", "/sfvopi/apps/{app_id}/numbers", s.listAppNumbers()},
		{"DELETE", "/sfvopi/apps/{app_id}/numbers/{voip_number}", s.idempotent(familySFVoPI, s.unlinkNumber())},
		{"GET", "/sfvopi/numbers/available", s.listAvailableNumbers()},

		// Seed 003: voice agents (agents.go).
		{"POST", "/api/agent", s.idempotent(familyAgents, s.createAgent())},
		{"GET", "/api/agent/{agent_id}", s.getAgent()},
		{"POST", "/api/agent/attach-phone-number", s.idempotent(familyAgents, s.attachPhoneNumbers())},

		// Seed 004: numbers added by credentials, and their users
		// (addphone.go, users.go).
		{"POST", "/api/call/add-phone", s.idempotent(familyCall, s.addPhone())},
		{"POST", "/api/users", s.idempotent(familyCall, s.createUser())},
		{"GET", "/api/users/{id}", s.getUser()},

		// Durable job records, the Location of every 202 (jobs.go).
		{"GET", "/v1/jobs/{id}", s.getJob()},
		{"POST", "/v1/jobs/{id}/cancel", s.idempotent(familyV1, s.cancelJob())},

		// Batch imports (batches.go). POST /v1/batches streams its file, so
		// its Idempotency-Key names the batch instead of the buffering
		// idempotency layer (see batches.go).
		{"POST", "/v1/batches", s.createBatch()},
		{"GET", "/v1/batches/{id}", s.getBatch()},
		{"GET", "/v1/batches/{id}/failures.csv", s.batchFailuresCSV()},
		{"POST", "/v1/batches/{id}/retry", s.idempotent(familyV1, s.retryBatch())},
		{"DELETE", "/v1/batches/{id}", s.idempotent(familyV1, s.cancelBatch())},
	}
}

// Route is one endpoint of the API: an HTTP method and a path in
// net/http.ServeMux pattern syntax (which is also OpenAPI's).
type Route struct {
	Method string
	Path   string
}

// Routes lists every endpoint NewServer serves, in registration order.
func Routes() []Route {
	var rs []Route
	for _, e := range (&server{}).endpoints() {
		rs = append(rs, Route{Method: e.Method, Path: e.Path})
	}
	return rs
}
