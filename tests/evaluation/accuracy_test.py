import keras
import numpy as np
import pytest

from keras_denoise import evaluation
from keras_denoise import layers


def _brightness_classifier(dual=False):
    """Class 1 for images brighter than 0.5 on average, else class 0."""
    inputs = keras.Input((6, 6, 1))
    mean = keras.layers.GlobalAveragePooling2D()(inputs)
    logits = keras.layers.Dense(2, name="label")(mean)
    outputs = logits
    if dual:
        denoised = keras.layers.Identity(name="denoised")(inputs)
        outputs = {"denoised": denoised, "label": logits}
    model = keras.Model(inputs, outputs)
    model.get_layer("label").set_weights(
        [np.array([[-100.0, 100.0]]), np.array([50.0, -50.0])]
    )
    return model


@pytest.mark.parametrize("dual", [False, True])
def test_accuracy_per_corruption_matches_numpy(rng, dual):
    images = rng.random((10, 6, 6, 1)).astype("float32")
    labels = (images.mean(axis=(1, 2, 3)) > 0.5).astype(int)
    labels[:3] = 1 - labels[:3]  # three wrong labels
    shift = layers.AdditiveGaussianNoise(0.3, value_range=None, seed=3)
    accuracy = evaluation.accuracy_per_corruption(
        _brightness_classifier(dual),
        images,
        labels,
        {"clean": None, "noise": shift, "bright": lambda x: x + 1.0},
        batch_size=4,
    )
    # The same noise again: a fresh layer of the same seed, batch by batch.
    again = layers.AdditiveGaussianNoise(0.3, value_range=None, seed=3)
    noisy = np.concatenate(
        [
            keras.ops.convert_to_numpy(again.corrupt(images[i : i + 4]))
            for i in range(0, 10, 4)
        ]
    )
    expected = np.mean((noisy.mean(axis=(1, 2, 3)) > 0.5) == labels)
    assert list(accuracy) == ["clean", "noise", "bright"]
    assert accuracy["clean"] == pytest.approx(0.7)
    # Every brightened image is class 1.
    assert accuracy["bright"] == pytest.approx(np.mean(labels == 1))
    assert accuracy["noise"] == pytest.approx(expected)


def test_errors(rng):
    model = _brightness_classifier()
    images = np.zeros((4, 6, 6, 1), "float32")
    with pytest.raises(ValueError, match=r"labels.shape=\(3,\)"):
        evaluation.accuracy_per_corruption(
            model, images, np.zeros(3, int), {"clean": None}
        )
    with pytest.raises(TypeError, match="images.dtype=uint8"):
        evaluation.accuracy_per_corruption(
            model, images.astype("uint8"), np.zeros(4, int), {"clean": None}
        )
    with pytest.raises(TypeError, match="'x'"):
        evaluation.accuracy_per_corruption(
            model, images, np.zeros(4, int), {"x": 3}
        )
    with pytest.raises(ValueError, match="non-empty dict"):
        evaluation.accuracy_per_corruption(model, images, np.zeros(4, int), {})
