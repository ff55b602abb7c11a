// Package onnx reads a model exported from PyTorch (torch.onnx.export)
// or any ONNX tool and maps it onto basin's layers, so every command
// scans, measures and compares it as one of basin's own.
//
// Data flows: the file's bytes → ParseModel decodes ONNX's protobuf
// messages (wire.go reads the wire format; proto.go the messages: graph,
// nodes, attributes, initializers, inputs and outputs) → Import walks the
// nodes in order and maps each op onto a model.Layer (ops.go: Conv,
// BatchNormalization, Relu, LeakyRelu, MaxPool, AveragePool, GlobalAveragePool and
// ReduceMean over height and width, Add, Flatten, Reshape that flattens,
// Gemm, MatMul with the Add of its bias, Dropout, Identity, Constant, a
// final Softmax or LogSoftmax), its initializers becoming the parameters
// under their own names (Layer.Tensors) → a model.Arch and model.Params
// that core/checkpoint hands to everything else. Whatever basin's layers
// cannot follow (an op, a setting such as dilation or uneven padding) is
// an UnsupportedError naming the node, the op and why, before any work.
//
// Export goes the other way (a basin model as an ONNX graph of the same
// ops, encode.go writing the protobuf), and Forward runs an imported graph
// on raw inputs and applies its final softmax: how ONNX's own backend
// tests (libonnx-testdata) check the importer in conformance_test.go.
package onnx
