#!/usr/bin/env python3
"""Golden guided-backpropagation gradients for the nsfwjs MobileNetV2, from TensorFlow.

The model is rebuilt as in nsfw_gradcam.py, except that every ReLU — the ReLU(max_value=6) layers and
the Dense layers' relu activations — is a guided ReLU (Springenberg et al., arXiv 1412.6806), written
with tf.custom_gradient: forward min(max(x, 0), max); backward dy where dy > 0 and 0 < x < max, else 0.
A GradientTape gives d y[0, target] / d input (softmax output) for the top class of each image.

The full 224x224x3 gradient is too large for a fixture: stored are max|g| and g / max|g| on a regular
subsample (every 8th row and column, all channels), 7 significant digits.

Usage:
  node tools/export-nsfw-model.mjs                 # -> $TMPDIR/gradcam-nsfw-export/mobilenet_v2
  .venv-tools/bin/python tools/golden/guided_backprop.py [--model-dir DIR] [--out DIR]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import golden_common as gc  # noqa: E402
import nsfw_gradcam as ng  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

IMAGES = ["chelsea.png", "coffee.png"]
STRIDE = 8


def guided_relu(max_value=None):
    @tf.custom_gradient
    def op(x):
        y = tf.nn.relu(x) if max_value is None else tf.clip_by_value(x, 0.0, max_value)

        def grad(dy):
            open_ = x > 0 if max_value is None else tf.logical_and(x > 0, x < max_value)
            return tf.where(tf.logical_and(open_, dy > 0), dy, tf.zeros_like(dy))

        return y, grad

    return op


def guided_make_layer(class_name, cfg, overrides=None):
    c = dict(cfg)
    if class_name == "ReLU":
        assert not c.get("negative_slope") and not c.get("threshold"), c
        return keras.layers.Activation(guided_relu(c.get("max_value")), name=c["name"])
    if class_name == "Dense" and c["activation"] == "relu":
        return keras.layers.Dense(units=c["units"], activation=guided_relu(), use_bias=c["use_bias"], name=c["name"])
    return gc.make_layer(class_name, cfg, overrides)


def main():
    args = gc.mobilenet_arguments(__doc__).parse_args()
    meta, weights = gc.load_export(args.model_dir)
    plain = gc.build_model(meta["modelTopology"], weights)
    saved = ng.make_layer
    ng.make_layer = guided_make_layer
    try:
        guided = ng.build_model(meta["modelTopology"], weights)
    finally:
        ng.make_layer = saved
    size = plain.input_shape[1]
    images = []
    for file in IMAGES:
        x = gc.to_input(gc.load_image(os.path.join(args.images_dir, file), size))
        probs = plain(x, training=False).numpy()[0]
        assert np.allclose(probs, guided(x, training=False).numpy()[0], atol=1e-6)
        target = int(np.argmax(probs))
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            score = guided(xt, training=False)[0, target]
        g = tape.gradient(score, xt).numpy()[0]
        m = float(np.max(np.abs(g)))
        sub = g[::STRIDE, ::STRIDE, :] / m
        print(f"{file}: target {target} max|g|={m:.4g} nonzero={np.count_nonzero(g)}/{g.size}")
        images.append({"file": file, "target": target, "maxAbs": gc.r7(m),
                       "subsample": [[gc.r7(v) for v in row.reshape(-1)] for row in sub]})
    doc = {
        "generator": "tools/golden/guided_backprop.py (guided ReLU via tf.custom_gradient, tf.GradientTape)",
        "versions": gc.versions(),
        "model": "nsfw_mobilenet_v2",
        "weightsSha256": meta.get("weightsSha256"),
        "stride": STRIDE,
        "layout": "subsample[i][j * 3 + c] = g[i * stride, j * stride, c] / maxAbs",
        "images": images,
    }
    out_json = os.path.join(args.out, "nsfw-mobilenet-v2-guided-backprop.json")
    with open(out_json, "w") as f:
        f.write(gc.dump_json(doc))
    print(f"wrote {out_json} ({os.path.getsize(out_json)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
