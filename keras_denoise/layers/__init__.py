"""Corruption layers and the layers of variational autoencoders."""

from keras_denoise.layers.additive_gaussian_noise import AdditiveGaussianNoise
from keras_denoise.layers.base_corruption import BaseCorruption
from keras_denoise.layers.gaussian_blur import GaussianBlur
from keras_denoise.layers.poisson_noise import PoissonNoise
from keras_denoise.layers.random_corruption import RandomCorruption
from keras_denoise.layers.salt_and_pepper_noise import SaltAndPepperNoise
from keras_denoise.layers.sampling_layer import SamplingLayer
from keras_denoise.layers.speckle_noise import SpeckleNoise
from keras_denoise.layers.variational_loss_layer import VariationalLossLayer

__all__ = [
    "AdditiveGaussianNoise",
    "BaseCorruption",
    "GaussianBlur",
    "PoissonNoise",
    "RandomCorruption",
    "SaltAndPepperNoise",
    "SamplingLayer",
    "SpeckleNoise",
    "VariationalLossLayer",
]
