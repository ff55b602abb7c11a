// Package trajectory puts a training run's path on the loss landscape (Li
// et al. 2018, §7).
//
// Data flows: the snapshots θ_t of one or more runs (checkpoint.Snapshot,
// kept every few steps by core/train) and a centre θ* (the first run's
// final weights) → PCA takes the top two principal components of
// {θ_t − θ*}, pooled over the runs, with their explained variance → a
// Plane through θ* spanned by them (unit vectors, not filter-normalized:
// the path's own coordinates must stay meaningful) → Project gives each
// snapshot's coordinates on the plane and its distance off it. A 2D scan
// on the plane (core/scan with the plane's directions) is the surface the
// path is drawn on; the off-plane distance says how far the real weights
// were from the point drawn, which is why a path can cross a contour it
// never climbed.
package trajectory
