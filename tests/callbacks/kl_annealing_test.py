import math

import keras
import numpy as np
import pytest

from keras_denoise.callbacks import KLAnnealing
from keras_denoise.layers import SamplingLayer
from keras_denoise.layers import VariationalLossLayer

FEATURES = 8
LATENT = 2


def _vae(loss_weights=(1.0, 1.0), nested=False):
    """A tiny dense VAE; with `nested`, the loss layer sits in a sub-model."""
    inputs = keras.Input((FEATURES,))
    hidden = keras.layers.Dense(6, activation="relu")(inputs)
    z_mean = keras.layers.Dense(LATENT)(hidden)
    z_log_var = keras.layers.Dense(LATENT)(hidden)
    z = SamplingLayer(seed=1)([z_mean, z_log_var])
    y = keras.layers.Dense(FEATURES, activation="sigmoid")(z)
    loss_layer = VariationalLossLayer(loss_weights, reconstruction="mse")
    if not nested:
        return keras.Model(inputs, loss_layer([inputs, z_mean, z_log_var, y]))
    core_inputs = [keras.Input((FEATURES,)), keras.Input((LATENT,))]
    core_inputs += [keras.Input((LATENT,)), keras.Input((FEATURES,))]
    core = keras.Model(core_inputs, loss_layer(core_inputs), name="core")
    return keras.Model(inputs, core([inputs, z_mean, z_log_var, y]))


class TestValidation:
    @pytest.mark.parametrize("target", [-1.0, float("nan"), "1", True])
    def test_target(self, target):
        with pytest.raises(ValueError, match="`target` must be"):
            KLAnnealing(target, 2)

    def test_warmup_epochs(self):
        with pytest.raises(ValueError, match="warmup_epochs=-1"):
            KLAnnealing(1.0, -1)
        with pytest.raises(ValueError, match="warmup_epochs=1.5"):
            KLAnnealing(1.0, 1.5)
        with pytest.raises(ValueError, match=r">= 1 for schedule='cyclical'"):
            KLAnnealing(1.0, 0, schedule="cyclical")

    def test_numpy_integers_are_accepted(self):
        # Like the builders: any `numbers.Integral` but bool, kept as int.
        annealing = KLAnnealing(2.0, np.int64(4))
        assert type(annealing.warmup_epochs) is int
        assert [annealing.weight_at(e) for e in range(6)] == [
            0.0,
            0.5,
            1.0,
            1.5,
            2.0,
            2.0,
        ]
        cyclical = KLAnnealing(
            1.0, np.int32(2), schedule="cyclical", cycle_epochs=np.int16(3)
        )
        assert type(cyclical.cycle_epochs) is int
        assert [cyclical.weight_at(e) for e in range(4)] == [0, 0.5, 1, 0]

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"warmup_epochs": True}, "warmup_epochs=True"),
            ({"warmup_epochs": np.float64(2.0)}, r"warmup_epochs=np.float64"),
            ({"warmup_epochs": np.int64(-1)}, r"warmup_epochs=np.int64\(-1\)"),
            (
                {"schedule": "cyclical", "cycle_epochs": np.True_},
                "cycle_epochs=np.True_",
            ),
            (
                {"schedule": "cyclical", "cycle_epochs": 3.0},
                r"cycle_epochs=3.0",
            ),
        ],
    )
    def test_rejects_non_integers_and_bools(self, kwargs, match):
        kwargs = {"target": 1.0, "warmup_epochs": 2, **kwargs}
        with pytest.raises(ValueError, match=match):
            KLAnnealing(**kwargs)

    def test_schedule(self):
        with pytest.raises(ValueError, match="schedule='cosine'"):
            KLAnnealing(1.0, 2, schedule="cosine")

    def test_cycle_epochs(self):
        with pytest.raises(ValueError, match="cyclical' only"):
            KLAnnealing(1.0, 2, cycle_epochs=4)
        with pytest.raises(ValueError, match="cycle_epochs=2"):
            KLAnnealing(1.0, 2, schedule="cyclical", cycle_epochs=2)

    def test_steepness_and_verbose(self):
        with pytest.raises(ValueError, match="steepness=0"):
            KLAnnealing(1.0, 2, schedule="sigmoid", steepness=0)
        with pytest.raises(ValueError, match="verbose=2"):
            KLAnnealing(1.0, 2, verbose=2)

    def test_model_without_loss_layer(self):
        inputs = keras.Input((FEATURES,))
        model = keras.Model(inputs, keras.layers.Dense(FEATURES)(inputs))
        model.compile(optimizer="sgd", loss="mse")
        x = np.zeros((4, FEATURES), "float32")
        with pytest.raises(ValueError, match="has none"):
            model.fit(x, x, epochs=1, verbose=0, callbacks=[KLAnnealing(1, 2)])


