import json
import os

import keras
import numpy as np
import pytest

from keras_denoise import evaluation
from keras_denoise import layers


def _identity_model(channels=1, name="identity"):
    inputs = keras.Input((None, None, channels))
    return keras.Model(inputs, keras.layers.Identity()(inputs), name=name)


class TestImageMetrics:
    def test_against_numpy_and_scikit_image(self, rng):
        from skimage.metrics import peak_signal_noise_ratio
        from skimage.metrics import structural_similarity

        clean = rng.random((3, 24, 20, 2)).astype("float32")
        noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1)
        figures = evaluation.image_metrics(clean, noisy)
        mse = ((clean.astype("float64") - noisy) ** 2).mean(axis=(1, 2, 3))
        assert figures["mse"] == pytest.approx(mse.mean(), rel=1e-9)
        assert figures["psnr"] == pytest.approx(
            np.mean(10 * np.log10(1.0 / mse)), rel=1e-9
        )
        psnr = [
            peak_signal_noise_ratio(a, b, data_range=1.0)
            for a, b in zip(clean, noisy, strict=True)
        ]
        assert figures["psnr"] == pytest.approx(np.mean(psnr), rel=1e-6)
        ssim = [
            structural_similarity(
                a,
                b,
                data_range=1.0,
                channel_axis=-1,
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
            )
            for a, b in zip(clean, noisy, strict=True)
        ]
        assert figures["ssim"] == pytest.approx(np.mean(ssim), abs=1e-6)

    def test_small_images_use_the_metrics_ssim(self, rng):
        from skimage.metrics import structural_similarity

        from keras_denoise import metrics

        # 8x8 digits: keras_denoise.metrics.ssim shrinks the window to 7x7.
        clean = rng.random((3, 8, 8, 1)).astype("float32")
        noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1)
        noisy = noisy.astype("float32")
        figures = evaluation.image_metrics(clean, noisy)
        reference = keras.ops.convert_to_numpy(metrics.ssim(clean, noisy))
        assert figures["ssim"] == pytest.approx(float(np.mean(reference)))
        ssim = [
            structural_similarity(
                a,
                b,
                win_size=7,
                data_range=1.0,
                channel_axis=-1,
                gaussian_weights=True,
                sigma=1.5 * 7 / 11,
                use_sample_covariance=False,
            )
            for a, b in zip(clean, noisy, strict=True)
        ]
        assert figures["ssim"] == pytest.approx(np.mean(ssim), abs=1e-6)

    def test_identical_images(self, rng):
        clean = rng.random((2, 8, 8, 1)).astype("float32")
        figures = evaluation.image_metrics(clean, clean)
        assert figures == {"psnr": None, "ssim": pytest.approx(1.0), "mse": 0}

    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match="same shape"):
            evaluation.image_metrics(np.zeros((1, 4, 4, 1)), np.zeros((1, 4)))


