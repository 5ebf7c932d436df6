package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"
)

// Roles. An operator may retry and cancel; a viewer only reads. The server
// checks the role on every state-changing request.
const (
	RoleOperator = "operator"
	RoleViewer   = "viewer"
)

// User is an admin login from configuration: a name, a role and a bcrypt
// hash of the password.
type User struct {
	Name string
	Role string
	Hash []byte
}

// ParseUsers reads SWITCHBOARD_ADMIN_USERS: comma-separated
// name:role:bcrypt-hash entries (bcrypt hashes hold neither ',' nor ':').
// The error names the entry, never a hash.
func ParseUsers(s string) ([]User, error) {
	var users []User
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, rest, ok1 := strings.Cut(entry, ":")
		role, hash, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || name == "" {
			return nil, fmt.Errorf("SWITCHBOARD_ADMIN_USERS: entry %d is not name:role:bcrypt-hash", i+1)
		}
		if role != RoleOperator && role != RoleViewer {
			return nil, fmt.Errorf("SWITCHBOARD_ADMIN_USERS: user %q: role %q is not operator or viewer", name, role)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("SWITCHBOARD_ADMIN_USERS: user %q: the hash is not a bcrypt hash (make one with `switchboard admin hash-password`)", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("SWITCHBOARD_ADMIN_USERS: user %q appears twice", name)
		}
		seen[name] = true
		users = append(users, User{Name: name, Role: role, Hash: []byte(hash)})
	}
	return users, nil
}

// HashPassword is what `switchboard admin hash-password` prints.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("the password must have at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// dummyHash is compared against when the user is unknown, so a wrong name
// takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user"), bcrypt.MinCost+6)

// session is a logged-in admin, kept in Redis under the hash of its token.
type session struct {
	User    string    `json:"user"`
	Role    string    `json:"role"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

const (
	sessionCookie    = "sb_admin"
	loginCSRFCookie  = "sb_admin_login"
	sessionKeyPrefix = "switchboard:admin:session:"
	loginKeyPrefix   = "switchboard:admin:login:"
)

// LoginLimits bound login attempts per user name, and per client address
// (allowing more: a proxy in front of the api may be every operator's
// address). Zero fields take DefaultLoginLimits'.
type LoginLimits struct {
	PerUser, PerAddress redis_rate.Limit
}

// DefaultLoginLimits: 5 attempts a minute per user name, 20 per address.
var DefaultLoginLimits = LoginLimits{PerUser: redis_rate.PerMinute(5), PerAddress: redis_rate.PerMinute(20)}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.PerUser.IsZero() {
		l.PerUser = DefaultLoginLimits.PerUser
	}
	if l.PerAddress.IsZero() {
		l.PerAddress = DefaultLoginLimits.PerAddress
	}
	return l
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return sessionKeyPrefix + hex.EncodeToString(sum[:])
}

// sessions keeps sessions in Redis, so every api replica knows them.
type sessions struct {
	rdb redis.UniversalClient
	ttl time.Duration
	now func() time.Time
}

func (s sessions) create(ctx context.Context, u User) (string, session, error) {
	token := randomToken()
	sess := session{User: u.Name, Role: u.Role, CSRF: randomToken(), Expires: s.now().Add(s.ttl)}
	b, _ := json.Marshal(sess)
	if err := s.rdb.Set(ctx, sessionKey(token), b, s.ttl).Err(); err != nil {
		return "", session{}, fmt.Errorf("admin: save session: %w", err)
	}
	return token, sess, nil
}

// get answers the session of token, or ok false when there is none or it
// has expired.
func (s sessions) get(ctx context.Context, token string) (session, bool, error) {
	b, err := s.rdb.Get(ctx, sessionKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return session{}, false, nil
	}
	if err != nil {
		return session{}, false, fmt.Errorf("admin: read session: %w", err)
	}
	var sess session
	if err := json.Unmarshal(b, &sess); err != nil || !s.now().Before(sess.Expires) {
		return session{}, false, nil
	}
	return sess, true, nil
}

func (s sessions) delete(ctx context.Context, token string) error {
	return s.rdb.Del(ctx, sessionKey(token)).Err()
}

// secure reports whether the request came over TLS (directly or through a
// proxy that says so), so cookies get the Secure flag.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
}

// sameToken compares a CSRF token from a form with the expected one in
// constant time; an empty expected token matches nothing.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientIP is the request's remote address without its port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type ctxKey struct{}

func sessionOf(ctx context.Context) session {
	s, _ := ctx.Value(ctxKey{}).(session)
	return s
}

// requireLogin lets a request with a live session through (its session in
// the context) and sends anyone else to the login page; a POST must carry
// the session's CSRF token.
func (h *Handler) requireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var sess session
		ok := false
		if err == nil {
			sess, ok, err = h.sessions.get(r.Context(), c.Value)
			if err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameToken(r.PostFormValue("csrf"), sess.CSRF) {
			http.Error(w, "the form's CSRF token is missing or wrong: reload the page and try again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	})
}

// requireOperator refuses viewers (403), whatever the page showed them.
func requireOperator(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sessionOf(r.Context()).Role != RoleOperator {
			http.Error(w, "viewers may not change anything: this needs the operator role", http.StatusForbidden)
			return
		}
		next(w, r)
	}
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.showLogin(w, r, http.StatusOK, "")
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, message string) {
	token := randomToken()
	setCookie(w, r, loginCSRFCookie, token, 600)
	h.render(w, r, status, "login", map[string]any{"CSRF": token, "Error": message})
}

// login checks the form's CSRF token (against its cookie), the rate limit
// and the password, then starts a session.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		h.showLogin(w, r, http.StatusForbidden, "The form expired. Please try again.")
		return
	}
	name, password := r.PostFormValue("user"), r.PostFormValue("password")
	for key, limit := range map[string]redis_rate.Limit{"user:" + strings.ToLower(name): h.loginLimits.PerUser, "ip:" + clientIP(r): h.loginLimits.PerAddress} {
		res, err := h.limiter.Allow(r.Context(), loginKeyPrefix+key, limit)
		if err != nil {
			h.fail(w, r, fmt.Errorf("admin: login rate limit: %w", err))
			return
		}
		if res.Allowed == 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(res.RetryAfter.Seconds())+1))
			h.showLogin(w, r, http.StatusTooManyRequests, "Too many login attempts. Wait a minute and try again.")
			return
		}
	}
	u, known := h.users[name]
	hash := dummyHash
	if known {
		hash = u.Hash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !known {
		h.log.Warn("admin login refused", "user", name, "ip", clientIP(r))
		h.showLogin(w, r, http.StatusUnauthorized, "Wrong user name or password.")
		return
	}
	token, _, err := h.sessions.create(r.Context(), u)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setCookie(w, r, loginCSRFCookie, "", -1)
	setCookie(w, r, sessionCookie, token, int(h.sessions.ttl.Seconds()))
	h.log.Info("admin login", "user", u.Name, "role", u.Role)
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := h.sessions.delete(r.Context(), c.Value); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}
