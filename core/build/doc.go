// Package build says which basin wrote a file: every checkpoint and
// surface records Version, so a result can be traced to the code that made
// it.
package build
