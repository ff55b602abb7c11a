package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/basin-dev/basin/assets"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/model"
)

//go:embed _peer/resnet.py
var resnetPeer []byte

//go:embed _peer/hessian.py
var hessianPeer []byte

// Python is the interpreter of the PyTorch peer: Debian's, for which
// python3-torch is built.
var Python = "/usr/bin/python3"

// HasPeer reports whether PyTorch can be run here, or why not.
func HasPeer() error {
	if err := exec.Command(Python, "-c", "import torch").Run(); err != nil {
		return fmt.Errorf("PyTorch does not import in %s (install python3-torch): %v", Python, err)
	}
	return nil
}

// Peer runs PyTorch on the same work as a basin workload (core/bench/
// _peer/resnet.py, embedded): "train" (resnet, batch 64, 40 steps) or
// "scan" (the pretrained resnet, an n×n plane on 1,000 images).
func Peer(ctx context.Context, e *Env, workload string, n int) (Result, error) {
	dir, script, err := peerScript()
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	if err := writeMNIST(dir); err != nil {
		return Result{}, err
	}
	args := []string{script, workload, "--mnist", dir}
	steps := 40
	if e.Quick {
		steps = 10
	}
	if workload == "train" {
		args = append(args, "--steps", strconv.Itoa(steps))
	} else {
		ck, err := e.model("resnet")
		if err != nil {
			return Result{}, err
		}
		path := filepath.Join(dir, "resnet.safetensors")
		if err := checkpoint.Save(path, ck.Arch, ck.Params, ck.Meta); err != nil {
			return Result{}, err
		}
		args = append(args, "--checkpoint", path, "--grid", strconv.Itoa(n))
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, Python, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("PyTorch %s: %v: %s", workload, err, lastLine(stderr.String()))
	}
	var r struct {
		Torch    string  `json:"torch"`
		ImgPerS  float64 `json:"train_b64_img_s"`
		ScanSecs float64 `json:"scan2d_s"`
		Images   int     `json:"images"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return Result{}, fmt.Errorf("PyTorch %s printed %q: %v", workload, out.String(), err)
	}
	res := Result{Name: "  PyTorch " + r.Torch + ", same work"}
	if workload == "train" {
		n := steps * 64
		res.Images, res.Elapsed = n, time.Duration(float64(n)/r.ImgPerS*float64(time.Second))
		arch, _ := model.Preset("resnet")
		res.FLOP = float64(TrainFLOPs(arch)) * float64(n)
		return res, nil
	}
	ck, _ := e.model("resnet")
	res.Points, res.Images = n*n, n*n*r.Images
	res.Elapsed = time.Duration(r.ScanSecs * float64(time.Second))
	res.FLOP = float64(ck.Arch.FLOPs()) * float64(res.Images)
	return res, nil
}

// writeMNIST writes the embedded MNIST training split into dir, for a
// peer to read.
func writeMNIST(dir string) error {
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"} {
		b, err := fs.ReadFile(assets.MNIST, "mnist/"+f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// PeerHessian times PyTorch's exact Hessian-vector products by double
// backprop (core/bench/_peer/hessian.py, embedded, as PyHessian computes
// them) on the pretrained preset over the same first training images as
// HessianVector, power iteration for as many products; the median
// product's time.
func PeerHessian(ctx context.Context, e *Env, preset string, images int) (Result, error) {
	ck, err := e.model(preset)
	if err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "basin-peer-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "hessian.py")
	if err := os.WriteFile(script, hessianPeer, 0o644); err != nil {
		return Result{}, err
	}
	if err := writeMNIST(dir); err != nil {
		return Result{}, err
	}
	path := filepath.Join(dir, preset+".safetensors")
	if err := checkpoint.Save(path, ck.Arch, ck.Params, ck.Meta); err != nil {
		return Result{}, err
	}
	reps := hessianReps(preset, e.Quick)
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, Python, script, path, "--mnist", dir, "--images", strconv.Itoa(images), "--iters", strconv.Itoa(reps))
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("PyTorch Hv: %v: %s", err, lastLine(stderr.String()))
	}
	var r struct {
		Torch string  `json:"torch"`
		Per   float64 `json:"seconds_per_product_median"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return Result{}, fmt.Errorf("PyTorch Hv printed %q: %v", out.String(), err)
	}
	n := reps * images
	return Result{Name: "  PyTorch " + r.Torch + " double backprop, same work", Images: n, HVPs: reps,
		FLOP: float64(HessianFLOPs(ck.Arch)) * float64(n), Elapsed: time.Duration(r.Per * float64(reps) * float64(time.Second))}, nil
}

// PeerSGEMM times numpy's SGEMM (OpenBLAS, with PyTorch's settings) on
// the peak's 2048³ product, best of 5, each of its runs interleaved with
// one of basin's so both see the same machine (its speed drifts by 2x
// within minutes); the row's name gives basin's best of those and the
// ratio.
func PeerSGEMM(ctx context.Context, e *Env) (Result, error) {
	dir, script, err := peerScript()
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	n, reps := 2048, 5
	if e.Quick {
		reps = 2
	}
	c, A, B := sgemmInputs(n)
	sgemmOnce(c, A, B, n) // warm up
	flop := 2 * float64(n) * float64(n) * float64(n)
	var ours, theirs float64 // best GFLOP/s
	version := ""
	for i := 0; i < reps; i++ {
		ours = math.Max(ours, flop/sgemmOnce(c, A, B, n).Seconds()/1e9)
		var out, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, Python, script, "sgemm", "--mnist", dir, "--reps", "1")
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			return Result{}, fmt.Errorf("numpy SGEMM: %v: %s", err, lastLine(stderr.String()))
		}
		var res struct {
			Numpy  string  `json:"numpy"`
			GFlops float64 `json:"sgemm_gflops"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			return Result{}, fmt.Errorf("numpy SGEMM printed %q: %v", out.String(), err)
		}
		theirs, version = math.Max(theirs, res.GFlops), res.Numpy
	}
	return Result{Name: fmt.Sprintf("  numpy %s SGEMM, best of %d interleaved (basin's best %.0f: %.2fx)", version, reps, ours, ours/theirs),
		FLOP: flop, Elapsed: time.Duration(flop / (theirs * 1e9) * float64(time.Second))}, nil
}

// peerScript writes the embedded peer script into a new temporary folder
// (the caller removes it) and returns both.
func peerScript() (dir, script string, err error) {
	if dir, err = os.MkdirTemp("", "basin-peer-"); err != nil {
		return "", "", err
	}
	script = filepath.Join(dir, "resnet.py")
	if err = os.WriteFile(script, resnetPeer, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, script, nil
}

func lastLine(s string) string {
	b := bytes.TrimSpace([]byte(s))
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}
