// Package data reads image-classification data sets in the IDX layout of
// MNIST and turns them into normalized float32 batches.
//
// Data flows one way: IDX bytes (gzip or raw, from the embedded assets or a
// directory) → ParseImages/ParseLabels (validated) → Dataset (pixels scaled
// to [0,1], then normalized with MNIST's mean 0.1307 and std 0.3081 as
// PyTorch's MNIST example does) → Subset picks the evaluation images of a
// scan with a seed.
package data
