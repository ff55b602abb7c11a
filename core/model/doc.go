// Package model defines basin's networks: the presets (an Arch), their
// parameters in PyTorch's layout (Params), and the gorgonia graph that
// computes loss, accuracy and gradients (Net).
//
// Data flows: an Arch names its layers and parameter shapes for images of
// one shape (PresetFor builds a preset for the data's shape, classes and
// normalization; Fits checks a data set against it) → Init draws
// seeded weights (or a checkpoint supplies them) → NewNet builds a gorgonia
// graph for one batch size whose parameter nodes share memory with a Params
// → Net.Run fills the input batch, runs the tape machine and returns the
// summed loss and correct count (and, for a training net, gradients in the
// same layout). Evaluator runs a whole evaluation set through nets of the
// right batch sizes; a Pool keeps evaluators for reuse, since building one
// allocates every activation buffer of its batch (about 70 MB for the
// standard net at batch 500). Close releases a Net's graph at once; a
// dropped one is collected too (see finish in net.go for why that needed
// care with gorgonia's tape machine).
//
// Every tensor is stored as PyTorch stores it (conv weight [out,in,kh,kw],
// dense weight [out,in]), so checkpoints and directions need no conversion.
package model
