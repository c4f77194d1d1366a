package cost_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"stockgraph/internal/api/cost"
)

func TestActual(t *testing.T) {
	for _, tt := range []struct {
		data string
		want int64
	}{
		{``, 1},
		{`null`, 1},
		{`{}`, 1},
		{`{"store":{"id":"U3RvcmU6MQ","name":"a:b"}}`, 3},
		{`{"store":{"products":{"nodes":[{"sku":"A"},{"sku":"B"},{"sku":"C"}]}}}`, 6},
		{`{"store":{"products":{"nodes":[]}}}`, 3},
		{`{"a":"\":\\","b":[1,2,3]}`, 2}, // escaped quotes and backslashes stay inside the string
		{`{"store":null}`, 1},
		{`{"x":"unterminated : ::`, 1},
	} {
		if got := cost.Actual([]byte(tt.data)); got != tt.want {
			t.Errorf("Actual(%s) = %d, want %d", tt.data, got, tt.want)
		}
	}
}

// referenceActual counts the keys of every object in valid JSON with
// encoding/json's tokenizer (a duplicate key counts again, as it is
// returned again), at least 1.
func referenceActual(data []byte) (int64, error) {
	type container struct{ object, wantKey bool }
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers beyond float64 are still JSON
	var open []container
	var n int64
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return max(n, 1), nil
		}
		if err != nil {
			return 0, err
		}
		top := len(open) - 1
		switch {
		case tok == json.Delim('}') || tok == json.Delim(']'):
			open = open[:top]
		case top >= 0 && open[top].wantKey:
			n++
			open[top].wantKey = false
		default: // a value; in an object a key comes after it
			if top >= 0 && open[top].object {
				open[top].wantKey = true
			}
			switch tok {
			case json.Delim('{'):
				open = append(open, container{object: true, wantKey: true})
			case json.Delim('['):
				open = append(open, container{})
			}
		}
	}
}

// FuzzActual: any bytes are counted without a panic, at least 1, and
// valid JSON (such as a response's data) counts its objects' keys.
func FuzzActual(f *testing.F) {
	for _, s := range []string{``, `null`, `{"a":1}`, `{"a":{"b":[{"c":"x:y"},{"c":null}]}}`, `{"a":"\":"}`,
		`{"a":"\u0022:"}`, `"::"`, `[{"a":1},{"a":2,"a":3}]`, `{"a" : 1 ,"b":[]}`, `{"é":"\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := cost.Actual(data)
		if got < 1 {
			t.Fatalf("Actual(%q) = %d, want at least 1", data, got)
		}
		if !json.Valid(data) {
			return
		}
		want, err := referenceActual(data)
		if err != nil {
			t.Fatalf("reference on valid JSON %q: %v", data, err)
		}
		if got != want {
			t.Errorf("Actual(%q) = %d, want %d (keys counted by encoding/json)", data, got, want)
		}
	})
}
