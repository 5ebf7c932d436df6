package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// isDuration reports whether t is time.Duration, which the form writes as
// a string.
func isDuration(t reflect.Type) bool { return t == reflect.TypeFor[time.Duration]() }

// field is one member of a Faults struct's JSON form.
type field struct {
	name  string        // from the field's json tag
	value reflect.Value // a time.Duration, float64, int or bool
}

// formOf returns the JSON form of the struct v: its fields in declaration
// order, each named by its json tag ("-" leaves a field out). A field
// without a name, or of another type, is a mistake in a simulator's
// Faults, which it panics on: any test that encodes them finds it.
func formOf(v reflect.Value) []field {
	t := v.Type()
	form := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case name == "":
			panic(fmt.Sprintf("sim: %s.%s has no json name", t, sf.Name))
		}
		switch sf.Type {
		case reflect.TypeFor[time.Duration](), reflect.TypeFor[float64](), reflect.TypeFor[int](), reflect.TypeFor[bool]():
		default:
			panic(fmt.Sprintf("sim: %s.%s is a %s, not a duration, float64, int or bool", t, sf.Name, sf.Type))
		}
		form = append(form, field{name: name, value: v.Field(i)})
	}
	return form
}

// marshalForm encodes form as one JSON object.
func marshalForm(form []field) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range form {
		if i > 0 {
			buf.WriteByte(',')
		}
		v := f.value.Interface()
		if d, ok := v.(time.Duration); ok {
			v = d.String()
		}
		name, err := json.Marshal(f.name)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(value)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// unmarshalForm decodes a JSON object into form's fields, which must be
// settable, with encoding/json's rules for structs: keys match names
// exactly or else case-insensitively, the last of repeated keys wins, and
// null leaves a field alone. A key no field has is an error. t names the
// type decoded into in errors.
func unmarshalForm(b []byte, t reflect.Type, form []field) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	switch {
	case err != nil:
		return err
	case tok == nil:
		return nil // null: nothing to decode
	case tok != json.Delim('{'):
		return &json.UnmarshalTypeError{Value: jsonKind(tok), Type: t}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string) // inside an object, always a key
		f, ok := lookup(form, key)
		if !ok {
			return fmt.Errorf("json: unknown field %q", key)
		}
		if err := f.decode(dec); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				// Name the field as encoding/json does for struct fields.
				typeErr.Struct, typeErr.Field = t.Name(), f.name
				return typeErr
			}
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	_, err = dec.Token() // the closing '}'
	return err
}

// lookup finds key's field, preferring an exact match.
func lookup(form []field, key string) (field, bool) {
	for _, f := range form {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range form {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}

// decode reads the next value of dec into f: a duration from its string
// form ("" is zero), anything else as encoding/json does.
func (f field) decode(dec *json.Decoder) error {
	if !isDuration(f.value.Type()) {
		return dec.Decode(f.value.Addr().Interface())
	}
	var s *string
	if err := dec.Decode(&s); err != nil || s == nil {
		return err
	}
	var d time.Duration
	if *s != "" {
		var err error
		if d, err = time.ParseDuration(*s); err != nil {
			return err
		}
	}
	f.value.SetInt(int64(d))
	return nil
}

// jsonKind names the kind of JSON value tok starts, as encoding/json's
// errors do.
func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "array" // '{' is handled by the caller, and '}' and ']' cannot start a value
	case string:
		return "string"
	case bool:
		return "bool"
	default:
		return "number"
	}
}
