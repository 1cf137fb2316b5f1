import os

import numpy as np
import pytest
from PIL import Image

from keras_denoise import visualization


class TestImageGrid:
    def test_layout_and_pixels(self, rng):
        a = rng.random((3, 5, 4, 1)).astype("float32")
        b = rng.random((2, 5, 4, 3)).astype("float32")
        grid = visualization.image_grid([a, b], padding=1)
        assert grid.shape == (1 + 2 * 6, 1 + 3 * 5, 3)
        assert grid.dtype == np.uint8
        # First image of the first row, gray repeated on 3 channels.
        expected = np.round(a[0, ..., 0] * 255).astype("uint8")
        np.testing.assert_array_equal(grid[1:6, 1:5, 0], expected)
        np.testing.assert_array_equal(grid[1:6, 1:5, 2], expected)
        # Second row, second image.
        expected = np.round(b[1] * 255).astype("uint8")
        np.testing.assert_array_equal(grid[7:12, 6:10], expected)
        # Padding and the missing third image of row 2 are white.
        assert (grid[0] == 255).all() and (grid[7:12, 11:15] == 255).all()

    def test_value_range_scale_and_saved_png(self, tmp_path):
        images = np.full((2, 3, 3, 1), -1.0, "float32")
        path = tmp_path / "grid.png"
        grid = visualization.image_grid(
            [images], path=str(path), value_range=(-1.0, 1.0), scale=2
        )
        assert grid.shape == (2 + 6 + 2, 2 + 2 * 8, 3)
        assert grid[2, 2, 0] == 0
        np.testing.assert_array_equal(np.asarray(Image.open(path)), grid)
        assert os.listdir(tmp_path) == ["grid.png"]

    def test_labels_widen_the_grid(self, rng):
        rows = [rng.random((2, 8, 8, 1))] * 3
        plain = visualization.image_grid(rows)
        labelled = visualization.comparison_grid(*rows)
        assert labelled.shape[0] == plain.shape[0]
        assert labelled.shape[1] > plain.shape[1]
        assert (labelled[:, : labelled.shape[1] - plain.shape[1]] < 255).any()

    def test_title_and_captions_add_lines_of_text(self, rng):
        rows = [rng.random((3, 8, 8, 1))] * 2
        plain = visualization.image_grid(rows, scale=4)
        text = visualization.image_grid(
            rows,
            scale=4,
            title="a long title that is wider than the grid",
            captions=[None, ["1 dB", "2 dB"]],
        )
        # One title line and a caption line under each row, 14 px each.
        assert text.shape[0] == plain.shape[0] + 14 * 3
        assert text.shape[1] > plain.shape[1]  # widened to the title
        assert (text[:14] < 128).any()  # title drawn
        caption = text[14 + 2 + 32 + 14 + 2 + 32 :][:14]
        assert (caption[:, : 2 + 2 * 34] < 128).any()  # under 2 first tiles
        assert (caption[:, 2 + 2 * 34 :] == 255).all()  # none on the third
        assert (text[14 + 2 + 32 :][:14] == 255).all()  # first row: none
        tiles = text[14 + 2 : 14 + 2 + 32, : plain.shape[1]]
        np.testing.assert_array_equal(tiles, plain[2 : 2 + 32])

    @pytest.mark.parametrize(
        "rows, kwargs, error, match",
        [
            (np.zeros((2, 4, 4, 1)), {}, TypeError, "list of image batches"),
            ([], {}, ValueError, "at least one"),
            ([np.zeros((2, 4, 4, 2))], {}, ValueError, "rows\\[0\\].shape"),
            (
                [np.zeros((1, 4, 4, 1)), np.zeros((1, 5, 4, 1))],
                {},
                ValueError,
                "one size",
            ),
            (
                [np.zeros((1, 4, 4, 1))],
                {"labels": ["a", "b"]},
                ValueError,
                "labels",
            ),
            ([np.zeros((1, 4, 4, 1))], {"scale": 0}, ValueError, "scale"),
            ([np.zeros((1, 4, 4, 1))], {"path": "x.jpg"}, ValueError, "png"),
            ([np.zeros((1, 4, 4, 1))], {"title": 3}, TypeError, "title=3"),
            (
                [np.zeros((1, 4, 4, 1))],
                {"captions": ["a"]},
                ValueError,
                r"captions\[0\]='a'",
            ),
            (
                [np.zeros((1, 4, 4, 1))],
                {"captions": [["a", "b"]]},
                ValueError,
                "at most 1 texts",
            ),
            (
                [np.zeros((1, 4, 4, 1))] * 2,
                {"captions": [None]},
                ValueError,
                "one entry per row",
            ),
        ],
    )
    def test_invalid(self, rows, kwargs, error, match):
        with pytest.raises(error, match=match):
            visualization.image_grid(rows, **kwargs)


