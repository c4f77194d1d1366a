package inventory

import (
	"strings"
	"unicode/utf8"

	"stockgraph/internal/apperr"
)

// Limits of the free text that writes carry.
const (
	maxShortText = 255  // reasons, references, bin picking numbers
	maxMessage   = 1000 // preorder messages
)

// checkText keeps free text within max characters and free of NUL bytes,
// which PostgreSQL cannot store.
func checkText(field, value string, max int) *apperr.Error {
	switch {
	case utf8.RuneCountInString(value) > max:
		return apperr.New(apperr.BadUserInput, "%s has at most %d characters, got %d", field, max, utf8.RuneCountInString(value)).WithField(field)
	case strings.ContainsRune(value, 0):
		return apperr.New(apperr.BadUserInput, "%s contains a NUL character", field).WithField(field)
	}
	return nil
}

// checkTexts checks several texts, returning the first problem.
func checkTexts(max int, fields ...string) *apperr.Error {
	for i := 0; i+1 < len(fields); i += 2 {
		if err := checkText(fields[i], fields[i+1], max); err != nil {
			return err
		}
	}
	return nil
}