class TestSchedules:
    def test_linear(self):
        annealing = KLAnnealing(2.0, 4)
        weights = [annealing.weight_at(e) for e in range(6)]
        assert weights == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]

    def test_no_warmup(self):
        for schedule in ("linear", "sigmoid"):
            annealing = KLAnnealing(0.3, 0, schedule=schedule)
            assert [annealing.weight_at(e) for e in range(3)] == [0.3] * 3

    def test_sigmoid(self):
        annealing = KLAnnealing(1.0, 4, schedule="sigmoid", steepness=8.0)
        weights = [annealing.weight_at(e) for e in range(6)]
        assert weights[0] == 0.0
        assert weights[4:] == [1.0, 1.0]
        # Symmetric around the middle of the warm-up, increasing.
        assert weights[2] == pytest.approx(0.5)
        assert weights[1] + weights[3] == pytest.approx(1.0)
        assert all(
            a < b for a, b in zip(weights[:4], weights[1:5], strict=True)
        )
        low, high = 1 / (1 + math.exp(4)), 1 / (1 + math.exp(-4))
        expected = (1 / (1 + math.exp(2)) - low) / (high - low)
        assert weights[1] == pytest.approx(expected)

    def test_cyclical(self):
        annealing = KLAnnealing(1.0, 2, schedule="cyclical", cycle_epochs=3)
        weights = [annealing.weight_at(e) for e in range(7)]
        assert weights == [0.0, 0.5, 1.0, 0.0, 0.5, 1.0, 0.0]
        default = KLAnnealing(1.0, 2, schedule="cyclical")
        assert default.cycle_epochs == 4
        assert [default.weight_at(e) for e in range(5)] == [0, 0.5, 1, 1, 0]


class TestModel:
    def test_finds_nested_layers(self):
        model = _vae(nested=True)
        annealing = KLAnnealing(1.0, 2)
        annealing.set_model(model)
        annealing.on_train_begin()
        annealing.on_epoch_begin(1)
        (layer,) = model.get_layer("core").layers[-1:]
        assert isinstance(layer, VariationalLossLayer)
        assert float(keras.ops.convert_to_numpy(layer.kl_weight)) == 0.5

    @pytest.mark.slow
    def test_weight_reaches_compiled_step(self):
        """With a frozen model the logged loss follows the KL weight."""
        keras.utils.set_random_seed(0)
        x = np.random.default_rng(0).uniform(size=(32, FEATURES))
        x = x.astype("float32")
        model = _vae(loss_weights=(1.0, 7.0), nested=True)
        # A zero learning rate keeps the weights fixed, so any change of the
        # loss comes from the KL weight.
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0))
        functions = []
        record = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: functions.append(
                model.train_function
            )
        )
        annealing = KLAnnealing(1.0, 2)
        history = model.fit(
            x,
            epochs=4,
            batch_size=8,
            shuffle=False,
            verbose=0,
            callbacks=[annealing, record],
        )
        logs = history.history
        assert logs["kl_weight"] == [0.0, 0.5, 1.0, 1.0]
        kl = np.array(logs["kl_loss"])
        reconstruction = np.array(logs["reconstruction_loss"])
        loss = np.array(logs["loss"])
        # The KL term of a frozen encoder does not depend on the sampling.
        np.testing.assert_allclose(kl, kl[0], rtol=1e-5)
        assert kl[0] > 0.01
        np.testing.assert_allclose(
            loss, reconstruction + np.array(logs["kl_weight"]) * kl, rtol=1e-5
        )
        # The same traced step ran every epoch: no recompilation.
        assert all(function is functions[0] for function in functions)
