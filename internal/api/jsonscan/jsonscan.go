// Package jsonscan walks JSON text byte by byte without decoding it, for
// the checks that must not pay for a decode: how deep a request body nests
// before it is parsed, how many fields a response returned. It does not
// validate: any bytes are walked, never refused.
package jsonscan

// Structural calls yield with each byte of data outside JSON strings:
// the brackets, braces, colons, commas and bare values, never a byte of a
// string's text, so a ':' or '{' written inside a string is not seen.
func Structural(data []byte, yield func(c byte)) {
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		default:
			yield(c)
		}
	}
}
