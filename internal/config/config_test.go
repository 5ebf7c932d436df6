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
	for in, want := range map[string]int{"": 0, "0": -1, "3": 3} {
		if n, err := config.BulkConcurrency(in); err != nil || n != want {
			t.Errorf("BulkConcurrency(%q) = %d, %v, want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"-1", "many", "2.5"} {
		if _, err := config.BulkConcurrency(in); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_BULK_CONCURRENCY") {
			t.Errorf("BulkConcurrency(%q) error %v, want one naming the variable", in, err)
		}
	}
	if b, err := config.Bool("SWITCHBOARD_CALLBACK_ALLOW_PRIVATE", "true"); err != nil || !b {
		t.Errorf("Bool = %v, %v", b, err)
	}
	if err := config.Required("SWITCHBOARD_DATABASE_URL", "database", " "); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_DATABASE_URL is required") {
		t.Errorf("Required error %v", err)
	}
}

// TestCheckUnknownPassesServiceLinks: the variables kubelet sets for
// Services named switchboard-api, switchboard-redis and switchboard (a Helm
// release) are not refused; look-alikes that are not what kubelet sets are.
func TestCheckUnknownPassesServiceLinks(t *testing.T) {
	links := []string{
		"SWITCHBOARD_API_SERVICE_HOST=10.96.0.12",
		"SWITCHBOARD_API_SERVICE_PORT=80",
		"SWITCHBOARD_API_SERVICE_PORT_HTTP=80",
		"SWITCHBOARD_API_PORT=tcp://10.96.0.12:80",
		"SWITCHBOARD_API_PORT_80_TCP=tcp://10.96.0.12:80",
		"SWITCHBOARD_API_PORT_80_TCP_PROTO=tcp",
		"SWITCHBOARD_API_PORT_80_TCP_PORT=80",
		"SWITCHBOARD_API_PORT_80_TCP_ADDR=10.96.0.12",
		"SWITCHBOARD_REDIS_SERVICE_HOST=fd00::6379",
		"SWITCHBOARD_REDIS_SERVICE_PORT=6379",
		"SWITCHBOARD_REDIS_SERVICE_PORT_TCP_REDIS=6379",
		"SWITCHBOARD_REDIS_PORT=tcp://[fd00::6379]:6379",
		"SWITCHBOARD_REDIS_PORT_6379_TCP=tcp://[fd00::6379]:6379",
		"SWITCHBOARD_REDIS_PORT_6379_TCP_ADDR=fd00::6379",
		"SWITCHBOARD_SERVICE_HOST=10.96.0.13",
		"SWITCHBOARD_SERVICE_PORT=8080",
		"SWITCHBOARD_PORT=tcp://10.96.0.13:8080",
		"SWITCHBOARD_PORT_8080_TCP=tcp://10.96.0.13:8080",
		"SWITCHBOARD_DNS_PORT_53_UDP=udp://10.96.0.14:53",
		"SWITCHBOARD_DNS_PORT_53_UDP_PROTO=udp",
		"SWITCHBOARD_SCTP_PORT_9_SCTP_PORT=9",
	}
	if err := config.CheckUnknown(append(links, "SWITCHBOARD_REDIS_URL=redis://x")); err != nil {
		t.Errorf("service links refused: %v", err)
	}
	for _, kv := range []string{
		"SWITCHBOARD_REDIS_ULR=redis://x",
		"SWITCHBOARD_METRICS_PORT=9090",                   // not tcp://host:port
		"SWITCHBOARD_API_PORT=http://10.96.0.12:80",       // not a protocol kubelet writes
		"SWITCHBOARD_API_PORT=tcp://api:80",               // kubelet writes the cluster IP
		"SWITCHBOARD_API_SERVICE_HOST=api.example",        // not an IP
		"SWITCHBOARD_API_SERVICE_PORT=http",               // not a port number
		"SWITCHBOARD_API_PORT_80_TCP=tcp://10.96.0.12:81", // port differs from the name's
		"SWITCHBOARD_API_PORT_80_TCP_PROTO=udp",           // protocol differs from the name's
		"SWITCHBOARD_API_PORT_80_TCP_PORT=8080",
		"SWITCHBOARD_API_PORT_80_TCP_ADDR=localhost",
		"SWITCHBOARD_API_PORT_80_HTTP=tcp://10.96.0.12:80",
	} {
		name, _, _ := strings.Cut(kv, "=")
		if err := config.CheckUnknown([]string{kv}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("CheckUnknown(%q) = %v, want an error naming %s", kv, err, name)
		}
	}
}

func TestRequireAll(t *testing.T) {
	if err := config.RequireAll(config.Setting{"SWITCHBOARD_A", "a", "x"}); err != nil {
		t.Errorf("RequireAll with every value set: %v", err)
	}
	err := config.RequireAll(config.Setting{"SWITCHBOARD_A", "a", ""}, config.Setting{"SWITCHBOARD_B", "b", "x"}, config.Setting{"SWITCHBOARD_C", "c", " "})
	if want := "2 required settings are missing: SWITCHBOARD_A (or --a), SWITCHBOARD_C (or --c)"; err == nil || err.Error() != want {
		t.Errorf("RequireAll error %v, want %q", err, want)
	}
}
