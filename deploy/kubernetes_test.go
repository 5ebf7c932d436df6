package deploy

// Offline checks of the Kubernetes manifests (deploy/kubernetes) and the
// Grafana dashboard (deploy/grafana/switchboard.json). No cluster and no
// kustomize binary are needed: the test renders each kustomization itself
// (the few kustomize fields the manifests use; any other field fails the
// test), decodes every object strictly into its Kubernetes API type so a
// misspelt or misplaced field fails, and checks the rules below. Where
// kubectl is installed, TestKubectlKustomizeAgrees also has kubectl's own
// kustomize render each kustomization and compares the results.
//
// As in deploy_test.go, each check returns the problems it finds, and the
// "...CatchesBreakage" tests feed it broken copies of the real files to make
// sure each rule fires.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/switchboardhq/switchboard/internal/config"
	"github.com/switchboardhq/switchboard/jobs"
)

const (
	kubeDir       = "kubernetes"
	dashboardPath = "grafana/switchboard.json"

	// The image every workload runs, tagged by the kustomization.
	switchboardImage = "ghcr.io/switchboardhq/switchboard"
	// The ConfigMap (committed) and Secret (created by hand) every
	// switchboard container takes its environment from.
	configName  = "switchboard-config"
	secretsName = "switchboard-secrets"
	workerName  = "switchboard-worker"

	// Worker autoscaling bounds, KEDA's or the HPA's.
	minWorkers, maxWorkers = 2, 20
)

// kustomizationDirs must exist under deploy/kubernetes, each with a
// kustomization.yaml; any other directory holding one is checked too.
var kustomizationDirs = []string{"base", "hpa-alternative"}

// workloads are the pod controllers every kustomization renders, with the
// subcommand each runs.
var workloads = []struct{ kind, name, sub string }{
	{"Deployment", "switchboard-api", "api"},
	{"Deployment", workerName, "worker"},
	{"Job", "switchboard-migrate", "migrate"},
}

// secretVars are the variables that only the Secret may hold.
var secretVars = []string{"SWITCHBOARD_SECRET_KEY", "SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_REDIS_URL", "SWITCHBOARD_CALLBACK_SECRET"}

// exampleSecrets maps each Secret the manifests reference (and that is
// therefore created by hand) to the committed example of its keys.
var exampleSecrets = map[string]string{
	secretsName:              "base/secret.example.env",
	"switchboard-keda-redis": "base/keda-redis.example.env",
}

// plannedMetrics are the metric series switchboard exports (names final),
// as PromQL sees them: histograms by their _bucket series.
var plannedMetrics = []string{
	"switchboard_queue_size",
	"switchboard_queue_latency_seconds",
	"switchboard_jobs_total",
	"switchboard_job_duration_seconds_bucket",
	"switchboard_provider_requests_total",
	"switchboard_provider_request_duration_seconds_bucket",
	"switchboard_ratelimit_waits_total",
	"switchboard_webhook_reconfigurations_total",
	"switchboard_drift_repairs_total",
}

// pendingLists are the Redis lists asynq keeps each queue's waiting tasks
// in: what the worker's autoscaler must watch.
func pendingLists() []string {
	var lists []string
	for q := range jobs.Queues() {
		lists = append(lists, "asynq:{"+q+"}:pending")
	}
	sort.Strings(lists)
	return lists
}

// ---------------------------------------------------------------------------
// Strict decoding

// kustomization holds the kustomization.yaml fields the renderer below
// supports; decoding is strict, so any other field is an error.
type kustomization struct {
	metav1.TypeMeta `json:",inline"`
	Resources       []string `json:"resources,omitempty"`
	Patches         []struct {
		Path string `json:"path"`
	} `json:"patches,omitempty"`
	Labels []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors,omitempty"`
		IncludeTemplates bool              `json:"includeTemplates,omitempty"`
	} `json:"labels,omitempty"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images,omitempty"`
}

// scaledObject is the part of KEDA's ScaledObject (keda.sh/v1alpha1) the
// manifests use. KEDA's Go types are not a dependency of this module.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion,omitempty"`
			Kind       string `json:"kind,omitempty"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		PollingInterval *int32 `json:"pollingInterval,omitempty"`
		CooldownPeriod  *int32 `json:"cooldownPeriod,omitempty"`
		MinReplicaCount *int32 `json:"minReplicaCount,omitempty"`
		MaxReplicaCount *int32 `json:"maxReplicaCount,omitempty"`
		Advanced        *struct {
			HorizontalPodAutoscalerConfig *struct {
				Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
			} `json:"horizontalPodAutoscalerConfig,omitempty"`
		} `json:"advanced,omitempty"`
		Triggers []struct {
			Type              string            `json:"type"`
			Name              string            `json:"name,omitempty"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
				Kind string `json:"kind,omitempty"`
			} `json:"authenticationRef,omitempty"`
		} `json:"triggers"`
	} `json:"spec"`
}

// triggerAuthentication is the part of KEDA's TriggerAuthentication the
// manifests use.
type triggerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		SecretTargetRef []struct {
			Parameter string `json:"parameter"`
			Name      string `json:"name"`
			Key       string `json:"key"`
		} `json:"secretTargetRef"`
	} `json:"spec"`
}

// deepCopyJSON copies a local type through JSON: enough for runtime.Object.
func deepCopyJSON[T any](in *T) *T {
	b, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

func (k *kustomization) DeepCopyObject() runtime.Object         { return deepCopyJSON(k) }
func (s *scaledObject) DeepCopyObject() runtime.Object          { return deepCopyJSON(s) }
func (a *triggerAuthentication) DeepCopyObject() runtime.Object { return deepCopyJSON(a) }

var (
	kustomizationGVK = schema.GroupVersionKind{Group: "kustomize.config.k8s.io", Version: "v1beta1", Kind: "Kustomization"}
	scaledObjectGVK  = schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: "ScaledObject"}
	triggerAuthGVK   = schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: "TriggerAuthentication"}
)

// strictDecoder decodes the Kubernetes kinds the manifests may hold into
// their API types, the way the API server's strict field validation does:
// unknown, duplicate and wrongly cased fields are errors, and so is a kind
// with no type here.
var strictDecoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, batchv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	s.AddKnownTypeWithName(kustomizationGVK, &kustomization{})
	s.AddKnownTypeWithName(scaledObjectGVK, &scaledObject{})
	s.AddKnownTypeWithName(triggerAuthGVK, &triggerAuthentication{})
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}()

// decodeStrict decodes one JSON object into its registered type.
func decodeStrict(raw []byte) (runtime.Object, error) {
	obj, _, err := strictDecoder.Decode(raw, nil, nil)
	return obj, err
}

// ---------------------------------------------------------------------------
// Rendering kustomizations

// object is one rendered Kubernetes object.
type object struct {
	source string         // the file it came from
	doc    map[string]any // as rendered
	obj    runtime.Object // strictly decoded, nil if that failed
}

func (o *object) kind() string { return asString(o.doc["kind"]) }
func (o *object) name() string { return asString(asMap(o.doc["metadata"])["name"]) }
func (o *object) id() string   { return o.kind() + " " + o.name() }

// yamlDocs splits a multi-document YAML file and converts each non-empty
// document to a JSON object (duplicate keys are errors).
func yamlDocs(src []byte) ([]map[string]any, error) {
	var out []map[string]any
	for i, part := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(src), -1) {
		js, err := yaml.YAMLToJSONStrict([]byte(part))
		if err != nil {
			return nil, fmt.Errorf("document %d: %v", i+1, err)
		}
		if string(js) == "null" {
			continue // only comments
		}
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("document %d is not a mapping: %v", i+1, err)
		}
		out = append(out, doc)
	}
	return out, nil
}

// unlistedOK are files a kustomization directory may hold without listing
// them: documentation and examples of what is created by hand.
func unlistedOK(name string) bool {
	return name == "kustomization.yaml" || name == "README.md" || name == ".gitignore" || strings.Contains(name, ".example.")
}

// render builds the kustomization in dir of fsys (slash-separated paths
// relative to deploy/kubernetes): its resources (files and other
// kustomizations), then its delete patches, labels and images.
func render(fsys fs.FS, dir string, ps *problems) []*object {
	return renderDepth(fsys, dir, ps, 0)
}

