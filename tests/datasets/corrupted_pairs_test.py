import numpy as np
import pytest

from keras_denoise import datasets
from keras_denoise import layers


def test_pairs_shapes_and_statistics(rng):
    images = np.full((64, 8, 8, 1), 0.5, dtype="float32")
    noise = layers.AdditiveGaussianNoise(0.1, seed=1)
    ds = datasets.corrupted_pairs(images, noise, 16, seed=0)
    batches = list(ds)
    assert [tuple(n.shape) for n, _ in batches] == [(16, 8, 8, 1)] * 4
    noisy = np.concatenate([n.numpy() for n, _ in batches])
    clean = np.concatenate([c.numpy() for _, c in batches])
    np.testing.assert_array_equal(clean, images)
    residual = noisy - clean
    assert abs(residual.mean()) < 0.01
    assert residual.std() == pytest.approx(0.1, rel=0.05)


def test_fresh_noise_every_epoch_same_clean_set(rng):
    images = rng.random((10, 8, 8, 1)).astype("float32")
    noise = layers.AdditiveGaussianNoise(0.1, seed=3, value_range=None)
    ds = datasets.corrupted_pairs(images, noise, 10, shuffle=False)
    (noisy1, clean1), (noisy2, clean2) = next(iter(ds)), next(iter(ds))
    np.testing.assert_array_equal(clean1, clean2)
    assert np.abs(noisy1.numpy() - noisy2.numpy()).mean() > 0.05


def test_shuffle_reshuffles_and_covers_all(rng):
    images = np.arange(20, dtype="float32").reshape(20, 1, 1, 1)
    ds = datasets.corrupted_pairs(images, lambda x: x, 20, seed=0)
    first = next(iter(ds))[1].numpy().ravel()
    second = next(iter(ds))[1].numpy().ravel()
    assert sorted(first) == list(range(20))
    assert not np.array_equal(first, second)


def test_repeat_and_drop_remainder(rng):
    images = rng.random((5, 4, 4, 1)).astype("float32")
    ds = datasets.corrupted_pairs(
        images, lambda x: x, 2, repeat=True, drop_remainder=True
    )
    shapes = [tuple(n.shape) for n, _ in ds.take(7)]
    assert shapes == [(2, 4, 4, 1)] * 7


def test_leaves_tf_data_autotuning_as_it_is(rng):
    # The library keeps tf.data's defaults; only the command line tunes
    # its own pipeline (keras_denoise/cli/_pipeline.py).
    images = rng.random((4, 4, 4, 1)).astype("float32")
    ds = datasets.corrupted_pairs(images, lambda x: x, 2)
    assert ds.options().autotune.enabled is not False
    assert len(list(ds)) == 2


@pytest.mark.slow
def test_trains_a_model(rng):
    import keras

    from keras_denoise import models

    images = rng.random((8, 8, 8, 1)).astype("float32")
    model = models.residual_denoiser(depth=2, filters=4)
    model.compile("adam", "mse")
    ds = datasets.corrupted_pairs(
        images, layers.AdditiveGaussianNoise(0.1, seed=0), 4
    )
    history = model.fit(ds, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])
    assert isinstance(model, keras.Model)


@pytest.mark.parametrize(
    "images, corruption, batch_size, error, match",
    [
        (np.zeros((2, 4, 4, 1), "uint8"), None, 1, TypeError, "floating"),
        (np.zeros((4, 4, 1), "float32"), None, 1, ValueError, "rank 4"),
        (np.zeros((2, 4, 4, 1), "float32"), 3, 1, TypeError, "callable"),
        (np.zeros((2, 4, 4, 1), "float32"), None, 0, ValueError, "batch_size"),
    ],
)
def test_invalid_arguments(images, corruption, batch_size, error, match):
    if corruption is None:
        corruption = layers.AdditiveGaussianNoise(0.1)
    with pytest.raises(error, match=match):
        datasets.corrupted_pairs(images, corruption, batch_size)


def test_a_dataset_of_images_gets_a_clear_error():
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((4, 8, 8, 1)))
    with pytest.raises(TypeError, match=r"not a `tf.data.Dataset`.*\.map\("):
        datasets.corrupted_pairs(dataset, layers.AdditiveGaussianNoise(0.1))
