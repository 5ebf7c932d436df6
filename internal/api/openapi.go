package api

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes every endpoint of routes.go; TestOpenAPI checks that
// the two agree and that the document is valid OpenAPI 3.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI is GET /openapi.json. It needs no key.
func (s *server) openAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(openAPIDoc)
	})
}

// OpenAPI returns the API's OpenAPI 3 description (JSON).
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }
