"""`CorruptionReport`: per-corruption image-quality figures of a denoiser."""

import json
import math

from keras_denoise._files import write_bytes_atomic


def _format(value, digits):
    if value is None:
        return "inf"
    return f"{value:.{digits}f}"


class CorruptionReport:
    """Results of `evaluate_corruptions`: one row per named corruption.

    For each corruption the report holds the mean PSNR (dB), SSIM and MSE
    against the clean images of the corrupted `input`, of the model's
    `output` and of each classical `baselines` denoiser. An infinite PSNR
    (an input identical to the clean image) is stored as `None` and shown
    as `inf`.

    Args:
        results: dict from corruption name to a dict with keys `"input"`,
            `"output"` and optionally `"baselines"` (a dict from baseline
            name to figures); each figure dict maps `"psnr"`, `"ssim"` and
            `"mse"` to floats.
        num_images: number of images evaluated. Defaults to `None`.
        examples: dict from corruption name to the path of its PNG grid of
            examples. Defaults to `None`.

    Example:

    ```python
    report = keras_denoise.evaluation.evaluate_corruptions(model, images)
    print(report)                      # a table
    report.save("metrics.json")        # written atomically
    report["gaussian"]["output"]["psnr"]
    ```
    """

    def __init__(self, results, num_images=None, examples=None):
        if not isinstance(results, dict) or not results:
            raise ValueError(
                "`results` must be a non-empty dict of corruption results. "
                f"Received: results={results!r}"
            )
        self.results = results
        self.num_images = num_images
        self.examples = dict(examples or {})

    def __getitem__(self, name):
        return self.results[name]

    def __iter__(self):
        return iter(self.results)

    def __len__(self):
        return len(self.results)

    def psnr_gain(self, name):
        """Output PSNR minus input PSNR for corruption `name` (dB)."""
        row = self.results[name]
        if row["input"]["psnr"] is None or row["output"]["psnr"] is None:
            return None
        return row["output"]["psnr"] - row["input"]["psnr"]

    def baseline_names(self):
        """Names of the baseline denoisers, in order of first appearance."""
        names = []
        for row in self.results.values():
            for name in row.get("baselines", {}):
                if name not in names:
                    names.append(name)
        return names

    def to_dict(self):
        """A JSON-ready dict: `{"num_images", "corruptions": {...}}`."""
        corruptions = {}
        for name, row in self.results.items():
            entry = {k: dict(v) for k, v in row.items() if k != "baselines"}
            entry["psnr_gain"] = self.psnr_gain(name)
            if row.get("baselines"):
                entry["baselines"] = {
                    b: dict(figures) for b, figures in row["baselines"].items()
                }
            corruptions[name] = entry
        data = {"num_images": self.num_images, "corruptions": corruptions}
        if self.examples:
            data["examples"] = dict(self.examples)
        return data

    def to_json(self):
        """The report as a JSON string (see `to_dict`)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def save(self, path):
        """Writes the report as JSON atomically (temp file + rename)."""
        write_bytes_atomic(path, (self.to_json() + "\n").encode("utf-8"))

    def to_table(self):
        """The report as a fixed-width text table."""
        baselines = self.baseline_names()
        header = [
            "corruption",
            "PSNR in",
            "PSNR out",
            "gain",
            "SSIM in",
            "SSIM out",
            "MSE in",
            "MSE out",
        ]
        for name in baselines:
            header += [f"PSNR {name}", f"SSIM {name}"]
        lines = []
        for name, row in self.results.items():
            gain = self.psnr_gain(name)
            cells = [
                name,
                _format(row["input"]["psnr"], 2),
                _format(row["output"]["psnr"], 2),
                "-" if gain is None else f"{gain:+.2f}",
                _format(row["input"]["ssim"], 4),
                _format(row["output"]["ssim"], 4),
                _format(row["input"]["mse"], 5),
                _format(row["output"]["mse"], 5),
            ]
            for baseline in baselines:
                figures = row.get("baselines", {}).get(baseline)
                if figures is None:
                    cells += ["-", "-"]
                else:
                    cells += [
                        _format(figures["psnr"], 2),
                        _format(figures["ssim"], 4),
                    ]
            lines.append(cells)
        widths = [
            max(len(header[i]), *(len(line[i]) for line in lines))
            for i in range(len(header))
        ]

        def render(cells):
            first = cells[0].ljust(widths[0])
            rest = [
                c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)
            ]
            return "  ".join([first, *rest])

        rule = "-" * len(render(header))
        body = [render(header), rule, *(render(line) for line in lines)]
        if self.num_images is not None:
            body.append(f"({self.num_images} images; PSNR in dB)")
        return "\n".join(body)

    def __str__(self):
        return self.to_table()

    def __repr__(self):
        return (
            f"CorruptionReport(corruptions={list(self.results)}, "
            f"num_images={self.num_images})"
        )

    @classmethod
    def from_dict(cls, data):
        """Rebuilds a report from `to_dict()` output (or its JSON)."""
        results = {}
        for name, entry in data["corruptions"].items():
            row = {"input": entry["input"], "output": entry["output"]}
            if "baselines" in entry:
                row["baselines"] = entry["baselines"]
            results[name] = row
        return cls(
            results,
            num_images=data.get("num_images"),
            examples=data.get("examples"),
        )


def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None
