#!/usr/bin/env python3
"""Reference timings for `pnpm bench --reference`: the same work in TensorFlow/Keras and Pillow.

- The bundled default model (nsfwjs MobileNetV2) rebuilt in Keras 3 from the nsfwjs weights, with
  tools/golden/golden_common.py (the builder the golden fixtures use); its input is the first bench
  image, examples/images/chelsea.png, loaded as keras' load_img does (NEAREST to 224x224), / 255.
- predict: model(x) read back to numpy, eager and inside tf.function.
- Grad-CAM at each layer (default out_relu and block_2_expand), batch 1, one target (the top
  class), with GradientTape, eager and inside tf.function: activations and outputs, dScore/dA,
  L2-normalised, channel weights = spatial mean, ReLU(sum_k w_k A_k) / (max + 1e-7), heatmap read
  back to numpy. The same steps gradcam takes; ELI5 itself does the last two in numpy (slower).
- formatAsImage's work in Pillow + matplotlib: tools/bench/pillow_format.py's `measure`.

Each figure is the median of --runs runs after one warm-up (tf.function traces in the warm-up).
TensorFlow uses all cores; oneDNN as TF_ENABLE_ONEDNN_OPTS says, 0 when unset (set by
tools/golden/nsfw_gradcam.py, as @gradcam/backend-node does for tfjs-node, so both sides run the
same kernels; bench/run.mjs passes its own value through). Prints one JSON object.

The model export (model.json + weights.bin) comes from `node tools/export-nsfw-model.mjs`; it is
run once into --model-dir when that folder has no model.json.

Usage: python tools/bench-reference/reference.py [--runs 10] [--layers out_relu block_2_expand]
                                                 [--sizes 224x224 3000x2000] [--model-dir DIR]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools", "golden"))
sys.path.insert(0, os.path.join(REPO, "tools", "bench"))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import golden_common as gc  # noqa: E402  (imports TensorFlow after setting its environment)
import pillow_format  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


# One warm-up call (tf.function traces there), then the median of `runs`.
median_ms = pillow_format.median_ms


def ensure_export(model_dir):
    if not os.path.exists(os.path.join(model_dir, "model.json")):
        subprocess.run(["node", os.path.join(REPO, "tools", "export-nsfw-model.mjs"), "--model", "mobilenet_v2", "--out", model_dir],
                       check=True, stdout=sys.stderr)


def gradcam_steps(grad_model, x, target):
    """Grad-CAM as gradcam computes it, in TF ops: heatmap [h, w]."""
    with tf.GradientTape() as tape:
        A, y = grad_model(x, training=False)
        score = y[:, target]
    G = tape.gradient(score, A)
    G = tf.math.l2_normalize(G)
    weights = tf.reduce_mean(G, axis=(1, 2))  # [1, c]
    lmap = tf.nn.relu(tf.einsum("bhwc,bc->bhw", A, weights))[0]
    return lmap / (tf.reduce_max(lmap) + gc.EPSILON)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--layers", nargs="+", default=["out_relu", "block_2_expand"])
    ap.add_argument("--sizes", nargs="*", default=["224x224", "3000x2000"], help="formatAsImage sizes for Pillow")
    ap.add_argument("--image", default=os.path.join(REPO, "examples", "images", "chelsea.png"))
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "gradcam-nsfw-export", "mobilenet_v2"))
    args = ap.parse_args()

    ensure_export(args.model_dir)
    meta, weights = gc.load_export(args.model_dir)
    model = gc.build_model(meta["modelTopology"], weights)
    x = tf.constant(gc.to_input(gc.load_image(args.image, model.input_shape[1])))
    target = int(np.argmax(model(x, training=False).numpy()[0]))

    predict_fn = tf.function(lambda v: model(v, training=False))
    results = {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(TF default)"),
        "runs": args.runs,
        "batch": 1,
        "target": target,
        "predict": {
            "eagerMs": median_ms(lambda: model(x, training=False).numpy(), args.runs),
            "functionMs": median_ms(lambda: predict_fn(x).numpy(), args.runs),
        },
        "gradcam": {},
    }
    for layer in args.layers:
        grad_model = keras.Model(model.inputs, [model.get_layer(layer).output, model.output])
        traced = tf.function(lambda v, m=grad_model: gradcam_steps(m, v, target))
        eager = median_ms(lambda m=grad_model: gradcam_steps(m, x, target).numpy(), args.runs)
        results["gradcam"][layer] = {"eagerMs": eager, "functionMs": median_ms(lambda f=traced: f(x).numpy(), args.runs)}
    results["formatting"] = pillow_format.measure(args.sizes)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
