"""Writes the shipped models' outputs on a seeded input under one backend.

Run as `KERAS_BACKEND=... python pretrained_script.py DIRECTORY`; writes
`DIRECTORY/<backend>-<name>.npy` for every shipped model.
"""

import os
import sys

import keras
import numpy as np

from keras_denoise import models


def main(directory):
    backend = keras.backend.backend()
    for name in models.pretrained_names():
        model = models.pretrained(name)
        channels = model.inputs[0].shape[-1]
        rng = np.random.default_rng(7)
        clean = rng.random((1, 8, 8, channels)).repeat(5, 1).repeat(5, 2)
        noisy = clean + rng.normal(0.0, 25 / 255, clean.shape)
        out = model.predict(noisy.astype("float32"), verbose=0)
        np.save(os.path.join(directory, f"{backend}-{name}.npy"), out)


if __name__ == "__main__":
    main(sys.argv[1])
