"""The base of the self-supervised training wrappers.

`Noise2Void` and `Neighbor2Neighbor` share everything but their loss: they
hold a denoiser, call it at inference, refuse a compiled loss and targets,
and compute their own loss in `compute_loss`, the hook that every Keras
backend's `train_step` and `test_step` call after the forward pass (on JAX
inside a scope where every variable, the seed generator's state included,
is mapped, so the random draws advance there too).
"""

import keras
from keras import ops

from keras_denoise._validation import validate_data_format
from keras_denoise._validation import validate_seed
from keras_denoise.models import _validation as v


def scale_loss_for_distribution(loss):
    """Divides `loss` by the number of `tf.distribute` replicas.

    Under `tf.distribute`, each replica's gradients are summed, so a
    per-replica mean loss must be divided by the number of replicas to give
    the gradient of the global mean, as Keras does for compiled losses.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss / ops.cast(replicas, loss.dtype)
    return loss


class SelfSupervisedModel(keras.Model):
    """A `keras.Model` that trains `denoiser` from noisy images alone."""

    def __init__(self, denoiser, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.denoiser = v.validate_model("denoiser", denoiser, allow_none=False)
        self.data_format = validate_data_format(data_format)
        self.seed = validate_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        # The denoiser is built (it has an input), so the wrapper is too:
        # `.keras` loading then restores the weights into it directly.
        self.built = True

    def call(self, inputs, training=None):
        # Keras's `train_step` runs this forward pass before `compute_loss`;
        # its result is not used by the loss, which runs the denoiser on
        # masked or sub-sampled inputs, and graph compilers (tf.function,
        # XLA) drop it.
        return self.denoiser(inputs, training=training)

    def compile(self, optimizer="rmsprop", loss=None, **kwargs):
        if loss is not None:
            raise ValueError(
                f"`{type(self).__name__}` defines its own self-supervised "
                "loss: compile it without `loss`. "
                f"Received: loss={loss!r}"
            )
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        # Keras skips the compile step of loading for a custom `compile`;
        # this one only adds a check, so loading compiles as usual.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def compute_loss(
        self,
        x=None,
        y=None,
        y_pred=None,
        sample_weight=None,
        training=True,
    ):
        if y is not None:
            raise ValueError(
                f"`{type(self).__name__}` trains from noisy images alone: "
                "call `fit(noisy_images)` without targets. Received targets "
                f"of shape {tuple(y.shape)}"
            )
        if sample_weight is not None:
            raise ValueError(
                f"`{type(self).__name__}` does not support `sample_weight`."
            )
        images = self._to_channels_last(x)
        loss = self.self_supervised_loss(images, training=training)
        for extra in self.losses:
            loss = loss + self._aggregate_additional_loss(extra)
        return scale_loss_for_distribution(loss)

    def self_supervised_loss(self, images, training=False):
        """The loss of a batch of noisy channels-last images."""
        raise NotImplementedError

    def _denoise(self, images, training=False):
        """Runs the denoiser on channels-last images, whatever its layout."""
        outputs = self.denoiser(
            self._from_channels_last(images), training=training
        )
        return self._to_channels_last(outputs)

    def _to_channels_last(self, images):
        if self.data_format == "channels_first":
            return ops.transpose(images, (0, 2, 3, 1))
        return images

    def _from_channels_last(self, images):
        if self.data_format == "channels_first":
            return ops.transpose(images, (0, 3, 1, 2))
        return images

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "denoiser": keras.saving.serialize_keras_object(self.denoiser),
            "data_format": self.data_format,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["denoiser"] = keras.saving.deserialize_keras_object(
            config["denoiser"]
        )
        return cls(**config)


def check_batch(images, name="images"):
    """Raises unless `images` is a rank-4 float batch."""
    dtype = keras.backend.standardize_dtype(images.dtype)
    if "float" not in dtype:
        raise TypeError(
            f"`{name}` must be a floating-point image batch (for example "
            "scaled to [0, 1] with `x / 255.0`). "
            f"Received: {name}.dtype={dtype}"
        )
    if len(images.shape) != 4:
        raise ValueError(
            f"`{name}` must be a batch of rank 4 (batch, height, width, "
            f"channels). Received: {name}.shape={tuple(images.shape)}"
        )
