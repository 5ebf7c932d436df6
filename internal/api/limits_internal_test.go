package api

import (
	"strings"
	"testing"
)

// TestSecretAndKeyLimits: the documented limits are inclusive. An auth
// token of exactly 256 printable ASCII characters and an Idempotency-Key of
// exactly 255 pass, one more character does not; the first and last
// printable characters ('!' for tokens, ' ' for keys, and '~') pass, the
// characters either side of the range do not.
func TestSecretAndKeyLimits(t *testing.T) {
	t.Parallel()
	const sid = "AC00000000000000000000000000000001"
	for token, ok := range map[string]bool{
		strings.Repeat("t", maxSecretLen):   true,
		strings.Repeat("t", maxSecretLen+1): false,
		"!token~":                           true,
		"to ken":                            false,
		"token\x7f":                         false,
		" token":                            false, // a bad first character too
		"\x7ftoken":                         false,
		"token\x20":                         false,
		strings.Repeat("~", maxSecretLen-1) + "!": true,
	} {
		if got := credentialShape("twilio", sid, token) == ""; got != ok {
			t.Errorf("auth token %.12q… (%d chars): accepted %v, want %v", token, len(token), got, ok)
		}
	}
	for key, ok := range map[string]bool{
		strings.Repeat("k", maxKeyLen):   true,
		strings.Repeat("k", maxKeyLen+1): false,
		" key ~":                         true,
		"key\x1f":                        false,
		"key\x7f":                        false,
		"\x7fkey":                        false,
		"":                               false,
	} {
		if got := validKey(key); got != ok {
			t.Errorf("Idempotency-Key %.12q… (%d chars): accepted %v, want %v", key, len(key), got, ok)
		}
	}
}

// TestPlausibleIDBounds: an id names something only when it is 1 to
// maxIDLen printable ASCII characters ('!' to '~'); a bad character at any
// position, the first included, makes it name nothing. PostgreSQL refuses a
// NUL or invalid UTF-8 outright, so these never reach a store.
func TestPlausibleIDBounds(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{
		"":                              false,
		"64b7f0c2e4b0a1b2c3d4e5f6":      true,
		strings.Repeat("a", maxIDLen):   true,
		strings.Repeat("a", maxIDLen+1): false,
		"!id~":                          true,
		"\x00id":                        false,
		"id\x00":                        false,
		" id":                           false,
		"i d":                           false,
		"id\x7f":                        false,
		"\xffid":                        false,
		"id\u200b":                      false,
	} {
		if got := plausibleID(id); got != ok {
			t.Errorf("plausibleID(%q) = %v, want %v", id, got, ok)
		}
	}
}
