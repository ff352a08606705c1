#!/usr/bin/env python3
"""Keras fixtures for the MobileNetV2 / NASNet builders of @gradcam/models (issue 6).

Builds the architectures with keras.applications (weights=None, fixed seeds) and writes to
packages/models/src/__fixtures__/imagenet/:

1. structure.json — for the full MobileNetV2-1.0-224 and NASNetMobile (1000 classes): the model name,
   and per layer (model.layers order) its name, class, output shape and parameter count. The
   TypeScript builders must produce exactly these.
2. For two small variants of the same builders,
     mobilenet_v2_small = MobileNetV2(alpha=0.35, input_shape=(96, 96, 3), classes=10)
     nasnet_small       = NASNet(input_shape=(96, 96, 3), penultimate_filters=96, num_blocks=1,
                                 stem_block_filters=8, skip_reduction=False, filter_multiplier=2,
                                 classes=10, default_size=96)
   (NASNet with those arguments has every block NASNetMobile has: reduction cells, normal cells,
   both kinds of adjust block), weights in the legacy Keras HDF5 layout of the official files
   (`<name>.h5`: root attrs layer_names/backend/keras_version, one group per layer with attr
   weight_names, datasets at `<layer>/<layer>/<weight>:0`), written with h5py by hand. Weights:
   the Keras initializers under keras.utils.set_random_seed, then BatchNormalization gamma, beta,
   moving mean and variance and the Dense bias drawn from a seeded numpy generator (the statistics
   near those of each layer's input on the two images, see randomize_stats), so that a loader that
   mixes up the order of those weights fails the test.
3. imagenet-small-gradcam.json — for each small model and each image (examples/images chelsea.png,
   coffee.png → Pillow RGB resize to 96×96 NEAREST, written as <name>-96.png, then x/127.5 − 1): the
   softmax predictions and ELI5 Grad-CAM heatmaps (tools/golden/golden_common.eli5_from_grads: A and
   dScore/dA from one GradientTape pass, total derivative) for the top-2 classes at three layers.

Usage:  /tmp/venv/bin/python tools/golden/imagenet_models.py [--out DIR]
"""

import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import golden_common as gc  # noqa: E402  (sets TF_ENABLE_ONEDNN_OPTS=0 before TF loads)
import h5py  # noqa: E402
import keras  # noqa: E402
import keras.src.applications.nasnet  # noqa: E402,F401  (NASNet itself is not exported)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SIZE = 96
IMAGES = ["chelsea.png", "coffee.png"]
SEED = 6

SMALL = {
    "mobilenet_v2_small": {
        "builder": "mobileNetV2",
        "args": {"alpha": 0.35, "inputShape": [SIZE, SIZE, 3], "classes": 10},
        "make": lambda: keras.applications.MobileNetV2(alpha=0.35, input_shape=(SIZE, SIZE, 3), classes=10, weights=None),
        "layers": ["out_relu", "block_13_expand_relu", "block_5_project_BN"],
    },
    "nasnet_small": {
        "builder": "nasNet",
        "args": {"inputShape": [SIZE, SIZE, 3], "penultimateFilters": 96, "numBlocks": 1, "stemBlockFilters": 8,
                 "skipReduction": False, "filterMultiplier": 2, "classes": 10},
        "make": lambda: keras.src.applications.nasnet.NASNet(
            input_shape=(SIZE, SIZE, 3), penultimate_filters=96, num_blocks=1, stem_block_filters=8,
            skip_reduction=False, filter_multiplier=2, include_top=True, weights=None, classes=10, default_size=SIZE),
        # the last 4-D layer (filled in below), the last normal cell's input and the first normal cell
        "layers": [None, "normal_concat_2", "normal_concat_0"],
    },
}


