package deploy

// Offline checks of the container files: deploy/Dockerfile, .dockerignore
// and docker-compose.yml. No Docker engine is needed. Each check is a
// function returning the problems it finds, so the "...CatchesBreakage"
// tests can feed it deliberately broken copies of the real files and make
// sure each rule actually fires.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/switchboardhq/switchboard/internal/config"
)

const (
	dockerfilePath   = "Dockerfile"
	composePath      = "../docker-compose.yml"
	dockerignorePath = "../.dockerignore"
	goModPath        = "../go.mod"
	repoRoot         = ".."

	// The Dockerfile's path from the build context, the repository root.
	dockerfileInContext = "deploy/Dockerfile"
	// The image tag every switchboard service of the compose file shares.
	composeImage = "switchboard:local"
)

// switchboardServices are the compose services that run the switchboard
// image, with the subcommand each runs.
var switchboardServices = map[string]string{"migrate": "migrate", "worker": "worker", "api": "api"}

// subcommands are the switchboard subcommands an image may default to.
var subcommands = []string{"worker", "api", "migrate", "dev", "version", "apikey"}

// problems collects what a check finds.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func reportProblems(t *testing.T, file string, ps problems) {
	t.Helper()
	for _, p := range ps {
		t.Errorf("%s: %s", file, p)
	}
}

// breakage is one deliberate defect: replace old by new in the real file,
// and a problem containing want must be reported.
type breakage struct {
	name, old, new, want string
}

func checkCatches(t *testing.T, file, src string, cases []breakage, check func(string) problems) {
	t.Helper()
	if ps := check(src); len(ps) > 0 {
		t.Fatalf("%s has problems already: %q", file, ps)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(src, c.old) {
				t.Fatalf("%s no longer contains %q: update this breakage", file, c.old)
			}
			ps := check(strings.Replace(src, c.old, c.new, 1))
			if !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("replacing %q by %q: want a problem mentioning %q, got %q", c.old, c.new, c.want, ps)
			}
		})
	}
}

// allowedVars are the SWITCHBOARD_* variables a deployment may set:
// everything switchboard reads except the dev-only ones.
func allowedVars() map[string]bool {
	ok := map[string]bool{}
	for _, v := range config.Vars() {
		if v.Name != "SWITCHBOARD_DEV_API_KEY" {
			ok[v.Name] = true
		}
	}
	return ok
}

// apiPort is the port of the api's default listen address.
func apiPort(t *testing.T) string {
	t.Helper()
	_, port, err := net.SplitHostPort(config.Default(func(string) string { return "" }, "SWITCHBOARD_ADDR"))
	if err != nil || port == "" {
		t.Fatalf("SWITCHBOARD_ADDR default: no port (%v)", err)
	}
	return port
}

