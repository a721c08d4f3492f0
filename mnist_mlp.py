#!/usr/bin/env python3
"""Train the MLP (784-512-512-10, SiLU) on MNIST: python mnist_mlp.py (settings: docs/settings.md).
A quick try, without the one-time kernel search: BEAM=0 STEPS=100 python mnist_mlp.py"""
from digits.models import MLP
from digits.training.loop import train

DEFAULTS = dict(STEPS=15000, BATCH=128, LR=1e-3, SCHEDULE="cosine", LR_DECAY=0.5, PATIENCE=3, EVAL_EVERY=500, SEED=0, SAMPLING="bilinear",
                ANGLE=12, SCALE=0.15, SHIFT=2.5, ELASTIC=0, THICKNESS=0, WEIGHTS_DIR="weights",
                PEN_WRITERS="1-30", PEN_REPEAT=6,
                STROKE_SLANT=12, STROKE_ASPECT=0.15, STROKE_PROPORTION=0.4, STROKE_ENDS=0.12, STROKE_WOBBLE=0.04, STROKE_SHIFT=0.06, VALIDATION=5000)

if __name__ == "__main__": train("mlp", MLP, DEFAULTS)