func renderDepth(fsys fs.FS, dir string, ps *problems, depth int) []*object {
	if depth > 5 {
		ps.addf("%s: kustomizations nested too deep (a cycle?)", dir)
		return nil
	}
	kfile := path.Join(dir, "kustomization.yaml")
	src, err := fs.ReadFile(fsys, kfile)
	if err != nil {
		ps.addf("%s: %v", kfile, err)
		return nil
	}
	docs, err := yamlDocs(src)
	if err != nil || len(docs) != 1 {
		ps.addf("%s: want one YAML document (%v)", kfile, err)
		return nil
	}
	raw, _ := json.Marshal(docs[0])
	decoded, err := decodeStrict(raw)
	k, ok := decoded.(*kustomization)
	if err != nil || !ok {
		ps.addf("%s: %v (this test renders only resources, patches with $patch: delete, labels and images)", kfile, err)
		return nil
	}

	listed := map[string]bool{}
	var objs []*object
	for _, r := range k.Resources {
		p := path.Join(dir, r)
		if strings.Contains(r, "://") || !fs.ValidPath(p) {
			ps.addf("%s: resource %s is outside deploy/kubernetes", kfile, r)
			continue
		}
		listed[p] = true
		info, err := fs.Stat(fsys, p)
		switch {
		case err != nil:
			ps.addf("%s: resource %s: %v", kfile, r, err)
		case info.IsDir():
			objs = append(objs, renderDepth(fsys, p, ps, depth+1)...)
		default:
			objs = append(objs, loadObjects(fsys, p, ps)...)
		}
	}

	for _, patch := range k.Patches {
		p := path.Join(dir, patch.Path)
		listed[p] = true
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			ps.addf("%s: patch %s: %v", kfile, patch.Path, err)
			continue
		}
		docs, err := yamlDocs(src)
		if err != nil || len(docs) != 1 {
			// kustomize v5.5 crashes on several $patch: delete documents in one file.
			ps.addf("%s: want one YAML document per patch file (%v)", p, err)
			continue
		}
		d := docs[0]
		meta := asMap(d["metadata"])
		if asString(d["$patch"]) != "delete" || len(d) != 4 || len(meta) != 1 {
			ps.addf("%s: only `$patch: delete` patches naming apiVersion, kind and metadata.name are supported here", p)
			continue
		}
		n := len(objs)
		objs = slices.DeleteFunc(objs, func(o *object) bool {
			return asString(o.doc["apiVersion"]) == asString(d["apiVersion"]) && o.kind() == asString(d["kind"]) && o.name() == asString(meta["name"])
		})
		if len(objs) == n {
			ps.addf("%s: deletes %s %s, which is not rendered", p, d["kind"], meta["name"])
		}
	}

	for _, l := range k.Labels {
		if l.IncludeSelectors || l.IncludeTemplates {
			ps.addf("%s: labels with includeSelectors or includeTemplates: selectors of existing Deployments cannot change (and this test does not render it)", kfile)
		}
		for _, o := range objs {
			meta := asMap(o.doc["metadata"])
			lbls := asMap(meta["labels"])
			if lbls == nil {
				lbls = map[string]any{}
				meta["labels"] = lbls
			}
			for k, v := range l.Pairs {
				lbls[k] = v
			}
		}
	}

	for _, img := range k.Images {
		for _, o := range objs {
			eachContainer(o.doc, func(c map[string]any) {
				repo, _, _ := imageTag(asString(c["image"]), nil)
				if repo != img.Name {
					return
				}
				ref := orDefault(img.NewName, repo)
				switch {
				case img.Digest != "":
					ref += "@" + img.Digest
				case img.NewTag != "":
					ref += ":" + img.NewTag
				default:
					_, tag, digest := imageTag(asString(c["image"]), nil)
					if digest != "" {
						ref += "@" + digest
					} else if tag != "" {
						ref += ":" + tag
					}
				}
				c["image"] = ref
			})
		}
	}

	// Everything in the directory is listed, but for docs and examples.
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		ps.addf("%s: %v", dir, err)
	}
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		if !listed[p] && !unlistedOK(e.Name()) {
			ps.addf("%s is not listed in %s (resources or patches): it would never be applied", p, kfile)
		}
	}

	// Decode every object strictly, as it will be applied (once, at the top).
	if depth > 0 {
		return objs
	}
	for _, o := range objs {
		raw, _ := json.Marshal(o.doc)
		obj, err := decodeStrict(raw)
		if err != nil {
			ps.addf("%s: %s: %v", o.source, o.id(), err)
			obj = nil
		}
		o.obj = obj
	}
	return objs
}

func orDefault(s, otherwise string) string {
	if s != "" {
		return s
	}
	return otherwise
}

// loadObjects reads the objects of one manifest file.
func loadObjects(fsys fs.FS, p string, ps *problems) []*object {
	src, err := fs.ReadFile(fsys, p)
	if err != nil {
		ps.addf("%s: %v", p, err)
		return nil
	}
	docs, err := yamlDocs(src)
	if err != nil {
		ps.addf("%s: %v", p, err)
		return nil
	}
	var objs []*object
	for _, d := range docs {
		objs = append(objs, &object{source: p, doc: d})
	}
	if len(objs) == 0 {
		ps.addf("%s: no objects", p)
	}
	return objs
}

// eachContainer calls f on every containers[] and initContainers[] entry
// anywhere in doc, as kustomize's images transformer finds them.
func eachContainer(doc any, f func(map[string]any)) {
	switch v := doc.(type) {
	case map[string]any:
		for k, child := range v {
			if list, ok := child.([]any); ok && (k == "containers" || k == "initContainers") {
				for _, c := range list {
					if m, ok := c.(map[string]any); ok {
						f(m)
					}
				}
				continue
			}
			eachContainer(child, f)
		}
	case []any:
		for _, child := range v {
			eachContainer(child, f)
		}
	}
}

// eachPodSpec calls f on every pod spec anywhere in doc (a map holding a
// containers list: a Pod's spec, a Deployment's or Job's template, a
// CronJob's jobTemplate, a KEDA ScaledJob's...), with its path in doc.
func eachPodSpec(doc any, at string, f func(at string, spec map[string]any)) {
	switch v := doc.(type) {
	case map[string]any:
		if _, ok := v["containers"].([]any); ok {
			f(at, v)
			return
		}
		keys := slices.Sorted(maps.Keys(v))
		for _, k := range keys {
			eachPodSpec(v[k], at+"."+k, f)
		}
	case []any:
		for i, child := range v {
			eachPodSpec(child, fmt.Sprintf("%s[%d]", at, i), f)
		}
	}
}

// ---------------------------------------------------------------------------
// Checks of a rendered kustomization

// envFile reads a KEY=VALUE file as kubectl's --from-env-file does.
func envFile(src string) (map[string]string, error) {
	env := map[string]string{}
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimLeft(line, " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("line %d: not KEY=VALUE: %q", i+1, line)
		}
		if _, dup := env[k]; dup {
			return nil, fmt.Errorf("line %d: %s given twice", i+1, k)
		}
		env[k] = v
	}
	return env, nil
}

// selects tells whether sel matches the labels.
func selects(sel *metav1.LabelSelector, lbls map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(lbls))
}

// podOf is a workload's pod template, or nil.
func podOf(o *object) *corev1.PodTemplateSpec {
	switch v := o.obj.(type) {
	case *appsv1.Deployment:
		return &v.Spec.Template
	case *batchv1.Job:
		return &v.Spec.Template
	}
	return nil
}

// resolvesPort tells whether port names or numbers one of c's ports.
func resolvesPort(c corev1.Container, port intstr.IntOrString) bool {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && port.StrVal == p.Name) || (port.Type == intstr.Int && port.IntVal == p.ContainerPort) {
			return true
		}
	}
	return false
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

