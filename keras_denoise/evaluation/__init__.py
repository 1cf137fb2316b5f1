"""Per-corruption evaluation of denoisers: PSNR, SSIM and MSE reports,
accuracy of classifiers and classical baselines."""

from keras_denoise.evaluation.accuracy import accuracy_per_corruption
from keras_denoise.evaluation.baselines import denoise_nl_means
from keras_denoise.evaluation.baselines import denoise_tv
from keras_denoise.evaluation.baselines import estimate_noise_sigma
from keras_denoise.evaluation.corruption_report import CorruptionReport
from keras_denoise.evaluation.evaluate import default_corruptions
from keras_denoise.evaluation.evaluate import denoised_output
from keras_denoise.evaluation.evaluate import evaluate_corruptions
from keras_denoise.evaluation.evaluate import image_metrics
from keras_denoise.evaluation.evaluate import predict_images

__all__ = [
    "CorruptionReport",
    "accuracy_per_corruption",
    "default_corruptions",
    "denoise_nl_means",
    "denoise_tv",
    "denoised_output",
    "estimate_noise_sigma",
    "evaluate_corruptions",
    "image_metrics",
    "predict_images",
]
