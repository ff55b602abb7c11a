// Package data reads image-classification data sets and turns them into
// normalized float32 batches.
//
// Data flows one way: bytes from the embedded MNIST, a directory (MNIST's
// IDX layout of any image size: MNIST, Fashion-MNIST, KMNIST, EMNIST; or
// CIFAR-10/100's binary batches) or an .npz file (Keras's x_train, y_train,
// x_test, y_test) → validated readers, bounded by what headers declare →
// Source (two Datasets of one Shape, C×H×W channel-major, with their
// classes and the training split's per-channel mean and std as Norm) →
// Norm.Image scales a pixel to [0,1] and normalizes it per channel as a
// model was trained (the normalization is the model's, recorded in its
// checkpoint) → Subset picks the evaluation images of a scan with a seed.
package data