// containerProblems checks what every switchboard container needs.
func containerProblems(ps *problems, where string, pod corev1.PodSpec, c corev1.Container, defined map[string]bool, allowed map[string]bool) {
	repo, tag, digest := imageTag(c.Image, nil)
	if repo != switchboardImage || (digest == "" && (tag == "" || tag == "latest")) {
		ps.addf("%s: image %q, want %s:<release tag> (set by the kustomization's images entry)", where, c.Image, switchboardImage)
	}
	if len(c.Command) > 0 {
		ps.addf("%s: command %q overrides the image's ENTRYPOINT [/switchboard]: give the subcommand in args", where, c.Command)
	}

	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	if !isTrue(nonRoot) {
		ps.addf("%s: securityContext.runAsNonRoot is not true", where)
	}
	for _, uid := range []*int64{sc.RunAsUser, psc.RunAsUser} {
		if uid != nil && *uid == 0 {
			ps.addf("%s: runAsUser 0 is root", where)
		}
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		ps.addf("%s: securityContext.readOnlyRootFilesystem is not true", where)
	}
	if !isFalse(sc.AllowPrivilegeEscalation) {
		ps.addf("%s: securityContext.allowPrivilegeEscalation is not false", where)
	}
	if isTrue(sc.Privileged) {
		ps.addf("%s: securityContext.privileged", where)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		ps.addf("%s: securityContext.capabilities must drop ALL and add none", where)
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		ps.addf("%s: seccompProfile is not RuntimeDefault", where)
	}

	for _, kind := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[kind]
		lim, okLim := c.Resources.Limits[kind]
		switch {
		case !okReq || !okLim:
			ps.addf("%s: resources: want requests and limits for %s", where, kind)
		case req.Cmp(lim) > 0:
			ps.addf("%s: resources: %s request %s above its limit %s", where, kind, req.String(), lim.String())
		}
	}

	var fromConfig, fromSecret bool
	for _, ef := range c.EnvFrom {
		if ef.Prefix != "" {
			ps.addf("%s: envFrom prefix %q would rename the variables", where, ef.Prefix)
		}
		if r := ef.ConfigMapRef; r != nil {
			fromConfig = fromConfig || r.Name == configName
			if !defined["ConfigMap "+r.Name] {
				ps.addf("%s: envFrom ConfigMap %s is not defined in the kustomization", where, r.Name)
			}
			if isTrue(r.Optional) {
				ps.addf("%s: envFrom ConfigMap %s is optional: a missing one must stop the pod", where, r.Name)
			}
		}
		if r := ef.SecretRef; r != nil {
			fromSecret = fromSecret || r.Name == secretsName
			if exampleSecrets[r.Name] == "" {
				ps.addf("%s: envFrom Secret %s is not one the README and examples document (%s)", where, r.Name, secretsName)
			}
			if isTrue(r.Optional) {
				ps.addf("%s: envFrom Secret %s is optional: a missing one must stop the pod", where, r.Name)
			}
		}
	}
	if !fromConfig || !fromSecret {
		ps.addf("%s: want envFrom the ConfigMap %s and the Secret %s", where, configName, secretsName)
	}
	for _, e := range c.Env {
		if !strings.HasPrefix(e.Name, "SWITCHBOARD_") {
			continue
		}
		if !allowed[e.Name] {
			ps.addf("%s: env %s is not a variable switchboard knows (it would refuse to start)", where, e.Name)
		}
		if slices.Contains(secretVars, e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
			ps.addf("%s: env %s must come from a Secret, not a value in the manifest", where, e.Name)
		}
	}
}

// shutdownTimeout is the worker's SWITCHBOARD_SHUTDOWN_TIMEOUT under the
// ConfigMap's settings.
func shutdownTimeout(cm *corev1.ConfigMap) (time.Duration, error) {
	var data map[string]string
	if cm != nil {
		data = cm.Data
	}
	v := config.Default(func(name string) string { return data[name] }, "SWITCHBOARD_SHUTDOWN_TIMEOUT")
	return config.Duration("SWITCHBOARD_SHUTDOWN_TIMEOUT", v)
}

