// Package compare puts two minima side by side on equal terms: the same
// direction seed and normalization (each direction filter-normalized to
// its own model's filters), the same evaluation images and the same α/β
// grid for both, so any difference in the pictures and numbers is the
// models'.
//
// Data flows: two checkpoints of one architecture, the data and Settings →
// Run scans, for each model, the line and the plane through scan.Session
// and measures its basin along K directions and its ε-sharpness (package
// sharpness), and evaluates it on the whole test split → a Comparison,
// which Save writes as one .npz (each surface under "a/line/", "b/plane/",
// … and a metadata JSON of the whole) and Table lays out as rows of A, B
// and B/A.
package compare
