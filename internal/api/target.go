package api

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/store"
)

// Apps (seeds 000-002) and agents (seed 003) are both link targets: a
// number links to at most one of them, across both families. This file
// holds what the two families share.

// Limits on a target's fields.
const (
	maxNameLen = 200
	maxURLLen  = 2048
)

// Ids: a kind prefix and 96 random bits, e.g. "app_3f2a…" and "agent_9c1e…".
const (
	appIDPrefix   = "app_"
	agentIDPrefix = "agent_"
)

// errTargetField is a target field that fails validation; its message
// names the field.
type errTargetField struct{ msg string }

func (e errTargetField) Error() string { return e.msg }

// checkTarget validates a new target's fields. hangupURL may be empty.
//
// A name is shown to people: control characters (NUL, CR/LF, ANSI escapes)
// and invisible formatting characters (zero-width spaces, bidirectional
// overrides) are refused, so a name cannot hide or disguise itself.
//
// The answer and hangup URLs are fetched by the provider, from the
// internet: they take the callback policy (policy.CheckURL), which refuses
// credentials in the URL (they would end up in logs and at the provider)
// and, unless private addresses are allowed (the dev sandbox), loopback,
// private and link-local hosts, which no provider can reach.
func checkTarget(name, answerURL, hangupURL string, policy callback.Policy) error {
	switch {
	case strings.IndexFunc(name, invisible) >= 0:
		return errTargetField{"name must not contain control or invisible formatting characters"}
	case strings.TrimSpace(name) == "":
		return errTargetField{"name is required"}
	case utf8.RuneCountInString(name) > maxNameLen:
		return errTargetField{fmt.Sprintf("name must be at most %d characters", maxNameLen)}
	}
	for _, u := range []struct{ field, url string }{{"answer_url", answerURL}, {"hangup_url", hangupURL}} {
		if u.url == "" && u.field == "hangup_url" {
			continue
		}
		if !webURL(u.url) {
			return errTargetField{u.field + " must be an absolute http or https URL"}
		}
		if err := policy.CheckURL(u.url); errors.Is(err, callback.ErrForbiddenAddress) {
			return errTargetField{u.field + " must be reachable from the internet (not a loopback, private or link-local address)"}
		} else if err != nil {
			return errTargetField{u.field + " must not contain a user or password"}
		}
	}
	return nil
}

// invisible reports control and formatting characters (Unicode Cc, Cf).
func invisible(r rune) bool { return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) }

// webURL reports whether s is an absolute http(s) URL with a host.
func webURL(s string) bool {
	if len(s) > maxURLLen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != ""
}

// createTarget stores a new target of kind with a fresh id.
func (s *server) createTarget(ctx context.Context, orgID int64, kind, name, answerURL, hangupURL string) (store.Target, error) {
	prefix := appIDPrefix
	if kind == store.TargetAgent {
		prefix = agentIDPrefix
	}
	return s.Store.CreateTarget(ctx, store.Target{
		ID: prefix + store.NewID(), OrgID: orgID, Kind: kind,
		Name: strings.TrimSpace(name), AnswerURL: answerURL, HangupURL: hangupURL,
	})
}

// getTarget finds a live target of kind in the org: another kind, another
// org's target and a deleted one are all store.ErrNotFound.
func (s *server) getTarget(ctx context.Context, orgID int64, id, kind string) (store.Target, error) {
	if !plausibleID(id) {
		return store.Target{}, store.ErrNotFound
	}
	t, err := s.Store.GetTarget(ctx, orgID, id)
	if err != nil {
		return store.Target{}, err
	}
	if t.Kind != kind {
		return store.Target{}, store.ErrNotFound
	}
	return t, nil
}

// maxIDLen bounds the ids switchboard makes (apps, agents, users, jobs).
const maxIDLen = 128

// plausibleID reports whether id could be one switchboard made: printable
// ASCII, not too long. Anything else (a NUL, bytes that are not UTF-8,
// which PostgreSQL refuses outright) names nothing, and never reaches the
// database.
func plausibleID(id string) bool {
	return id != "" && len(id) <= maxIDLen && strings.IndexFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) < 0
}

// numberState is what the store says about a number a request names.
type numberState struct {
	Number store.Number
	Link   *store.Link // nil when the number is not linked
}

// errNumberNotFound is a number that is not in the org's inventory.
var errNumberNotFound = errors.New("number not found")

// lookupNumber finds e164 in the org's inventory and its link, if any.
func (s *server) lookupNumber(ctx context.Context, orgID int64, e164 string) (numberState, error) {
	n, err := s.Store.GetNumber(ctx, orgID, e164)
	if errors.Is(err, store.ErrNotFound) {
		return numberState{}, errNumberNotFound
	} else if err != nil {
		return numberState{}, err
	}
	l, err := s.Store.GetLink(ctx, orgID, n.ID)
	if errors.Is(err, store.ErrNotFound) {
		return numberState{Number: n}, nil
	} else if err != nil {
		return numberState{}, err
	}
	return numberState{Number: n, Link: &l}, nil
}
