// Command basin trains a CNN on MNIST and lets you walk around its loss
// landscape, in the terminal or headless.
package main

import (
	"os"

	"github.com/basin-dev/basin/core/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
