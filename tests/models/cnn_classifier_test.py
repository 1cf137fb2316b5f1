import numpy as np
import pytest

from keras_denoise.models import cnn_classifier


@pytest.mark.parametrize(
    "input_shape", [(8, 8, 1), (11, 7, 3), (None, None, 1)], ids=str
)
def test_builds_for_documented_shapes(input_shape, images):
    head = "flatten" if None not in input_shape else "global_average"
    model = cnn_classifier(
        input_shape, 5, filters=(4, 8), hidden_units=8, head=head
    )
    assert model.output.shape == (None, 5)
    size = tuple(s or 9 for s in input_shape)
    probs = model.predict(images(size, 3), verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_heads():
    # The default head flattens: it keeps where each feature is.
    flat = cnn_classifier((8, 8, 1), 3, filters=(4, 8))
    assert flat.get_layer("flatten").output.shape == (None, 2 * 2 * 8)
    pooled = cnn_classifier((8, 8, 1), 3, filters=(4, 8), head="global_average")
    assert pooled.get_layer("global_pool").output.shape == (None, 8)
    assert "flatten" not in {layer.name for layer in pooled.layers}


def test_optional_hidden_layer_and_dropout():
    plain = cnn_classifier((8, 8, 1), 3, hidden_units=None, dropout=0.0)
    names = {layer.name for layer in plain.layers}
    assert "hidden" not in names and "dropout" not in names
    full = cnn_classifier((8, 8, 1), 3)
    assert {"hidden", "dropout"} <= {layer.name for layer in full.layers}


@pytest.mark.slow
@pytest.mark.parametrize("channels", [1, 3])
def test_trains_one_step(channels, images, assert_trains):
    x = images((8, 8, channels), 6)
    # Unbalanced labels: the output bias gets a gradient even where every
    # ReLU feature happens to be zero.
    y = np.array([0, 0, 0, 1, 1, 2])
    model = cnn_classifier((8, 8, channels), 3, filters=(4,), hidden_units=8)
    assert_trains(model, x, y, loss="sparse_categorical_crossentropy")


def test_save_load_round_trip(images, assert_round_trip):
    model = cnn_classifier((8, 8, 3), 4, filters=(4, 8), hidden_units=8)
    assert_round_trip(model, images((8, 8, 3)))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_shape": (8, 8)}, ValueError, r"input_shape=\(8, 8\)"),
        ({"num_classes": 1}, ValueError, "num_classes=1"),
        ({"num_classes": 2.0}, TypeError, "num_classes=2.0"),
        ({"filters": ()}, ValueError, r"filters=\(\)"),
        ({"hidden_units": 0}, ValueError, "hidden_units=0"),
        ({"dropout": 1.0}, ValueError, "dropout=1.0"),
        ({"kernel_size": -3}, ValueError, "kernel_size=-3"),
        ({"name": None}, TypeError, "name=None"),
        ({"head": "max"}, ValueError, "head='max'"),
        ({"head": None}, TypeError, "head=None"),
        (
            {"input_shape": (None, None, 1)},
            ValueError,
            r'head="global_average"',
        ),
    ],
)
def test_validates_arguments(kwargs, error, match):
    kwargs = {"input_shape": (8, 8, 1), "num_classes": 3, **kwargs}
    with pytest.raises(error, match=match):
        cnn_classifier(**kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("batch_size", [32, 128])
def test_default_head_learns_with_a_plain_recipe(batch_size):
    # benchmarks/plain_recipe.py, 16x16 digits, Adam at its default rate,
    # 10 epochs: the flatten head measured 0.981 (batch 32) and 0.975
    # (batch 128), the global-average head 0.877 and 0.666.
    import keras

    from keras_denoise.datasets import load_digits

    (x, y), (x_test, y_test) = load_digits(size=16)
    keras.utils.set_random_seed(0)
    model = cnn_classifier((16, 16, 1), 10)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=batch_size, epochs=10, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.95
