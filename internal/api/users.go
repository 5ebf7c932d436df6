package api

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/internal/store"
)

// Users own numbers added through seed 004 (its userId), so they share
// that family's envelope (callEnvelope, in addphone.go) and field style.

type createUserRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type userData struct {
	ID        string `json:"_id"`
	Name      string `json:"name"`
	CreatedAt string `json:"createdAt"`
}

func newUserData(u store.User) userData {
	return userData{ID: u.ID, Name: u.Name, CreatedAt: formatTime(u.CreatedAt)}
}

func callOK(w http.ResponseWriter, status int, message string, data any) {
	encode(w, status, callEnvelope{Message: message, Status: true, Code: status, Data: data})
}

// createUser is POST /api/users: 201 with the user. The id is the
// client's (24 hex characters, as seed 004's userId) or generated.
func (s *server) createUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, err := authenticate(r.Context(), s.Store, r)
		if err != nil {
			s.callAuthError(w, err)
			return
		}
		var req createUserRequest
		if err := decode(r, &req); err != nil {
			callError(w, http.StatusBadRequest, msgInvalidBody, callBodyDetail(err))
			return
		}
		name := strings.TrimSpace(req.Name)
		switch {
		case name == "":
			callError(w, http.StatusBadRequest, "Name is required", "name must not be empty")
			return
		case utf8.RuneCountInString(name) > maxNameLen:
			callError(w, http.StatusBadRequest, "Name is too long", "name must be at most 200 characters")
			return
		case strings.IndexFunc(name, invisible) >= 0:
			callError(w, http.StatusBadRequest, "Invalid name", "name must not contain control or invisible formatting characters")
			return
		case req.ID != "" && !objectID.MatchString(req.ID):
			callError(w, http.StatusBadRequest, "Invalid User ID format", "id must be 24 hexadecimal characters")
			return
		}
		id := req.ID
		if id == "" {
			id = store.NewID()
		}
		u, err := s.Store.CreateUser(r.Context(), store.User{ID: id, OrgID: orgID, Name: name})
		if errors.Is(err, store.ErrConflict) {
			// Ids are unique across orgs; the answer does not say whose it is.
			callError(w, http.StatusConflict, "User ID is already taken", "choose another id or omit it")
			return
		} else if err != nil {
			s.internalError(w, err)
			return
		}
		callOK(w, http.StatusCreated, "User created successfully", newUserData(u))
	})
}

// getUser is GET /api/users/{id}.
func (s *server) getUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, err := authenticate(r.Context(), s.Store, r)
		if err != nil {
			s.callAuthError(w, err)
			return
		}
		id := r.PathValue("id")
		u, err := store.User{}, store.ErrNotFound
		if plausibleID(id) {
			u, err = s.Store.GetUser(r.Context(), orgID, id)
		}
		if errors.Is(err, store.ErrNotFound) {
			callError(w, http.StatusNotFound, "User not found", "no user with this id")
			return
		} else if err != nil {
			s.internalError(w, err)
			return
		}
		callOK(w, http.StatusOK, "User fetched successfully", newUserData(u))
	})
}
