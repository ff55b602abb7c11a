// Package surface holds a loss landscape — the grid of α (and β)
// coordinates, the loss and accuracy at each point, the directions and the
// evaluation images that produced them — and reads and writes it.
//
// Data flows: a scan fills a Surface point by point (Done marks computed
// points; missing ones stay NaN) → Save writes it atomically as .npz (the
// arrays of Li et al.'s surface files: xcoordinates, ycoordinates,
// train_loss/train_acc or test_*, plus the directions in the checkpoint's
// layout, the evaluation image indices and a JSON metadata string), .csv
// or .json → Load reads an .npz back so `--resume` can fill the gaps →
// Summarize derives the centre, extremes and basin widths.
package surface
