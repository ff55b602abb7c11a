// Package build says which basin wrote a file: every checkpoint and
// surface records Version, and a checkpoint also the commit its binary was
// built from (Commit, when the build was stamped), so a result can be
// traced to the code that made it.
package build