def _colors(plot):
    return {tuple(p) for p in plot.reshape(-1, 3)}


class TestLatentScatter:
    def test_points_are_colored_by_label_with_a_legend(self, tmp_path):
        codes = np.array([[0.0, 0.0], [1.0, 1.0]])
        path = tmp_path / "latent.png"
        plot = visualization.latent_scatter(
            codes, labels=[0, 3], path=str(path), size=200, point_radius=4
        )
        assert plot.shape == (200, 200, 3)
        # tab10 colours 0 and 3, as dots and in the legend.
        assert {(31, 119, 180), (214, 39, 40)} <= _colors(plot)
        assert path.exists()

    def test_many_labels_get_a_colour_bar(self, rng, monkeypatch):
        from matplotlib.figure import Figure

        bars = []
        real = Figure.colorbar

        def recording(self, *args, **kwargs):
            bars.append(real(self, *args, **kwargs))
            return bars[-1]

        monkeypatch.setattr(Figure, "colorbar", recording)
        codes = rng.normal(size=(60, 2))
        plot = visualization.latent_scatter(
            codes, labels=np.arange(60), size=200
        )
        assert plot.shape == (200, 200, 3)
        assert len(bars) == 1 and bars[0].ax.get_ylabel() == "label"
        visualization.latent_scatter(codes, labels=np.arange(60) % 4)
        assert len(bars) == 1  # four classes: a legend instead

    def test_pca_for_more_dimensions(self, rng):
        codes = rng.normal(size=(50, 6))
        plot = visualization.latent_scatter(codes, size=64)
        assert (plot != 255).any()

    def test_invalid(self):
        with pytest.raises(ValueError, match="codes"):
            visualization.latent_scatter(np.zeros(5))
        with pytest.raises(ValueError, match="one entry per code"):
            visualization.latent_scatter(np.zeros((5, 2)), labels=[1, 2])


class TestHistoryPlot:
    def test_draws_training_and_validation_curves(self, tmp_path):
        path = tmp_path / "history.png"
        plot = visualization.history_plot(
            {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.8, 0.6]},
            path=str(path),
            size=(300, 200),
        )
        assert plot.shape == (200, 300, 3)
        assert {(31, 119, 180), (255, 127, 14)} <= _colors(plot)
        assert path.exists()

    def test_one_panel_per_vae_term(self, monkeypatch):
        from matplotlib.figure import Figure

        axes = []
        real = Figure.add_subplot

        def recording(self, *args, **kwargs):
            axes.append(real(self, *args, **kwargs))
            return axes[-1]

        monkeypatch.setattr(Figure, "add_subplot", recording)
        history = {
            "loss": [145.0, 120.0, 107.0],
            "reconstruction_loss": [144.9, 118.0, 105.0],
            "kl_loss": [0.01, 0.5, 2.0],
        }
        plot = visualization.history_plot(history)
        assert plot.shape == (300, 1200, 3)
        assert [a.get_title() for a in axes] == list(history)
        assert [a.get_xlabel() for a in axes] == ["epoch"] * 3
        # kl_loss spans more than two decades: a logarithmic axis.
        assert [a.get_yscale() for a in axes] == ["linear", "linear", "log"]

    def test_accepts_a_history_object(self):
        class History:
            history = {"loss": [3.0, 2.0]}

        assert visualization.history_plot(History()).ndim == 3

    def test_invalid(self):
        with pytest.raises(ValueError, match="keys"):
            visualization.history_plot({"loss": [1.0]}, keys=["acc"])
        with pytest.raises(TypeError, match="History"):
            visualization.history_plot([1.0, 2.0])
        with pytest.raises(ValueError, match="no epoch"):
            visualization.history_plot({"loss": []})


class TestCorruptionChart:
    def test_bars_per_corruption(self, tmp_path):
        report = {
            "corruptions": {
                "gaussian:25": {
                    "input": {"psnr": 20.2},
                    "output": {"psnr": 28.1},
                    "baselines": {"tv": {"psnr": 26.0}},
                },
                "clean": {
                    "input": {"psnr": None},
                    "output": {"psnr": 39.0},
                    "baselines": {"tv": {"psnr": 30.0}},
                },
            }
        }
        path = tmp_path / "chart.png"
        chart = visualization.corruption_chart(report, path=str(path))
        assert chart.shape == (360, 480, 3)
        # input, output and tv bars in tab10 colours 0, 1 and 2.
        assert {(31, 119, 180), (255, 127, 14), (44, 160, 44)} <= _colors(chart)
        assert path.exists()

    def test_invalid(self):
        with pytest.raises(ValueError, match="metric"):
            visualization.corruption_chart({"corruptions": {}}, metric="x")
        with pytest.raises(TypeError, match="CorruptionReport"):
            visualization.corruption_chart([1, 2])
        with pytest.raises(ValueError, match="no corruption"):
            visualization.corruption_chart({"corruptions": {}})
