// Package figure draws basin's results as figures for papers and slides
// (PNG, SVG or PDF, with gonum.org/v1/plot): a 1D curve with its error
// band and accuracy, a plane as a heatmap with contour lines and a colour
// bar, two planes on one scale with their difference, a trajectory's path
// on its plane, a sharpness track against its stability threshold.
//
// Data flows: a surface (or a track) → a Figure, a size and a function
// that draws it on a vg canvas → Save encodes it by the file's extension
// and writes it atomically. Every figure carries a caption line with what
// produced it (checkpoint, normalization, seed, images).
package figure
