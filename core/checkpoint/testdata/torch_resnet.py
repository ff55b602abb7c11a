#!/usr/bin/python3
"""Makes the PyTorch side of TestPyTorchResNet: a CIFAR-style ResNet-20 at a
quarter width, with the names and layers of basin's resnet preset, random
weights and batch-norm statistics, saved as safetensors with PyTorch's
state_dict names (num_batches_tracked included, as int64), and its
evaluation-mode mean cross-entropy on the test split of an .npz.

    python3 torch_resnet.py DATA.npz OUT.safetensors MEAN,… STD,…
"""
import os, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "_peer"))
from resnet import ResNet, save_safetensors  # noqa: E402


def main():
    data, out, mean, std = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    d = np.load(data)
    x = torch.from_numpy(d["x_test"].astype(np.float32) / 255)  # N,C,H,W
    y = torch.from_numpy(d["y_test"].astype(np.int64))
    mean = torch.tensor([float(v) for v in mean.split(",")]).view(1, -1, 1, 1)
    std = torch.tensor([float(v) for v in std.split(",")]).view(1, -1, 1, 1)
    torch.manual_seed(0)
    net = ResNet(x.shape[1], 10)
    net.train()
    with torch.no_grad():  # a few batches move the running statistics
        for _ in range(3):
            net((torch.rand(16, *x.shape[1:]) - mean) / std)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
        net.linear.weight.mul_(40)  # logits far from uniform: the loss depends on every layer
    net.eval()
    with torch.no_grad():
        loss = F.cross_entropy(net((x - mean) / std), y)
    save_safetensors(out, net.state_dict())
    print(repr(loss.item()))


if __name__ == "__main__":
    main()