// manifestProblems checks one rendered kustomization.
func manifestProblems(objs []*object, port string) problems {
	var ps problems
	allowed := allowedVars()
	defined := map[string]bool{}
	byID := map[string]*object{}
	for _, o := range objs {
		if defined[o.id()] {
			ps.addf("%s: %s defined twice", o.source, o.id())
		}
		defined[o.id()] = true
		byID[o.id()] = o
		if ns := asString(asMap(o.doc["metadata"])["namespace"]); ns != "" {
			ps.addf("%s: %s sets namespace %s: the manifests are namespace-agnostic (kubectl apply -n, or an overlay's namespace:)", o.source, o.id(), ns)
		}
	}
	typed := func(id string) runtime.Object {
		if o := byID[id]; o != nil {
			return o.obj
		}
		return nil
	}

	// Configuration: the ConfigMap is committed, the Secret never is.
	cm, _ := typed("ConfigMap " + configName).(*corev1.ConfigMap)
	if cm == nil {
		ps.addf("no ConfigMap %s", configName)
	} else {
		if len(cm.BinaryData) > 0 {
			ps.addf("ConfigMap %s: binaryData is not environment", configName)
		}
		for k := range cm.Data {
			switch {
			case slices.Contains(secretVars, k):
				ps.addf("ConfigMap %s: %s is a secret: it belongs in the Secret %s", configName, k, secretsName)
			case !allowed[k]:
				ps.addf("ConfigMap %s: %s is not a variable switchboard knows (it would refuse to start)", configName, k)
			}
		}
		want := []string{"SWITCHBOARD_LOG_FORMAT", "SWITCHBOARD_WEBHOOK_BASE_URL", "SWITCHBOARD_CONCURRENCY", "SWITCHBOARD_SHUTDOWN_TIMEOUT", "SWITCHBOARD_RECONCILE_INTERVAL"}
		for _, k := range want {
			if _, ok := cm.Data[k]; !ok {
				ps.addf("ConfigMap %s: no %s", configName, k)
			}
		}
		if f := cm.Data["SWITCHBOARD_LOG_FORMAT"]; f != "json" {
			ps.addf("ConfigMap %s: SWITCHBOARD_LOG_FORMAT %q, want json", configName, f)
		}
		if u, err := url.Parse(cm.Data["SWITCHBOARD_WEBHOOK_BASE_URL"]); err != nil || u.Scheme != "https" || u.Host == "" {
			ps.addf("ConfigMap %s: SWITCHBOARD_WEBHOOK_BASE_URL %q is not an https:// URL", configName, cm.Data["SWITCHBOARD_WEBHOOK_BASE_URL"])
		}
		if _, err := config.Int("SWITCHBOARD_CONCURRENCY", config.Default(func(n string) string { return cm.Data[n] }, "SWITCHBOARD_CONCURRENCY")); err != nil {
			ps.addf("ConfigMap %s: %v", configName, err)
		}
		for _, k := range []string{"SWITCHBOARD_SHUTDOWN_TIMEOUT", "SWITCHBOARD_RECONCILE_INTERVAL"} {
			if _, err := config.Duration(k, config.Default(func(n string) string { return cm.Data[n] }, k)); err != nil {
				ps.addf("ConfigMap %s: %v", configName, err)
			}
		}
	}
	for _, o := range objs {
		if s, ok := o.obj.(*corev1.Secret); ok && (len(s.Data) > 0 || len(s.StringData) > 0) {
			ps.addf("%s: Secret %s commits secret values: create it by hand (see deploy/kubernetes/README.md)", o.source, s.Name)
		}
	}

	// Every pod, whatever its controller, goes without service links:
	// Kubernetes would otherwise set SWITCHBOARD_API_SERVICE_HOST,
	// SWITCHBOARD_API_PORT=tcp://... and more for the switchboard-api
	// Service, in every pod of the namespace.
	for _, o := range objs {
		eachPodSpec(o.doc, "", func(at string, spec map[string]any) {
			if v, ok := spec["enableServiceLinks"].(bool); !ok || v {
				ps.addf("%s: %s: the pod spec at %s does not set enableServiceLinks: false (Kubernetes would inject <SERVICE>_SERVICE_HOST, <SERVICE>_PORT, ... variables)", o.source, o.id(), strings.TrimPrefix(at, "."))
			}
		})
	}

	// The workloads and their pods.
	pods := map[string]*corev1.PodTemplateSpec{}
	for _, w := range workloads {
		o := byID[w.kind+" "+w.name]
		if o == nil || o.obj == nil {
			ps.addf("no %s %s (or it did not decode)", w.kind, w.name)
			continue
		}
		pod := podOf(o)
		pods[w.name] = pod
		where := w.kind + " " + w.name
		if d, ok := o.obj.(*appsv1.Deployment); ok {
			if !selects(d.Spec.Selector, pod.Labels) {
				ps.addf("%s: selector does not match its pod template's labels", where)
			}
			if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
				ps.addf("%s: want replicas: 2", where)
			}
		}
		spec := pod.Spec
		if !isFalse(spec.AutomountServiceAccountToken) {
			ps.addf("%s: automountServiceAccountToken is not false: switchboard never calls the Kubernetes API", where)
		}
		if spec.HostNetwork || spec.HostPID || spec.HostIPC {
			ps.addf("%s: shares a host namespace", where)
		}
		for _, tsc := range spec.TopologySpreadConstraints {
			if !selects(tsc.LabelSelector, pod.Labels) {
				ps.addf("%s: a topologySpreadConstraint does not select the workload's own pods", where)
			}
		}
		if len(spec.Containers) != 1 {
			ps.addf("%s: %d containers, want 1", where, len(spec.Containers))
			continue
		}
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			containerProblems(&ps, where+" container "+c.Name, spec, c, defined, allowed)
		}
		c := spec.Containers[0]
		if !slices.Equal(c.Args, []string{w.sub}) {
			ps.addf("%s: args %q, want [%q]", where, c.Args, w.sub)
		}
		switch w.sub {
		case "api":
			probeProblems(&ps, where, c, "http", port)
		case "worker":
			probeProblems(&ps, where, c, "metrics", "9090")
			limit, err := shutdownTimeout(cm)
			if err != nil {
				ps.addf("%s: %v", where, err)
			}
			if g := spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= limit {
				ps.addf("%s: terminationGracePeriodSeconds must be longer than SWITCHBOARD_SHUTDOWN_TIMEOUT (%s), or in-flight jobs are killed", where, limit)
			}
		case "migrate":
			j := o.obj.(*batchv1.Job)
			if j.Spec.BackoffLimit == nil {
				ps.addf("%s: no backoffLimit", where)
			}
			if j.Spec.TTLSecondsAfterFinished == nil {
				ps.addf("%s: no ttlSecondsAfterFinished: the finished Job would block the next version's (its pod template is immutable)", where)
			}
			if spec.RestartPolicy != corev1.RestartPolicyNever && spec.RestartPolicy != corev1.RestartPolicyOnFailure {
				ps.addf("%s: restartPolicy %q, want Never or OnFailure", where, spec.RestartPolicy)
			}
		}
	}
	// podsSelected names the workloads whose pods sel selects.
	podsSelected := func(sel *metav1.LabelSelector) []string {
		var names []string
		for _, w := range workloads {
			if pod := pods[w.name]; pod != nil && selects(sel, pod.Labels) {
				names = append(names, w.name)
			}
		}
		return names
	}

	// The api's Service.
	svc, _ := typed("Service switchboard-api").(*corev1.Service)
	if svc == nil {
		ps.addf("no Service switchboard-api")
	} else {
		sel := &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}
		if got := podsSelected(sel); !slices.Equal(got, []string{"switchboard-api"}) {
			ps.addf("Service switchboard-api: selects the pods of %q, want switchboard-api's only", got)
		}
		if pod := pods["switchboard-api"]; pod != nil && len(pod.Spec.Containers) == 1 {
			for _, p := range svc.Spec.Ports {
				if !resolvesPort(pod.Spec.Containers[0], p.TargetPort) {
					ps.addf("Service switchboard-api: targetPort %s is not a port of the api container", p.TargetPort.String())
				}
			}
		}
	}

	// A PodDisruptionBudget for each Deployment, selecting its pods only.
	covered := map[string]bool{}
	for _, o := range objs {
		pdb, ok := o.obj.(*policyv1.PodDisruptionBudget)
		if !ok {
			continue
		}
		got := podsSelected(pdb.Spec.Selector)
		if len(got) != 1 || !slices.ContainsFunc(workloads, func(w struct{ kind, name, sub string }) bool {
			return w.name == got[0] && w.kind == "Deployment"
		}) {
			ps.addf("PodDisruptionBudget %s: selects the pods of %q, want exactly one Deployment's", pdb.Name, got)
			continue
		}
		covered[got[0]] = true
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.String() != "1" || pdb.Spec.MaxUnavailable != nil {
			ps.addf("PodDisruptionBudget %s: want minAvailable: 1", pdb.Name)
		}
	}
	for _, w := range workloads {
		if w.kind == "Deployment" && !covered[w.name] {
			ps.addf("no PodDisruptionBudget selects the pods of Deployment %s", w.name)
		}
	}

	// The worker has exactly one autoscaler: KEDA's ScaledObject or an HPA.
	var autoscalers []string
	for _, o := range objs {
		switch a := o.obj.(type) {
		case *scaledObject:
			autoscalers = append(autoscalers, o.id())
			ps = append(ps, scaledObjectProblems(a, byID)...)
		case *autoscalingv2.HorizontalPodAutoscaler:
			autoscalers = append(autoscalers, o.id())
			ps = append(ps, hpaProblems(a)...)
		}
	}
	if len(autoscalers) != 1 {
		ps.addf("want one autoscaler for %s (a KEDA ScaledObject or, without KEDA, an HPA), got %q", workerName, autoscalers)
	}
	return ps
}

func scaledObjectProblems(so *scaledObject, byID map[string]*object) problems {
	var ps problems
	where := "ScaledObject " + so.Name
	ref := so.Spec.ScaleTargetRef
	if ref.Name != workerName || orDefault(ref.Kind, "Deployment") != "Deployment" || orDefault(ref.APIVersion, "apps/v1") != "apps/v1" {
		ps.addf("%s: scaleTargetRef %+v, want the Deployment %s", where, ref, workerName)
	}
	if m := so.Spec.MinReplicaCount; m == nil || *m != minWorkers {
		ps.addf("%s: want minReplicaCount: %d", where, minWorkers)
	}
	if m := so.Spec.MaxReplicaCount; m == nil || *m != maxWorkers {
		ps.addf("%s: want maxReplicaCount: %d", where, maxWorkers)
	}
	var lists []string
	for i, tr := range so.Spec.Triggers {
		tw := fmt.Sprintf("%s: trigger %d (%s)", where, i, tr.Name)
		if tr.Type != "redis" {
			ps.addf("%s: type %q, want redis", tw, tr.Type)
		}
		lists = append(lists, tr.Metadata["listName"])
		if n, err := strconv.Atoi(tr.Metadata["listLength"]); err != nil || n <= 0 {
			ps.addf("%s: listLength %q is not a positive integer", tw, tr.Metadata["listLength"])
		}
		for _, k := range []string{"address", "addressFromEnv", "host", "password", "passwordFromEnv"} {
			if _, ok := tr.Metadata[k]; ok {
				ps.addf("%s: metadata %s: take Redis's address and password from the TriggerAuthentication", tw, k)
			}
		}
		if tr.AuthenticationRef == nil || orDefault(tr.AuthenticationRef.Kind, "TriggerAuthentication") != "TriggerAuthentication" {
			ps.addf("%s: no authenticationRef to a TriggerAuthentication", tw)
			continue
		}
		ta := byID["TriggerAuthentication "+tr.AuthenticationRef.Name]
		auth, _ := ta.objOrNil().(*triggerAuthentication)
		if auth == nil {
			ps.addf("%s: TriggerAuthentication %s is not defined", tw, tr.AuthenticationRef.Name)
			continue
		}
		params := map[string]bool{}
		for _, r := range auth.Spec.SecretTargetRef {
			params[r.Parameter] = true
			if _, committed := byID["Secret "+r.Name]; committed {
				ps.addf("TriggerAuthentication %s: Secret %s is committed: create it by hand", auth.Name, r.Name)
			}
			if exampleSecrets[r.Name] == "" {
				ps.addf("TriggerAuthentication %s: Secret %s has no example file", auth.Name, r.Name)
			}
		}
		if !params["address"] || !params["password"] {
			ps.addf("TriggerAuthentication %s: want secretTargetRef parameters address and password", auth.Name)
		}
	}
	sort.Strings(lists)
	if want := pendingLists(); !slices.Equal(lists, want) {
		ps.addf("%s: triggers watch the lists %q, want asynq's pending lists %q", where, lists, want)
	}
	return ps
}

