// Command basin trains a CNN on MNIST and lets you walk around its loss
// landscape: a terminal app with no arguments, headless commands with one.
// Everything is in tui/cmd; this only hands it the process.
package main

import (
	"os"

	"github.com/basin-dev/basin/tui/cmd"
)

func main() { os.Exit(cmd.Main(os.Args[1:], os.Stdout, os.Stderr)) }
