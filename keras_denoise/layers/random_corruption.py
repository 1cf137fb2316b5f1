"""The `RandomCorruption` layer."""

import numbers

import keras
import numpy as np
from keras import ops

from keras_denoise._layers import call_corruption
from keras_denoise._validation import validate_number
from keras_denoise.layers._random import clip_to_range
from keras_denoise.layers.base_corruption import BaseCorruption


@keras.saving.register_keras_serializable(package="keras_denoise")
class RandomCorruption(BaseCorruption):
    """Applies one corruption, picked at random per sample.

    For every sample of the batch independently, the layer picks one of
    `corruptions` with the given probabilities, or leaves the sample clean
    with probability `clean_probability`. Each corruption clips with its own
    `value_range`; clean samples are returned unchanged. Active only when
    `training=True`; the identity otherwise.

    Every corruption is computed for the whole batch and the result is
    selected per sample: the cost is the sum of the corruptions' costs, and
    the computation has a fixed shape, so the layer runs under XLA and in
    `tf.data`. Since each sample keeps one corruption's output only,
    corruptions that need the same random tensor share one draw (for
    example `AdditiveGaussianNoise` and `SpeckleNoise` share their standard
    normal noise): each sample's output has the same distribution as with
    independent draws, at a fraction of the cost.

    A candidate may also be a chain: a `keras.Sequential` of corruption
    layers (say `GaussianBlur` then `AdditiveGaussianNoise`), applied in
    order to the samples that pick it. The layers of a chain draw their own
    noise, never shared with each other or with the other candidates.

    Args:
        corruptions: non-empty list of corruption layers (instances of
            `keras_denoise.layers.BaseCorruption`, for example
            `AdditiveGaussianNoise` or `GaussianBlur`) or chains of them
            (`keras.Sequential` models holding only corruption layers).
            Their `data_format` must match this layer's.
        probabilities: relative probability of each corruption, non-negative
            with a positive sum; normalised to sum to
            `1 - clean_probability`. `None` means equal probabilities.
            Defaults to `None`.
        clean_probability: probability that a sample is left unchanged, in
            [0, 1]. Defaults to `0.0`.
        value_range: `(min, max)` to clip the final result to, or `None`.
            The corruptions clip with their own `value_range` already.
            Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        seed: integer seed for the per-sample choice. The corruptions draw
            their noise from their own seeds (a shared draw from the seed
            of the first corruption that uses it): give them seeds too for
            reproducible output. Defaults to `None`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: float image (rank 3) or batch of images (rank 4).
        training: Python boolean; corrupt only when `True`.

    Input shape:
        `(height, width, channels)` or `(batch, height, width, channels)`,
        channels first with `data_format="channels_first"`.

    Output shape:
        Same as the input.

    Raises:
        ValueError: if `corruptions` is empty or its layers use another
            `data_format`, if `probabilities` does not match `corruptions`
            in length, has a negative entry or sums to 0, or if
            `clean_probability` is outside [0, 1].
        TypeError: if `corruptions` holds something other than corruption
            layers or chains of them, or the input is not a float tensor.

    Example:

    >>> import numpy as np
    >>> layer = keras_denoise.layers.RandomCorruption(
    ...     [
    ...         keras_denoise.layers.AdditiveGaussianNoise(0.1, seed=1),
    ...         keras_denoise.layers.GaussianBlur(1.0),
    ...     ],
    ...     probabilities=[2.0, 1.0],
    ...     clean_probability=0.25,
    ...     seed=2,
    ... )
    >>> images = np.random.rand(4, 16, 16, 1).astype("float32")
    >>> corrupted = layer(images, training=True)
    >>> tuple(corrupted.shape)
    (4, 16, 16, 1)
    """

    def __init__(
        self,
        corruptions,
        probabilities=None,
        clean_probability=0.0,
        value_range=None,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            value_range=value_range,
            data_format=data_format,
            seed=seed,
            **kwargs,
        )
        if isinstance(corruptions, BaseCorruption) or not isinstance(
            corruptions, (list, tuple)
        ):
            raise TypeError(
                "`corruptions` must be a list of corruption layers. "
                f"Received: corruptions={corruptions!r}"
            )
        if not corruptions:
            raise ValueError(
                "`corruptions` must contain at least one corruption layer. "
                f"Received: corruptions={corruptions!r}"
            )
        for corruption in _members(corruptions):
            if not isinstance(corruption, BaseCorruption):
                raise TypeError(
                    "`corruptions` must hold keras_denoise corruption layers "
                    "(subclasses of `BaseCorruption`) or `keras.Sequential` "
                    "chains of them. "
                    f"Received: corruptions={corruptions!r}"
                )
            if corruption.data_format != self.data_format:
                raise ValueError(
                    "Every layer in `corruptions` must use the data_format "
                    f"of this layer ({self.data_format!r}). Received: "
                    f"corruptions=[..., {corruption.name} with "
                    f"data_format={corruption.data_format!r}, ...]"
                )
        # A list attribute of layers is tracked by Keras: the corruptions'
        # seed generators belong to this layer's variables.
        self.corruptions = list(corruptions)
        self.probabilities = self._validate_probabilities(
            probabilities, len(self.corruptions)
        )
        self.clean_probability = validate_number(
            "clean_probability", clean_probability, 0.0, 1.0
        )

    @staticmethod
    def _validate_probabilities(probabilities, count):
        if probabilities is None:
            return None
        if not isinstance(probabilities, (list, tuple)) or not all(
            isinstance(p, numbers.Real) and not isinstance(p, bool)
            for p in probabilities
        ):
            raise TypeError(
                "`probabilities` must be None or a list of numbers. "
                f"Received: probabilities={probabilities!r}"
            )
        if len(probabilities) != count:
            raise ValueError(
                "`probabilities` must have one entry per corruption "
                f"({count}). Received: probabilities={probabilities!r}"
            )
        values = np.asarray(probabilities, dtype="float64")
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(
                "`probabilities` must be finite and non-negative. "
                f"Received: probabilities={probabilities!r}"
            )
        if values.sum() <= 0:
            raise ValueError(
                "`probabilities` must have a positive sum. "
                f"Received: probabilities={probabilities!r}"
            )
        return [float(p) for p in probabilities]

    @property
    def selection_probabilities(self):
        """Probability of each corruption, then of a clean sample."""
        if self.probabilities is None:
            weights = np.ones(len(self.corruptions))
        else:
            weights = np.asarray(self.probabilities, dtype="float64")
        weights = weights / weights.sum() * (1.0 - self.clean_probability)
        return [float(w) for w in weights] + [self.clean_probability]

    def corrupt_batch(self, images):
        batch_size = ops.shape(images)[0]
        u = keras.random.uniform(
            (batch_size, 1, 1, 1), dtype="float32", seed=self.seed_generator
        )
        probabilities = self.selection_probabilities[:-1]
        uppers = np.cumsum(probabilities)
        if self.clean_probability == 0.0:
            # Rounding must not leave a sliver of clean samples (nor the
            # zero-probability corruptions at the end of the list).
            last = int(np.flatnonzero(probabilities)[-1])
            uppers[last:] = 2.0
        lowers = np.concatenate([[0.0], uppers[:-1]])
        # Sample i gets corruption k when its u falls in the k-th interval
        # of the cumulative probabilities; above the last one it is clean.
        # The selection is arithmetic with 0/1 weights per sample, exact
        # since every other term is 0: TensorFlow's CPU select kernel is
        # several times slower than a multiply-add over the batch.
        # Corruptions that need the same random tensor share one draw.
        draws = {}
        dtype = images.dtype
        outputs = None
        # (value_range, delta, chosen) of the corruptions that give their
        # `additive_noise`; the others' outputs are selected at once.
        deltas = []
        for corruption, probability, lower, upper in zip(
            self.corruptions, probabilities, lowers, uppers, strict=True
        ):
            if probability == 0.0:
                continue
            chosen = ops.cast(
                ops.logical_and(
                    ops.greater_equal(u, float(lower)),
                    ops.less(u, float(upper)),
                ),
                dtype,
            )
            delta = None
            if isinstance(corruption, BaseCorruption) and _same_dtype(
                corruption.compute_dtype, dtype
            ):
                # Zero on the samples not chosen, so that deltas add up.
                delta = corruption.additive_noise(images, chosen, draws)
            if delta is not None:
                deltas.append((corruption.value_range, delta, chosen))
                continue
            # A corruption layer, or a chain applied link after link, each
            # link drawing its own noise: sharing a draw between two links
            # would correlate their noises within one sample.
            corrupted = ops.cast(call_corruption(corruption, images), dtype)
            term = corrupted * chosen
            outputs = term if outputs is None else outputs + term
        if deltas:
            outputs = self._add_deltas(images, deltas, outputs)
        if self.clean_probability > 0.0:
            clean = ops.cast(ops.greater_equal(u, float(uppers[-1])), dtype)
            term = images * clean
            outputs = term if outputs is None else outputs + term
        return images if outputs is None else outputs

    def _add_deltas(self, images, deltas, outputs):
        """Adds the `(value_range, delta, chosen)` terms to `outputs`.

        The deltas with the most common `value_range` are added to the
        images together and clipped once, where computing and selecting
        each output would take a clip and a multiply-add each over the
        whole batch; any other delta is clipped and selected on its own.
        """
        ranges = [value_range for value_range, _, _ in deltas]
        fused_range = max(ranges, key=ranges.count)
        total, fused_weight = images, None
        for value_range, delta, chosen in deltas:
            if value_range != fused_range:
                own = clip_to_range(images + delta, value_range) * chosen
                outputs = own if outputs is None else outputs + own
                continue
            total = total + delta
            fused_weight = (
                chosen if fused_weight is None else fused_weight + chosen
            )
        total = clip_to_range(total, fused_range)
        if outputs is None and self.clean_probability == 0.0:
            # Every sample took one of the summed deltas.
            return total
        term = total * fused_weight
        return term if outputs is None else outputs + term

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "corruptions": [
                    keras.saving.serialize_keras_object(corruption)
                    for corruption in self.corruptions
                ],
                "probabilities": self.probabilities,
                "clean_probability": self.clean_probability,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["corruptions"] = [
            keras.saving.deserialize_keras_object(corruption)
            for corruption in config["corruptions"]
        ]
        return cls(**config)


def _members(corruptions):
    """The corruption layers of `corruptions`, chains opened up."""
    for corruption in corruptions:
        if isinstance(corruption, keras.Sequential):
            if not corruption.layers:
                raise ValueError(
                    "A chain in `corruptions` must hold at least one "
                    f"corruption layer. Received: {corruption.name!r} with "
                    "no layers"
                )
            yield from _members(corruption.layers)
        else:
            yield corruption


def _same_dtype(a, b):
    return keras.backend.standardize_dtype(
        a
    ) == keras.backend.standardize_dtype(b)