func (o *object) objOrNil() runtime.Object {
	if o == nil {
		return nil
	}
	return o.obj
}

func hpaProblems(h *autoscalingv2.HorizontalPodAutoscaler) problems {
	var ps problems
	where := "HorizontalPodAutoscaler " + h.Name
	if ref := h.Spec.ScaleTargetRef; ref.Name != workerName || ref.Kind != "Deployment" {
		ps.addf("%s: scaleTargetRef %+v, want the Deployment %s", where, ref, workerName)
	}
	if m := h.Spec.MinReplicas; m == nil || *m != minWorkers {
		ps.addf("%s: want minReplicas: %d", where, minWorkers)
	}
	if h.Spec.MaxReplicas != maxWorkers {
		ps.addf("%s: want maxReplicas: %d", where, maxWorkers)
	}
	if len(h.Spec.Metrics) == 0 {
		ps.addf("%s: no metrics", where)
	}
	for _, m := range h.Spec.Metrics {
		if m.Type != autoscalingv2.ExternalMetricSourceType || m.External == nil {
			ps.addf("%s: metric of type %s, want External (queue depth from Prometheus)", where, m.Type)
			continue
		}
		if !slices.Contains(plannedMetrics, m.External.Metric.Name) {
			ps.addf("%s: external metric %q is not one switchboard exports (%q)", where, m.External.Metric.Name, plannedMetrics)
		}
	}
	return ps
}

// exampleProblems checks the example files of the hand-made Secrets
// against the manifests that read them.
func exampleProblems(fsys fs.FS, objs []*object) problems {
	var ps problems
	allowed := allowedVars()
	keys := map[string]map[string]string{}
	for name, file := range exampleSecrets {
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			ps.addf("%s: %v", file, err)
			continue
		}
		env, err := envFile(string(src))
		if err != nil {
			ps.addf("%s: %v", file, err)
			continue
		}
		keys[name] = env
		for k, v := range env {
			secret := slices.Contains(secretVars, k) || k == "password"
			if secret && !regexp.MustCompile(`<[^<>]+>`).MatchString(v) {
				ps.addf("%s: %s=%q is not a <placeholder>: never commit a real value", file, k, v)
			}
		}
	}
	env := keys[secretsName]
	for k := range env {
		switch {
		case !strings.HasPrefix(k, "SWITCHBOARD_") || !allowed[k]:
			ps.addf("%s: %s is not a variable switchboard knows (it would refuse to start)", exampleSecrets[secretsName], k)
		case !slices.Contains(secretVars, k):
			ps.addf("%s: %s is not a secret: put it in the ConfigMap %s", exampleSecrets[secretsName], k, configName)
		}
	}
	for _, k := range secretVars {
		if _, ok := env[k]; !ok && env != nil {
			ps.addf("%s: no %s", exampleSecrets[secretsName], k)
		}
	}
	for _, o := range objs {
		if auth, ok := o.obj.(*triggerAuthentication); ok {
			for _, r := range auth.Spec.SecretTargetRef {
				if ex := keys[r.Name]; ex != nil {
					if _, ok := ex[r.Key]; !ok {
						ps.addf("TriggerAuthentication %s: key %s of Secret %s is not in %s", auth.Name, r.Key, r.Name, exampleSecrets[r.Name])
					}
				}
			}
		}
	}
	return ps
}

// kustomizationRoots lists the directories under fsys that hold a
// kustomization.yaml, and reports manifests outside any of them.
func kustomizationRoots(fsys fs.FS) ([]string, problems) {
	var ps problems
	var roots []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if _, err := fs.Stat(fsys, path.Join(p, "kustomization.yaml")); err == nil {
				roots = append(roots, p)
			}
			return nil
		}
		if ext := path.Ext(p); (ext == ".yaml" || ext == ".yml") && !slices.Contains(roots, path.Dir(p)) {
			ps.addf("%s is in no kustomization directory: it would never be applied", p)
		}
		return nil
	})
	if err != nil {
		ps.addf("%v", err)
	}
	for _, want := range kustomizationDirs {
		if !slices.Contains(roots, want) {
			ps.addf("no %s/kustomization.yaml", want)
		}
	}
	return roots, ps
}

// kubeProblems renders and checks every kustomization under fsys
// (deploy/kubernetes).
func kubeProblems(fsys fs.FS, port string) problems {
	roots, ps := kustomizationRoots(fsys)
	// No file, comments included, holds a real key ring.
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if src, err := fs.ReadFile(fsys, p); err == nil {
			if lits := secretLiterals(string(src)); len(lits) > 0 {
				ps.addf("%s: holds a key ring literal %q: never commit one", p, lits)
			}
		}
		return nil
	})
	for _, root := range roots {
		var rps problems
		objs := render(fsys, root, &rps)
		rps = append(rps, manifestProblems(objs, port)...)
		for _, p := range rps {
			ps.addf("%s: %s", root, p)
		}
		if root == "base" {
			ps = append(ps, exampleProblems(fsys, objs)...)
			ps = append(ps, baseKustomizationProblems(fsys)...)
		}
	}
	return ps
}

// baseKustomizationProblems checks that the base tags the image itself.
func baseKustomizationProblems(fsys fs.FS) problems {
	var ps problems
	src, err := fs.ReadFile(fsys, "base/kustomization.yaml")
	if err != nil {
		return ps // reported by render
	}
	var k kustomization
	if err := yaml.Unmarshal(src, &k); err != nil {
		return ps
	}
	for _, img := range k.Images {
		if img.Name == switchboardImage {
			if img.NewTag == "" && img.Digest == "" || img.NewTag == "latest" {
				ps.addf("base/kustomization.yaml: images entry for %s without a release newTag (or digest)", switchboardImage)
			}
			return ps
		}
	}
	ps.addf("base/kustomization.yaml: no images entry for %s setting its tag", switchboardImage)
	return ps
}

func TestKubernetes(t *testing.T) {
	reportProblems(t, "deploy/kubernetes", kubeProblems(os.DirFS(kubeDir), apiPort(t)))
}

