// Package hessian measures the curvature of the loss at a minimum: the
// Hessian's extreme eigenvalues, its trace, and the same per layer.
//
// Data flows: a checkpoint's architecture and weights θ and a fixed set of
// images → Product applies the Hessian H of the mean loss over those images
// to a vector v, exactly, by Pearlmutter's (1994) R-operator: one pass
// forward carries each activation's value a and its directional
// derivative R{a} = ∂a/∂θ·v, one pass backward carries each gradient g and
// R{g}; R{∇θ L} is Hv. Every layer (conv with any stride, dense, ReLU,
// max and average pooling, global pooling, residual add, batch norm in
// evaluation mode, log-softmax cross-entropy) is linear or bilinear in
// (input, weights) or piecewise linear, so R{·} of each is the layer's
// own maths applied to (R{x}, W) and (x, V): no second derivatives of the
// ops, no finite-difference step, float32 like the scans. The passes
// follow the network's graph: a value two layers read gets both layers'
// gradients. Batch norm is the affine map of its running statistics, as a
// scan evaluates it (the loss landscape of the trained model, not of a
// training batch); its γ and β are parameters of H, its statistics are
// not. Dropout is the identity.
//
// The passes run on the training fast paths: a 3×3 conv of stride 1 is an
// ops.Tangent, whose forward pass and input gradient are Winograd pairs
// (the input transformed once for W and V) and whose filter gradient
// gathers from padded planes; a ReLU read only by a 2×2 max pool is done
// by the pool (max(0, window max)), and a conv read only by that pool
// writes the pool's values in its output transform and takes the pool's
// gradient as the sparse backward kernels' windows, so its full-size
// planes never exist. Passes hold as many images as fit 48 MB (at least 64), and a set
// that is one pass keeps its values between products (only R-values are
// computed again).
//
// Operator is any symmetric matrix applied to vectors (Product, a block of
// it, an explicit matrix in tests). On an Operator: Top finds the k
// largest-magnitude eigenvalues by power iteration with deflation, Bottom
// the other end of the spectrum by power iteration on H − λ1·I (as Li et
// al. 2018 do for their convexity maps), Trace estimates tr H by
// Hutchinson's estimator with Rademacher vectors and its standard error,
// and Restrict narrows H to one layer's diagonal block (Product.Blocks).
// LanczosExtremes (lanczos.go) finds both ends at once by Lanczos with full
// reorthogonalisation, converging on λmin where Bottom often does not
// (Measure uses it for λmin), TopLanczos λ1 alone by Top's stopping rule
// in fewer products (sharpness tracking, warm-started), SpectralDensity (density.go) estimates
// the whole eigenvalue density by stochastic Lanczos quadrature, and
// TracePlusPlus the trace by Hutch++ (Measure's), to 1 % in fewer products
// than Hutchinson's estimator alone.
// Measure runs what Options ask for into a Spectrum. Each result says how
// it was computed (iterations, tolerance, time) and how far it can be off:
// ‖Hv − λv‖ for an eigenvalue (a symmetric H has an eigenvalue within that
// of λ), the standard error for the trace.
package hessian