class TestEvaluateCorruptions:
    def test_identity_model_reproduces_input_figures(self, rng, tmp_path):
        images = rng.random((4, 16, 16, 1)).astype("float32")
        report = evaluation.evaluate_corruptions(
            _identity_model(), images, examples_dir=str(tmp_path)
        )
        assert list(report) == [
            "gaussian",
            "salt_and_pepper",
            "blur",
            "noise+blur",
            "clean",
        ]
        for name in report:
            assert report[name]["input"] == report[name]["output"]
        assert report.psnr_gain("gaussian") == pytest.approx(0.0)
        assert report["clean"]["input"]["psnr"] is None
        # The gaussian row matches a numpy reference of sigma 25/255.
        assert report["gaussian"]["input"]["mse"] < (25 / 255) ** 2
        assert report["gaussian"]["input"]["mse"] > 0.5 * (25 / 255) ** 2
        names = ("gaussian", "salt_and_pepper", "blur", "noise_blur", "clean")
        assert sorted(os.listdir(tmp_path)) == sorted(
            f"examples_{n}.png" for n in names
        )
        assert report.examples["noise+blur"] == "examples_noise_blur.png"

    def test_numbers_match_numpy_reference(self, rng):
        images = rng.random((5, 12, 12, 1)).astype("float32")
        noise = layers.AdditiveGaussianNoise(0.1, seed=4)
        expected_noisy = keras.ops.convert_to_numpy(noise.corrupt(images))
        # A "model" that halves the error: output = (noisy + clean) / 2
        # cannot be built without the clean images, so use a scaled
        # identity and compare with the same numpy computation.
        inputs = keras.Input((12, 12, 1))
        model = keras.Model(inputs, keras.layers.Rescaling(0.5)(inputs))
        report = evaluation.evaluate_corruptions(
            model,
            images,
            {"g": layers.AdditiveGaussianNoise(0.1, seed=4)},
            baselines={"zero": lambda batch: np.zeros_like(batch)},
        )
        out = 0.5 * expected_noisy
        mse_out = ((images - out) ** 2).mean(axis=(1, 2, 3))
        row = report["g"]
        assert row["output"]["mse"] == pytest.approx(mse_out.mean(), rel=1e-5)
        assert row["output"]["psnr"] == pytest.approx(
            np.mean(-10 * np.log10(mse_out)), rel=1e-5
        )
        mse_zero = (images**2).mean(axis=(1, 2, 3)).mean()
        assert row["baselines"]["zero"]["mse"] == pytest.approx(mse_zero)

    def test_dual_output_model_uses_denoised(self, rng):
        inputs = keras.Input((8, 8, 1))
        denoised = keras.layers.Identity(name="denoised")(inputs)
        label = keras.layers.Dense(3, name="label")(
            keras.layers.Flatten()(inputs)
        )
        model = keras.Model(inputs, {"label": label, "denoised": denoised})
        images = rng.random((3, 8, 8, 1)).astype("float32")
        report = evaluation.evaluate_corruptions(model, images, {"clean": None})
        assert report["clean"]["output"]["psnr"] is None

    def test_real_noisy_images(self, rng):
        images = rng.random((3, 8, 8, 1)).astype("float32")
        noisy = images + 0.1
        report = evaluation.evaluate_corruptions(
            _identity_model(), images, noisy=noisy
        )
        assert list(report) == ["paired"]
        assert report["paired"]["input"]["mse"] == pytest.approx(0.01, rel=1e-4)
        report = evaluation.evaluate_corruptions(
            _identity_model(), images, {"clean": None}, noisy=noisy
        )
        assert list(report) == ["paired", "clean"]
        with pytest.raises(ValueError, match="shape of `images`"):
            evaluation.evaluate_corruptions(
                _identity_model(), images, noisy=noisy[:2]
            )
        # Arrays are not corruptions: they go to `noisy=`.
        with pytest.raises(TypeError, match="`noisy=`"):
            evaluation.evaluate_corruptions(
                _identity_model(), images, {"real": noisy}
            )

    def test_predict_fn_instead_of_a_model(self, rng):
        images = rng.random((5, 8, 8, 1)).astype("float32")
        batches = []

        def halve(batch):
            batches.append(len(batch))
            return batch / 2

        report = evaluation.evaluate_corruptions(
            None, images, {"clean": None}, batch_size=2, predict_fn=halve
        )
        assert batches == [2, 2, 1]
        expected = np.mean((images.astype("float64") / 2 - images) ** 2)
        assert report["clean"]["output"]["mse"] == pytest.approx(
            expected, rel=1e-5
        )
        for model, predict_fn in ((None, None), (_identity_model(), halve)):
            with pytest.raises(TypeError, match="either `model` or"):
                evaluation.evaluate_corruptions(
                    model, images, predict_fn=predict_fn
                )
        with pytest.raises(TypeError, match="predict_fn=3"):
            evaluation.evaluate_corruptions(None, images, predict_fn=3)

    @pytest.mark.parametrize(
        "images, corruptions, error, match",
        [
            (np.zeros((2, 4, 4, 1), "uint8"), None, TypeError, "floating"),
            (np.zeros((4, 4, 1), "float32"), None, ValueError, "non-empty"),
            (np.zeros((2, 4, 4, 1), "float32"), {}, ValueError, "non-empty"),
            (np.zeros((2, 4, 4, 1), "float32"), {"x": 1}, TypeError, "'x'"),
        ],
    )
    def test_invalid_arguments(self, images, corruptions, error, match):
        with pytest.raises(error, match=match):
            evaluation.evaluate_corruptions(
                _identity_model(), images, corruptions
            )


