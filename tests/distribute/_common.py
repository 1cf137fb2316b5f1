"""Shared by the worker scripts of the distributed tests.

The scripts run in fresh processes (TensorFlow's devices and `TF_CONFIG`
must be set before TensorFlow initialises) and report JSON. This module is
imported by them, never by pytest, and imports TensorFlow only in
`configure`.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SIZE = 16
SHAPE = (SIZE, SIZE, 1)
CLASSES = 3
SEED = 1234


def configure(logical_cpus=1):
    """Splits the CPU into `logical_cpus` devices; returns `tensorflow`."""
    import tensorflow as tf

    if logical_cpus > 1:
        (cpu,) = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus
        )
    return tf


def data(n=16):
    """Smooth images in [0, 1] and integer labels, the same in every run."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    grid = np.linspace(0.0, 1.0, SIZE, dtype="float32")
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1)).astype("float32")
    waves = np.sin(6 * grid[None, :, None] + phase)
    images = 0.5 + 0.4 * waves * np.cos(3 * grid[None, None, :])
    images = images[..., None].astype("float32")
    labels = (np.arange(n) % CLASSES).astype("int32")
    return images, labels


def small_autoencoder(name="autoencoder"):
    from keras_denoise import models

    return models.conv_autoencoder(SHAPE, filters=(4, 8), name=name)


def small_classifier(name="classifier"):
    from keras_denoise import models

    return models.cnn_classifier(
        SHAPE, CLASSES, filters=(4, 8), hidden_units=8, dropout=0.0, name=name
    )


def make_deterministic_vae(model):
    """Makes the VAE's sampling noise negligible, hence its training exact.

    Each replica draws the same sampling noise for its part of the batch, so
    a VAE cannot match single-device training draw for draw. Setting the
    `z_log_var` layer to output -40 (a standard deviation of 2e-9) leaves
    `z` equal to `z_mean` to float precision, while the loss terms, the
    KL term (about 20 per latent dimension) included, keep their form.
    """
    import numpy as np

    encoder = model.get_layer("encoder")
    layer = encoder.get_layer("z_log_var")
    kernel, bias = layer.get_weights()
    layer.set_weights([np.zeros_like(kernel), np.full_like(bias, -40.0)])


def vae(latent_dim=2):
    from keras_denoise import models

    return models.variational_autoencoder(
        SHAPE, latent_dim=latent_dim, **VAE_KWARGS
    )


VAE_KWARGS = {"filters": (4, 8), "hidden_units": (8,)}


def vae_optimizer():
    """Plain SGD: Adam would turn float-level differences of near-zero
    gradients into full-size steps, and the weights could not be compared."""
    import keras

    return keras.optimizers.SGD(1e-2)


def dual_output():
    from keras_denoise import models

    return models.denoise_classifier(
        SHAPE,
        CLASSES,
        autoencoder=small_autoencoder(),
        classifier=small_classifier(),
    )


DUAL_OUTPUT_LOSS = {
    "denoised": "binary_crossentropy",
    "label": "sparse_categorical_crossentropy",
}


def write_json(path, payload):
    temp = f"{path}.tmp"
    with open(temp, "w") as file:
        json.dump(payload, file, indent=1, sort_keys=True)
    os.replace(temp, path)


def max_weight_difference(weights_a, weights_b):
    import numpy as np

    assert len(weights_a) == len(weights_b)
    return max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(weights_a, weights_b, strict=True)
    )