// kubeFS copies deploy/kubernetes into memory, for breaking.
func kubeFS(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(kubeDir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS(kubeDir), p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestKubernetesCatchesBreakage(t *testing.T) {
	port := apiPort(t)
	key := testKey(t)
	base := kubeFS(t)
	if ps := kubeProblems(base, port); len(ps) > 0 {
		t.Fatalf("deploy/kubernetes has problems already: %q", ps)
	}
	for _, c := range []struct {
		name, file, old, new, want string
	}{
		// Strict decoding.
		{"typo in a field", "base/api-deployment.yaml", "containerPort: 8080", "containerPortt: 8080", `unknown field "spec.template.spec.containers[0].ports[0].containerPortt"`},
		{"wrong case", "base/worker-deployment.yaml", "terminationGracePeriodSeconds: 40", "TerminationGracePeriodSeconds: 40", `unknown field "spec.template.spec.TerminationGracePeriodSeconds"`},
		{"misplaced field", "base/api-deployment.yaml", "  replicas: 2\n", "  replicas: 2\n  ports: []\n", `unknown field "spec.ports"`},
		{"duplicate key", "base/api-pdb.yaml", "  minAvailable: 1\n", "  minAvailable: 1\n  minAvailable: 2\n", `key "minAvailable" already set`},
		{"unknown kind", "base/api-pdb.yaml", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgett", "no kind"},
		{"typo in KEDA field", "base/worker-scaledobject.yaml", "minReplicaCount: 2", "minReplicas: 2", `unknown field "spec.minReplicas"`},
		{"typo in kustomization", "base/kustomization.yaml", "resources:", "resource:", `unknown field "resource"`},
		{"namespace in base", "base/kustomization.yaml", "resources:", "namespace: switchboard\nresources:", `unknown field "namespace"`},
		{"hard-coded namespace", "base/api-service.yaml", "  name: switchboard-api\n", "  name: switchboard-api\n  namespace: prod\n", "namespace-agnostic"},
		// Listing.
		{"unlisted manifest", "base/kustomization.yaml", "  - migrate-job.yaml\n", "", "migrate-job.yaml is not listed"},
		{"missing resource", "base/kustomization.yaml", "  - migrate-job.yaml\n", "  - migrate-job.yaml\n  - ingress.yaml\n", "ingress.yaml"},
		// The api.
		{"liveness path", "base/api-deployment.yaml", "path: /healthz", "path: /health", "livenessProbe"},
		{"readiness path", "base/api-deployment.yaml", "path: /readyz", "path: /healthz", "readinessProbe"},
		{"probe port", "base/api-deployment.yaml", "path: /readyz\n              port: http", "path: /readyz\n              port: 9191", "not a port"},
		{"api port", "base/api-deployment.yaml", "containerPort: 8080", "containerPort: 9090", "port named http"},
		{"service port", "base/api-service.yaml", "targetPort: http", "targetPort: web", "targetPort"},
		{"service selects all", "base/api-service.yaml", "    app.kubernetes.io/component: api\n  ports", "  ports", "want switchboard-api's only"},
		{"api args", "base/api-deployment.yaml", `args: ["api"]`, `args: ["serve"]`, "args"},
		{"command override", "base/api-deployment.yaml", `args: ["api"]`, `command: ["/switchboard", "api"]`, "ENTRYPOINT"},
		// Security and resources.
		{"root", "base/api-deployment.yaml", "          securityContext:\n            runAsNonRoot: true", "          securityContext:\n            runAsNonRoot: false", "runAsNonRoot"},
		{"uid 0", "base/worker-deployment.yaml", "runAsUser: 65532", "runAsUser: 0", "root"},
		{"writable root", "base/worker-deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"},
		{"privilege escalation", "base/migrate-job.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation"},
		{"capabilities kept", "base/worker-deployment.yaml", `drop: ["ALL"]`, `drop: ["NET_RAW"]`, "drop ALL"},
		{"seccomp", "base/migrate-job.yaml", "            seccompProfile:\n              type: RuntimeDefault", "            seccompProfile:\n              type: Unconfined", "seccompProfile"},
		{"no limits", "base/worker-deployment.yaml", "            limits:\n              cpu: \"1\"\n              memory: 512Mi\n", "", "requests and limits"},
		{"request above limit", "base/api-deployment.yaml", "memory: 64Mi", "memory: 1Gi", "above its limit"},
		{"service links", "base/worker-deployment.yaml", "      enableServiceLinks: false\n", "", "Deployment switchboard-worker: the pod spec at spec.template.spec does not set enableServiceLinks: false"},
		{"service links on", "base/migrate-job.yaml", "enableServiceLinks: false", "enableServiceLinks: true", "Job switchboard-migrate: the pod spec at spec.template.spec does not set enableServiceLinks"},
		{"service links in a new CronJob", "base/configmap.yaml", "apiVersion: v1\nkind: ConfigMap", "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: sweep\nspec:\n  schedule: \"@daily\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - name: c\n              image: ghcr.io/switchboardhq/switchboard\n---\napiVersion: v1\nkind: ConfigMap", "CronJob sweep: the pod spec at spec.jobTemplate.spec.template.spec does not set enableServiceLinks"},
		{"token mounted", "base/migrate-job.yaml", "automountServiceAccountToken: false", "automountServiceAccountToken: true", "automountServiceAccountToken"},
		{"latest image", "base/kustomization.yaml", "newTag: v0.1.0", "newTag: latest", "release tag"},
		{"no image tag", "base/kustomization.yaml", "images:\n  - name: ghcr.io/switchboardhq/switchboard\n    newTag: v0.1.0\n", "", "images entry"},
		{"other image", "base/worker-deployment.yaml", "image: ghcr.io/switchboardhq/switchboard", "image: switchboard:local", "image"},
		// Configuration and secrets.
		{"config typo", "base/api-deployment.yaml", "name: switchboard-config", "name: switchboard-conf", "ConfigMap switchboard-conf is not defined"},
		{"secret typo", "base/worker-deployment.yaml", "name: switchboard-secrets", "name: switchboard-secret", "Secret switchboard-secret"},
		{"no secret", "base/migrate-job.yaml", "            - secretRef:\n                name: switchboard-secrets\n", "", "want envFrom"},
		{"unknown variable", "base/configmap.yaml", "  SWITCHBOARD_LOG_FORMAT: json\n", "  SWITCHBOARD_LOG_FORMAT: json\n  SWITCHBOARD_LOG_FORMATT: json\n", "SWITCHBOARD_LOG_FORMATT"},
		{"dev-only variable", "base/configmap.yaml", "  SWITCHBOARD_LOG_FORMAT: json\n", "  SWITCHBOARD_LOG_FORMAT: json\n  SWITCHBOARD_DEV_API_KEY: x\n", "SWITCHBOARD_DEV_API_KEY"},
		{"secret in config", "base/configmap.yaml", "  SWITCHBOARD_LOG_FORMAT: json\n", "  SWITCHBOARD_LOG_FORMAT: json\n  SWITCHBOARD_DATABASE_URL: postgres://u:p@db/s\n", "belongs in the Secret"},
		{"text logs", "base/configmap.yaml", "SWITCHBOARD_LOG_FORMAT: json", "SWITCHBOARD_LOG_FORMAT: text", "want json"},
		{"bad duration", "base/configmap.yaml", "SWITCHBOARD_RECONCILE_INTERVAL: 1h", "SWITCHBOARD_RECONCILE_INTERVAL: hourly", "SWITCHBOARD_RECONCILE_INTERVAL"},
		{"http webhooks", "base/configmap.yaml", "https://voice.example.com/hooks", "voice.example.com/hooks", "https://"},
		{"literal secret env", "base/api-deployment.yaml", "          envFrom:\n", "          env:\n            - name: SWITCHBOARD_SECRET_KEY\n              value: x\n          envFrom:\n", "must come from a Secret"},
		{"committed secret", "base/configmap.yaml", "apiVersion: v1\nkind: ConfigMap", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: switchboard-secrets\nstringData:\n  SWITCHBOARD_CALLBACK_SECRET: hunter2\n---\napiVersion: v1\nkind: ConfigMap", "commits secret values"},
		{"committed key ring", "base/configmap.yaml", "SWITCHBOARD_LOG_LEVEL: info", "SWITCHBOARD_LOG_LEVEL: info # " + key, "key ring literal"},
		{"example unknown variable", "base/secret.example.env", "SWITCHBOARD_CALLBACK_SECRET=", "SWITCHBOARD_CALLBACK_SECRETS=", "SWITCHBOARD_CALLBACK_SECRETS"},
		{"example misses a secret", "base/secret.example.env", "SWITCHBOARD_CALLBACK_SECRET=", "# SWITCHBOARD_CALLBACK_SECRET=", "no SWITCHBOARD_CALLBACK_SECRET"},
		{"example real value", "base/secret.example.env", "SWITCHBOARD_CALLBACK_SECRET=<random string>", "SWITCHBOARD_CALLBACK_SECRET=hunter2", "placeholder"},
		{"example key ring", "base/secret.example.env", "SWITCHBOARD_SECRET_KEY=<id>:<base64 of 32 random bytes>", "SWITCHBOARD_SECRET_KEY=" + key, "key ring literal"},
		// The worker.
		{"short grace period", "base/worker-deployment.yaml", "terminationGracePeriodSeconds: 40", "terminationGracePeriodSeconds: 20", "terminationGracePeriodSeconds"},
		{"longer shutdown", "base/configmap.yaml", "SWITCHBOARD_SHUTDOWN_TIMEOUT: 25s", "SWITCHBOARD_SHUTDOWN_TIMEOUT: 60s", "terminationGracePeriodSeconds"},
		{"worker args", "base/worker-deployment.yaml", `args: ["worker"]`, `args: ["api"]`, "args"},
		{"one worker", "base/worker-deployment.yaml", "replicas: 2", "replicas: 1", "replicas"},
		{"worker probe", "base/worker-deployment.yaml", "              path: /readyz\n              port: metrics", "              path: /readyz\n              port: 8080", "not a port"},
		// The migration Job.
		{"job retries forever", "base/migrate-job.yaml", "  backoffLimit: 4\n", "", "backoffLimit"},
		{"job kept", "base/migrate-job.yaml", "  ttlSecondsAfterFinished: 3600\n", "", "ttlSecondsAfterFinished"},
		{"job args", "base/migrate-job.yaml", `args: ["migrate"]`, `args: ["migrate", "--dry-run"]`, "args"},
		// Disruption budgets.
		{"pdb selects nothing", "base/worker-pdb.yaml", "      app.kubernetes.io/component: worker", "      app.kubernetes.io/component: workers", "PodDisruptionBudget switchboard-worker"},
		{"pdb selects both", "base/api-pdb.yaml", "      app.kubernetes.io/component: api\n", "", "exactly one Deployment"},
		{"pdb unlisted", "base/kustomization.yaml", "  - api-pdb.yaml\n", "", "no PodDisruptionBudget selects the pods of Deployment switchboard-api"},
		{"pdb max unavailable", "base/worker-pdb.yaml", "minAvailable: 1", "maxUnavailable: 1", "minAvailable: 1"},
		{"selector mismatch", "base/api-deployment.yaml", "  selector:\n    matchLabels:\n      app.kubernetes.io/name: switchboard\n      app.kubernetes.io/component: api", "  selector:\n    matchLabels:\n      app.kubernetes.io/name: switchboard\n      app.kubernetes.io/component: apis", "selector does not match"},
		// KEDA.
		{"queue missing", "base/worker-scaledobject.yaml", `listName: "asynq:{bulk}:pending"`, `listName: "asynq:{bulk}:active"`, "pending lists"},
		{"unbraced queue", "base/worker-scaledobject.yaml", `listName: "asynq:{critical}:pending"`, `listName: "asynq:critical:pending"`, "pending lists"},
		{"bad listLength", "base/worker-scaledobject.yaml", `listLength: "20"`, `listLength: "twenty"`, "listLength"},
		{"min replicas", "base/worker-scaledobject.yaml", "minReplicaCount: 2", "minReplicaCount: 0", "minReplicaCount"},
		{"max replicas", "base/worker-scaledobject.yaml", "maxReplicaCount: 20", "maxReplicaCount: 200", "maxReplicaCount"},
		{"wrong target", "base/worker-scaledobject.yaml", "    name: switchboard-worker\n  pollingInterval", "    name: switchboard-api\n  pollingInterval", "scaleTargetRef"},
		{"address inline", "base/worker-scaledobject.yaml", `        listLength: "5"`, `        listLength: "5"` + "\n        address: redis:6379", "TriggerAuthentication"},
		{"auth typo", "base/worker-scaledobject.yaml", "      authenticationRef:\n        name: switchboard-keda-redis\n    - type: redis\n      name: default-pending", "      authenticationRef:\n        name: switchboard-keda\n    - type: redis\n      name: default-pending", "switchboard-keda is not defined"},
		{"auth key not in example", "base/worker-scaledobject.yaml", "      key: password", "      key: pass", "key pass"},
		{"no autoscaler", "base/kustomization.yaml", "  - worker-scaledobject.yaml\n", "", "want one autoscaler"},
		// The HPA alternative.
		{"two autoscalers", "hpa-alternative/kustomization.yaml", "  - path: remove-scaledobject.yaml\n", "", "want one autoscaler"},
		{"delete nothing", "hpa-alternative/remove-scaledobject.yaml", "name: switchboard-worker", "name: switchboard-workers", "not rendered"},
		{"hpa metric", "hpa-alternative/worker-hpa.yaml", "name: switchboard_queue_size", "name: switchboard_queue_depth", "switchboard_queue_depth"},
		{"hpa typo", "hpa-alternative/worker-hpa.yaml", "averageValue:", "avgValue:", `unknown field "spec.metrics[0].external.target.avgValue"`},
		{"hpa bounds", "hpa-alternative/worker-hpa.yaml", "maxReplicas: 20", "maxReplicas: 5", "maxReplicas"},
		{"stray manifest", "hpa-alternative/kustomization.yaml", "  - worker-hpa.yaml\n", "", "worker-hpa.yaml is not listed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := base[c.file]
			if f == nil || !strings.Contains(string(f.Data), c.old) {
				t.Fatalf("%s no longer contains %q: update this breakage", c.file, c.old)
			}
			broken := fstest.MapFS{}
			for k, v := range base {
				broken[k] = v
			}
			broken[c.file] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), c.old, c.new, 1))}
			ps := kubeProblems(broken, port)
			if !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("%s: replacing %q by %q: want a problem mentioning %q, got %q", c.file, c.old, c.new, c.want, ps)
			}
		})
	}
	// A manifest left outside every kustomization.
	stray := fstest.MapFS{}
	for k, v := range base {
		stray[k] = v
	}
	stray["extra/ingress.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nkind: ConfigMap\n")}
	if ps := kubeProblems(stray, port); !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, "extra/ingress.yaml is in no kustomization") }) {
		t.Errorf("a manifest outside every kustomization directory: got %q", ps)
	}
}

