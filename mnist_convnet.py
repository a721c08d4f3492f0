#!/usr/bin/env python3
"""Train the tiny CNN (conv 8, conv 16, dense 10) on MNIST: STEPS=100 JIT=1 python mnist_convnet.py (settings: README.md)."""
from models import ConvNet
from training import train

DEFAULTS = dict(STEPS=3000, BATCH=256, LR=3e-3, LR_DECAY=0.5, PATIENCE=3, ANGLE=12, SCALE=0.15, SHIFT=2.5, ELASTIC=0, THICKNESS=0, SAMPLING="bilinear",
                SEED=0, EVAL_EVERY=200, WEIGHTS_DIR="weights",
                EXTRA_DATA="", EXTRA_WRITERS="", EXTRA_REPEAT=1)

if __name__ == "__main__": train("cnn", ConvNet(), DEFAULTS)
