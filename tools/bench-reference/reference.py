#!/usr/bin/env python3
"""Reference timings for `pnpm bench --reference`: the same work in TensorFlow/Keras and Pillow.

- The bundled default model (nsfwjs MobileNetV2) rebuilt in Keras 3 from the nsfwjs weights, with
  tools/golden/golden_common.py (the builder the golden fixtures use); its input is the first bench
  image, examples/images/chelsea.png, loaded as keras' load_img does (NEAREST to 224x224), / 255.
- predict: model(x) read back to numpy, eager and inside tf.function, at each batch size (1: the
  first bench image; 8: the four bench images twice, as bench/run.mjs builds its batches).
- Grad-CAM at each layer (default out_relu, block_9_expand and block_2_expand) and batch size, one
  target per image (its top class), with GradientTape, eager and inside tf.function: activations and
  outputs, dScore/dA, L2-normalised per image, channel weights = spatial mean, ReLU(sum_k w_k A_k) /
  (max + 1e-7), heatmaps read back to numpy. The same steps gradcam takes; ELI5 itself does the last
  two in numpy (slower).
- formatAsImage's work in Pillow + matplotlib: tools/bench/pillow_format.py's `measure`.

Each figure is the median of --runs runs after one warm-up (tf.function traces in the warm-up).
With --serve it answers one timing request per stdin line instead, so that bench/run.mjs can
interleave TensorFlow's runs with its own, run by run (see `serve`).
TensorFlow uses all cores; oneDNN as TF_ENABLE_ONEDNN_OPTS says, 0 when unset (set by
tools/golden/nsfw_gradcam.py, as @gradcam/backend-node does for tfjs-node, so both sides run the
same kernels; bench/run.mjs passes its own value through). Prints one JSON object.

The model export (model.json + weights.bin) comes from `node tools/export-nsfw-model.mjs`; it is
run once into --model-dir when that folder has no model.json.

Usage: python tools/bench-reference/reference.py [--serve] [--runs 10] [--layers out_relu block_9_expand block_2_expand]
                                                 [--batches 1 8] [--sizes 224x224 3000x2000] [--model-dir DIR]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

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


def gradcam_steps(grad_model, x, targets):
    """Grad-CAM as gradcam computes it, in TF ops, for each image its own target: heatmaps [n, h, w].
    The images are independent, so one gradient of the sum of their scores gives each image's."""
    with tf.GradientTape() as tape:
        A, y = grad_model(x, training=False)
        score = tf.reduce_sum(tf.gather(y, targets, axis=1, batch_dims=1))
    G = tape.gradient(score, A)
    G = G * tf.math.rsqrt(tf.maximum(tf.reduce_sum(G * G, axis=(1, 2, 3), keepdims=True), 1e-12))  # per image
    weights = tf.reduce_mean(G, axis=(1, 2))  # [n, c]
    lmap = tf.nn.relu(tf.einsum("bhwc,bc->bhw", A, weights))
    return lmap / (tf.reduce_max(lmap, axis=(1, 2), keepdims=True) + gc.EPSILON)


class Reference:
    """The TensorFlow side of the bench: predict and Grad-CAM on the rebuilt model, traced lazily."""

    def __init__(self, model_dir, images):
        ensure_export(model_dir)
        meta, weights = gc.load_export(model_dir)
        self.model = gc.build_model(meta["modelTopology"], weights)
        size = self.model.input_shape[1]
        self.pixels = np.concatenate([gc.to_input(gc.load_image(path, size)) for path in images])
        self.predict_fn = tf.function(lambda v: self.model(v, training=False))
        self.grad_models = {}
        self.traced = {}
        self.inputs = {}

    def batch(self, n):
        """Batch n: the images repeated (batch 1: the first one), and each image's top class."""
        if n not in self.inputs:
            x = tf.constant(np.resize(self.pixels, (n,) + self.pixels.shape[1:]))
            targets = tf.constant(np.argmax(self.model(x, training=False).numpy(), axis=1).astype(np.int32))
            self.inputs[n] = (x, targets)
        return self.inputs[n]

    def work(self, what, layer=None, batch=1):
        """A function running one call of `what` ('predict', 'gradcam', with '-eager' for eager mode)."""
        x, targets = self.batch(batch)
        if what == "predict":
            return lambda: self.predict_fn(x).numpy()
        if what == "predict-eager":
            return lambda: self.model(x, training=False).numpy()
        if layer not in self.grad_models:
            self.grad_models[layer] = keras.Model(self.model.inputs, [self.model.get_layer(layer).output, self.model.output])
        grad_model = self.grad_models[layer]
        if what == "gradcam-eager":
            return lambda: gradcam_steps(grad_model, x, targets).numpy()
        if layer not in self.traced:
            self.traced[layer] = tf.function(lambda v, t, m=grad_model: gradcam_steps(m, v, t))
        traced = self.traced[layer]
        return lambda: traced(x, targets).numpy()


