"""Corruption layers and the layers of variational autoencoders."""

from keras_denoise.layers.additive_gaussian_noise import AdditiveGaussianNoise
from keras_denoise.layers.base_corruption import BaseCorruption

__all__ = [
    "AdditiveGaussianNoise",
    "BaseCorruption",
]
