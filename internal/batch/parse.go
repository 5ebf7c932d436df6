package batch

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Format is an import file's encoding.
type Format string

const (
	// CSV is comma-separated values with a header row naming the columns
	// (RFC 4180; a UTF-8 byte order mark is ignored).
	CSV Format = "csv"
	// JSONLines is one JSON object per line; blank lines are skipped.
	JSONLines Format = "jsonl"
)

// Columns an import file may have. phone_number and user_id are required
// in every row; provider, account and target_id may come from the
// import's defaults instead. Other columns are ignored, so a spreadsheet
// export can be imported as it is.
const (
	ColPhoneNumber = "phone_number"
	ColProvider    = "provider"
	ColAccount     = "account"
	ColUserID      = "user_id"
	ColTargetID    = "target_id"
)

var columns = []string{ColPhoneNumber, ColProvider, ColAccount, ColUserID, ColTargetID}

// Row is one data line of an import file, as written.
type Row struct {
	Line        int // 1-based; in a CSV file the header is line 1
	PhoneNumber string
	Provider    string
	Account     string
	UserID      string
	TargetID    string
}

// field returns a pointer to the row's value of a known column.
func (r *Row) field(col string) *string {
	switch col {
	case ColPhoneNumber:
		return &r.PhoneNumber
	case ColProvider:
		return &r.Provider
	case ColAccount:
		return &r.Account
	case ColUserID:
		return &r.UserID
	case ColTargetID:
		return &r.TargetID
	}
	return nil
}

// LineError is a data line that could not be read as a row at all (a CSV
// line with a stray quote or the wrong number of fields, a JSON line that
// is not an object). Reading goes on with the next line.
type LineError struct {
	Line   int
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ErrFile is wrapped by errors that end the reading of a file: no header,
// no phone_number column, a line too long to be a row.
var ErrFile = errors.New("unreadable import file")

// maxLine bounds one line (or CSV record), so a file without newlines
// cannot make the reader buffer it whole.
const maxLine = 64 << 10

// Reader reads rows from an import file, one at a time: memory stays the
// same however long the file is.
type Reader struct {
	next func() (Row, error)
}

// NewReader reads the header of a CSV file (JSON Lines have none) and
// returns a Reader for its rows.
func NewReader(r io.Reader, f Format) (*Reader, error) {
	br := bufio.NewReaderSize(&limitedLines{r: r}, 64<<10)
	switch f {
	case CSV:
		return newCSVReader(br)
	case JSONLines:
		return newJSONReader(br), nil
	}
	return nil, fmt.Errorf("%w: unknown format %q (want csv or jsonl)", ErrFile, f)
}

// Next returns the next row, a *LineError for a line that is not a row
// (call Next again for the following one), io.EOF at the end, or an error
// wrapping ErrFile (or the reader's own) after which reading stops.
func (r *Reader) Next() (Row, error) { return r.next() }

func newCSVReader(br *bufio.Reader) (*Reader, error) {
	// A byte order mark is what spreadsheets put before the header.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted here, to report the line and go on
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the file is empty (a CSV file starts with a header row)", ErrFile)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrFile, err)
	}
	index := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if _, dup := index[name]; dup && name != "" {
			return nil, fmt.Errorf("%w: header: column %q appears twice", ErrFile, name)
		}
		index[name] = i
	}
	if _, ok := index[ColPhoneNumber]; !ok {
		return nil, fmt.Errorf("%w: header: no %s column (the first line must name the columns: %s)",
			ErrFile, ColPhoneNumber, strings.Join(columns, ","))
	}
	width := len(header)
	next := func() (Row, error) {
		rec, err := cr.Read()
		var pe *csv.ParseError
		switch {
		case err == io.EOF:
			return Row{}, io.EOF
		case errors.As(err, &pe) && pe.Err != csv.ErrFieldCount:
			return Row{}, &LineError{Line: pe.StartLine, Reason: "not valid CSV: " + pe.Err.Error()}
		case errors.Is(err, errLineTooLong):
			return Row{}, fmt.Errorf("%w: %w", ErrFile, err)
		case err != nil && pe == nil:
			return Row{}, err
		}
		// FieldPos is only defined for a record read without error.
		line, _ := cr.FieldPos(0)
		if len(rec) != width {
			return Row{}, &LineError{Line: line, Reason: fmt.Sprintf("%d fields, the header has %d", len(rec), width)}
		}
		row := Row{Line: line}
		for _, col := range columns {
			if i, ok := index[col]; ok {
				*row.field(col) = strings.TrimSpace(rec[i])
			}
		}
		return row, nil
	}
	return &Reader{next: next}, nil
}

func newJSONReader(br *bufio.Reader) *Reader {
	line := 0
	var next func() (Row, error)
	next = func() (Row, error) {
		b, err := br.ReadBytes('\n')
		if len(b) == 0 && err == io.EOF {
			return Row{}, io.EOF
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, errLineTooLong) {
				return Row{}, fmt.Errorf("%w: %w", ErrFile, err)
			}
			return Row{}, err
		}
		line++
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return next()
		}
		row, reason := decodeJSONRow(b)
		if reason != "" {
			return Row{}, &LineError{Line: line, Reason: reason}
		}
		row.Line = line
		return row, nil
	}
	return &Reader{next: next}
}

// decodeJSONRow reads one JSON object. Values are strings; a number is
// taken as written (a phone number typed as 12125551234), null as absent.
func decodeJSONRow(b []byte) (Row, string) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return Row{}, "not a JSON object"
	}
	if dec.More() {
		return Row{}, "more than one JSON value on the line"
	}
	var row Row
	for _, col := range columns {
		raw, ok := obj[col]
		if !ok {
			continue
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&v) != nil {
			return Row{}, "not a JSON object"
		}
		switch v := v.(type) {
		case nil:
		case string:
			*row.field(col) = strings.TrimSpace(v)
		case json.Number:
			*row.field(col) = v.String()
		default:
			return Row{}, fmt.Sprintf("%s must be a string", col)
		}
	}
	return row, ""
}

// errLineTooLong is a line (or CSV record) longer than maxLine.
var errLineTooLong = fmt.Errorf("a line is longer than %d bytes", maxLine)

// limitedLines passes r through, failing once a line runs past maxLine
// bytes without a newline: neither csv.Reader nor a JSON line may buffer
// an unbounded line.
type limitedLines struct {
	r   io.Reader
	run int // bytes since the last newline
}

func (l *limitedLines) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.run = 0
		} else if l.run++; l.run > maxLine {
			return 0, errLineTooLong
		}
	}
	return n, err
}
