#!/usr/bin/python3
"""Makes the PyTorch side of TestPyTorchResNet: a CIFAR-style ResNet-20 at a
quarter width, with the names and layers of basin's resnet preset, random
weights and batch-norm statistics, saved as safetensors with PyTorch's
state_dict names (num_batches_tracked included, as int64), and its
evaluation-mode mean cross-entropy on the test split of an .npz.

    python3 torch_resnet.py DATA.npz OUT.safetensors MEAN,… STD,…
"""
import json, struct, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        layers, cin = [], 8
        for width, stride in ((8, 1), (16, 2), (32, 2)):
            blocks = []
            for b in range(3):
                blocks.append(Block(cin, width, stride if b == 0 else 1))
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