def _halving_model(channels=1):
    """A fully convolutional "denoiser": output = input / 2."""
    inputs = keras.Input((None, None, channels))
    return keras.Model(inputs, keras.layers.Rescaling(0.5)(inputs))


class TestStreamedImages:
    def test_array_and_stream_give_identical_reports(self, rng):
        images = rng.random((7, 12, 10, 1)).astype("float32")
        kwargs = dict(
            batch_size=3, baselines={"zero": lambda b: np.zeros_like(b)}
        )
        array = evaluation.evaluate_corruptions(
            _identity_model(),
            images,
            evaluation.default_corruptions(5),
            **kwargs,
        )
        # A generator mixing single images and batches.
        stream = (x for x in [images[0], images[1:4], images[4], images[5:]])
        streamed = evaluation.evaluate_corruptions(
            _identity_model(),
            stream,
            evaluation.default_corruptions(5),
            **kwargs,
        )
        assert streamed.to_dict() == array.to_dict()
        assert streamed.num_images == 7

    def test_images_of_many_sizes_match_numpy_per_image(self, rng):
        sizes = [(12, 17), (12, 17), (20, 9), (15, 15)]
        images = [rng.random((h, w, 1)).astype("float32") for h, w in sizes]
        noisy = [np.clip(x + 0.05, 0, 1) for x in images]
        report = evaluation.evaluate_corruptions(
            _halving_model(),
            iter(images),
            {"clean": None},
            batch_size=4,
            noisy=iter(noisy),
        )
        assert report.num_images == 4
        mse_in = [
            np.mean((n.astype("float64") - x) ** 2)
            for n, x in zip(noisy, images, strict=True)
        ]
        mse_out = [
            np.mean((0.5 * n.astype("float64") - x) ** 2)
            for n, x in zip(noisy, images, strict=True)
        ]
        row = report["paired"]
        assert row["input"]["mse"] == pytest.approx(np.mean(mse_in), rel=1e-6)
        assert row["output"]["mse"] == pytest.approx(np.mean(mse_out), rel=1e-5)
        assert row["output"]["psnr"] == pytest.approx(
            np.mean(-10 * np.log10(mse_out)), rel=1e-5
        )
        # clean: the input is the clean image (infinite PSNR), the output
        # is half of it.
        assert report["clean"]["input"]["psnr"] is None
        half = [np.mean((0.5 * x.astype("float64") - x) ** 2) for x in images]
        assert report["clean"]["output"]["mse"] == pytest.approx(
            np.mean(half), rel=1e-5
        )

    def test_streams_one_batch_at_a_time(self, rng):
        pulled, lags = [0], []

        def images():
            for i in range(9):
                pulled[0] += 1
                yield rng.random((8 + i % 2, 8, 1)).astype("float32")

        def baseline(batch):
            lags.append(pulled[0])
            return batch

        report = evaluation.evaluate_corruptions(
            _identity_model(),
            images(),
            {"clean": None},
            batch_size=2,
            baselines={"b": baseline},
        )
        assert report.num_images == 9
        # Sizes alternate, so every batch holds one image and at most one
        # more image has been read when it is scored.
        assert len(lags) == 9
        processed = np.arange(1, 10)
        assert (np.array(lags) - processed).max() <= 1

    def test_tf_data_dataset_of_a_folder(self, rng, tmp_path):
        from keras_denoise import datasets

        for i, (h, w) in enumerate([(16, 20), (24, 12), (16, 20)]):
            datasets.write_image(
                str(tmp_path / f"{i}.png"), rng.random((h, w, 3))
            )
        photos = datasets.image_directory(str(tmp_path))
        report = evaluation.evaluate_corruptions(
            _halving_model(3),
            photos,
            {"clean": None},
            examples_dir=str(tmp_path / "ex"),
        )
        assert report.num_images == 3
        expected = np.mean(
            [
                np.mean((0.5 * x - x) ** 2)
                for x in (
                    datasets.read_image(str(tmp_path / f"{i}.png"))[0]
                    for i in range(3)
                )
            ]
        )
        assert report["clean"]["output"]["mse"] == pytest.approx(
            expected, rel=1e-5
        )
        # Examples of several sizes: centre crops of the shared 16x12.
        from PIL import Image

        grid = Image.open(tmp_path / "ex" / "examples_clean.png")
        # A title line, then three rows of crops magnified 8 times (to at
        # least 96 pixels a side), each with a caption line below.
        assert grid.size[1] == 14 + 2 + 3 * (16 * 8 + 14 + 2)

    def test_example_size_crops_large_images(self, rng, tmp_path):
        images = rng.random((2, 40, 30, 1)).astype("float32")
        evaluation.evaluate_corruptions(
            _identity_model(),
            images,
            {"clean": None},
            examples_dir=str(tmp_path),
            example_size=16,
        )
        image_grid = np.asarray(
            __import__("PIL.Image").Image.open(tmp_path / "examples_clean.png")
        )
        # A title line and 3 rows of 16-pixel crops magnified 6 times,
        # each with a caption line, 2 pixels of padding.
        assert image_grid.shape[0] == 14 + 2 + 3 * (16 * 6 + 14 + 2)

    def test_examples_come_from_all_images_with_settings_and_psnr(
        self, tmp_path
    ):
        from PIL import Image

        # Image i is flat at level i / 40: a tile's pixel names its image.
        levels = np.arange(40, dtype="float32") / 40
        images = np.broadcast_to(levels[:, None, None, None], (40, 12, 12, 1))
        noise = layers.AdditiveGaussianNoise(25 / 255, seed=0)
        evaluation.evaluate_corruptions(
            _identity_model(),
            np.ascontiguousarray(images),
            {"gaussian:25": noise},
            batch_size=8,
            examples_dir=str(tmp_path),
            num_examples=5,
        )
        grid = np.asarray(Image.open(tmp_path / "examples_gaussian_25.png"))
        scale = 8  # 12-pixel images magnified to 96
        left = 7 * len("output") + 4 + 2  # row labels, then padding
        shown = [
            int(round(grid[16 + 40, left + c * (12 * scale + 2) + 40, 0]))
            for c in range(5)
        ]
        indices = [round(value / 255 * 40) for value in shown]
        # Five distinct images in order, spread over the whole set (a
        # grid of the first five would stop at index 4).
        assert indices == sorted(set(indices)) and len(indices) == 5
        assert indices[-1] >= 20
        # The title names the corruption and its settings; the captions
        # (dark text) sit in the line under the input and output rows.
        title = grid[:14]
        assert (title < 100).any()
        caption = grid[16 + 96 + 14 + 2 + 96 : 16 + 96 + 14 + 2 + 96 + 14]
        assert (caption < 100).any()
        blank = grid[16 + 96 : 16 + 96 + 14]  # the clean row: no caption
        assert (blank == 255).all()

    def test_describe_names_the_settings(self):
        from keras_denoise.evaluation._examples import describe

        chain = keras.Sequential(
            [layers.AdditiveGaussianNoise(0.1), layers.GaussianBlur(1.5)]
        )
        assert describe(chain) == (
            "AdditiveGaussianNoise(stddev=0.1) then GaussianBlur(sigma=1.5)"
        )
        assert describe(None) == "no corruption"

    @pytest.mark.parametrize(
        "images, corruptions, error, match",
        [
            (iter([]), {"clean": None}, ValueError, "yielded no image"),
            (
                iter([np.zeros((4, 4, 1), "uint8")]),
                {"clean": None},
                TypeError,
                "item 0 with dtype=uint8",
            ),
            (
                iter([np.zeros((4, 4), "float32")]),
                {"clean": None},
                ValueError,
                "item 0 with shape=",
            ),
            (
                iter([np.zeros((4, 4, 1), "float32")] * 2),
                {"noisy": iter([np.zeros((4, 4, 1), "float32")])},
                ValueError,
                r"it ends after 1 image\(s\)",
            ),
            (
                iter([np.zeros((4, 4, 1), "float32")]),
                {"noisy": iter([np.zeros((4, 4, 1), "float32")] * 3)},
                ValueError,
                "2 more than the 1 clean",
            ),
            (
                iter([np.zeros((4, 4, 1), "float32")]),
                {"noisy": np.zeros((1, 4, 4, 1), "float32")},
                ValueError,
                "as one array needs `images` as an array",
            ),
            (
                iter([np.zeros((4, 4, 1), "float32")]),
                {"noisy": iter([np.zeros((4, 5, 1), "float32")])},
                ValueError,
                r"noisy image 0 has shape \(4, 5, 1\)",
            ),
            ("images.png", None, TypeError, "iterable of images"),
        ],
    )
    def test_stream_errors(self, images, corruptions, error, match):
        kwargs = {"corruptions": corruptions}
        if corruptions is not None and "noisy" in corruptions:
            kwargs = {"noisy": corruptions["noisy"]}
        with pytest.raises(error, match=match):
            evaluation.evaluate_corruptions(_identity_model(), images, **kwargs)


