#!/usr/bin/python3
"""The yardsticks of `basin bench`, measured the same way on the same machine:
numpy's SGEMM (OpenBLAS), PyTorch's training and forward passes of basin's
presets, batch 64 and 1000, 2 threads. Use Debian's packages with
/usr/bin/python3 (python3-torch 1.13, python3-numpy, libopenblas0-pthread):

    /usr/bin/python3 core/bench/_peer/peers.py

It re-executes itself with the environment the peers need to run at their
best here: 2 threads, glibc malloc that keeps its memory (first writes to
fresh pages are slow in these VMs), and OpenBLAS's AVX-512 kernels on the
Intel CPUs it misreads (OPENBLAS_CORETYPE=SkylakeX).
"""
import json, os, sys, time

ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "68719476736", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
if "GenuineIntel" in open("/proc/cpuinfo").read():
    ENV["OPENBLAS_CORETYPE"] = "SkylakeX"
if any(os.environ.get(k) != v for k, v in ENV.items()):
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **ENV})

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hessian import Net, load_safetensors, mnist  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


def best(f, reps):
    f()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    out = {"cpu": [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0],
           "torch": torch.__version__, "threads": torch.get_num_threads()}
    n = 2048
    a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
    c = np.empty((n, n), np.float32)
    out["numpy_sgemm_2048_gflops"] = 2 * n**3 / best(lambda: np.matmul(a, b, out=c), 8) / 1e9
    x, y = mnist(64 * 41)
    for preset in ("standard", "small"):
        sd = load_safetensors(os.path.join(ROOT, "assets", "pretrained", preset + ".safetensors"))
        net = Net(sd)
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        steps = 40 if preset == "standard" else 160
        xb, yb = mnist(64 * (steps + 1))

        def train():
            for s in range(steps):
                opt.zero_grad()
                F.cross_entropy(net(xb[s * 64:(s + 1) * 64]), yb[s * 64:(s + 1) * 64]).backward()
                opt.step()
        out[preset + "_train_b64_img_s"] = steps * 64 / best(train, 3)
        xf, _ = mnist(1000)
        with torch.no_grad():
            out[preset + "_forward_b1000_img_s"] = 1000 / best(lambda: net(xf), 5)
    if "--scan" in sys.argv:  # basin's scan2d standard 21x21 on 1,000 images, the PyTorch way
        sd = load_safetensors(os.path.join(ROOT, "assets", "pretrained", "standard.safetensors"))
        net = Net(sd)
        xf, yf = mnist(1000)
        theta = [p.detach().clone() for p in net.parameters()]
        g = torch.Generator().manual_seed(1)

        def direction():  # filter-normalized, biases left at θ* (Li et al.'s default)
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
        coords = np.linspace(-1, 1, 21)

        def scan():
            with torch.no_grad():
                for a in coords:
                    for b in coords:
                        for p, t, u, v in zip(net.parameters(), theta, dx, dy):
                            p.copy_(t + float(a) * u + float(b) * v)
                        F.cross_entropy(net(xf), yf)
        t = time.perf_counter()
        scan()
        out["standard_scan2d_21x21_1000_s"] = time.perf_counter() - t
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
