package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"stockgraph/internal/apperr"
)

// secretPrefix starts every Standard Webhooks secret.
const secretPrefix = "whsec_"

// secretBytes is the length of a generated key: Standard Webhooks asks for
// 24 to 64 random bytes.
const secretBytes = 32

// NewSecret returns a fresh secret: whsec_ and the base64 of 32 random bytes.
func NewSecret() string {
	key := make([]byte, secretBytes)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24)
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// secretKey decodes a secret into its HMAC key.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || !strings.HasPrefix(secret, secretPrefix) || len(key) < 24 || len(key) > 64 {
		return nil, apperr.New(apperr.BadUserInput,
			"secret must be whsec_ followed by the base64 of 24 to 64 bytes; omit it to have one generated").WithField("input.secret")
	}
	return key, nil
}

// Signature is the webhook-signature header of a message: "v1," and the
// base64 HMAC-SHA256, keyed with the secret's key, of
// "<webhook-id>.<webhook-timestamp>.<body>".
func Signature(secret, msgID string, timestamp int64, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