def fresh(make):
    """Builds in a fresh Keras session, so auto-named layers are numbered as in a new process."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    return make()


def structure(model):
    out = []
    for layer in model.layers:
        shape = layer.output.shape
        out.append({"name": layer.name, "className": layer.__class__.__name__,
                    "outputShape": [None if d is None else int(d) for d in shape],
                    "paramCount": int(layer.count_params())})
    return {"name": model.name, "paramCount": int(model.count_params()), "layers": out}


def randomize_stats(model, rng, x):
    """Gives every BatchNormalization non-trivial gamma/beta and moving statistics close to those of
    its input on `x` (one layer at a time, in order), as in a trained network: with the initial
    statistics (mean 0, variance 1) the random network's output does not depend on its input.
    gamma stays below 1: with gamma up to 1.5 the random MobileNetV2 amplified float32 round-off
    block after block (TF.js and TF differed by 1.4e-4 at Conv_1_bn), one ReLU input of out_relu
    changed sign between the two on coffee.png, and inner heatmaps moved by 1e-2 — a test of
    round-off, not of the implementation. With gamma in [0.5, 1) they agree to 3e-5."""
    bns = [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]
    probe = keras.Model(model.inputs[0], [l.input for l in bns])
    for i, layer in enumerate(bns):
        a = np.asarray(probe(x, training=False)[i], dtype=np.float64)
        c = layer.gamma.shape[0]
        mean = a.mean(axis=(0, 1, 2)) + rng.normal(0, 0.05, c) * a.std(axis=(0, 1, 2))
        var = a.var(axis=(0, 1, 2)) * rng.uniform(0.8, 1.25, c) + 1e-3
        layer.gamma.assign(rng.uniform(0.5, 1.0, c).astype(np.float32))
        layer.beta.assign(rng.normal(0.1, 0.3, c).astype(np.float32))
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(var.astype(np.float32))
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    for layer in dense:
        layer.bias.assign(rng.normal(0, 0.1, layer.bias.shape[0]).astype(np.float32))


def save_legacy_h5(model, path):
    """The layout of the official keras-applications weight files (Keras 2 legacy HDF5)."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([l.name.encode("utf8") for l in model.layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = keras.__version__.encode("utf8")
        for layer in model.layers:
            g = f.create_group(layer.name)
            names = [f"{layer.name}/{w.name}:0" for w in layer.weights]
            g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
            for n, w in zip(names, layer.weights):
                g.create_dataset(n, data=np.asarray(w.numpy(), dtype=np.float32))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def last_4d_layer(model):
    for layer in reversed(model.layers):
        if len(layer.output.shape) == 4:
            return layer.name
    raise ValueError("no 4-D layer")


def gradcam_cases(model, x, layer_name, targets):
    grad_model = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.output])
    cases = []
    for t in targets:
        with tf.GradientTape() as tape:
            A, probs = grad_model(tf.constant(x), training=False)
            score = probs[:, t]
        G = tape.gradient(score, A)
        raw_max, heat, gnorm = gc.eli5_from_grads(A.numpy(), G)
        print(f"  {layer_name} target {t}: score={float(score[0]):.6g} {gc.heat_summary(heat)}")
        cases.append(gc.case_record(layer_name, t, False, float(score[0]), raw_max, gnorm, heat))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(gc.REPO, "packages", "models", "src", "__fixtures__", "imagenet"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    full = {
        "mobileNetV2": structure(fresh(lambda: keras.applications.MobileNetV2(weights=None))),
        "nasNetMobile": structure(fresh(lambda: keras.applications.NASNetMobile(weights=None))),
    }
    for k, v in full.items():
        print(f"{k}: {v['name']} {v['paramCount']} params, {len(v['layers'])} layers")
    small_structure = {}

    images = []
    for file in IMAGES:
        img = gc.load_image(os.path.join(gc.REPO, "examples", "images", file), SIZE)
        resized = file.replace(".png", f"-{SIZE}.png")
        img.save(os.path.join(args.out, resized), optimize=True)
        x = np.asarray(img, dtype=np.float32)[np.newaxis] / np.float32(127.5) - np.float32(1.0)
        images.append((file, resized, x))

    models = {}
    for key, spec in SMALL.items():
        model = fresh(spec["make"])
        randomize_stats(model, np.random.default_rng(SEED), np.concatenate([x for _, _, x in images]))
        h5 = f"{key}.h5"
        save_legacy_h5(model, os.path.join(args.out, h5))
        small_structure[key] = structure(model)
        layers = [n or last_4d_layer(model) for n in spec["layers"]]
        print(f"{key}: {model.name} {model.count_params()} params, layers {layers}")
        recs = []
        for file, resized, x in images:
            probs = model(x, training=False).numpy()[0]
            order = [int(i) for i in np.argsort(-probs, kind="stable")]
            print(f" {file}: top2 {order[:2]} p={probs[order[0]]:.4f},{probs[order[1]]:.4f}")
            cases = []
            for layer in layers:
                cases += gradcam_cases(model, x, layer, order[:2])
            recs.append({"file": file, "resized": resized, "predictions": [gc.r7(p) for p in probs], "cases": cases})
        models[key] = {"builder": spec["builder"], "args": spec["args"], "name": model.name, "weights": h5,
                       "weightsSha256": sha256(os.path.join(args.out, h5)), "layers": layers, "images": recs}

    with open(os.path.join(args.out, "structure.json"), "w") as f:
        json.dump({"generator": "tools/golden/imagenet_models.py", "versions": gc.versions(),
                   "models": {**full, **small_structure}}, f, separators=(",", ":"))
        f.write("\n")
    doc = {"generator": "tools/golden/imagenet_models.py", "versions": gc.versions(), "size": SIZE,
           "preprocessing": "x/127.5 - 1", "resize": "Pillow convert('RGB').resize((96, 96), NEAREST)",
           "method": "ELI5 Grad-CAM, softmax output, top-2 targets", "models": models}
    with open(os.path.join(args.out, "imagenet-small-gradcam.json"), "w") as f:
        f.write(gc.dump_json(doc))


if __name__ == "__main__":
    main()
