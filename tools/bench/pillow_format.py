"""Times ELI5's format_as_image work with Pillow + matplotlib, for `pnpm bench` ratios.

Same inputs as bench/run.mjs: a 7x7 heatmap h[i][j] = ((i * 7 + j) % 10) / 9 and an opaque
RGB image whose pixel (x, y) is (x % 256, y % 256, (x + y) % 256). Prints JSON
{"<width>x<height>": median milliseconds, ...}.
Usage: python tools/bench/pillow_format.py 224x224 3000x2000
(tools/bench-reference/reference.py imports `measure` for `pnpm bench --reference`.)
"""

import json
import sys
import time

import matplotlib
import numpy as np
import PIL
from PIL import Image


def inputs(width, height):
    heatmap = np.array([[((i * 7 + j) % 10) / 9 for j in range(7)] for i in range(7)])
    x = np.arange(width)[None, :].repeat(height, 0)
    y = np.arange(height)[:, None].repeat(width, 1)
    rgb = np.stack([x % 256, y % 256, (x + y) % 256], axis=-1).astype(np.uint8)
    return heatmap, Image.fromarray(rgb, "RGB")


def format_as_image(heatmap, image):
    # eli5.formatters.image.format_as_image with its defaults (viridis, alpha 0.65, LANCZOS)
    rgba = matplotlib.colormaps["viridis"](heatmap)
    rgba[:, :, 3] = np.minimum(heatmap, 0.65)
    small = Image.fromarray((rgba * 255).astype("uint8"), "RGBA")
    heat = small.resize((image.width, image.height), resample=Image.LANCZOS)
    return Image.alpha_composite(image.convert("RGBA"), heat)


def median_ms(fn, runs):
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return sorted(samples)[len(samples) // 2]


def measure(sizes):
    """{"pillow": version, "matplotlib": version, "<width>x<height>": median ms, ...}"""
    results = {"pillow": PIL.__version__, "matplotlib": matplotlib.__version__}
    for size in sizes:
        width, height = (int(v) for v in size.split("x"))
        heatmap, image = inputs(width, height)
        # The RGBA conversion of the photo is part of ELI5's work, so it stays inside the timing.
        results[size] = median_ms(lambda: format_as_image(heatmap, image), 10 if width * height > 10**6 else 30)
    return results


def main():
    print(json.dumps(measure(sys.argv[1:])))


if __name__ == "__main__":
    main()
