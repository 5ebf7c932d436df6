// Package version reports which switchboard build is running, from the
// module and VCS information the Go toolchain embeds in every binary.
package version

import (
	"runtime/debug"
)

// String is the module version ("v1.2.0", or "(devel)" for a local build)
// followed by the VCS revision when known: "(devel) 3f2a9c1".
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 7 {
			v += " " + s.Value[:7]
		}
	}
	return v
}

// UserAgent names switchboard and its version for provider requests.
func UserAgent() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "switchboard/dev"
	}
	return "switchboard/" + bi.Main.Version
}
