// Package npy reads and writes NumPy's .npy arrays and .npz archives:
// the surface files basin writes (Li et al.'s layout) and the image data
// sets it reads.
//
// Data flows: an Array (shape and one typed slice) → Encode → .npy bytes;
// EncodeNpz stores named arrays in a zip. Reading is bounded: Read parses
// the header first and reads only the body it declares, up to a limit the
// caller gives, and DecodeNpz inflates only the entries the caller names,
// so a file that lies about its size, or a compressed bomb beside the
// arrays, costs no more than what was asked for.
package npy
