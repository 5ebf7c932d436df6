package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestBannerHidesPasswords: dev prints the database and Redis it uses,
// without their passwords.
func TestBannerHidesPasswords(t *testing.T) {
	var out bytes.Buffer
	printBanner(&out, "http://127.0.0.1:8080", "devkey", "postgres://app:s3cret@db:5432/sb", "redis://:hunter2@cache:6379/0", "user admin, password x", 0)
	if s := out.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "hunter2") || !strings.Contains(s, "postgres://app:xxxxx@db:5432/sb") {
		t.Errorf("banner:\n%s", s)
	}
}
