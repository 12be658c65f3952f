package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/lib/pq"
)

// River's database/sql driver wraps every array parameter of its queries
// in lib/pq's array types (pq.Array). pgx knows them only as driver.Valuers:
// it had each one format itself as PostgreSQL's text array syntax, parsed
// that text back into the array type and encoded the result in binary:
// about 18 % of the CPU of a webhook delivery (BenchmarkDeliveries), most
// of it in inserting the delivery's job. registerPQArrays teaches each
// connection's type map to encode the pq arrays of a fixed element type as
// the slices they hold, which pgx encodes directly; same values, same
// NULLs (a nil slice is NULL either way). pq.GenericArray (River's
// timestamps and small integers) is left to the Valuer: pgx memoizes a
// plan per Go type, and one GenericArray type holds slices of every kind.
func registerPQArrays(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{unwrapPQArray}, m.TryWrapEncodePlanFuncs...)
	return nil
}

func unwrapPQArray(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if v, ok := pqSlice(value); ok {
		return &pqArrayPlan{}, v, true
	}
	return nil, nil, false
}

// pqSlice is the slice a pq array of a fixed element type holds.
func pqSlice(value any) (any, bool) {
	switch v := value.(type) {
	case *pq.StringArray:
		if v == nil {
			return []string(nil), true
		}
		return []string(*v), true
	case pq.StringArray:
		return []string(v), true
	case *pq.Int64Array:
		if v == nil {
			return []int64(nil), true
		}
		return []int64(*v), true
	case pq.Int64Array:
		return []int64(v), true
	case *pq.Int32Array:
		if v == nil {
			return []int32(nil), true
		}
		return []int32(*v), true
	case pq.Int32Array:
		return []int32(v), true
	case *pq.ByteaArray:
		if v == nil {
			return [][]byte(nil), true
		}
		return [][]byte(*v), true
	case pq.ByteaArray:
		return [][]byte(v), true
	case *pq.BoolArray:
		if v == nil {
			return []bool(nil), true
		}
		return []bool(*v), true
	case pq.BoolArray:
		return []bool(v), true
	case *pq.Float64Array:
		if v == nil {
			return []float64(nil), true
		}
		return []float64(*v), true
	case pq.Float64Array:
		return []float64(v), true
	}
	return nil, false
}

type pqArrayPlan struct{ next pgtype.EncodePlan }

func (p *pqArrayPlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *pqArrayPlan) Encode(value any, buf []byte) ([]byte, error) {
	v, _ := pqSlice(value)
	return p.next.Encode(v, buf)
}