// TestRender checks the renderer on a small kustomization of its own.
func TestRender(t *testing.T) {
	fsys := fstest.MapFS{
		"a/kustomization.yaml": {Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml, ../b]\n" +
			"patches: [{path: del.yaml}]\nlabels: [{pairs: {x: new}}]\nimages: [{name: img, newName: reg/img, newTag: v2}]\n")},
		"a/cm.yaml":            {Data: []byte("# comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {K: \"1\"}\n---\n")},
		"a/del.yaml":           {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\n$patch: delete\n")},
		"a/README.md":          {Data: []byte("docs")},
		"b/kustomization.yaml": {Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [pod.yaml]\n")},
		"b/pod.yaml": {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {x: z, w: v}}\nspec: {initContainers: [{name: i, image: img}], containers: [{name: c, image: \"img:v1\"}, {name: d, image: other}]}\n" +
			"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\n")},
	}
	var ps problems
	objs := render(fsys, "a", &ps)
	if len(ps) > 0 {
		t.Fatalf("problems: %q", ps)
	}
	var got []string
	for _, o := range objs {
		if o.obj == nil {
			t.Errorf("%s not decoded", o.id())
		}
		got = append(got, o.id())
	}
	if want := []string{"ConfigMap c", "Pod p"}; !slices.Equal(got, want) {
		t.Fatalf("rendered %q, want %q", got, want)
	}
	pod := objs[1].obj.(*corev1.Pod)
	if !reflect.DeepEqual(pod.Labels, map[string]string{"x": "new", "w": "v"}) {
		t.Errorf("labels %v", pod.Labels)
	}
	if pod.Spec.InitContainers[0].Image != "reg/img:v2" || pod.Spec.Containers[0].Image != "reg/img:v2" || pod.Spec.Containers[1].Image != "other" {
		t.Errorf("images %q %q %q", pod.Spec.InitContainers[0].Image, pod.Spec.Containers[0].Image, pod.Spec.Containers[1].Image)
	}
	if cm := objs[0].obj.(*corev1.ConfigMap); cm.Data["K"] != "1" {
		t.Errorf("ConfigMap data %v", cm.Data)
	}

	// Everything else kustomize can do is refused, not silently skipped.
	fsys["a/kustomization.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\ncommonLabels: {x: new}\n")}
	ps = nil
	render(fsys, "a", &ps)
	if !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, `unknown field "commonLabels"`) }) {
		t.Errorf("commonLabels: got %q", ps)
	}
	fsys["a/kustomization.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n")}
	ps = nil
	render(fsys, "a", &ps)
	if !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, "a/del.yaml is not listed") }) {
		t.Errorf("unlisted del.yaml: got %q", ps)
	}
}

// kubectlKustomize renders dir with kubectl's built-in kustomize.
func kubectlKustomize(t *testing.T, kubectl, dir string) []map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(kubectl, "kustomize", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	docs, err := yamlDocs(stdout.Bytes())
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	return docs
}

