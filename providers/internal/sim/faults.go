package sim

import (
	"errors"
	"fmt"
	"reflect"
)

// A simulator's Faults type is a flat struct of its own, documented in its
// package, whose fields carry json tags naming them in its JSON form (the
// dev sandbox exposes that form over HTTP). The helpers below give every
// simulator the same form and the same refusals.

// MarshalFaults encodes the Faults struct f (or *f) as a JSON object of
// its tagged fields, in declaration order, with durations as Go duration
// strings ("150ms") so people can type them.
func MarshalFaults(f any) ([]byte, error) {
	return marshalForm(formOf(reflect.Indirect(reflect.ValueOf(f))))
}

// UnmarshalFaults decodes what MarshalFaults encodes into *f. Absent
// fields are zero, and unknown fields are refused, so a typo does not
// silently inject nothing; on error *f is left alone.
func UnmarshalFaults[F any](b []byte, f *F) error {
	var out F
	v := reflect.ValueOf(&out).Elem()
	if err := unmarshalForm(b, v.Type(), formOf(v)); err != nil {
		return err
	}
	*f = out
	return nil
}

// Problem returns an error saying text when bad is true, and nil
// otherwise: one rule of a Faults type's validation.
func Problem(bad bool, text string) error {
	if bad {
		return errors.New(text)
	}
	return nil
}

// Invalid returns nil when every problem is nil, and otherwise one error
// listing them, prefixed with the simulator's package name.
func Invalid(pkg string, problems ...error) error {
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("%s: invalid faults: %w", pkg, err)
	}
	return nil
}
