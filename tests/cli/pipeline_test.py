"""The command line tunes its own training pipeline; the library does not."""

import types

import numpy as np
import pytest

from keras_denoise import layers
from keras_denoise import models
from keras_denoise.cli import building
from keras_denoise.cli._pipeline import tune

pytestmark = pytest.mark.requires_tensorflow("tf.data pipelines")


def test_tune_switches_autotuning_off_and_keeps_the_data():
    import tensorflow as tf

    dataset = tf.data.Dataset.range(6).map(
        lambda x: x * 2, num_parallel_calls=tf.data.AUTOTUNE
    )
    assert dataset.options().autotune.enabled is not False
    tuned = tune(dataset)
    assert tuned.options().autotune.enabled is False
    assert [int(x) for x in tuned] == [0, 2, 4, 6, 8, 10]


def test_train_dataset_is_tuned_while_corrupted_pairs_is_not():
    images = np.random.default_rng(0).random((4, 8, 8, 1), "float32")
    data = types.SimpleNamespace(train=images, stream=None, passes=1)
    model = models.residual_denoiser(1, depth=2, filters=4)
    noise = layers.AdditiveGaussianNoise(0.1, seed=0)
    dataset = building.train_dataset(data, noise, model, batch_size=2, seed=0)
    assert dataset.options().autotune.enabled is False
    noisy, clean = next(iter(dataset))
    assert noisy.shape == clean.shape == (2, 8, 8, 1)
    assert not np.array_equal(noisy.numpy(), clean.numpy())
