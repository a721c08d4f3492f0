#!/usr/bin/env python3
"""Train the tiny CNN (conv 8, conv 16, dense 10) on MNIST: python mnist_convnet.py (settings: docs/settings.md).
A quick try, without the one-time kernel search: BEAM=0 STEPS=100 python mnist_convnet.py"""
from digits.models import ConvNet
from digits.training.loop import train

DEFAULTS = dict(STEPS=15000, BATCH=256, LR=3e-3, SCHEDULE="cosine", LR_DECAY=0.5, PATIENCE=3, EVAL_EVERY=500, SEED=0, SAMPLING="bilinear",
                ANGLE=8, SCALE=0.1, SHIFT=2, ELASTIC=0, THICKNESS=0, WEIGHTS_DIR="weights",
                PEN_WRITERS="1-30", PEN_REPEAT=4,
                STROKE_SLANT=12, STROKE_ASPECT=0.15, STROKE_PROPORTION=0.4, STROKE_ENDS=0.12, STROKE_WOBBLE=0.04, STROKE_SHIFT=0.06, VALIDATION=5000)

if __name__ == "__main__": train("cnn", ConvNet, DEFAULTS)
