package store

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns 24 random hex characters (96 bits), the id shape the seed
// API uses for users and numbers (it looks like a MongoDB ObjectId).
func NewID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
