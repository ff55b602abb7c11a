package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/render"
)

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("info", "basin info FILE | basin info --preset NAME | basin info --arch FILE", stdout)
	preset := fs.String("preset", "", "describe a preset instead of a file: "+strings.Join(model.Presets(), ", "))
	archFile := fs.String("arch", "", "describe an architecture file (its layers on MNIST, or on the input it names)")
	// Accept the file before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	stdout = cleanWriter{stdout}
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case (*preset != "") && (file != "" || *archFile != "") || file != "" && *archFile != "":
		return usagef("give one of FILE, --preset and --arch")
	case *archFile != "":
		f, err := model.ReadArchFile(*archFile)
		if err != nil {
			return usage(err)
		}
		in, classes := data.MNISTShape, data.Classes
		if f.Input.C > 0 {
			in = f.Input
		}
		if f.Classes > 0 {
			classes = f.Classes
		}
		arch, err := f.For(in, classes, f.Norm(data.Identity(in.C)))
		if err != nil {
			return usage(err)
		}
		printLayers(stdout, arch)
		return nil
	case *preset != "":
		arch, err := model.Preset(*preset)
		if err != nil {
			return usagef("--preset: %w", err)
		}
		printLayers(stdout, arch)
		return nil
	case file == "":
		return usagef("name a checkpoint or surface file, or --preset NAME (see basin info --help)")
	}
	head := make([]byte, 4)
	f, err := atomicfile.Open(file)
	if err != nil {
		return usage(err)
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	if n == 4 && bytes.Equal(head, []byte("PK\x03\x04")) {
		s, err := surface.Load(file)
		if err != nil {
			return usage(err)
		}
		printSurface(stdout, file, s)
		return nil
	}
	ck, err := checkpoint.Load(file)
	if err != nil {
		return usage(err)
	}
	printCheckpoint(stdout, ck)
	return nil
}

// cleanWriter shows the control characters of what it writes as escapes
// (render.Clean), line by line: a checkpoint's metadata or a file name is
// anyone's text, and an escape sequence in it would act on the terminal.
type cleanWriter struct{ w io.Writer }

func (c cleanWriter) Write(p []byte) (int, error) {
	lines := strings.Split(string(p), "\n")
	for i, l := range lines {
		lines[i] = render.Clean(l)
	}
	if _, err := io.WriteString(c.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// printLayers writes the layer table of an architecture.
func printLayers(w io.Writer, arch model.Arch) {
	fmt.Fprintf(w, "%s: %s parameters, %.2f MFLOP per image forward\n\n",
		arch.Preset, thousands(arch.ParamCount()), float64(arch.FLOPs())/1e6)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "layer\ttype\treads\toutput\ttensors\tparameters")
	fmt.Fprintf(tw, "input\t\t\t%v\t\t\n", arch.Input)
	shapes, params := arch.Shapes(), arch.NewParams()
	k := 0
	for i, l := range arch.Layers {
		var tensors []string
		trained := 0
		for _, t := range params[k : k+l.TensorCount()] {
			if t.IsBuffer() {
				continue
			}
			tensors = append(tensors, strings.Trim(strings.ReplaceAll(fmt.Sprint(t.Shape), " ", "x"), "[]"))
			trained += len(t.Data)
		}
		k += l.TensorCount()
		count := ""
		if trained > 0 {
			count = thousands(trained)
		}
		dims := strings.Trim(strings.ReplaceAll(fmt.Sprint(shapes[i]), " ", "x"), "[]")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Name, layerKind(l), strings.Join(l.From, ","), dims, strings.Join(tensors, " "), count)
	}
	tw.Flush()
}

// layerKind is a layer's type with its window, stride and padding.
func layerKind(l model.Layer) string {
	kind := l.Kind.String()
	switch l.Kind {
	case model.Conv, model.MaxPool, model.AvgPool:
		kind += fmt.Sprintf(" %dx%d", l.Kernel, l.Kernel)
		if l.Stride > 1 && (l.Kind == model.Conv || l.Stride != l.Kernel) {
			kind += fmt.Sprintf(" stride %d", l.Stride)
		}
		if l.Pad > 0 {
			kind += fmt.Sprintf(" pad %d", l.Pad)
		}
	case model.Dropout:
		kind += fmt.Sprintf(" %g", l.Rate)
	}
	if l.NoBias {
		kind += ", no bias"
	}
	return kind
}