// normalized compares as plain JSON values.
func normalized(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKubectlKustomizeAgrees has kubectl's own kustomize render each
// kustomization and compares with this test's renderer. It is skipped where
// kubectl is not installed; the checks above still ran.
func TestKubectlKustomizeAgrees(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed; TestKubernetes rendered the kustomizations itself")
	}
	roots, _ := kustomizationRoots(os.DirFS(kubeDir))
	for _, root := range roots {
		t.Run(root, func(t *testing.T) {
			var ps problems
			mine := map[string]any{}
			for _, o := range render(os.DirFS(kubeDir), root, &ps) {
				mine[o.id()] = normalized(t, o.doc)
			}
			if len(ps) > 0 {
				t.Fatalf("render: %q", ps)
			}
			theirs := map[string]any{}
			for _, d := range kubectlKustomize(t, kubectl, path.Join(kubeDir, root)) {
				o := &object{doc: d}
				theirs[o.id()] = normalized(t, d)
			}
			for id, want := range theirs {
				if got, ok := mine[id]; !ok {
					t.Errorf("kubectl renders %s, this test does not", id)
				} else if !reflect.DeepEqual(got, want) {
					g, _ := json.MarshalIndent(got, "", "  ")
					w, _ := json.MarshalIndent(want, "", "  ")
					t.Errorf("%s differs:\nthis test:\n%s\nkubectl:\n%s", id, g, w)
				}
			}
			for id := range mine {
				if _, ok := theirs[id]; !ok {
					t.Errorf("this test renders %s, kubectl does not", id)
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// deploy/grafana/switchboard.json

// dashboard is the part of a Grafana dashboard the checks read.
type dashboard struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	SchemaVersion int      `json:"schemaVersion"`
	Panels        []*panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Definition string          `json:"definition"`
			Query      json.RawMessage `json:"query"`
			Datasource *dsRef          `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int      `json:"id"`
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Datasource *dsRef   `json:"datasource"`
	Panels     []*panel `json:"panels"`
	GridPos    *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"`
		Datasource *dsRef `json:"datasource"`
	} `json:"targets"`
}

// promMetric finds metric names in PromQL, with what follows each: a label
// matcher and a range selector.
var promMetric = regexp.MustCompile(`\b(switchboard_[a-zA-Z0-9_:]+)\s*(\{[^}]*\})?\s*(\[)?`)

func dashboardProblems(src string) problems {
	var ps problems
	var d dashboard
	if err := json.Unmarshal([]byte(src), &d); err != nil {
		ps.addf("not valid JSON: %v", err)
		return ps
	}
	if d.UID == "" || d.Title == "" {
		ps.addf("want a uid and a title")
	}
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		ps.addf("schemaVersion %d, want one of Grafana 10/11 (36-41)", d.SchemaVersion)
	}

	used := map[string]bool{}
	checkQuery := func(where, q string, needRange bool) {
		if strings.Count(q, "(") != strings.Count(q, ")") || strings.Count(q, "{") != strings.Count(q, "}") || strings.Count(q, "[") != strings.Count(q, "]") {
			ps.addf("%s: unbalanced brackets in %q", where, q)
		}
		for _, m := range promMetric.FindAllStringSubmatch(q, -1) {
			name := m[1]
			used[name] = true
			if !slices.Contains(plannedMetrics, name) {
				ps.addf("%s: metric %s is not one switchboard exports (%q)", where, name, plannedMetrics)
			}
			if needRange && (strings.HasSuffix(name, "_total") || strings.HasSuffix(name, "_bucket")) && m[3] == "" {
				ps.addf("%s: counter %s without a range for rate() or increase()", where, name)
			}
		}
	}

	dsVar := ""
	for _, v := range d.Templating.List {
		if v.Type == "datasource" {
			var q string
			if json.Unmarshal(v.Query, &q) != nil || q != "prometheus" {
				ps.addf("templating %s: want a Prometheus datasource variable", v.Name)
			}
			dsVar = v.Name
			continue
		}
		var q string
		if json.Unmarshal(v.Query, &q) != nil {
			var obj struct {
				Query string `json:"query"`
			}
			_ = json.Unmarshal(v.Query, &obj)
			q = obj.Query
		}
		checkQuery("templating "+v.Name, q, false)
		checkQuery("templating "+v.Name+" definition", v.Definition, false)
		if v.Datasource == nil || !usesVar(v.Datasource.UID, dsVar) {
			ps.addf("templating %s: datasource is not the ${%s} variable", v.Name, dsVar)
		}
	}
	if dsVar == "" {
		ps.addf("no datasource variable in templating: the dashboard would be tied to one Prometheus")
	}

	ids := map[int]bool{}
	var walk func([]*panel)
	walk = func(panels []*panel) {
		for _, p := range panels {
			where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if p.ID <= 0 || ids[p.ID] {
				ps.addf("%s: id missing or not unique", where)
			}
			ids[p.ID] = true
			if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				ps.addf("%s: no gridPos within the 24 columns", where)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || !usesVar(p.Datasource.UID, dsVar) {
				ps.addf("%s: datasource is not the ${%s} variable", where, dsVar)
			}
			if len(p.Targets) == 0 {
				ps.addf("%s: no queries", where)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					ps.addf("%s: query %s has no expr", where, tg.RefID)
				}
				if tg.Datasource != nil && !usesVar(tg.Datasource.UID, dsVar) {
					ps.addf("%s: query %s datasource is not the ${%s} variable", where, tg.RefID, dsVar)
				}
				checkQuery(where, tg.Expr, true)
			}
		}
	}
	walk(d.Panels)
	for _, m := range plannedMetrics {
		if !used[m] {
			ps.addf("no panel shows %s", m)
		}
	}
	return ps
}

// usesVar tells whether uid refers to the dashboard variable name.
func usesVar(uid, name string) bool {
	return name != "" && (uid == "$"+name || uid == "${"+name+"}")
}

func TestGrafanaDashboard(t *testing.T) {
	reportProblems(t, "deploy/"+dashboardPath, dashboardProblems(read(t, dashboardPath)))
}

func TestGrafanaDashboardCatchesBreakage(t *testing.T) {
	checkCatches(t, "deploy/"+dashboardPath, read(t, dashboardPath), []breakage{
		{"not JSON", `"panels": [`, `"panels": [,`, "not valid JSON"},
		{"unknown metric", "switchboard_queue_latency_seconds{", "switchboard_queue_age_seconds{", "switchboard_queue_age_seconds"},
		{"old metric name", "label_values(switchboard_jobs_total", "label_values(switchboard_job_total", "switchboard_job_total"},
		{"metric dropped", "max by (queue) (switchboard_queue_latency_seconds{", "max by (queue) (switchboard_queue_size{", "no panel shows switchboard_queue_latency_seconds"},
		{"counter without rate", "rate(switchboard_ratelimit_waits_total{provider=~\\\"$provider\\\"}[$__rate_interval])", "switchboard_ratelimit_waits_total{provider=~\\\"$provider\\\"}", "without a range"},
		{"unbalanced", "sum by (outcome) (rate(", "sum by (outcome) ((rate(", "unbalanced"},
		{"fixed datasource", `"uid": "${datasource}"`, `"uid": "prometheus-prod"`, "datasource is not"},
		{"no datasource variable", `"type": "datasource"`, `"type": "custom"`, "no datasource variable"},
		{"old schema", `"schemaVersion": 39`, `"schemaVersion": 16`, "schemaVersion"},
		{"duplicate id", `"id": 2,`, `"id": 1,`, "not unique"},
	}, dashboardProblems)
}

// probeProblems checks a container serves /healthz and /readyz on a port
// named portName, numbered as its listen address's default.
func probeProblems(ps *problems, where string, c corev1.Container, portName, port string) {
	var named *corev1.ContainerPort
	for i, p := range c.Ports {
		if p.Name == portName {
			named = &c.Ports[i]
		}
	}
	if named == nil || strconv.Itoa(int(named.ContainerPort)) != port {
		ps.addf("%s: want a container port named %s on %s (the listen address's default)", where, portName, port)
	}
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"livenessProbe", c.LivenessProbe, "/healthz"}, {"readinessProbe", c.ReadinessProbe, "/readyz"}} {
		switch {
		case pr.probe == nil || pr.probe.HTTPGet == nil:
			ps.addf("%s: no httpGet %s on %s", where, pr.name, pr.path)
		case pr.probe.HTTPGet.Path != pr.path:
			ps.addf("%s: %s on %q, want %s", where, pr.name, pr.probe.HTTPGet.Path, pr.path)
		case !resolvesPort(c, pr.probe.HTTPGet.Port):
			ps.addf("%s: %s port %s is not a port of the container", where, pr.name, pr.probe.HTTPGet.Port.String())
		}
	}
}
