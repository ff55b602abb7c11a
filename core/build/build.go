package build

import (
	"runtime/debug"
	"sync"
)

// Version is basin's release, recorded in every file it writes.
const Version = "0.2.0"

// Commit is the git commit the running binary was built from, as `go
// build` stamps it (its first 12 hex digits, "+changes" when the tree had
// uncommitted changes), or "" when the build carries none (`go run`,
// a build outside a clone). Checkpoints record it beside Version: code
// between two releases can train to different bits (a faster kernel sums
// in another order), and the commit says which code made a file.
func Commit() string { return commit() }

var commit = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return commitOf(info.Settings)
})

func commitOf(settings []debug.BuildSetting) string {
	rev, modified := "", false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && modified {
		rev += "+changes"
	}
	return rev
}
