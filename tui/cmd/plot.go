package cmd

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/render"
)

// runPlot is basin plot FILE --out fig.png: a figure of a surface, a
// comparison or a sharpness track.
func runPlot(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plot", "basin plot FILE (.npz surface or comparison, or a .safetensors with a sharpness track) [--scale auto|log|linear] [--3d] --out fig.png|.svg|.pdf", stdout)
	out := outFlag(fs, "the figure, like --out plane.png (.svg and .pdf too)", "the figure to write: .png (300 dpi), .svg or .pdf (required)")
	scale := fs.String("scale", "auto", "loss axis: log, linear, or auto (log for planes, linear for lines, as the app)")
	threeD := fs.Bool("3d", false, "a plane as a lit 3D surface (Li et al.'s figures), seen as the app's 3D view first shows it")
	paths, err := parsePaths(fs, args, 1, "name the file to plot, like: basin plot plane.npz --out plane.png")
	if err != nil {
		return err
	}
	in := paths[0]
	if err := out.required(); err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(out.Path))
	if ext != ".png" && ext != ".svg" && ext != ".pdf" {
		return usagef("--out %q: a figure is .png, .svg or .pdf", out.Path)
	}
	if *scale != "auto" && *scale != "log" && *scale != "linear" {
		return usagef("--scale %q: use auto, log or linear", *scale)
	}
	if err := out.writable(); err != nil {
		return err
	}
	f, what, err := figureOf(in, *scale, *threeD)
	if err != nil {
		return usage(err)
	}
	if err := figure.Save(out.Path, f); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: %s\n", out.Path, what)
	return nil
}

// figureOf reads a file and chooses its figure.
func figureOf(path, scale string, threeD bool) (figure.Figure, string, error) {
	logFor := func(twoD bool) bool { return scale == "log" || scale == "auto" && twoD }
	if strings.HasSuffix(path, ".safetensors") {
		meta, err := checkpoint.ReadMeta(path)
		if err != nil {
			return figure.Figure{}, "", err
		}
		tr, err := train.TrackOf(meta)
		if err != nil {
			return figure.Figure{}, "", fmt.Errorf("%s: %w", path, err)
		}
		f, err := figure.Track(tr.Points, tr.Threshold, fmt.Sprintf("%s · %s lr %s momentum %s batch %s · λmax on %s fixed training images · basin %s",
			filepath.Base(path), meta["optimizer"], meta["lr"], meta["momentum"], meta["batch"], meta["track_images"], meta["basin_version"]))
		return f, "λmax along training", err
	}
	if a, err := surface.LoadPart(path, "a/plane"); err == nil { // a comparison's file
		b, err := surface.LoadPart(path, "b/plane")
		if err != nil {
			return figure.Figure{}, "", err
		}
		f, err := figure.Compare(a, b, logFor(true))
		return f, "A and B on one scale, and A − B", err
	}
	s, err := surface.Load(path)
	if err != nil {
		return figure.Figure{}, "", err
	}
	if threeD {
		cam := render.DefaultCamera()
		f, err := figure.Surface3D(s, logFor(true), cam.Yaw, cam.Pitch)
		return f, fmt.Sprintf("%s surface in 3D, %d of %d points", s.Meta.Kind, s.Computed(), s.Len()), err
	}
	f, err := figure.Surface(s, logFor(s.Is2D() || s.Meta.Kind == "interp")) // an interpolation's ends are far below its sides
	return f, fmt.Sprintf("%s surface, %d of %d points", s.Meta.Kind, s.Computed(), s.Len()), err
}