func printCheckpoint(w io.Writer, ck *checkpoint.Checkpoint) {
	fmt.Fprintf(w, "checkpoint %s\nsha256     %s\n", ck.Path, ck.SHA256)
	keys := make([]string, 0, len(ck.Meta))
	for k := range ck.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-16s %s\n", k, ck.Meta[k])
	}
	fmt.Fprintln(w)
	printLayers(w, ck.Arch)
}

func printSurface(w io.Writer, path string, s *surface.Surface) {
	m := s.Meta
	fmt.Fprintf(w, "surface    %s (%s, basin %s)\n", path, m.Kind, m.Version)
	fmt.Fprintf(w, "checkpoint %s (%s, sha256 %.12s…)\n", m.Checkpoint, m.Preset, m.CheckpointSHA)
	fmt.Fprintf(w, "grid       α %.4g:%.4g × %d", m.Alpha.Min, m.Alpha.Max, m.Alpha.N)
	if m.Beta != nil {
		fmt.Fprintf(w, ", β %.4g:%.4g × %d", m.Beta.Min, m.Beta.Max, m.Beta.N)
	}
	switch m.Kind {
	case "interp":
		fmt.Fprintf(w, "\nline       t from A (t=0) to B (t=1): %s (sha256 %.12s…)\n", m.CheckpointB, m.CheckpointBSHA)
	case "trajectory":
		fmt.Fprintf(w, "\nplane      PCA of the snapshots, unnormalized: components explain %s of their variance\n", percents(m.Explained))
		for i, p := range s.Paths {
			fmt.Fprintf(w, "path %d     %s: %d snapshots, steps %d to %d\n", i+1, p.Name, len(p.Steps), p.Steps[0], p.Steps[len(p.Steps)-1])
		}
	default:
		fmt.Fprintf(w, "\ndirections %s-normalized, seed %d, biases moved: %v\n", m.Norm, m.Seed, m.Biases)
	}
	fmt.Fprintf(w, "images     %d of the %s split of %s", m.Samples, m.Split, m.Data)
	if s.TestLoss != nil {
		fmt.Fprintf(w, ", and as many of the test split")
	}
	fmt.Fprintf(w, "\n")
	if cmd := reproduce(m); cmd != "" {
		fmt.Fprintf(w, "reproduce  %s\n", cmd)
	}
	fmt.Fprintln(w)
	printSummary(w, s, surface.DefaultThreshold)
}

// reproduce is the basin scan1d or scan2d command that computes the
// surface m describes, point for point (the app's scans included: their
// files record both seeds); "" for kinds no scan command makes.
func reproduce(m surface.Meta) string {
	if m.Kind != "1d" && m.Kind != "2d" {
		return ""
	}
	ck := m.Checkpoint
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	cmd := fmt.Sprintf("basin scan%s --checkpoint %s --seed %d --sample-seed %d --norm %s --split %s --samples %d --alpha %s:%s",
		m.Kind, shellQuote(ck), m.Seed, m.SampleSeed, m.Norm, m.Split, m.Samples, f(m.Alpha.Min), f(m.Alpha.Max))
	if m.Kind == "1d" {
		cmd += fmt.Sprintf(" --points %d", m.Alpha.N)
	} else if m.Beta != nil {
		cmd += fmt.Sprintf(" --beta %s:%s --grid %dx%d", f(m.Beta.Min), f(m.Beta.Max), m.Alpha.N, m.Beta.N)
	}
	if m.Biases {
		cmd += " --biases"
	}
	if m.Data != "" && !strings.Contains(m.Data, "(embedded)") {
		cmd += " --data " + shellQuote(m.Data)
	}
	return cmd + " --out copy.npz"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// thousands formats n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func percents(v []float64) string {
	var parts []string
	for _, x := range v {
		parts = append(parts, fmt.Sprintf("%.1f%%", 100*x))
	}
	return strings.Join(parts, " and ")
}
