// Package sharpness turns "flat" and "sharp" into numbers with error
// bars, so a single lucky direction cannot decide.
//
// Data flows: a checkpoint, its evaluation images and 1D scan settings →
// AlongDirections draws K directions (seeds seed, seed+1, …, normalized
// as the settings say), scans the loss along each through scan.Session
// with one shared centre evaluation and one pool of evaluators → for each,
// the basin's width (where the loss stays under centre + threshold, as the
// scans report it) and the curvature f”(0) of a least-squares quadratic
// through the points nearest the centre → the mean and standard deviation
// of both over the K directions.
//
// EpsilonSharpness is Keskar et al.'s (2017) number: the largest relative
// rise of the loss in a box around θ*, searched by projected sign-gradient
// ascent on an Objective (NetObjective: the network's mean loss and its
// gradient on the evaluation images, through model.Gradient).
//
// With filter normalization (Li et al. 2018) the widths and curvatures of
// two networks are comparable: α is measured in units of each filter's own
// norm, so rescaling a ReLU network's weights does not change them.
package sharpness
