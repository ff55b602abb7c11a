// Package assets embeds the files basin ships: the MNIST data set in its
// original IDX layout and the pretrained checkpoints.
package assets

import "embed"

// MNIST holds the four original MNIST IDX files, gzip-compressed, under
// "mnist/". The data set is by Yann LeCun, Corinna Cortes and Christopher
// J.C. Burges, under CC BY-SA 3.0.
//
//go:embed mnist/*.gz
var MNIST embed.FS
