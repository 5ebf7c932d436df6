package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// podEnvFile is the environment of each pod of deploy/kubernetes, computed
// from the rendered manifests by deploy/podenv_test.go (which keeps it
// current): the ConfigMap's variables, the names of the Secret's, and the
// service-link variables kubelet would add for the manifests' Services.
const podEnvFile = "../../deploy/testdata/pod-env.json"

// TestStartsInAKubernetesPod runs every workload of the manifests (api,
// worker, migrate; base and hpa-alternative) in its pod's environment,
// service links included, with this test's own PostgreSQL (or SQLite) and
// Redis in the Secret's place, and wants each to start and stop cleanly.
func TestStartsInAKubernetesPod(t *testing.T) {
	raw, err := os.ReadFile(podEnvFile)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Pods []struct {
			Kustomization, Workload string
			Args                    []string
			Env                     map[string]string
			SecretEnv               []string
			ServiceLinks            map[string]string
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Pods) == 0 {
		t.Fatalf("%s lists no pods", podEnvFile)
	}
	for _, pod := range file.Pods {
		t.Run(pod.Kustomization+"/"+strings.ReplaceAll(pod.Workload, " ", "-"), func(t *testing.T) {
			// Every variable is in the process environment: the unknown
			// variable check reads it as a pod's would be read.
			for k, v := range pod.Env {
				t.Setenv(k, v)
			}
			for k, v := range pod.ServiceLinks {
				t.Setenv(k, v)
			}
			for _, k := range pod.SecretEnv {
				t.Setenv(k, secretValue(t, k))
			}
			// Listen where nothing else does (the pods use the defaults).
			for _, k := range []string{"SWITCHBOARD_ADDR", "SWITCHBOARD_METRICS_ADDR"} {
				if _, set := pod.Env[k]; !set {
					t.Setenv(k, "127.0.0.1:0")
				}
			}
			ctx := context.Background()
			if len(pod.Args) == 0 {
				t.Fatalf("%s runs no subcommand", pod.Workload)
			}
			if pod.Args[0] == "migrate" {
				if err := run(ctx, pod.Args, os.Getenv, io.Discard, io.Discard); err != nil {
					t.Fatalf("%q: %v", pod.Args, err)
				}
				return
			}
			if err := run(ctx, []string{"migrate"}, os.Getenv, io.Discard, io.Discard); err != nil {
				t.Fatalf("migrate first: %v", err)
			}
			started := map[string]string{"api": `"msg":"api listening"`, "worker": `"msg":"worker started"`}[pod.Args[0]]
			if started == "" {
				t.Fatalf("%q: this test does not know how that subcommand says it started", pod.Args)
			}
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			stderr := &syncBuffer{}
			done := make(chan error, 1)
			go func() { done <- run(ctx, pod.Args, os.Getenv, io.Discard, stderr) }()
			for deadline := time.Now().Add(90 * time.Second); !strings.Contains(stderr.String(), started); time.Sleep(20 * time.Millisecond) {
				select {
				case err := <-done:
					t.Fatalf("%q exited before starting: %v\n%s", pod.Args, err, stderr)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("%q did not start within 90s:\n%s", pod.Args, stderr)
				}
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%q did not stop cleanly: %v", pod.Args, err)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("%q did not stop within 30s", pod.Args)
			}
		})
	}
}

// secretValue is this test's value for a variable of the Secret.
func secretValue(t *testing.T, name string) string {
	t.Helper()
	switch name {
	case "SWITCHBOARD_DATABASE_URL":
		if testenv.RealPostgres() {
			return testenv.PostgresURL(t)
		}
		return "sqlite:" + filepath.Join(t.TempDir(), "switchboard.db")
	case "SWITCHBOARD_REDIS_URL":
		return testenv.RedisURL(t)
	case "SWITCHBOARD_SECRET_KEY":
		return "k1:" + base64.StdEncoding.EncodeToString(randomBytes(t, 32))
	case "SWITCHBOARD_CALLBACK_SECRET":
		return base64.StdEncoding.EncodeToString(randomBytes(t, 32))
	}
	t.Fatalf("the Secret holds %s: give this test a value for it", name)
	return ""
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
