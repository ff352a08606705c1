#!/usr/bin/env python3
"""Runs the SavedModels of tools/golden/tf-graph-xcheck.mjs in Python's TensorFlow and writes the fixture
packages/backend-node/src/__fixtures__/tf-graph-xcheck.json, against which the vitest test checks that
tfjs-node runs the same graphs (byte-identical saved_model.pb, same sha256) to the same numbers.

For each case: tf.compat.v1 session on the SavedModel (tag 'serve', signature 'serving_default'), fed the
case's images (gradcam's 224x224 fixture PNGs / 255, float32) and, for explicit targets, an int32 [N, k]
'targets' input. Stored: the targets and scores in full; for activations, gradients and predict's scores
the shape, the sum, the sum of squares and 64 values at evenly spaced flat indices. As a check of the
graph itself, the explain cases are also computed with Keras' GradientTape on the rebuilt model
(tools/golden/golden_common.py) and their largest differences printed and stored (`kerasMaxAbsDiff`).

Usage:
  node tools/golden/tf-graph-xcheck.mjs                 # -> $TMPDIR/gradcam-tf-graph-xcheck
  .venv-tools/bin/python tools/golden/tf_graph_xcheck.py [--dir DIR] [--model-dir DIR] [--out FILE]
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import golden_common as gc  # noqa: E402  (sets TF_ENABLE_ONEDNN_OPTS=0 before TensorFlow loads)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from PIL import Image  # noqa: E402

SAMPLES = 64


def summary(a):
    flat = np.asarray(a, dtype=np.float64).ravel()
    idx = np.linspace(0, flat.size - 1, SAMPLES).round().astype(int)
    return {"shape": list(np.shape(a)), "sum": float(flat.sum()), "sumSquares": float((flat * flat).sum()),
            "indices": idx.tolist(), "values": [float(v) for v in flat[idx]]}


def keras_capture(model, logits_model, x, layer, use_logits, targets):
    m = logits_model if use_logits else model
    grad_model = keras.Model(m.inputs, [m.get_layer(layer).output, m.output])
    targets = np.asarray(targets)
    with tf.GradientTape(persistent=True) as tape:
        A, y = grad_model(tf.constant(x), training=False)
        picked = [tf.reduce_sum(y * tf.one_hot(targets[:, k], y.shape[-1], dtype=y.dtype)) for k in range(targets.shape[1])]
    grads = [tape.gradient(p, A).numpy() for p in picked]
    # image-major rows: image i, target k at row i*K + k
    return A.numpy(), np.stack(grads, axis=1).reshape((-1,) + tuple(A.shape[1:])), y.numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "gradcam-tf-graph-xcheck"))
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "gradcam-nsfw-export", "mobilenet_v2"))
    ap.add_argument("--out", default=os.path.join(gc.REPO, "packages", "backend-node", "src", "__fixtures__", "tf-graph-xcheck.json"))
    args = ap.parse_args()
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    meta, weights = gc.load_export(args.model_dir)
    model = gc.build_model(meta["modelTopology"], weights)
    logits_model = gc.build_model(meta["modelTopology"], weights, overrides={"dense_3": {"activation": "linear"}})
    fixtures = os.path.join(gc.REPO, "packages", "gradcam", "src", "__fixtures__")
    cases = []
    for case in manifest["cases"]:
        path = os.path.join(args.dir, case["savedModel"])
        with open(os.path.join(path, "saved_model.pb"), "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        assert sha == case["sha256"], (case["name"], sha, case["sha256"])
        x = np.concatenate([np.asarray(Image.open(os.path.join(fixtures, name)).convert("RGB"), dtype=np.float32)[None] / np.float32(255)
                            for name in case["images"]])
        graph = tf.Graph()
        with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
            meta_graph = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path)
            sig = meta_graph.signature_def["serving_default"]
            feeds = {sig.inputs["x"].name: x}
            if "targets" in sig.inputs:
                feeds[sig.inputs["targets"].name] = np.tile(np.asarray(case["targets"], dtype=np.int32), (len(x), 1))
            names = list(sig.outputs.keys())
            values = dict(zip(names, sess.run([sig.outputs[n].name for n in names], feeds)))
        record = {**case, "outputs": {}}
        if case["kind"] == "predict":
            record["outputs"]["scores"] = summary(values["scores"])
        else:
            record["outputs"] = {
                "targets": values["targets"].tolist(),
                "scores": values["scores"].tolist(),
                "activations": summary(values["activations"]),
                "gradients": summary(values["gradients"]),
            }
            A, G, y = keras_capture(model, logits_model, x, case["layer"], case["logits"], values["targets"])
            diffs = {"activations": float(np.abs(A - values["activations"]).max()),
                     "gradientsRelative": float(np.abs(G - values["gradients"]).max() / np.abs(G).max()),
                     "scores": float(np.abs(y - values["scores"]).max())}
            record["kerasMaxAbsDiff"] = diffs
            print(f"{case['name']}: vs Keras GradientTape {diffs}")
        cases.append(record)
    doc = {"generator": "tools/golden/tf-graph-xcheck.mjs + tools/golden/tf_graph_xcheck.py", "versions": gc.versions(), "cases": cases}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
