"""Image-quality metrics: PSNR and SSIM as functions and Keras metrics."""

from keras_denoise.metrics.psnr import PSNR
from keras_denoise.metrics.psnr import psnr
from keras_denoise.metrics.ssim import SSIM
from keras_denoise.metrics.ssim import ssim

__all__ = [
    "PSNR",
    "SSIM",
    "psnr",
    "ssim",
]
