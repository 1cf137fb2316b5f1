"""Saves and loads `.keras` files across Keras backends.

Run by `saving_test.py` in fresh processes, one per backend (the backend is
fixed when Keras is imported):

- `save DIR`: builds, trains one step and saves the package's models as
  `DIR/<backend>-<model>.keras`, with their predictions on a fixed input
  and whether TensorFlow got imported along the way;
- `load DIR`: loads every file that another backend saved and reports how
  far its predictions and weights are from the saving backend's.

Reports are JSON files in DIR.
"""

import json
import os
import sys

import keras
import numpy as np

from keras_denoise import callbacks
from keras_denoise import layers
from keras_denoise import metrics
from keras_denoise import models

BACKEND = keras.backend.backend()
SHAPE = (16, 16, 1)


def _inputs():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(8, *SHAPE)).astype("float32")
    labels = rng.integers(0, 3, size=8)
    return x, labels


def _vae_code_to_image(model, x):
    # Deterministic: the decoder applied to z_mean (z is a sample).
    z_mean = model.get_layer("encoder").predict(x, verbose=0)[0]
    return model.get_layer("decoder").predict(z_mean, verbose=0)


def _models():
    noise = layers.AdditiveGaussianNoise(0.1, seed=1)
    return {
        "conv_autoencoder": models.conv_autoencoder(
            SHAPE, filters=(4, 8), corruption=noise
        ),
        "dense_autoencoder": models.dense_autoencoder(
            SHAPE, hidden_units=(16,), latent_dim=4
        ),
        "residual_denoiser": models.residual_denoiser(
            channels=1, depth=3, filters=4
        ),
        "variational_autoencoder": models.variational_autoencoder(
            SHAPE, latent_dim=2, filters=(4, 8), seed=2
        ),
        "denoise_classifier": models.denoise_classifier(SHAPE, num_classes=3),
    }


def _predict(name, model, x):
    if name == "variational_autoencoder":
        return [_vae_code_to_image(model, x)]
    return [
        np.asarray(p) for p in keras.tree.flatten(model.predict(x, verbose=0))
    ]


def save(directory):
    x, labels = _inputs()
    np.save(os.path.join(directory, "x.npy"), x)
    trained = {}
    for name, model in _models().items():
        fit_callbacks = []
        if name == "variational_autoencoder":
            model.compile(optimizer="adam")
            target = None
            fit_callbacks.append(callbacks.KLAnnealing(1.0, warmup_epochs=2))
        elif name == "denoise_classifier":
            model.compile(
                optimizer="adam",
                loss={
                    "denoised": "mse",
                    "label": "sparse_categorical_crossentropy",
                },
                metrics={"denoised": [metrics.PSNR(), metrics.SSIM()]},
            )
            target = {"denoised": x, "label": labels}
        else:
            model.compile(
                optimizer="adam", loss="mse", metrics=[metrics.PSNR()]
            )
            target = x
            fit_callbacks.append(
                callbacks.ImageGrid(x[:2], os.path.join(directory, "grids"))
            )
        model.fit(
            x,
            target,
            batch_size=4,
            epochs=1,
            verbose=0,
            callbacks=fit_callbacks,
        )
        trained[name] = (model, _predict(name, model, x))
    # Keras's own `Model.save` (serialization_lib) and
    # `keras.utils.set_random_seed` import TensorFlow whenever it is
    # installed, whatever the backend: check before saving.
    report = {"tensorflow_imported": "tensorflow" in sys.modules}
    for name, (model, predictions) in trained.items():
        model.save(os.path.join(directory, f"{BACKEND}-{name}.keras"))
        np.savez(os.path.join(directory, f"{BACKEND}-{name}.npz"), *predictions)
    report["saved"] = sorted(trained)
    with open(os.path.join(directory, f"save-{BACKEND}.json"), "w") as f:
        json.dump(report, f)


def load(directory):
    x = np.load(os.path.join(directory, "x.npy"))
    report = {}
    for file in sorted(os.listdir(directory)):
        if not file.endswith(".keras") or file.startswith(f"{BACKEND}-"):
            continue
        source, name = file[: -len(".keras")].split("-", 1)
        model = keras.saving.load_model(os.path.join(directory, file))
        expected = np.load(os.path.join(directory, f"{source}-{name}.npz"))
        expected = [expected[f"arr_{i}"] for i in range(len(expected.files))]
        actual = _predict(name, model, x)
        report[f"{source}-{name}"] = {
            "class": type(model).__name__,
            "outputs": len(actual),
            "max_abs_diff": max(
                float(np.max(np.abs(a - e)))
                for a, e in zip(actual, expected, strict=True)
            ),
            "max_abs_value": max(float(np.max(np.abs(e))) for e in expected),
        }
    with open(os.path.join(directory, f"load-{BACKEND}.json"), "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    {"save": save, "load": load}[sys.argv[1]](sys.argv[2])