// goVersion is the major.minor of go.mod's go directive.
func goVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go\s+(\d+\.\d+)`).FindStringSubmatch(read(t, goModPath))
	if m == nil {
		t.Fatal("go.mod: no go directive")
	}
	return m[1]
}

// keyRingLiteral matches text shaped like a SWITCHBOARD_SECRET_KEY entry:
// <id>:<base64 of 32 bytes>.
var keyRingLiteral = regexp.MustCompile(`[A-Za-z0-9_-]{1,32}:([A-Za-z0-9+/_-]{43}=?)`)

// secretLiterals returns the key-ring entries written out in src.
func secretLiterals(src string) []string {
	var found []string
	for _, m := range keyRingLiteral.FindAllStringSubmatch(src, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.RawURLEncoding, base64.URLEncoding} {
			if b, err := enc.DecodeString(m[1]); err == nil && len(b) == 32 {
				found = append(found, m[0])
				break
			}
		}
	}
	return found
}

// testKey is a throwaway key ring made up for this test run only.
func testKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return "test:" + base64.StdEncoding.EncodeToString(k)
}

// ---------------------------------------------------------------------------
// docker-compose.yml

// requiredRef is how SWITCHBOARD_SECRET_KEY must be given: a reference to
// the host's variable that fails when it is unset or empty, never a value.
var requiredRef = regexp.MustCompile(`^\$\{SWITCHBOARD_SECRET_KEY:\?[^}]*\}$`)

// interpolated finds ${NAME...} and $NAME references.
var interpolated = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asString(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// asList reads a command-like value: a list, or a string split on blanks.
func asList(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			out[i] = asString(e)
		}
		return out
	}
	return nil
}

// asEnv reads an environment in map or KEY=VALUE list form.
func asEnv(v any) map[string]string {
	env := map[string]string{}
	switch v := v.(type) {
	case map[string]any:
		for k, val := range v {
			env[k] = asString(val)
		}
	case []any:
		for _, e := range v {
			k, val, _ := strings.Cut(asString(e), "=")
			env[k] = val
		}
	}
	return env
}

// dependsOn reads depends_on as service name -> condition.
func dependsOn(v any) map[string]string {
	deps := map[string]string{}
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			deps[asString(e)] = "service_started"
		}
	case map[string]any:
		for name, d := range v {
			cond := asString(asMap(d)["condition"])
			if cond == "" {
				cond = "service_started"
			}
			deps[name] = cond
		}
	}
	return deps
}

// mappingValue returns the value node of key in mapping node n.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// anchorProblems checks that the switchboard services really share the
// x-switchboard extension through YAML anchors instead of copies that
// could drift apart.
func anchorProblems(src []byte) problems {
	var ps problems
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || len(doc.Content) == 0 {
		ps.addf("cannot parse: %v", err)
		return ps
	}
	root := doc.Content[0]
	ext := mappingValue(root, "x-switchboard")
	if ext == nil || ext.Anchor != "switchboard" {
		ps.addf("x-switchboard: want a mapping anchored as &switchboard")
	}
	envExt := mappingValue(root, "x-switchboard-env")
	if envExt == nil || envExt.Anchor != "switchboard-env" {
		ps.addf("x-switchboard-env: want a mapping anchored as &switchboard-env")
	}
	if env := mappingValue(ext, "environment"); env == nil || env.Kind != yaml.AliasNode || env.Value != "switchboard-env" {
		ps.addf("x-switchboard: want environment: *switchboard-env")
	}
	services := mappingValue(root, "services")
	for name := range switchboardServices {
		merge := mappingValue(mappingValue(services, name), "<<")
		if merge == nil || merge.Kind != yaml.AliasNode || merge.Value != "switchboard" {
			ps.addf("service %s: want <<: *switchboard (the shared x-switchboard extension)", name)
		}
	}
	return ps
}

func composeProblems(srcText string, port string) problems {
	src := []byte(srcText)
	var ps problems
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		ps.addf("cannot parse: %v", err)
		return ps
	}
	if _, ok := doc["version"]; ok {
		ps.addf("obsolete top-level version key: the Compose Specification has none")
	}
	ps = append(ps, anchorProblems(src)...)

	services := asMap(doc["services"])
	for _, name := range []string{"redis", "postgres", "migrate", "worker", "api"} {
		if services[name] == nil {
			ps.addf("no service %s", name)
		}
	}
	svc := func(name string) map[string]any { return asMap(services[name]) }

	// Settings shared by every switchboard service.
	shared := asEnv(doc["x-switchboard-env"])
	for _, name := range []string{"SWITCHBOARD_REDIS_URL", "SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_SECRET_KEY", "SWITCHBOARD_WEBHOOK_BASE_URL", "SWITCHBOARD_LOG_FORMAT"} {
		if _, ok := shared[name]; !ok {
			ps.addf("x-switchboard-env: no %s", name)
		}
	}
	for name, sub := range switchboardServices {
		s := svc(name)
		build := asMap(s["build"])
		if asString(build["context"]) != "." || asString(build["dockerfile"]) != dockerfileInContext {
			ps.addf("service %s: want build {context: ., dockerfile: %s}, got %v", name, dockerfileInContext, s["build"])
		}
		if got := asString(s["image"]); got != composeImage {
			ps.addf("service %s: image %q, want %q", name, got, composeImage)
		}
		env := asEnv(s["environment"])
		for k, v := range shared {
			if env[k] != v {
				ps.addf("service %s: %s is %q, not the shared x-switchboard-env value %q", name, k, env[k], v)
			}
		}
		if ref := env["SWITCHBOARD_SECRET_KEY"]; !requiredRef.MatchString(ref) {
			ps.addf("service %s: SWITCHBOARD_SECRET_KEY must be ${SWITCHBOARD_SECRET_KEY:?message} (from the host, required, no default), got %q", name, ref)
		}
		if cmd := asList(s["command"]); !slices.Equal(cmd, []string{sub}) {
			ps.addf("service %s: command %q, want [%q]", name, cmd, sub)
		}
	}

	// migrate is a one-shot the long-running services wait for.
	if r := asString(svc("migrate")["restart"]); r != "no" {
		ps.addf("service migrate: restart %q, want \"no\" (a one-shot)", r)
	}
	if c := dependsOn(svc("migrate")["depends_on"])["postgres"]; c != "service_healthy" {
		ps.addf("service migrate: depends_on postgres %q, want service_healthy", c)
	}
	for _, name := range []string{"worker", "api"} {
		s := svc(name)
		if r := asString(s["restart"]); r != "unless-stopped" {
			ps.addf("service %s: restart %q, want unless-stopped", name, r)
		}
		want := map[string]string{"redis": "service_healthy", "postgres": "service_healthy", "migrate": "service_completed_successfully"}
		deps := dependsOn(s["depends_on"])
		for dep, cond := range want {
			if deps[dep] != cond {
				ps.addf("service %s: depends_on %s with condition %q, want %s", name, dep, deps[dep], cond)
			}
		}
	}
	if r := asString(asMap(svc("worker")["deploy"])["replicas"]); r != "2" {
		ps.addf("service worker: deploy.replicas %q, want 2", r)
	}

	// In-flight jobs get SWITCHBOARD_SHUTDOWN_TIMEOUT after SIGTERM; Docker
	// must not SIGKILL the worker before that.
	workerEnv := asEnv(svc("worker")["environment"])
	shutdown := config.Default(func(name string) string { return workerEnv[name] }, "SWITCHBOARD_SHUTDOWN_TIMEOUT")
	limit, err := time.ParseDuration(shutdown)
	if err != nil {
		ps.addf("service worker: SWITCHBOARD_SHUTDOWN_TIMEOUT %q: %v", shutdown, err)
	}
	grace, err := time.ParseDuration(asString(svc("worker")["stop_grace_period"]))
	if err != nil || grace <= limit {
		ps.addf("service worker: stop_grace_period %q must be longer than SWITCHBOARD_SHUTDOWN_TIMEOUT (%s)", asString(svc("worker")["stop_grace_period"]), shutdown)
	}

	// The api publishes the port it listens on.
	published := false
	for _, p := range asList(svc("api")["ports"]) {
		if p == port || strings.HasSuffix(p, ":"+port) || strings.HasSuffix(p, ":"+port+"/tcp") {
			published = true
		}
	}
	if !published {
		ps.addf("service api: no ports entry publishes container port %s (SWITCHBOARD_ADDR's default)", port)
	}

	// Redis keeps its queues across restarts, on a named volume.
	redis := svc("redis")
	if !strings.HasPrefix(asString(redis["image"]), "redis:") {
		ps.addf("service redis: image %q, want redis:<tag>", redis["image"])
	}
	if cmd := strings.Join(asList(redis["command"]), " "); !strings.Contains(cmd, "--appendonly yes") {
		ps.addf("service redis: command %q does not turn appendonly (AOF) on", cmd)
	}
	pg := svc("postgres")
	if !strings.HasPrefix(asString(pg["image"]), "postgres:") {
		ps.addf("service postgres: image %q, want postgres:<tag>", pg["image"])
	}
	for name, probe := range map[string]string{"redis": "redis-cli ping", "postgres": "pg_isready"} {
		hc := asMap(svc(name)["healthcheck"])
		if test := strings.Join(asList(hc["test"]), " "); hc["disable"] == true || !strings.Contains(test, probe) {
			ps.addf("service %s: healthcheck test %q, want one running %s", name, test, probe)
		}
	}
	volumes := asMap(doc["volumes"])
	for name, dir := range map[string]string{"redis": "/data", "postgres": "/var/lib/postgresql/data"} {
		ok := false
		for _, v := range asList(svc(name)["volumes"]) {
			source, target, _ := strings.Cut(v, ":")
			if _, declared := volumes[source]; declared && strings.HasPrefix(target, dir) {
				ok = true
			}
		}
		if !ok {
			ps.addf("service %s: want a named volume (declared under top-level volumes) on %s", name, dir)
		}
	}

	// The URLs point at the stack's own services and credentials.
	if u, err := url.Parse(shared["SWITCHBOARD_REDIS_URL"]); err != nil || u.Hostname() != "redis" {
		ps.addf("SWITCHBOARD_REDIS_URL %q: want host redis (the redis service)", shared["SWITCHBOARD_REDIS_URL"])
	}
	pgEnv := asEnv(pg["environment"])
	if u, err := url.Parse(shared["SWITCHBOARD_DATABASE_URL"]); err != nil || u.Hostname() != "postgres" {
		ps.addf("SWITCHBOARD_DATABASE_URL %q: want host postgres (the postgres service)", shared["SWITCHBOARD_DATABASE_URL"])
	} else {
		pass, _ := u.User.Password()
		if u.User.Username() != pgEnv["POSTGRES_USER"] || pass != pgEnv["POSTGRES_PASSWORD"] || strings.TrimPrefix(u.Path, "/") != pgEnv["POSTGRES_DB"] {
			ps.addf("SWITCHBOARD_DATABASE_URL: user, password and database must be the postgres service's POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB")
		}
	}

	// switchboard refuses to start on a SWITCHBOARD_* variable it does not
	// know, so a typo here would stop the stack.
	allowed := allowedVars()
	for name := range services {
		for k := range asEnv(svc(name)["environment"]) {
			if strings.HasPrefix(k, "SWITCHBOARD_") && !allowed[k] {
				ps.addf("service %s: sets %s, which switchboard does not read (see internal/config)", name, k)
			}
		}
	}
	for _, m := range interpolated.FindAllStringSubmatch(srcText, -1) {
		if strings.HasPrefix(m[1], "SWITCHBOARD_") && !allowed[m[1]] {
			ps.addf("references host variable %s, which switchboard does not read", m[1])
		}
	}
	for _, lit := range secretLiterals(srcText) {
		ps.addf("contains what looks like a SWITCHBOARD_SECRET_KEY value (%.8s...): never commit a key", lit)
	}
	return ps
}

func TestCompose(t *testing.T) {
	reportProblems(t, "docker-compose.yml", composeProblems(read(t, composePath), apiPort(t)))
}

func TestComposeCatchesBreakage(t *testing.T) {
	port := apiPort(t)
	key := testKey(t)
	checkCatches(t, "docker-compose.yml", read(t, composePath), []breakage{
		{"obsolete version key", "name: switchboard\n", "version: \"3.8\"\nname: switchboard\n", "version"},
		{"one worker", "replicas: 2", "replicas: 1", "replicas"},
		{"no AOF", `"--appendonly", "yes"`, `"--appendonly", "no"`, "appendonly"},
		{"short grace period", "stop_grace_period: 35s", "stop_grace_period: 20s", "stop_grace_period"},
		{"unknown variable", "  SWITCHBOARD_LOG_FORMAT: json\n", "  SWITCHBOARD_LOG_FORMAT: json\n  SWITCHBOARD_LOG_FORMATT: json\n", "SWITCHBOARD_LOG_FORMATT"},
		{"dev-only variable", "  SWITCHBOARD_LOG_FORMAT: json\n", "  SWITCHBOARD_LOG_FORMAT: json\n  SWITCHBOARD_DEV_API_KEY: x\n", "SWITCHBOARD_DEV_API_KEY"},
		{"unknown host variable", "${SWITCHBOARD_LOG_LEVEL:-info}", "${SWITCHBOARD_LOGLEVEL:-info}", "SWITCHBOARD_LOGLEVEL"},
		{"literal secret", `SWITCHBOARD_SECRET_KEY: "${SWITCHBOARD_SECRET_KEY:?`, `SWITCHBOARD_SECRET_KEY: "` + key + `" # `, "SWITCHBOARD_SECRET_KEY"},
		{"secret with default", `"${SWITCHBOARD_SECRET_KEY:?`, `"${SWITCHBOARD_SECRET_KEY:-` + key + `} `, "SWITCHBOARD_SECRET_KEY"},
		{"optional secret", `"${SWITCHBOARD_SECRET_KEY:?`, `"${SWITCHBOARD_SECRET_KEY} `, "SWITCHBOARD_SECRET_KEY"},
		{"worker skips migrate", "condition: service_completed_successfully", "condition: service_started", "depends_on migrate"},
		{"migrate runs api", `command: ["migrate"]`, `command: ["api"]`, "service migrate: command"},
		{"migrate restarts", `restart: "no"`, `restart: on-failure`, "service migrate: restart"},
		{"other Dockerfile", "dockerfile: deploy/Dockerfile", "dockerfile: Dockerfile", "deploy/Dockerfile"},
		{"copied settings", "  worker:\n    <<: *switchboard\n", "  worker:\n    image: switchboard:local\n", "<<: *switchboard"},
		{"redis unchecked", `test: ["CMD", "redis-cli", "ping"]`, `disable: true`, "healthcheck"},
		{"postgres probe", `test: ["CMD", "pg_isready"`, `test: ["CMD", "true"`, "pg_isready"},
		{"password mismatch", "POSTGRES_PASSWORD: switchboard", "POSTGRES_PASSWORD: other", "POSTGRES_PASSWORD"},
		{"wrong port", `"8080:8080"`, `"8080:9090"`, "publishes container port"},
		{"bind mount", "- redis-data:/data", "- ./redis:/data", "named volume"},
	}, func(s string) problems { return composeProblems(s, port) })
}

