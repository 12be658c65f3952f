package bulk

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
)

// DataContext binds a sealed batch row to its column.
const DataContext = "issuance_batch_rows.data_encrypted"

// rowData is what a batch row stores, sealed: the file's headers and the
// row's values, so that the row can be checked again under another
// mapping and issued later without the file.
type rowData struct {
	Headers []string `json:"h"`
	Values  []string `json:"v"`
}

// Seal seals one row of a table for issuance_batch_rows.data_encrypted.
func Seal(keys *secret.Keyring, headers []string, r Row) (secret.Sealed, error) {
	b, err := json.Marshal(rowData{Headers: headers, Values: r.Values})
	if err != nil {
		return nil, err
	}
	return keys.Seal(b, DataContext)
}

// Open reads a sealed batch row back: the file's headers and the row.
func Open(keys *secret.Keyring, row *store.IssuanceBatchRow) ([]string, Row, error) {
	b, err := keys.Open(row.DataEncrypted, DataContext)
	if err != nil {
		return nil, Row{}, fmt.Errorf("bulk: row %d: %w", row.RowNumber, err)
	}
	var d rowData
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, Row{}, fmt.Errorf("bulk: row %d: %w", row.RowNumber, err)
	}
	return d.Headers, Row{Number: row.RowNumber, Values: d.Values}, nil
}

// Import checks a parsed file against a template (the columns mapped by
// AutoMap) and stores the batch with every row in one transaction: valid
// rows pending, the others invalid with their errors. Nothing is issued.
func Import(ctx context.Context, sc *store.Scoped, keys *secret.Keyring, t *store.CredentialTemplate, filename string, table *Table, actor store.Actor) (*store.IssuanceBatch, error) {
	m := AutoMap(table.Headers, t.Schema.Fields)
	c, err := NewChecker(t, table.Headers, m)
	if err != nil {
		return nil, err
	}
	rows := make([]store.IssuanceBatchRow, len(table.Rows))
	for i, r := range table.Rows {
		sealed, err := Seal(keys, table.Headers, r)
		if err != nil {
			return nil, err
		}
		rows[i] = store.IssuanceBatchRow{RowNumber: r.Number, DataEncrypted: sealed}
		if _, errs := c.Check(r); errs != nil {
			msg := Join(errs)
			rows[i].Error = &msg
		}
	}
	tplID := t.ID
	b := &store.IssuanceBatch{TemplateID: &tplID, ColumnMapping: datatypes.NewJSONType(map[string]string(c.Mapping()))}
	if name := strings.TrimSpace(filename); name != "" {
		if len([]rune(name)) > 255 {
			name = string([]rune(name)[:255])
		}
		b.Filename = &name
	}
	if err := sc.CreateBatch(ctx, b, rows, actor); err != nil {
		return nil, err
	}
	return b, nil
}

// Review is a batch as the review page shows it: the file's headers, the
// mapping, what is wrong with the mapping, and every row error.
type Review struct {
	Batch    *store.IssuanceBatch
	Headers  []string
	Targets  []Target
	Mapping  Mapping
	Problems []string    // about the mapping as a whole
	Errors   []CellError // every error of every row, by row then column
	Rows     []store.BatchRow
}

// LoadReview reads a batch with its rows and checks every row again under
// the stored mapping (the errors are not stored per cell).
func LoadReview(ctx context.Context, sc *store.Scoped, keys *secret.Keyring, batchID string) (*Review, error) {
	b, err := sc.Batch(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := sc.BatchRows(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rv := &Review{Batch: b, Rows: rows, Mapping: Mapping(b.ColumnMapping.Data())}
	if b.Template == nil || b.Template.Schema == nil {
		return rv, nil // the template was deleted: nothing more can be checked
	}
	rv.Targets = Targets(b.Template.Schema.Fields)
	var c *Checker
	for i := range rows {
		headers, r, err := Open(keys, &rows[i].IssuanceBatchRow)
		if err != nil {
			return nil, err
		}
		if c == nil {
			rv.Headers = headers
			if c, err = NewChecker(b.Template, headers, rv.Mapping); err != nil {
				return nil, err
			}
			rv.Mapping, rv.Problems = c.Mapping(), c.MappingProblems()
		}
		if rows[i].Status != store.RowInvalid && rows[i].Status != store.RowPending {
			continue
		}
		if _, errs := c.Check(r); errs != nil {
			rv.Errors = append(rv.Errors, errs...)
		}
	}
	return rv, nil
}

// Remap checks every row of a batch under review again with a new mapping
// and stores the mapping and the outcomes in one transaction.
func Remap(ctx context.Context, sc *store.Scoped, keys *secret.Keyring, batchID string, m Mapping, actor store.Actor) (*store.IssuanceBatch, error) {
	b, err := sc.Batch(ctx, batchID)
	if err != nil {
		return nil, err
	}
	if b.Status != store.BatchValidated {
		return nil, &store.BatchStateError{Msg: fmt.Sprintf("the batch is %s; its columns can no longer be changed", b.Status)}
	}
	if b.Template == nil || b.Template.Schema == nil {
		return nil, &store.BatchStateError{Msg: "the batch’s template was deleted; upload the file again with another template"}
	}
	rows, err := sc.BatchRows(ctx, batchID)
	if err != nil {
		return nil, err
	}
	var (
		c      *Checker
		checks = make([]store.RowCheck, 0, len(rows))
	)
	for i := range rows {
		headers, r, err := Open(keys, &rows[i].IssuanceBatchRow)
		if err != nil {
			return nil, err
		}
		if c == nil {
			if c, err = NewChecker(b.Template, headers, m); err != nil {
				return nil, err
			}
		}
		rc := store.RowCheck{ID: rows[i].ID}
		if _, errs := c.Check(r); errs != nil {
			msg := Join(errs)
			rc.Error = &msg
		}
		checks = append(checks, rc)
	}
	mapping := map[string]string{}
	if c != nil {
		mapping = c.Mapping()
	}
	return sc.RemapBatch(ctx, batchID, mapping, checks, actor)
}

// Result is one row of results.csv.
type Result struct {
	Row       int
	Recipient string
	Status    store.BatchRowStatus
	URL       string // the credential's public URL, when issued
	Error     string
}

// Results are the outcome of every row of a batch, by row number. baseURL
// makes the credentials' public URLs ({base}/v/{public_id}).
func Results(ctx context.Context, sc *store.Scoped, keys *secret.Keyring, batchID, baseURL string) ([]Result, error) {
	b, err := sc.Batch(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := sc.BatchRows(ctx, batchID)
	if err != nil {
		return nil, err
	}
	m := Mapping(b.ColumnMapping.Data())
	out := make([]Result, len(rows))
	for i, r := range rows {
		res := Result{Row: r.RowNumber, Status: r.Status}
		if r.Error != nil {
			res.Error = strings.ReplaceAll(*r.Error, "\n", "; ")
		}
		switch {
		case r.PublicID != nil:
			res.URL = strings.TrimRight(baseURL, "/") + "/v/" + *r.PublicID
			if r.RecipientAddress != nil {
				res.Recipient = *r.RecipientAddress
			}
		default:
			headers, row, err := Open(keys, &rows[i].IssuanceBatchRow)
			if err != nil {
				return nil, err
			}
			if h, ok := m[RecipientAddress]; ok {
				for j, x := range headers {
					if x == h && j < len(row.Values) {
						res.Recipient = strings.TrimSpace(row.Values[j])
					}
				}
			}
		}
		out[i] = res
	}
	return out, nil
}
