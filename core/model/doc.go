// Package model defines basin's networks: architectures (an Arch, read
// from an architecture File: the presets are embedded ones), their
// parameters in PyTorch's layout (Params), and the gorgonia graph that
// computes loss, accuracy and gradients (Net).
//
// Data flows: an architecture file (ParseArch; the format is described in
// archfile.go) lists layers in the order they run, each reading the line
// before or the layers it names, so residual connections are a graph →
// File.For fills in every input size for images of one shape, the
// classes and the normalization, checking each layer fits what it reads
// (PresetFor does it for a preset; Fits checks a data set against the
// result) → Init draws
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
// dense weight [out,in], batch norm's weight, bias, running_mean and
// running_var), so checkpoints and directions need no conversion. Batch
// norm's running statistics are buffers (Tensor.IsBuffer): training sets
// them, no gradient or optimizer step moves them, and directions and the
// Hessian leave them out. Fast graphs fuse a ReLU into the conv, dense,
// batch norm or add before it (and a 2×2 max pool into a conv) when
// nothing else reads between them. An evaluation graph also runs the
// longest runs of convs, sums and ReLUs it can as one ops.Chain, image by
// image, so that each image's activations stay in cache between those
// layers (chain.go; on resnet, everything from the stem to the last
// block).
package model
