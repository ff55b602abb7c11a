// Package ops holds basin's fast layers as gorgonia ops: convolution,
// dense, max-pooling and the cross-entropy loss, each with its backward
// pass. Gorgonia still builds the graph, orders the work and takes the
// gradients (every op implements gorgonia.SDOp); the ops only replace
// gorgonia's generic kernels, whose cost is im2col in generic code,
// transposes and copies between layouts, and allocations on every step.
//
// Data flows through one graph run: NCHW float32 tensors go from op to op
// in buffers each op allocates once and reuses (an op instance belongs to
// one node of one graph). Conv unfolds each image with im2col into a
// per-image buffer and multiplies it by the filters with gemm (3×3 filters
// go through Winograd, or, on fewer than four input channels, a direct
// vector loop over padded planes: winograd.go, direct.go); Dense is one
// gemm for the batch; bias and ReLU are applied as the output is written.
// Backward ops recompute nothing the forward kept: Conv's unfolded images,
// Pool's argmax indices, Loss's softmax. A backward op returns the
// gradient of its layer's input and keeps the weight and bias gradients,
// which Pick nodes hand to gorgonia. Work is split across cores by image
// (conv, pool) or by gemm blocks (dense).
package ops
