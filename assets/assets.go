// Package assets embeds the files basin ships: the MNIST data set in its
// original IDX layout and a pretrained checkpoint of each preset.
package assets

import "embed"

// MNIST holds the four original MNIST IDX files, gzip-compressed, under
// "mnist/". The data set is by Yann LeCun, Corinna Cortes and Christopher
// J.C. Burges, under CC BY-SA 3.0.
//
//go:embed mnist/*.gz
var MNIST embed.FS

// Pretrained holds "pretrained/PRESET.safetensors" for every preset, made
// with `basin train --preset PRESET --epochs 1 --seed 1` (see README).
//
//go:embed pretrained/*.safetensors
var Pretrained embed.FS

// Deploy holds the files that run a sharded scan on a cluster:
// "deploy/slurm/scan.sbatch" and "deploy/k8s/scan-job.yaml" (basin deploy
// prints them).
//
//go:embed deploy/slurm/scan.sbatch deploy/k8s/scan-job.yaml
var Deploy embed.FS

// Arch holds "arch/PRESET.arch": each preset's architecture in the
// format `basin train --arch FILE` reads (see core/model).
//
//go:embed arch/*.arch
var Arch embed.FS
