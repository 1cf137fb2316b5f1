"""Corruption layers inside `tf.data` on the JAX and PyTorch backends.

Each backend runs in its own process. In a `tf.data` map a layer gets
symbolic TensorFlow tensors, which JAX and PyTorch ops cannot take: the
layers then run eagerly on each batch. The script checks that the first
batch equals the same layer's eager output (same seed, same draws), that
the inference mode is the identity, the noise statistics, and that
`corrupted_pairs` takes a `keras.Sequential` chain.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

CODE = """
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_denoise import datasets, layers

    def make(name):
        return {
            "gaussian": lambda: layers.AdditiveGaussianNoise(0.1, seed=1),
            "speckle": lambda: layers.SpeckleNoise(0.2, seed=2),
            "salt_pepper": lambda: layers.SaltAndPepperNoise(0.1, seed=3),
            "poisson": lambda: layers.PoissonNoise(30.0, seed=4),
            "blur": lambda: layers.GaussianBlur((0.5, 1.5), seed=5),
            "random": lambda: layers.RandomCorruption(
                [
                    layers.AdditiveGaussianNoise(0.1, seed=6),
                    keras.Sequential([
                        layers.GaussianBlur(1.0),
                        layers.SpeckleNoise(0.2, seed=10),
                    ]),
                ],
                seed=7,
            ),
        }[name]()

    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 0.8, size=(64, 8, 8, 1)).astype("float32")
    for name in ("gaussian", "speckle", "salt_pepper", "poisson", "blur",
                 "random"):
        layer = make(name)
        ds = tf.data.Dataset.from_tensor_slices(x).batch(32)
        batch = next(iter(ds.map(lambda b: layer(b, training=True))))
        assert batch.dtype == tf.float32 and batch.shape == (32, 8, 8, 1)
        expected = keras.ops.convert_to_numpy(make(name).corrupt(x[:32]))
        np.testing.assert_allclose(batch.numpy(), expected, atol=1e-6)
        assert not np.allclose(batch.numpy(), x[:32])
        same = next(iter(ds.map(lambda b: layer(b, training=False))))
        np.testing.assert_array_equal(same.numpy(), x[:32])

    # Statistics: Gaussian noise of stddev 0.1 on mid-grey (clipping is
    # at 3 standard deviations or more): the standard error of the
    # standard deviation over 8192 values is about 0.0008.
    flat = np.full((128, 8, 8, 1), 0.5, "float32")
    ds = tf.data.Dataset.from_tensor_slices(flat).batch(64)
    layer = layers.AdditiveGaussianNoise(0.1, seed=8)
    noisy = np.concatenate([b.numpy() for b in ds.map(
        lambda b: layer(b, training=True), num_parallel_calls=2)])
    assert abs(np.std(noisy - 0.5) - 0.1) < 0.004, np.std(noisy - 0.5)
    assert abs(np.mean(noisy - 0.5)) < 0.004

    chain = keras.Sequential(
        [layers.GaussianBlur(1.0), layers.AdditiveGaussianNoise(0.1, seed=9)]
    )
    pairs = datasets.corrupted_pairs(x, chain, batch_size=16, seed=0)
    count = 0
    for noisy, clean in pairs:
        assert noisy.shape == clean.shape and noisy.dtype == tf.float32
        assert not np.allclose(noisy.numpy(), clean.numpy())
        count += len(clean)
    assert count == 64
    print("ok")
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_corruption_layers_in_tf_data(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CODE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip().splitlines()[-1] == "ok"
