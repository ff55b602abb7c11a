// Package jsonfloat writes JSON for values that may hold NaN or ±Inf,
// which JSON cannot: a diverged model's loss, a basin width that was not
// found. encoding/json refuses such a value and loses the whole file
// (a scan of hours failed to save on its metadata); here each
// non-finite number becomes null, and everything else is written exactly
// as encoding/json writes it.
//
// Readers that need NaN back set the field to NaN before decoding: JSON's
// null leaves a number as it was.
package jsonfloat

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
)

// Marshal is json.Marshal with non-finite numbers written as null.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	var unsupported *json.UnsupportedValueError
	if !errors.As(err, &unsupported) {
		return b, err
	}
	t, err := tree(reflect.ValueOf(v))
	if err != nil {
		return nil, err
	}
	return json.Marshal(t)
}

// MarshalIndent is Marshal, indented as json.MarshalIndent does.
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	b, err := Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, prefix, indent); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

var marshaler = reflect.TypeFor[json.Marshaler]()

// tree rebuilds v from values encoding/json can write: numbers that are
// not finite become nil, structs become objects in field order.
func tree(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	if v.Type().Implements(marshaler) && (v.Kind() != reflect.Pointer || !v.IsNil()) {
		b, err := v.Interface().(json.Marshaler).MarshalJSON()
		return json.RawMessage(b), err
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, nil
		}
		return v.Interface(), nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return tree(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface(), nil // base64, as encoding/json writes bytes
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			e, err := tree(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			k, err := json.Marshal(it.Key().Interface())
			if err != nil {
				return nil, err
			}
			e, err := tree(it.Value())
			if err != nil {
				return nil, err
			}
			out[strings.Trim(string(k), `"`)] = e
		}
		return out, nil
	case reflect.Struct:
		var o object
		if err := o.add(v, 0); err != nil {
			return nil, err
		}
		return o, nil
	}
	return v.Interface(), nil
}

// object is a JSON object whose keys keep the order of a struct's fields.
type object struct {
	keys   []string
	vals   []any
	depths []int
}

// add appends v's exported fields as encoding/json names them; fields of
// an embedded struct without a name of its own come in its place.
func (o *object) add(v reflect.Value, depth int) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv, ft = fv.Elem(), ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !ft.Implements(marshaler) {
				if err := o.add(fv, depth+1); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",omitempty,") && empty(fv) {
			continue
		}
		e, err := tree(fv)
		if err != nil {
			return err
		}
		o.set(name, e, depth)
	}
	return nil
}

// set adds a key, or replaces one from a deeper embedded struct: a field
// of the outer struct hides an embedded one of the same name, as in
// encoding/json.
func (o *object) set(k string, v any, depth int) {
	for i, have := range o.keys {
		if have == k {
			if depth < o.depths[i] {
				o.vals[i], o.depths[i] = v, depth
			}
			return
		}
	}
	o.keys, o.vals, o.depths = append(o.keys, k), append(o.vals, v), append(o.depths, depth)
}

// empty is encoding/json's test for omitempty.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// NaNForNull sets each number of fields (JSON key → the field it was
// decoded into) to NaN where the object b holds null there: what Marshal
// wrote for a non-finite value reads back as NaN, not as 0.
func NaNForNull(b []byte, fields map[string]*float64) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for k, p := range fields {
		if v, ok := raw[k]; ok && string(bytes.TrimSpace(v)) == "null" {
			*p = math.NaN()
		}
	}
	return nil
}
