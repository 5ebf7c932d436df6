package deploy

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The environment of each pod the manifests run, for cmd/switchboard's
// TestStartsInAKubernetesPod, which runs the binary in it. The file is
// generated from the rendered manifests: after changing them, run
//
//	go test ./deploy/ -run TestPodEnvironment -update
var update = flag.Bool("update", false, "rewrite "+podEnvFile+" from the rendered manifests")

const podEnvFile = "testdata/pod-env.json"

// podEnv is one container of one workload of one kustomization.
type podEnv struct {
	Kustomization string   `json:"kustomization"`
	Workload      string   `json:"workload"`
	Container     string   `json:"container"`
	Args          []string `json:"args"`
	// Env is what envFrom and env give the container, but for Secret keys.
	Env map[string]string `json:"env"`
	// SecretEnv are the variables that come from a Secret: their values are
	// the operator's, so the test supplies its own.
	SecretEnv []string `json:"secretEnv"`
	// ServiceLinks are the variables kubelet sets for every Service of the
	// manifests when service links are on (the manifests turn them off, but
	// an overlay, a Helm chart or an older copy may not).
	ServiceLinks map[string]string `json:"serviceLinks"`
}

type podEnvFileContents struct {
	Comment string   `json:"comment"`
	Pods    []podEnv `json:"pods"`
}

