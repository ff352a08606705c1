#!/usr/bin/env python3
"""The Python reference for `gradcam explain FOLDER` in `pnpm bench`: the same job, written the
way a Keras user would — one image after another.

For each .png/.jpg/.jpeg file of --images (sorted):
- Keras' load_img(path, target_size=(224, 224)) (NEAREST), img_to_array, / 255;
- Grad-CAM of the top class at out_relu with GradientTape inside one tf.function (the model call,
  dScore/dA, L2 normalisation, channel weights, ReLU map / (max + 1e-7)), heatmap read back;
- ELI5's format_as_image over the photo at its own size (matplotlib viridis, alpha 0.65, Pillow
  LANCZOS, alpha_composite: tools/bench/pillow_format.py's format_as_image);
  the overlays equal the CLI's pixel for pixel but where float32 rounding differs between a batch of
  8 and one image (measured: 50 of 52 identical, the other two within 2 levels);
- one PNG per image, written with Pillow (its default compression) to --out/<stem>-<class>.png.

The model is the bundled default (nsfwjs MobileNetV2) rebuilt in Keras 3 from its weights
(tools/golden/golden_common.py, the builder the golden fixtures use). The timed loop starts after
the model is built and tf.function has traced on the first image (so Python's start-up — about
5 s to import TensorFlow — is not counted against it, while gradcam's figure is a whole process).
Prints one JSON object: images, seconds, imagesPerSecond, versions.

Usage: python tools/bench-reference/folder_reference.py --images DIR --out DIR [--model-dir DIR]
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools", "golden"))
sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
sys.path.insert(0, HERE)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import golden_common as gc  # noqa: E402  (imports TensorFlow after setting its environment)
import pillow_format  # noqa: E402
import numpy as np  # noqa: E402
import PIL  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from PIL import Image  # noqa: E402
from reference import ensure_export  # noqa: E402

EXTENSIONS = (".png", ".jpg", ".jpeg")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layer", default="out_relu")
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "gradcam-nsfw-export", "mobilenet_v2"))
    args = ap.parse_args()

    ensure_export(args.model_dir)
    meta, weights = gc.load_export(args.model_dir)
    model = gc.build_model(meta["modelTopology"], weights)
    grad_model = keras.Model(model.inputs, [model.get_layer(args.layer).output, model.output])
    size = model.input_shape[1]

    @tf.function
    def gradcam(x):
        with tf.GradientTape() as tape:
            A, y = grad_model(x, training=False)
            target = tf.argmax(y[0])
            score = tf.gather(y[0], target)
        G = tf.math.l2_normalize(tape.gradient(score, A))
        w = tf.reduce_mean(G, axis=(1, 2))
        lmap = tf.nn.relu(tf.einsum("bhwc,bc->bhw", A, w))[0]
        return lmap / (tf.reduce_max(lmap) + gc.EPSILON), target

    files = sorted(f for f in os.listdir(args.images) if f.lower().endswith(EXTENSIONS))
    os.makedirs(args.out, exist_ok=True)

    def explain(name):
        path = os.path.join(args.images, name)
        img = keras.utils.load_img(path, target_size=(size, size))
        x = keras.utils.img_to_array(img)[np.newaxis] / np.float32(255.0)
        heat, target = gradcam(tf.constant(x))
        photo = Image.open(path)
        # The photo as it is (format_as_image converts it to RGBA, keeping any alpha), as the CLI draws on it.
        overlay = pillow_format.format_as_image(heat.numpy().astype(np.float64), photo)
        overlay.save(os.path.join(args.out, f"{os.path.splitext(name)[0]}-{int(target)}.png"))

    explain(files[0])  # traces the tf.function
    start = time.perf_counter()
    for name in files:
        explain(name)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "images": len(files),
        "seconds": seconds,
        "imagesPerSecond": len(files) / seconds,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "pillow": PIL.__version__,
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
