"""The `KLAnnealing` callback: a per-epoch schedule of the KL weight."""

import math
import numbers

import keras

from keras_denoise._layers import walk_layers

_SCHEDULES = ("linear", "sigmoid", "cyclical")


class KLAnnealing(keras.callbacks.Callback):
    """Ramps the KL weight of a VAE's `VariationalLossLayer`s epoch by epoch.

    Starting a VAE with the full KL term often collapses the posterior onto
    the prior before the decoder learns anything; annealing starts the
    weight at 0 and raises it to `target` over `warmup_epochs` epochs. At
    the start of every epoch the callback finds every
    `keras_denoise.layers.VariationalLossLayer` in the model (nested models
    included) and assigns the epoch's weight to its KL-weight variable.
    Because the weight is a variable, not a constant baked into the traced
    training step, the change takes effect without recompiling, also under
    `tf.distribute` strategies. The weight in use is added to the epoch's
    logs as `"kl_weight"`, so it shows in `History` and `TensorBoard`.

    Schedules, for the 0-based epoch `e` and `w = warmup_epochs`:

    - `"linear"`: `target * min(1, e / w)`.
    - `"sigmoid"`: a logistic curve from exactly 0 at `e = 0` to exactly
      `target` at `e = w` (then constant), with slope set by `steepness`.
    - `"cyclical"` (Fu et al., 2019): the linear ramp restarted every
      `cycle_epochs` epochs: `target * min(1, (e % cycle_epochs) / w)`.

    With `warmup_epochs=0` the weight is `target` from the first epoch.

    Args:
        target: the KL weight reached at the end of the warm-up, a number
            `>= 0`.
        warmup_epochs: number of epochs of the ramp, an integer `>= 0`
            (`>= 1` for `"cyclical"`).
        schedule: `"linear"`, `"sigmoid"` or `"cyclical"`. Defaults to
            `"linear"`.
        cycle_epochs: length of a cycle of the `"cyclical"` schedule, larger
            than `warmup_epochs`. Defaults to `None`: `2 * warmup_epochs`.
        steepness: slope of the `"sigmoid"` schedule, a number `> 0`.
            Defaults to `10.0`.
        verbose: `1` prints the weight at the start of each epoch. Defaults
            to `0`.

    Raises:
        ValueError: if an argument is out of range, or, when training
            starts, if the model has no `VariationalLossLayer`.

    Example:

    ```python
    x = np.random.rand(64, 28, 28, 1).astype("float32")
    vae = keras_denoise.models.variational_autoencoder((28, 28, 1))
    vae.compile(optimizer="adam")
    annealing = keras_denoise.callbacks.KLAnnealing(target=1.0, warmup_epochs=5)
    history = vae.fit(x, epochs=10, callbacks=[annealing])
    history.history["kl_weight"]  # [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, ...]
    ```
    """

    def __init__(
        self,
        target,
        warmup_epochs,
        schedule="linear",
        cycle_epochs=None,
        steepness=10.0,
        verbose=0,
    ):
        super().__init__()
        if (
            not isinstance(target, numbers.Real)
            or isinstance(target, bool)
            or not math.isfinite(target)
            or target < 0
        ):
            raise ValueError(
                "`target` must be a finite number >= 0. "
                f"Received: target={target!r}"
            )
        if schedule not in _SCHEDULES:
            raise ValueError(
                f"`schedule` must be one of {_SCHEDULES}. "
                f"Received: schedule={schedule!r}"
            )
        minimum = 1 if schedule == "cyclical" else 0
        if not _is_int(warmup_epochs) or warmup_epochs < minimum:
            raise ValueError(
                f"`warmup_epochs` must be an integer >= {minimum} for "
                f"schedule={schedule!r}. Received: "
                f"warmup_epochs={warmup_epochs!r}"
            )
        if cycle_epochs is not None:
            if schedule != "cyclical":
                raise ValueError(
                    "`cycle_epochs` applies to schedule='cyclical' only. "
                    f"Received: cycle_epochs={cycle_epochs!r} with "
                    f"schedule={schedule!r}"
                )
            if not _is_int(cycle_epochs) or cycle_epochs <= warmup_epochs:
                raise ValueError(
                    "`cycle_epochs` must be an integer larger than "
                    f"`warmup_epochs` ({warmup_epochs}). "
                    f"Received: cycle_epochs={cycle_epochs!r}"
                )
        if (
            not isinstance(steepness, numbers.Real)
            or isinstance(steepness, bool)
            or not math.isfinite(steepness)
            or steepness <= 0
        ):
            raise ValueError(
                "`steepness` must be a finite number > 0. "
                f"Received: steepness={steepness!r}"
            )
        if verbose not in (0, 1):
            raise ValueError(
                f"`verbose` must be 0 or 1. Received: verbose={verbose!r}"
            )
        self.target = float(target)
        # Plain ints: NumPy integers are accepted (`numbers.Integral`).
        self.warmup_epochs = int(warmup_epochs)
        self.schedule = schedule
        if schedule == "cyclical" and cycle_epochs is None:
            cycle_epochs = 2 * self.warmup_epochs
        self.cycle_epochs = None if cycle_epochs is None else int(cycle_epochs)
        self.steepness = float(steepness)
        self.verbose = verbose
        self._layers = None
        self._current = None

    def weight_at(self, epoch):
        """The scheduled KL weight of the 0-based `epoch`, a float."""
        if self.schedule == "cyclical":
            epoch = epoch % self.cycle_epochs
        if self.warmup_epochs == 0:
            return self.target
        progress = min(1.0, epoch / self.warmup_epochs)
        if self.schedule == "sigmoid" and progress < 1.0:
            half = self.steepness / 2.0
            low, high = _logistic(-half), _logistic(half)
            logistic = _logistic(self.steepness * progress - half)
            progress = (logistic - low) / (high - low)
        return self.target * progress

    def on_train_begin(self, logs=None):
        self._layers = _find_variational_loss_layers(self.model)
        if not self._layers:
            raise ValueError(
                "KLAnnealing needs a model with a "
                "`keras_denoise.layers.VariationalLossLayer`, but the model "
                f"{self.model.name!r} has none."
            )

    def on_epoch_begin(self, epoch, logs=None):
        if self._layers is None:
            self.on_train_begin()
        weight = self.weight_at(epoch)
        for layer in self._layers:
            _kl_weight_variable(layer).assign(weight)
        self._current = weight
        if self.verbose:
            print(
                f"\nEpoch {epoch + 1}: KLAnnealing sets the KL weight to "
                f"{weight:.6g}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self._current is not None:
            logs["kl_weight"] = self._current


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _logistic(value):
    return 1.0 / (1.0 + math.exp(-value))


def _is_variational_loss_layer(layer):
    from keras_denoise import layers

    return isinstance(layer, layers.VariationalLossLayer)


def _kl_weight_variable(layer):
    return layer.kl_weight


def _find_variational_loss_layers(model):
    """Every `VariationalLossLayer` of `model`, nested models included."""
    layers = [layer for _, layer in walk_layers(model)]
    if _is_variational_loss_layer(model):
        layers.insert(0, model)
    return [layer for layer in layers if _is_variational_loss_layer(layer)]
