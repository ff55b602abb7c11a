#!/usr/bin/python3
"""PyTorch's side of core/onnx's TestPyTorchONNX: a small ResNet trained
in PyTorch on Fashion-MNIST and exported with torch.onnx.export in eval
mode, folded (batch norm merged into the convs, the default) and unfolded;
then PyTorch's own loss at the weights basin names. Prints one JSON object.

    torch_onnx.py export --data DIR --out DIR [--train 2000] [--test 500]
    torch_onnx.py eval --data DIR --state model.safetensors --direction d.safetensors \
        --alphas -0.5,0.25 --indices idx.json

The ResNet is core/bench/_peer/resnet.py's (basin's resnet preset), so
its global pooling is x.mean(dim=(2, 3)), a ReduceMean in ONNX.
"""
import argparse, gzip, json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "_peer"))
import numpy as np
import torch
import torch.nn.functional as F

from resnet import ResNet, load_safetensors, save_safetensors

torch.set_num_threads(2)


def idx(folder, split):
    pre = "train" if split == "train" else "t10k"
    with gzip.open(os.path.join(folder, pre + "-images-idx3-ubyte.gz")) as f:
        px = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    with gzip.open(os.path.join(folder, pre + "-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return px.reshape(-1, 1, 28, 28), labels.astype(np.int64)


def norm(folder):
    """The training split's own mean and std (what basin uses by default)."""
    px, _ = idx(folder, "train")
    v = px.astype(np.float64) / 255
    return float(v.mean()), float(v.std())


def inputs(px, mean, std):
    return torch.from_numpy(((px.astype(np.float64) / 255 - mean) / std).astype(np.float32))


def loss(net, x, y):
    with torch.no_grad():
        return float(F.cross_entropy(net(x).double(), y, reduction="sum")) / len(y)


def export(a):
    mean, std = norm(a.data)
    px, y = idx(a.data, "train")
    torch.manual_seed(1)
    net = ResNet(1, 10)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x = inputs(px[: a.train], mean, std)
    t = torch.from_numpy(y[: a.train])
    net.train()
    for i in range(0, a.train, 64):
        opt.zero_grad()
        F.cross_entropy(net(x[i : i + 64]), t[i : i + 64]).backward()
        opt.step()
    # Running statistics over the whole subset (after a few dozen steps,
    # momentum's average still remembers the initial ones).
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        for i in range(0, a.train, 500):
            net(x[i : i + 500])
    net.eval()
    os.makedirs(a.out, exist_ok=True)
    dummy = torch.zeros(1, 1, 28, 28)
    dyn = {"image": {0: "N"}, "logits": {0: "N"}}
    torch.onnx.export(net, dummy, os.path.join(a.out, "folded.onnx"), input_names=["image"],
                      output_names=["logits"], dynamic_axes=dyn, opset_version=13)
    torch.onnx.export(net, dummy, os.path.join(a.out, "unfolded.onnx"), input_names=["image"],
                      output_names=["logits"], dynamic_axes=dyn, opset_version=13,
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    save_safetensors(os.path.join(a.out, "model.safetensors"),
                     {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")})
    tx, ty = idx(a.data, "test")
    n = a.test
    print(json.dumps({"loss": loss(net, inputs(tx[:n], mean, std), torch.from_numpy(ty[:n])),
                      "images": n, "mean": mean, "std": std}))


def evaluate(a):
    """The loss at θ* + α·d over the test images basin names, for each α."""
    mean, std = norm(a.data)
    theta = load_safetensors(a.state)
    d = load_safetensors(a.direction)
    tx, ty = idx(a.data, "test")
    pick = json.load(open(a.indices))
    x, y = inputs(tx[pick], mean, std), torch.from_numpy(ty[pick])
    net = ResNet(1, 10)
    net.eval()
    out = []
    for alpha in (float(s) for s in a.alphas.split(",")):
        sd = {k: (v.double() + alpha * d[k].double()).float() if k in d else v for k, v in theta.items()}
        net.load_state_dict(sd, strict=False)
        out.append(loss(net, x, y))
    print(json.dumps({"losses": out}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--data", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--train", type=int, default=2000)
    e.add_argument("--test", type=int, default=500)
    v = sub.add_parser("eval")
    for f in ("--data", "--state", "--direction", "--alphas", "--indices"):
        v.add_argument(f, required=True)
    a = p.parse_args()
    export(a) if a.cmd == "export" else evaluate(a)


if __name__ == "__main__":
    main()