// composeCLI returns the command that runs Docker Compose v2, if any.
func composeCLI() []string {
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	out, err := exec.Command("docker-compose", "version", "--short").Output()
	if err == nil && !strings.HasPrefix(strings.TrimSpace(string(out)), "1.") {
		return []string{"docker-compose"}
	}
	return nil
}

// TestComposeConfig has Docker Compose itself validate and render the file
// (`config` needs no engine). It is skipped where Compose is not installed.
func TestComposeConfig(t *testing.T) {
	cli := composeCLI()
	if cli == nil {
		t.Skip("docker compose is not installed; the structural checks above still ran")
	}
	emptyEnv := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(emptyEnv, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var environ []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") && !strings.HasPrefix(kv, "COMPOSE_") {
			environ = append(environ, kv)
		}
	}
	compose := func(extraEnv []string, args ...string) (stdout, stderr string, err error) {
		// --env-file: a developer's .env beside the compose file must not
		// fill in what the test leaves unset.
		args = append([]string{"-f", composePath, "--env-file", emptyEnv}, args...)
		cmd := exec.Command(cli[0], append(cli[1:], args...)...)
		cmd.Env = append(slices.Clone(environ), extraEnv...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err = cmd.Run()
		return o.String(), e.String(), err
	}

	key := testKey(t)
	set := []string{"SWITCHBOARD_SECRET_KEY=" + key, "SWITCHBOARD_WEBHOOK_BASE_URL=https://hooks.example.test/webhooks"}
	if _, stderr, err := compose(set, "config", "-q"); err != nil {
		t.Fatalf("compose config -q: %v\n%s", err, stderr)
	}

	// Compose's own reading of the file: anchors, merges and interpolation.
	stdout, stderr, err := compose(set, "config", "--format", "json")
	if err != nil {
		t.Fatalf("compose config --format json: %v\n%s", err, stderr)
	}
	var rendered struct {
		Services map[string]struct {
			Image       string            `json:"image"`
			Environment map[string]string `json:"environment"`
			Deploy      struct {
				Replicas int `json:"replicas"`
			} `json:"deploy"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(stdout), &rendered); err != nil {
		t.Fatal(err)
	}
	for name := range switchboardServices {
		s := rendered.Services[name]
		if s.Environment["SWITCHBOARD_SECRET_KEY"] != key || s.Image != composeImage {
			t.Errorf("compose renders service %s with image %q and without the host's SWITCHBOARD_SECRET_KEY", name, s.Image)
		}
	}
	if r := rendered.Services["worker"].Deploy.Replicas; r != 2 {
		t.Errorf("compose renders worker with %d replicas, want 2", r)
	}

	// Each required variable stops compose, naming itself.
	for _, missing := range []string{"SWITCHBOARD_SECRET_KEY", "SWITCHBOARD_WEBHOOK_BASE_URL"} {
		var env []string
		for _, kv := range set {
			if !strings.HasPrefix(kv, missing+"=") {
				env = append(env, kv)
			}
		}
		_, stderr, err := compose(env, "config", "-q")
		if err == nil || !strings.Contains(stderr, missing) {
			t.Errorf("compose config without %s: err %v, stderr %q; want a required-variable error naming it", missing, err, stderr)
		}
	}
}

// ---------------------------------------------------------------------------
// deploy/Dockerfile

var dockerfileKeywords = map[string]bool{
	"FROM": true, "RUN": true, "CMD": true, "LABEL": true, "MAINTAINER": true,
	"EXPOSE": true, "ENV": true, "ADD": true, "COPY": true, "ENTRYPOINT": true,
	"VOLUME": true, "USER": true, "WORKDIR": true, "ARG": true, "ONBUILD": true,
	"STOPSIGNAL": true, "HEALTHCHECK": true, "SHELL": true,
}

type instruction struct {
	line int    // where it starts, 1-based
	cmd  string // upper case
	args string
}

type stage struct {
	name, image string
	instrs      []instruction
}

// parseDockerfile splits src into instructions: comments and blank lines
// dropped, continuation lines joined.
func parseDockerfile(src string) []instruction {
	escape := `\`
	if m := regexp.MustCompile(`(?m)\A(?:#\s*\w+\s*=.*\n)*#\s*escape\s*=\s*(\S)`).FindStringSubmatch(src); m != nil {
		escape = m[1]
	}
	var out []instruction
	var cur *instruction
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		// Comment and empty lines are dropped, within continuations too.
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		cont := strings.HasSuffix(trimmed, escape)
		text := strings.TrimSuffix(trimmed, escape)
		if cur == nil {
			cmd, args, _ := strings.Cut(text, " ")
			cur = &instruction{line: i + 1, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		} else {
			cur.args = strings.TrimSpace(cur.args + " " + text)
		}
		if !cont {
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// flagsAndArgs splits leading --flag=value words off an instruction's
// arguments.
func flagsAndArgs(args string) (flags map[string]string, rest []string) {
	flags = map[string]string{}
	words := strings.Fields(args)
	for len(words) > 0 && strings.HasPrefix(words[0], "--") {
		k, v, _ := strings.Cut(strings.TrimPrefix(words[0], "--"), "=")
		flags[k] = v
		words = words[1:]
	}
	return flags, words
}

// execForm parses a JSON-array (exec form) argument list.
func execForm(args string) ([]string, bool) {
	var argv []string
	if !strings.HasPrefix(strings.TrimSpace(args), "[") || json.Unmarshal([]byte(args), &argv) != nil || len(argv) == 0 {
		return nil, false
	}
	return argv, true
}

// copySources returns the sources and destination of a COPY or ADD.
func copySources(args []string) (srcs []string, dest string) {
	if argv, ok := execForm(strings.Join(args, " ")); ok {
		args = argv
	}
	if len(args) < 2 {
		return nil, ""
	}
	return args[:len(args)-1], args[len(args)-1]
}

// imageTag splits an image reference into repository and tag, resolving
// ${NAME} and $NAME from the global ARG defaults.
func imageTag(ref string, args map[string]string) (repo, tag, digest string) {
	ref = os.Expand(ref, func(name string) string { return args[name] })
	ref, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:], digest
	}
	return ref, "", digest
}

func dockerfileProblems(src, goVer, port string) problems {
	var ps problems
	instrs := parseDockerfile(src)
	globalArgs := map[string]string{}
	var stages []*stage
	for _, in := range instrs {
		if !dockerfileKeywords[in.cmd] {
			ps.addf("line %d: unknown instruction %s", in.line, in.cmd)
		}
		switch {
		case in.cmd == "FROM":
			_, words := flagsAndArgs(in.args)
			st := &stage{}
			if len(words) > 0 {
				st.image = words[0]
			}
			if len(words) == 3 && strings.EqualFold(words[1], "AS") {
				st.name = words[2]
			}
			stages = append(stages, st)
		case len(stages) == 0 && in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			globalArgs[k] = strings.Trim(v, `"`)
		case len(stages) == 0:
			ps.addf("line %d: %s before the first FROM", in.line, in.cmd)
		default:
			st := stages[len(stages)-1]
			st.instrs = append(st.instrs, in)
		}
		if in.cmd == "ADD" {
			_, words := flagsAndArgs(in.args)
			srcs, _ := copySources(words)
			for _, s := range srcs {
				if strings.Contains(s, "://") || strings.HasPrefix(s, "git@") {
					ps.addf("line %d: ADD of remote %s: fetch it in a RUN step with a checksum, or COPY it", in.line, s)
				}
			}
		}
		if in.cmd == "ENV" || in.cmd == "ARG" {
			for _, w := range strings.Fields(in.args) {
				if name, _, _ := strings.Cut(w, "="); strings.HasPrefix(name, "SWITCHBOARD_") {
					ps.addf("line %d: %s %s: configuration (and above all SWITCHBOARD_SECRET_KEY) is set at run time, not baked into the image", in.line, in.cmd, name)
				}
			}
		}
	}
	if len(stages) < 2 {
		ps.addf("%d build stages, want at least 2 (build, then a minimal runtime stage)", len(stages))
		return ps
	}
	stageByName := map[string]*stage{}
	for i, st := range stages {
		stageByName[strconv.Itoa(i)] = st
		if st.name != "" {
			stageByName[st.name] = st
		}
		if st.image == "scratch" || (stageByName[st.image] != nil && stageByName[st.image] != st) {
			continue
		}
		repo, tag, digest := imageTag(st.image, globalArgs)
		switch {
		case digest != "":
		case tag == "":
			ps.addf("FROM %s: not pinned to a tag (means :latest)", st.image)
		case tag == "latest":
			ps.addf("FROM %s: :latest is not a pinned tag", st.image)
		}
		if path.Base(repo) == "golang" {
			if m := regexp.MustCompile(`^(\d+\.\d+)(?:[.-]|$)`).FindStringSubmatch(tag); m == nil || m[1] != goVer {
				ps.addf("FROM %s: Go minor must be go.mod's go %s, pinned (e.g. golang:%s-bookworm)", st.image, goVer, goVer)
			}
		}
	}

	final := stages[len(stages)-1]
	last := func(st *stage, cmd string) *instruction {
		for i := len(st.instrs) - 1; i >= 0; i-- {
			if st.instrs[i].cmd == cmd {
				return &st.instrs[i]
			}
		}
		return nil
	}
	shellless := final.image == "scratch" || strings.Contains(final.image, "distroless")

	if u := last(final, "USER"); u == nil {
		ps.addf("final stage: no USER, so it runs as root")
	} else if user, _, _ := strings.Cut(u.args, ":"); user == "" || user == "root" || user == "0" {
		ps.addf("final stage: USER %s is root", u.args)
	}
	var entry []string
	if e := last(final, "ENTRYPOINT"); e == nil {
		ps.addf("final stage: no ENTRYPOINT")
	} else if argv, ok := execForm(e.args); !ok {
		ps.addf("final stage: ENTRYPOINT %s is not in exec (JSON array) form: the binary would not be PID 1 and would miss SIGTERM", e.args)
	} else {
		entry = argv
	}
	if c := last(final, "CMD"); c != nil {
		if argv, ok := execForm(c.args); !ok || !slices.Contains(subcommands, argv[0]) {
			ps.addf("final stage: CMD %s: want exec form naming a switchboard subcommand", c.args)
		}
	}
	if shellless {
		for _, in := range final.instrs {
			if in.cmd == "RUN" || (in.cmd == "HEALTHCHECK" && strings.ToUpper(in.args) != "NONE" && !strings.Contains(in.args, "[")) {
				ps.addf("line %d: %s needs a shell, and %s has none", in.line, in.cmd, final.image)
			}
		}
	}
	exposed := false
	for _, in := range final.instrs {
		if in.cmd == "EXPOSE" {
			for _, p := range strings.Fields(in.args) {
				exposed = exposed || strings.TrimSuffix(p, "/tcp") == port
			}
		}
	}
	if !exposed {
		ps.addf("final stage: no EXPOSE %s (SWITCHBOARD_ADDR's default port)", port)
	}

	// The binary comes from a build stage.
	var build *stage
	for _, in := range final.instrs {
		if in.cmd != "COPY" {
			continue
		}
		flags, words := flagsAndArgs(in.args)
		srcs, dest := copySources(words)
		from := stageByName[flags["from"]]
		if from == nil || from == final || len(srcs) != 1 || len(entry) == 0 {
			continue
		}
		if dest == entry[0] || (strings.HasSuffix(dest, "/") && dest+path.Base(srcs[0]) == entry[0]) {
			build = from
		}
	}
	if build == nil {
		ps.addf("final stage: no COPY --from=<build stage> of the ENTRYPOINT binary %q", entry)
		return ps
	}

	// In the build stage: modules before sources, then a static build.
	const never = 1 << 30
	modCopy, download, srcCopy, goBuild := never, never, never, never
	cgoOff := false
	var buildArgs string
	for i, in := range build.instrs {
		switch in.cmd {
		case "COPY", "ADD":
			flags, words := flagsAndArgs(in.args)
			if flags["from"] != "" {
				continue
			}
			srcs, _ := copySources(words)
			if slices.Contains(srcs, "go.mod") && slices.Contains(srcs, "go.sum") && len(srcs) == 2 {
				modCopy = min(modCopy, i)
			} else {
				srcCopy = min(srcCopy, i)
			}
		case "ENV", "ARG":
			if goBuild == never && regexp.MustCompile(`(^|\s)CGO_ENABLED(=|\s+)"?0"?(\s|$)`).MatchString(in.args) {
				cgoOff = true
			}
		case "RUN":
			if strings.Contains(in.args, "go mod download") {
				download = min(download, i)
			}
			if strings.Contains(in.args, "go build") && goBuild == never {
				goBuild = i
				buildArgs = in.args
				cgoOff = cgoOff || strings.Contains(in.args, "CGO_ENABLED=0")
			}
		}
	}
	switch {
	case modCopy == never:
		ps.addf("build stage: no COPY go.mod go.sum of its own (module download is not a cached layer)")
	case download == never || download < modCopy:
		ps.addf("build stage: no RUN go mod download right after copying go.mod and go.sum")
	case srcCopy < download:
		ps.addf("build stage: sources are copied before go mod download: every edit would download modules again")
	}
	if goBuild == never {
		ps.addf("build stage: no RUN go build")
	} else {
		if srcCopy > goBuild {
			ps.addf("build stage: go build runs before the sources are copied")
		}
		if !cgoOff {
			ps.addf("build stage: CGO_ENABLED=0 is not set for go build: the binary would not be static")
		}
		if !strings.Contains(buildArgs, "-trimpath") {
			ps.addf("build stage: go build without -trimpath")
		}
	}
	return ps
}

func TestDockerfile(t *testing.T) {
	reportProblems(t, dockerfileInContext, dockerfileProblems(read(t, dockerfilePath), goVersion(t), apiPort(t)))
}

func TestDockerfileCatchesBreakage(t *testing.T) {
	goVer, port := goVersion(t), apiPort(t)
	older := "1.1"
	checkCatches(t, dockerfileInContext, read(t, dockerfilePath), []breakage{
		{"unknown instruction", "WORKDIR /src", "WORKDIRR /src", "unknown instruction"},
		{"one stage", "FROM gcr.io/distroless/static-debian12:nonroot\n", "", "build stages"},
		{"unpinned", "FROM gcr.io/distroless/static-debian12:nonroot", "FROM gcr.io/distroless/static-debian12", "not pinned"},
		{"latest", "static-debian12:nonroot", "static-debian12:latest", ":latest"},
		{"other Go", "golang:" + goVer + "-", "golang:" + older + "-", "go.mod"},
		{"Go major only", "golang:" + goVer + "-", "golang:1-", "go.mod"},
		{"root user", "USER nonroot:nonroot", "USER root", "root"},
		{"uid 0", "USER nonroot:nonroot", "USER 0:0", "root"},
		{"no user", "USER nonroot:nonroot\n", "", "no USER"},
		{"shell form entrypoint", `ENTRYPOINT ["/switchboard"]`, "ENTRYPOINT /switchboard", "exec"},
		{"unknown default command", `CMD ["api"]`, `CMD ["serve"]`, "CMD"},
		{"binary not from build", "COPY --from=build /out/switchboard /switchboard", "COPY /out/switchboard /switchboard", "COPY --from"},
		{"cgo on", "ENV CGO_ENABLED=0", "ENV CGO_ENABLED=1", "CGO_ENABLED"},
		{"no trimpath", "go build -trimpath", "go build", "-trimpath"},
		{"sources first", "COPY go.mod go.sum ./", "COPY . .\nCOPY go.mod go.sum ./", "before go mod download"},
		{"no module layer", "COPY go.mod go.sum ./\nRUN go mod download\n", "", "go.mod go.sum"},
		{"remote ADD", "WORKDIR /src", "WORKDIR /src\nADD https://example.com/tool.tgz /tmp/", "ADD of remote"},
		{"baked secret", "WORKDIR /src", "WORKDIR /src\nENV SWITCHBOARD_SECRET_KEY=x", "SWITCHBOARD_SECRET_KEY"},
		{"shell in distroless", "USER nonroot:nonroot", "RUN chmod 755 /switchboard\nUSER nonroot:nonroot", "needs a shell"},
		{"curl healthcheck", "USER nonroot:nonroot", "HEALTHCHECK CMD curl -f localhost:8080/healthz\nUSER nonroot:nonroot", "needs a shell"},
		{"other port", "EXPOSE " + port, "EXPOSE 9090", "EXPOSE"},
	}, func(s string) problems { return dockerfileProblems(s, goVer, port) })
}

func TestParseDockerfile(t *testing.T) {
	got := parseDockerfile("# syntax=docker/dockerfile:1\nFROM a:1 AS b\n\nRUN x \\\n  # note\n  y \\\n  z\ncmd [\"q\"]\n")
	want := []instruction{{2, "FROM", "a:1 AS b"}, {4, "RUN", "x y z"}, {8, "CMD", `["q"]`}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for ref, want := range map[string][3]string{
		"golang:1.26-bookworm":                 {"golang", "1.26-bookworm", ""},
		"localhost:5000/img":                   {"localhost:5000/img", "", ""},
		"gcr.io/distroless/static:nonroot@sha": {"gcr.io/distroless/static", "nonroot", "sha"},
		"golang:${GO}-bookworm":                {"golang", "1.26-bookworm", ""},
	} {
		r, tag, d := imageTag(ref, map[string]string{"GO": "1.26"})
		if [3]string{r, tag, d} != want {
			t.Errorf("imageTag(%q) = %q %q %q, want %q", ref, r, tag, d, want)
		}
	}
}

// ---------------------------------------------------------------------------
// .dockerignore

type ignoreRule struct {
	re     *regexp.Regexp
	negate bool
}

// parseDockerignore reads .dockerignore patterns with Docker's semantics:
// paths relative to the context root, * and ? within one path element, **
// across any number of them, a later !pattern re-including, and a pattern
// that matches a directory excluding everything under it.
func parseDockerignore(src string) []ignoreRule {
	var rules []ignoreRule
	for _, line := range strings.Split(src, "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		negate := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		p = strings.TrimPrefix(path.Clean("/"+strings.TrimSpace(p)), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(p); i++ {
			switch c := p[i]; {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			case c == '[':
				end := strings.IndexByte(p[i:], ']')
				if end < 0 {
					re.WriteString(`\[`)
					continue
				}
				re.WriteString(p[i : i+end+1])
				i += end
			case c == '\\' && i+1 < len(p):
				i++
				re.WriteString(regexp.QuoteMeta(p[i : i+1]))
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		rules = append(rules, ignoreRule{regexp.MustCompile(re.String()), negate})
	}
	return rules
}

// ignored tells whether the file at rel (slash-separated, relative to the
// context root) is left out of the build context.
func ignored(rules []ignoreRule, rel string) bool {
	out := false
	for _, r := range rules {
		for p := rel; p != "." && p != "/"; p = path.Dir(p) {
			if r.re.MatchString(p) {
				out = !r.negate
				break
			}
		}
	}
	return out
}

// buildFiles lists, relative to the repository root, every file
// `go build ./cmd/switchboard` reads in the image: go.mod, go.sum, and the
// Go and embedded files of the module's packages it imports.
func buildFiles(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.Dir}}|{{join .GoFiles ","}},{{join .EmbedFiles ","}}{{end}}`, "./cmd/switchboard")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	files := []string{"go.mod", "go.sum"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		dir, names, _ := strings.Cut(line, "|")
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a dependency from the module cache
		}
		for _, name := range strings.Split(names, ",") {
			if name != "" {
				files = append(files, filepath.ToSlash(filepath.Join(rel, name)))
			}
		}
	}
	if len(files) < 4 {
		t.Fatalf("go list found only %q", files)
	}
	return files
}

// mustLeaveOut are paths that hold secrets, local state or junk.
var mustLeaveOut = []string{
	".git/config", ".env", ".env.local",
	"switchboard-dev.db", "switchboard-dev.db-wal", "switchboard-dev.db-shm", "switchboard-dev.key",
	"switchboard", "cmd/switchboard/switchboard.test", "internal/store/cover.out",
	"node_modules/x/index.js", "web/node_modules/x/index.js",
}

func dockerignoreProblems(src string, needed []string) problems {
	var ps problems
	rules := parseDockerignore(src)
	for _, f := range needed {
		if ignored(rules, f) {
			ps.addf("excludes %s, which the image's go build needs", f)
		}
	}
	for _, f := range mustLeaveOut {
		if !ignored(rules, f) {
			ps.addf("does not exclude %s", f)
		}
	}
	return ps
}

func TestDockerignore(t *testing.T) {
	reportProblems(t, ".dockerignore", dockerignoreProblems(read(t, dockerignorePath), buildFiles(t)))
}

func TestDockerignoreCatchesBreakage(t *testing.T) {
	needed := buildFiles(t)
	checkCatches(t, ".dockerignore", read(t, dockerignorePath), []breakage{
		{"git kept", ".git\n", "", ".git/config"},
		{"env kept", ".env\n", "", "does not exclude .env"},
		{"dev db kept", "switchboard-dev.db*\n**/*.db\n", "", "switchboard-dev.db"},
		{"test binaries kept", "**/*.test\n", "", ".test"},
		{"sources dropped", "**/node_modules\n", "**/node_modules\ninternal\n", "excludes internal/"},
		{"embedded migrations dropped", "**/node_modules\n", "**/node_modules\n**/*.sql\n", "migrations/"},
		{"go.sum dropped", "**/node_modules\n", "**/node_modules\ngo.*\n", "excludes go.sum"},
	}, func(s string) problems { return dockerignoreProblems(s, needed) })
}

func TestDockerignoreMatching(t *testing.T) {
	rules := parseDockerignore("/switchboard\n**/*.test\ndeploy\ndocs/*.md\n!docs/keep.md\na?c\n")
	for rel, want := range map[string]bool{
		"switchboard":              true,
		"cmd/switchboard/main.go":  false,
		"x.test":                   true,
		"a/b/x.test":               true,
		"deploy/Dockerfile":        true,
		"deployment/x":             false,
		"docs/a.md":                true,
		"docs/keep.md":             false,
		"docs/sub/a.md":            false,
		"abc":                      true,
		"abbc":                     false,
		"internal/api/routes.go":   false,
		"internal/store/x/y/z.sql": false,
	} {
		if got := ignored(rules, rel); got != want {
			t.Errorf("ignored(%q) = %v, want %v", rel, got, want)
		}
	}
}
