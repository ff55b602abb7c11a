#!/usr/bin/python3
"""PyTorch's exact Hessian-vector products (double backprop), the yardstick
for `basin bench`'s Hv/s and `basin sharpness`'s λmax.

Runs power iteration on the Hessian of the mean cross-entropy of a basin
checkpoint (.safetensors, PyTorch names and layouts) over the first N MNIST
training images, for a fixed number of products, and prints the time per
product. Use Debian's PyTorch (python3-torch, 1.13) with /usr/bin/python3:

    /usr/bin/python3 core/bench/_peer/hessian.py assets/pretrained/standard.safetensors --images 1000 --iters 20

The script re-executes itself with the environment PyTorch needs to run at
its best on these machines: 2 threads, glibc malloc that keeps its memory
(first writes to fresh pages are slow in these VMs), and OpenBLAS's AVX-512
kernels on Intel CPUs it misreads.
"""
import argparse, gzip, json, os, struct, sys, time

ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "68719476736", "OMP_NUM_THREADS": "2"}
if "GenuineIntel" in open("/proc/cpuinfo").read():
    ENV["OPENBLAS_CORETYPE"] = "SkylakeX"
if any(os.environ.get(k) != v for k, v in ENV.items()):
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **ENV})

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(HERE, "..", "..", "..", "assets", "mnist")


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", "this script reads float32 checkpoints"
        a, b = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(body[a:b], dtype="<f4").copy()).reshape(t["shape"])
    return out


def mnist(folder, n):
    with gzip.open(os.path.join(folder, "train-images-idx3-ubyte.gz")) as f:
        px = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[: n * 784]
    with gzip.open(os.path.join(folder, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]
    x = (px.astype(np.float32) / 255 - 0.1307) / 0.3081
    return torch.from_numpy(x.reshape(n, 1, 28, 28)), torch.from_numpy(labels.astype(np.int64))


class Net(nn.Module):
    def __init__(self, sd):
        super().__init__()
        self.small = sd["conv1.weight"].shape[0] == 8
        pad = 1 if self.small else 0
        c1, c2 = sd["conv1.weight"].shape[0], sd["conv2.weight"].shape[0]
        self.conv1 = nn.Conv2d(1, c1, 3, padding=pad)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=pad)
        self.fc1 = nn.Linear(sd["fc1.weight"].shape[1], sd["fc1.weight"].shape[0])
        self.fc2 = nn.Linear(sd["fc2.weight"].shape[1], 10)
        self.load_state_dict(sd)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        if self.small:
            x = F.max_pool2d(x, 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--iters", type=int, default=20, help="Hessian-vector products to time")
    ap.add_argument("--batch", type=int, default=0, help="images per double-backprop pass (default: all)")
    ap.add_argument("--mnist", default=MNIST, help="a folder with MNIST's gzipped IDX files (default: basin's assets)")
    a = ap.parse_args()
    net = Net(load_safetensors(a.checkpoint))
    params = [p for p in net.parameters()]
    x, y = mnist(a.mnist, a.images)
    batch = a.batch or a.images

    def hv(v):
        out = [torch.zeros_like(p) for p in params]
        for s in range(0, a.images, batch):
            xb, yb = x[s : s + batch], y[s : s + batch]
            loss = F.cross_entropy(net(xb), yb, reduction="sum") / a.images
            g = torch.autograd.grad(loss, params, create_graph=True)
            h = torch.autograd.grad(g, params, grad_outputs=v)
            for o, hi in zip(out, h):
                o += hi
        return out

    torch.manual_seed(1)
    v = [torch.randn_like(p) for p in params]
    norm = torch.sqrt(sum((t * t).sum() for t in v))
    v = [t / norm for t in v]
    hv(v)  # warm-up: allocations, oneDNN primitives
    lam, times = 0.0, []
    for it in range(a.iters):
        t0 = time.perf_counter()
        h = hv(v)
        times.append(time.perf_counter() - t0)
        lam = sum((hi * vi).sum() for hi, vi in zip(h, v)).item()
        norm = torch.sqrt(sum((t * t).sum() for t in h))
        v = [t / norm for t in h]
    per = sorted(times)[len(times) // 2]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "images": a.images, "batch": batch,
                      "products": a.iters, "seconds_per_product_median": per, "hv_per_s": 1 / per,
                      "total_s": sum(times), "lambda_max_after": lam}))


if __name__ == "__main__":
    main()
