package firestore

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/googleapis/google-cloudevents-go/cloud/firestoredata"
	"google.golang.org/genproto/googleapis/type/latlng"
	"google.golang.org/protobuf/proto"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

// PartyChange is a write to a party document, as a Firestore trigger
// delivers it: the party before and after the write, nil for no document
// (Before is nil for a create, After for a delete).
type PartyChange struct {
	PartyID       string
	Before, After *party.Party
}

// DecodePartyChange decodes the protobuf DocumentEventData of a write to
// parties/{partyId} (under any collection prefix). The parties read as the
// store itself reads them. An Invalid error means the data can never be
// decoded: it is no document event, not about a party document, or a
// field holds a value of the wrong type.
func DecodePartyChange(data []byte) (PartyChange, error) {
	var ev firestoredata.DocumentEventData
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &ev); err != nil {
		return PartyChange{}, apperr.New(apperr.Invalid, "not a Firestore document event: %v", err)
	}
	if ev.GetValue() == nil && ev.GetOldValue() == nil {
		return PartyChange{}, apperr.New(apperr.Invalid, "a document event without a document")
	}
	var c PartyChange
	for i, d := range []*firestoredata.Document{ev.GetOldValue(), ev.GetValue()} {
		if d == nil {
			continue
		}
		id, err := locateParty(d.GetName())
		if err != nil {
			return PartyChange{}, err
		}
		if c.PartyID != "" && id != c.PartyID {
			return PartyChange{}, apperr.New(apperr.Invalid, "a document event about two documents, %q and %q", c.PartyID, id)
		}
		c.PartyID = id
		var doc partyDoc
		if err := fromEventFields(d.GetFields(), &doc); err != nil {
			return PartyChange{}, apperr.New(apperr.Invalid, "decode party %s: %v", id, err)
		}
		p := unmarshalParty(id, doc)
		if i == 0 {
			c.Before = &p
		} else {
			c.After = &p
		}
	}
	return c, nil
}

// locateParty reads the party id from a document name
// (projects/P/databases/D/documents/{prefix}parties/{partyId}).
func locateParty(name string) (string, error) {
	_, path, ok := strings.Cut(name, "/documents/")
	segs := strings.Split(path, "/")
	if !ok || len(segs) != 2 || !strings.HasSuffix(segs[0], partiesCollection) || !validDocID(segs[1]) {
		return "", apperr.New(apperr.Invalid, "document %q is not a party", name)
	}
	return segs[1], nil
}

var (
	typeOfTime      = reflect.TypeFor[time.Time]()
	typeOfLatLng    = reflect.TypeFor[*latlng.LatLng]()
	typeOfByteSlice = reflect.TypeFor[[]byte]()
)

// fromEventFields fills the struct dst points to from a trigger's document
// fields, by the struct's firestore tags and with the conversions
// DocumentSnapshot.DataTo makes, so a document decodes the same from a
// trigger as from a read: a missing field leaves its struct field alone,
// null empties a pointer or slice (and leaves anything else alone), a value
// of another type is an error. It handles the field types the store's
// documents use.
func fromEventFields(fields map[string]*firestoredata.Value, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("firestore"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		val, ok := fields[name]
		if !ok {
			continue
		}
		if err := setEventValue(v.Field(i), val); err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
	}
	return nil
}

func setEventValue(dst reflect.Value, val *firestoredata.Value) error {
	typeErr := func() error { return fmt.Errorf("cannot set type %s to %T", dst.Type(), val.GetValueType()) }
	src := val.GetValueType()
	if _, ok := src.(*firestoredata.Value_NullValue); ok {
		switch dst.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			dst.SetZero()
		}
		return nil
	}
	switch dst.Type() {
	case typeOfTime:
		x, ok := src.(*firestoredata.Value_TimestampValue)
		if !ok {
			return typeErr()
		}
		if err := x.TimestampValue.CheckValid(); err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(x.TimestampValue.AsTime()))
		return nil
	case typeOfLatLng:
		x, ok := src.(*firestoredata.Value_GeoPointValue)
		if !ok {
			return typeErr()
		}
		dst.Set(reflect.ValueOf(x.GeoPointValue))
		return nil
	case typeOfByteSlice:
		x, ok := src.(*firestoredata.Value_BytesValue)
		if !ok {
			return typeErr()
		}
		dst.SetBytes(x.BytesValue)
		return nil
	}
	switch dst.Kind() {
	case reflect.String:
		x, ok := src.(*firestoredata.Value_StringValue)
		if !ok {
			return typeErr()
		}
		dst.SetString(x.StringValue)
	case reflect.Bool:
		x, ok := src.(*firestoredata.Value_BooleanValue)
		if !ok {
			return typeErr()
		}
		dst.SetBool(x.BooleanValue)
	case reflect.Int64, reflect.Int:
		switch x := src.(type) {
		case *firestoredata.Value_IntegerValue:
			dst.SetInt(x.IntegerValue)
		case *firestoredata.Value_DoubleValue:
			i := int64(x.DoubleValue)
			if float64(i) != x.DoubleValue {
				return fmt.Errorf("float %f does not fit into %s", x.DoubleValue, dst.Type())
			}
			dst.SetInt(i)
		default:
			return typeErr()
		}
	case reflect.Float64:
		switch x := src.(type) {
		case *firestoredata.Value_DoubleValue:
			dst.SetFloat(x.DoubleValue)
		case *firestoredata.Value_IntegerValue:
			dst.SetFloat(float64(x.IntegerValue))
		default:
			return typeErr()
		}
	case reflect.Slice:
		x, ok := src.(*firestoredata.Value_ArrayValue)
		if !ok {
			return typeErr()
		}
		vals := x.ArrayValue.GetValues()
		s := reflect.MakeSlice(dst.Type(), len(vals), len(vals))
		for i, e := range vals {
			if err := setEventValue(s.Index(i), e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		dst.Set(s)
	case reflect.Pointer:
		p := reflect.New(dst.Type().Elem())
		if err := setEventValue(p.Elem(), val); err != nil {
			return err
		}
		dst.Set(p)
	default:
		return fmt.Errorf("cannot decode into %s", dst.Type())
	}
	return nil
}
