package callback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a callback request.
const (
	SignatureHeader = "Switchboard-Signature"
	EventIDHeader   = "Switchboard-Event-Id"
)

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock: enough for clock skew and a slow request, short enough
// that a captured request is soon useless.
const DefaultTolerance = 5 * time.Minute

// Verification failures. Verify wraps one of them; none says more than
// which check failed.
var (
	ErrMalformedSignature = errors.New("callback: malformed signature header")
	ErrStaleSignature     = errors.New("callback: signature timestamp outside the tolerance")
	ErrBadSignature       = errors.New("callback: no signature matches")
)

// Sign returns the Switchboard-Signature header value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	return SignAll([][]byte{secret}, t, body)
}

// SignAll signs with each of secrets (one v1 entry each), so that while a
// secret is being rotated receivers holding either the old or the new one
// accept the request.
func SignAll(secrets [][]byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac(s, ts, body)))
	}
	return b.String()
}

// mac is HMAC-SHA256(secret, "<ts>.<body>"). The timestamp is signed with
// the body so that it cannot be replaced to replay an old request.
func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks header (a Switchboard-Signature value) against the raw
// body: one v1 entry must be body's HMAC under secret (compared in constant
// time), and its timestamp within tolerance of now (DefaultTolerance when
// tolerance <= 0), in either direction. Entries of other schemes are
// ignored, so a future scheme can be added beside v1.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // checked by parseSignature
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStaleSignature
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		// No early exit: which entry matched is nobody's business.
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// parseSignature splits a header into its timestamp, as written (the MAC
// covers those exact bytes), and its decoded v1 signatures.
func parseSignature(header string) (ts string, sigs [][]byte, err error) {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrMalformedSignature, why) }
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, bad("entry without '='")
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, bad("two timestamps")
			}
			// Canonical decimal only: "+1", "01" or "-1" would be read as
			// the same time but signed as different bytes.
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || strconv.FormatInt(n, 10) != v {
				return "", nil, bad("timestamp is not unix seconds")
			}
			ts = v
		case "v1":
			s, err := hex.DecodeString(v)
			if err != nil || len(s) != sha256.Size {
				return "", nil, bad("v1 is not a hex SHA-256 HMAC")
			}
			sigs = append(sigs, s)
		}
	}
	if ts == "" {
		return "", nil, bad("no timestamp")
	}
	if len(sigs) == 0 {
		return "", nil, bad("no v1 signature")
	}
	return ts, sigs, nil
}
