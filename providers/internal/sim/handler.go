package sim

import (
	"encoding/json"
	"net/http"
)

// maxFaultsBytes bounds a PUT's body; faults are a few hundred bytes.
const maxFaultsBytes = 1 << 16

// FaultsHandler serves a simulator's faults as JSON so the dev sandbox can
// change them over HTTP: GET returns get(), PUT decodes its body as an F
// (so absent fields are zero and PUT {} clears every fault), hands it to
// set, and returns get(). A body that does not decode, or that set
// refuses, is a 400. write writes the JSON answer the way the simulator
// writes every body. The handler does no authentication.
func FaultsHandler[F any](get func() F, set func(F) error, write func(w http.ResponseWriter, status int, v any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPut:
			var f F
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFaultsBytes)).Decode(&f); err != nil {
				http.Error(w, "invalid faults: "+err.Error(), http.StatusBadRequest)
				return
			}
			if err := set(f); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		default:
			w.Header().Set("Allow", "GET, PUT")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		write(w, http.StatusOK, get())
	})
}
