#!/usr/bin/python3
"""PyTorch's side of `basin bench --peer`: basin's resnet preset (a CIFAR
ResNet-20 at a quarter width, PyTorch's usual module names) trained and
scanned the way basin does it, at PyTorch's best settings on these
machines (2 threads, glibc malloc that keeps its memory, OpenBLAS's
AVX-512 kernels on Intel CPUs it misreads). Prints one JSON object.

    /usr/bin/python3 resnet.py train --mnist assets/mnist
    /usr/bin/python3 resnet.py scan --mnist assets/mnist --checkpoint assets/pretrained/resnet.safetensors

The ResNet class is also what core/checkpoint's PyTorch fixture test
builds.
"""
import argparse, gzip, json, os, struct, sys, time

ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "68719476736", "OMP_NUM_THREADS": "2"}
if __name__ == "__main__":
    if "GenuineIntel" in open("/proc/cpuinfo").read():
        ENV["OPENBLAS_CORETYPE"] = "SkylakeX"
    if any(os.environ.get(k) != v for k, v in ENV.items()):
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **ENV})

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride, shortcut=True):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = shortcut
        self.shortcut = nn.Sequential()
        if shortcut and (stride != 1 or cin != cout):
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.skip:
            out = out + self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    """basin's resnet (shortcut=True) or resnet-noshort preset."""

    def __init__(self, channels, classes, shortcut=True):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        layers, cin = [], 8
        for width, stride in ((8, 1), (16, 2), (32, 2)):
            blocks = []
            for b in range(3):
                blocks.append(Block(cin, width, stride if b == 0 else 1, shortcut))
                cin = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(32, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.linear(out.mean(dim=(2, 3)))


def save_safetensors(path, sd):
    header, blobs, off = {}, [], 0
    for name, t in sd.items():
        a = t.detach().cpu().numpy()
        dtype = "I64" if a.dtype == np.int64 else "F32"
        b = a.astype("<i8" if dtype == "I64" else "<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
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


def best(f, reps):
    f()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def train(a):
    """SGD with momentum, batch 64, from seeded random weights: img/s, best of 3."""
    torch.manual_seed(1)
    net = ResNet(1, 10)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    steps = a.steps
    x, y = mnist(a.mnist, 64 * (steps + 1))

    def run():
        for s in range(steps):
            opt.zero_grad()
            F.cross_entropy(net(x[s * 64:(s + 1) * 64]), y[s * 64:(s + 1) * 64]).backward()
            opt.step()
    return {"train_b64_img_s": steps * 64 / best(run, 3)}


def scan(a):
    """A 2-D scan as basin does it: filter-normalized directions (batch norm
    and 1-D tensors left at θ*), evaluation mode, the loss on the first
    images at every point of an n×n grid on [-1,1]²: seconds."""
    net = ResNet(1, 10)
    net.load_state_dict(load_safetensors(a.checkpoint), strict=False)
    net.eval()
    x, y = mnist(a.mnist, a.images)
    theta = [p.detach().clone() for p in net.parameters()]
    g = torch.Generator().manual_seed(1)

    def direction():
        d = []
        for t in theta:
            r = torch.randn(t.shape, generator=g)
            if t.dim() <= 1:
                r.zero_()
            else:
                for i in range(t.shape[0]):
                    r[i] *= t[i].norm() / (r[i].norm() + 1e-10)
            d.append(r)
        return d
    dx, dy = direction(), direction()
    coords = np.linspace(-1, 1, a.grid)
    t = time.perf_counter()
    with torch.no_grad():
        for u in coords:
            for v in coords:
                for p, t0, e1, e2 in zip(net.parameters(), theta, dx, dy):
                    p.copy_(t0 + float(u) * e1 + float(v) * e2)
                F.cross_entropy(net(x), y)
    return {"scan2d_s": time.perf_counter() - t, "grid": a.grid, "images": a.images}


def sgemm(a):
    """numpy's SGEMM (OpenBLAS) on 2048³ float32: one warm-up, then the
    best of --reps, in GFLOP/s (basin bench interleaves single reps with
    its own)."""
    n = 2048
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, n), dtype=np.float32)
    y = rng.standard_normal((n, n), dtype=np.float32)
    x @ y
    best = float("inf")
    for _ in range(a.reps):
        t = time.perf_counter()
        x @ y
        best = min(best, time.perf_counter() - t)
    return {"numpy": np.__version__, "sgemm_gflops": 2 * n**3 / best / 1e9}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["train", "scan", "sgemm"])
    ap.add_argument("--mnist", required=True, help="a folder with MNIST's gzipped IDX files")
    ap.add_argument("--checkpoint", help="the pretrained resnet (scan)")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--grid", type=int, default=11)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(2)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    out.update({"train": train, "scan": scan, "sgemm": sgemm}[a.workload](a))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
