package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/config"
)

// TestDocsListEveryVariable keeps the configuration references in the
// README and the operations guide true to the code.
func TestDocsListEveryVariable(t *testing.T) {
	for _, doc := range []string{"../../README.md", "../../docs/operations.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range config.Vars() {
			if !strings.Contains(string(b), "`"+v.Name+"`") {
				t.Errorf("%s does not document %s", doc, v.Name)
			}
		}
	}
}

func TestCheckUnknown(t *testing.T) {
	if err := config.CheckUnknown([]string{"SWITCHBOARD_REDIS_URL=x", "SWITCHBOARD_TEST_REDIS_URL=y", "PATH=/bin"}); err != nil {
		t.Errorf("known variables refused: %v", err)
	}
	err := config.CheckUnknown([]string{"SWITCHBOARD_REDIS_ULR=x", "SWITCHBOARD_SECRETKEY=y"})
	if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_REDIS_ULR, SWITCHBOARD_SECRETKEY") {
		t.Errorf("error %v, want both unknown names", err)
	}
}

func TestParsers(t *testing.T) {
	if _, err := config.Duration("SWITCHBOARD_API_WAIT", "soon"); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_API_WAIT") {
		t.Errorf("Duration error %v", err)
	}
	if _, err := config.Int("SWITCHBOARD_CONCURRENCY", "0"); err == nil {
		t.Error("Int accepted 0")
	}
	if b, err := config.Bool("SWITCHBOARD_CALLBACK_ALLOW_PRIVATE", "true"); err != nil || !b {
		t.Errorf("Bool = %v, %v", b, err)
	}
	if err := config.Required("SWITCHBOARD_DATABASE_URL", "database", " "); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_DATABASE_URL is required") {
		t.Errorf("Required error %v", err)
	}
}
