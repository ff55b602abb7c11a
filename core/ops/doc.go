// Package ops holds basin's fast layers as gorgonia ops: convolution,
// dense, max-pooling and the cross-entropy loss, each with its backward
// pass. Gorgonia still builds the graph, orders the work and takes the
// gradients (every op implements gorgonia.SDOp); the ops only replace
// gorgonia's generic kernels, whose cost is im2col in generic code,
// transposes and copies between layouts, and allocations on every step.
//
// Data flows through one graph run: NCHW float32 tensors go from op to op
// in buffers each op allocates once and reuses (an op instance belongs to
// one node of one graph). An unpooled Conv on four or more input
// channels, and every StridedConv's forward pass, is a tap convolution
// (taps.go): the input copied into zero-padded planes (Stride² phase
// planes when strided), then eight output channels × 48 outputs of the
// flattened planes per kernel call, summed in registers over every
// channel and tap (simd.ConvTaps), and the rows copied out with the bias,
// a residual input and ReLU (simd.TapsOut). A pooled 3×3 Conv goes
// through Winograd: F(4×4, 3×3) with the 2×2 pooling fused into the
// output in evaluation where the sides allow (winograd4.go), else
// F(2×2, 3×3) (winograd.go); on fewer than four input channels a direct
// vector loop over padded planes (direct.go); other sizes unfold with
// im2col and multiply with gemm. Dense is one gemm for the batch; bias
// and ReLU are applied as the output is written. In an evaluation, Chain
// (chain.go) runs a run of tap convolutions, sums and ReLUs image by
// image instead of layer by layer, with each image's activations in
// per-worker buffers that stay in cache.
//
// Backward ops recompute nothing the forward kept: Pool's argmax indices,
// Loss's softmax. A pooled 3×3 Conv passes its gradient back through the
// windows that carry one only (convsparse.go): at most a quarter of the
// output gradient is nonzero. Otherwise the filter gradient gathers the
// unfolded input straight from padded planes (gemm.MulOffsets), and the
// input gradient is a convolution with the filters flipped, on the
// forward pass's path (tap or Winograd). Where the forward pass was a tap
// convolution, so is the backward pass (tapsback.go, convback.go): the
// filter gradient sums eight output channels × three taps of products
// lane by lane in registers (simd.TapsGrad), and a strided conv's input
// gradient is a tap convolution of the output's gradient phase plane by
// phase plane. Without AVX-512, a StridedConv unfolds (im2col) for GEMMs.
// A backward op returns the gradient of its layer's input and keeps the
// weight and bias gradients, which Pick nodes hand to gorgonia. Work is
// split across cores by image (conv, pool, batch norm: every op of a
// step gives a core the same images, so it reads what it wrote) or by
// gemm blocks (dense), on as many goroutines as SetWorkers allows: the
// caller and a crew of helpers that watch for the next job a while
// before they sleep (crew.go).
//
// In training, ops hand each other work the graph does not show: a tap
// conv gathers the next batch norm's statistics as it writes
// (LinkStats), and a residual block's last batch norm reads the block's
// input through the block's first conv and hands that conv the
// shortcut's gradient to add to its own (LinkShortcut), so gorgonia
// does not sum the block input's two gradients.
//
// Tangent (tangent.go) carries a 3×3 convolution and its directional
// derivative together for the Hessian's R-operator (core/hessian), on the
// same Winograd, direct and sparse kernels, pooled or not.
//
// The other layers are a Kernel (forward and backward on flat slices)
// inside one generic op, Layer (layer.go): batch norm (norm.go), pooling
// with any window, stride and padding, global average pooling, add,
// ReLU, dropout (kernels.go) and convolutions with a stride (strided.go).
// For evaluation, FoldBatchNorm (fold.go) turns a conv and the batch norm
// after it into one conv's weights on every run, and a Conv
// with Residual adds a shortcut (and ReLU) in its output transform: a
// residual block's last conv, batch norm, add and ReLU in one op.
package ops