// serviceLinks are the variables kubelet sets in a pod for the Services
// (pkg/kubelet/envvars: name upper-cased with '-' as '_', the first port
// as NAME_SERVICE_PORT and NAME_PORT, every port in NAME_PORT_<n>_<PROTO>
// and its _PROTO, _PORT, _ADDR, named ports as NAME_SERVICE_PORT_<NAME>).
// Services have no cluster IP before they are created: each gets one of
// 10.96.0.10, .11, ... Headless and ExternalName Services get none.
func serviceLinks(svcs []*corev1.Service) map[string]string {
	env := map[string]string{}
	for i, s := range svcs {
		if s.Spec.ClusterIP == corev1.ClusterIPNone || s.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		ip := fmt.Sprintf("10.96.0.%d", 10+i)
		name := strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
		env[name+"_SERVICE_HOST"] = ip
		for j, p := range s.Spec.Ports {
			proto := string(p.Protocol)
			if proto == "" {
				proto = string(corev1.ProtocolTCP)
			}
			port := fmt.Sprint(p.Port)
			url := strings.ToLower(proto) + "://" + ip + ":" + port
			if j == 0 {
				env[name+"_SERVICE_PORT"] = port
				env[name+"_PORT"] = url
			}
			if p.Name != "" {
				env[name+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_"))] = port
			}
			prefix := name + "_PORT_" + port + "_" + strings.ToUpper(proto)
			env[prefix] = url
			env[prefix+"_PROTO"] = strings.ToLower(proto)
			env[prefix+"_PORT"] = port
			env[prefix+"_ADDR"] = ip
		}
	}
	return env
}

// podEnvironments computes podEnv for every workload container of every
// kustomization in fsys.
func podEnvironments(fsys fs.FS) ([]podEnv, problems) {
	var ps problems
	var out []podEnv
	for _, dir := range kustomizationDirs {
		objs := render(fsys, dir, &ps)
		configMaps := map[string]map[string]string{}
		var svcs []*corev1.Service
		for _, o := range objs {
			switch v := o.obj.(type) {
			case *corev1.ConfigMap:
				configMaps[v.Name] = v.Data
			case *corev1.Service:
				svcs = append(svcs, v)
			}
		}
		secretKeys := map[string]map[string]string{}
		for name, file := range exampleSecrets {
			src, err := fs.ReadFile(fsys, file)
			if err != nil {
				ps.addf("%s: %v", file, err)
				continue
			}
			env, err := envFile(string(src))
			if err != nil {
				ps.addf("%s: %v", file, err)
			}
			secretKeys[name] = env
		}
		links := serviceLinks(svcs)
		for _, o := range objs {
			pod := podOf(o)
			if pod == nil {
				continue
			}
			for _, c := range pod.Spec.Containers {
				pe := podEnv{Kustomization: dir, Workload: o.id(), Container: c.Name, Args: c.Args, Env: map[string]string{}, ServiceLinks: links}
				secret := map[string]bool{}
				for _, from := range c.EnvFrom {
					switch {
					case from.ConfigMapRef != nil:
						for k, v := range configMaps[from.ConfigMapRef.Name] {
							pe.Env[from.Prefix+k] = v
						}
					case from.SecretRef != nil:
						keys, ok := secretKeys[from.SecretRef.Name]
						if !ok {
							ps.addf("%s: Secret %s has no example", o.id(), from.SecretRef.Name)
						}
						for k := range keys {
							secret[from.Prefix+k] = true
							delete(pe.Env, from.Prefix+k)
						}
					}
				}
				for _, e := range c.Env {
					switch {
					case e.ValueFrom == nil:
						pe.Env[e.Name] = e.Value
						delete(secret, e.Name)
					case e.ValueFrom.SecretKeyRef != nil:
						secret[e.Name] = true
						delete(pe.Env, e.Name)
					case e.ValueFrom.ConfigMapKeyRef != nil:
						pe.Env[e.Name] = configMaps[e.ValueFrom.ConfigMapKeyRef.Name][e.ValueFrom.ConfigMapKeyRef.Key]
						delete(secret, e.Name)
					default:
						ps.addf("%s: env %s: only values, Secret and ConfigMap keys are computed here", o.id(), e.Name)
					}
				}
				pe.SecretEnv = slices.Sorted(maps.Keys(secret))
				out = append(out, pe)
			}
		}
	}
	return out, ps
}

// TestPodEnvironment keeps testdata/pod-env.json, the environment
// cmd/switchboard's TestStartsInAKubernetesPod starts the binary in, true
// to the rendered manifests.
func TestPodEnvironment(t *testing.T) {
	pods, ps := podEnvironments(os.DirFS(kubeDir))
	reportProblems(t, "deploy/kubernetes", ps)
	if !slices.ContainsFunc(pods, func(p podEnv) bool { return p.ServiceLinks["SWITCHBOARD_API_PORT"] != "" }) {
		t.Errorf("no SWITCHBOARD_API_* service links computed: %+v", pods)
	}
	got, err := json.MarshalIndent(podEnvFileContents{
		Comment: "Generated by deploy/podenv_test.go from deploy/kubernetes: go test ./deploy/ -run TestPodEnvironment -update",
		Pods:    pods,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(podEnvFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(podEnvFile)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("deploy/%s is out of date with the manifests: go test ./deploy/ -run TestPodEnvironment -update", podEnvFile)
	}
}

func TestServiceLinks(t *testing.T) {
	svc := &corev1.Service{}
	svc.Name = "switchboard-api"
	svc.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80}, {Name: "grpc-web", Port: 81, Protocol: corev1.ProtocolUDP}}
	headless := &corev1.Service{}
	headless.Name = "switchboard-headless"
	headless.Spec.ClusterIP = corev1.ClusterIPNone
	got := serviceLinks([]*corev1.Service{svc, headless})
	want := map[string]string{
		"SWITCHBOARD_API_SERVICE_HOST":          "10.96.0.10",
		"SWITCHBOARD_API_SERVICE_PORT":          "80",
		"SWITCHBOARD_API_SERVICE_PORT_HTTP":     "80",
		"SWITCHBOARD_API_SERVICE_PORT_GRPC_WEB": "81",
		"SWITCHBOARD_API_PORT":                  "tcp://10.96.0.10:80",
		"SWITCHBOARD_API_PORT_80_TCP":           "tcp://10.96.0.10:80",
		"SWITCHBOARD_API_PORT_80_TCP_PROTO":     "tcp",
		"SWITCHBOARD_API_PORT_80_TCP_PORT":      "80",
		"SWITCHBOARD_API_PORT_80_TCP_ADDR":      "10.96.0.10",
		"SWITCHBOARD_API_PORT_81_UDP":           "udp://10.96.0.10:81",
		"SWITCHBOARD_API_PORT_81_UDP_PROTO":     "udp",
		"SWITCHBOARD_API_PORT_81_UDP_PORT":      "81",
		"SWITCHBOARD_API_PORT_81_UDP_ADDR":      "10.96.0.10",
	}
	if !maps.Equal(got, want) {
		t.Errorf("serviceLinks = %v, want %v", got, want)
	}
}