class TestCorruptionReport:
    def _report(self):
        return evaluation.CorruptionReport(
            {
                "gaussian": {
                    "input": {"psnr": 20.0, "ssim": 0.5, "mse": 0.01},
                    "output": {"psnr": 28.5, "ssim": 0.8, "mse": 0.0014},
                    "baselines": {
                        "tv": {"psnr": 27.0, "ssim": 0.7, "mse": 0.002}
                    },
                },
                "clean": {
                    "input": {"psnr": None, "ssim": 1.0, "mse": 0.0},
                    "output": {"psnr": 40.0, "ssim": 0.99, "mse": 1e-4},
                },
            },
            num_images=7,
        )

    def test_table(self):
        table = self._report().to_table()
        lines = table.splitlines()
        assert lines[0].split()[:3] == ["corruption", "PSNR", "in"]
        assert "+8.50" in lines[2] and "27.00" in lines[2]
        assert lines[3].split()[1] == "inf"
        assert "(7 images" in lines[-1]
        assert str(self._report()) == table

    def test_json_round_trip_and_atomic_save(self, tmp_path):
        report = self._report()
        path = tmp_path / "m.json"
        report.save(str(path))
        data = json.loads(path.read_text())
        assert data["corruptions"]["gaussian"]["psnr_gain"] == 8.5
        assert data["corruptions"]["clean"]["input"]["psnr"] is None
        again = evaluation.CorruptionReport.from_dict(data)
        assert again.to_dict() == report.to_dict()
        assert os.listdir(tmp_path) == ["m.json"]

    def test_save_failure_leaves_nothing(self, tmp_path):
        report = self._report()
        report.results["gaussian"]["input"]["psnr"] = float("nan")
        with pytest.raises(ValueError):
            report.save(str(tmp_path / "m.json"))
        assert os.listdir(tmp_path) == []


def test_agrees_with_keras_denoise_metrics(rng):
    from keras_denoise import metrics

    clean = rng.random((3, 24, 20, 2)).astype("float32")
    noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1)
    noisy = noisy.astype("float32")
    figures = evaluation.image_metrics(clean, noisy)
    psnr = keras.ops.convert_to_numpy(metrics.psnr(clean, noisy))
    ssim = keras.ops.convert_to_numpy(metrics.ssim(clean, noisy))
    assert figures["psnr"] == pytest.approx(float(np.mean(psnr)), abs=1e-3)
    assert figures["ssim"] == pytest.approx(float(np.mean(ssim)), abs=1e-4)