def serve(reference):
    """One JSON request per stdin line, one JSON reply per stdout line:
    {"op": "time", "what": "predict"|"predict-eager"|"gradcam"|"gradcam-eager", "layer": L, "batch": N}
      -> {"ms": one call's milliseconds} (bench/run.mjs interleaves these with its own runs);
    {"op": "format", "size": "WxH"} -> {"ms": one format_as_image call} (pillow_format's inputs and work);
    {"op": "formatting", "sizes": [...]} -> pillow_format.measure; {"op": "info"} -> versions; {"op": "quit"}."""
    print(json.dumps({"ready": True}), flush=True)
    format_inputs = {}
    for line in sys.stdin:
        request = json.loads(line)
        op = request.get("op")
        if op == "quit":
            break
        if op == "info":
            reply = {"tensorflow": tf.__version__, "keras": keras.__version__, "python": platform.python_version(),
                     "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(TF default)"),
                     "pillow": pillow_format.PIL.__version__, "matplotlib": pillow_format.matplotlib.__version__}
        elif op == "format":
            size = request["size"]
            if size not in format_inputs:
                format_inputs[size] = pillow_format.inputs(*(int(v) for v in size.split("x")))
            heatmap, image = format_inputs[size]
            start = time.perf_counter()
            pillow_format.format_as_image(heatmap, image)
            reply = {"ms": (time.perf_counter() - start) * 1000}
        elif op == "formatting":
            reply = pillow_format.measure(request["sizes"])
        elif op == "time":
            fn = reference.work(request["what"], request.get("layer"), int(request.get("batch", 1)))
            start = time.perf_counter()
            fn()
            reply = {"ms": (time.perf_counter() - start) * 1000}
        else:
            reply = {"error": f"unknown op {op!r}"}
        print(json.dumps(reply), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serve", action="store_true", help="answer timing requests on stdin (bench/run.mjs)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--layers", nargs="+", default=["out_relu", "block_9_expand", "block_2_expand"])
    ap.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    ap.add_argument("--sizes", nargs="*", default=["224x224", "3000x2000"], help="formatAsImage sizes for Pillow")
    ap.add_argument("--images", nargs="+", default=[os.path.join(REPO, "examples", "images", f)
                                                   for f in ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg")],
                    help="batch 1 is the first image, batch 8 the images repeated")
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "gradcam-nsfw-export", "mobilenet_v2"))
    args = ap.parse_args()

    reference = Reference(args.model_dir, args.images)
    if args.serve:
        serve(reference)
        return
    results = {"tensorflow": tf.__version__, "keras": keras.__version__, "python": platform.python_version(),
               "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(TF default)"), "runs": args.runs,
               "predict": {}, "gradcam": {}}
    for batch in args.batches:
        results["predict"][str(batch)] = {"eagerMs": median_ms(reference.work("predict-eager", None, batch), args.runs),
                                          "functionMs": median_ms(reference.work("predict", None, batch), args.runs)}
        for layer in args.layers:
            results["gradcam"].setdefault(layer, {})[str(batch)] = {
                "eagerMs": median_ms(reference.work("gradcam-eager", layer, batch), args.runs),
                "functionMs": median_ms(reference.work("gradcam", layer, batch), args.runs)}
    results["formatting"] = pillow_format.measure(args.sizes)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
