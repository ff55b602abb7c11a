// Package render turns numbers into terminal text: pure functions from
// state to string, with no Bubble Tea in them, so each is tested alone.
//
// Data flows: a view's state (a sampled loss field, a series of points,
// axis ranges, a colour Profile) → a Canvas of cells (rune, foreground,
// background) built by Heatmap, Contours, LineChart, ColorBar and the axis
// helpers → Canvas.String, which emits escape codes only where the style
// changes (a 200x60 heatmap is a few hundred kilobytes less than styling
// every cell). Braille dots come from ntcharts' PatternDotsGrid; every
// value is clipped to the view and NaN/Inf dropped before it is plotted.
package render
