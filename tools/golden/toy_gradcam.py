#!/usr/bin/env python3
"""Golden Grad-CAM heatmaps (ELI5 algorithm) for the two toy TF.js models of tools/golden/make-toy-models.mjs.

1. Rebuilds both architectures in Keras 3 by hand (the code below mirrors the TF.js definitions in
   make-toy-models.mjs, same layer names) and loads the weights by name from the saved weights.bin and
   TF.js weights manifest (<dir>/model.json).
2. Input: examples/images/<file> -> Pillow convert('RGB').resize((24, 24), NEAREST) -> float32 / 255.
   Asserts that the pixels are the ones make-toy-models.mjs fed TF.js (sha256) and that the Keras
   predictions and logits agree with TF.js' (<dir>/tfjs-predictions.json) within 1e-5.
3. Grad-CAM as ELI5 does it, with one forward pass inside a tf.GradientTape that calls the layers
   one by one (also the layers inside the nested models), so the explained activation A is an
   intermediate of the same pass as the score and dScore/dA is the total derivative (through every
   downstream path, e.g. both inputs of the `skip` Add):
     residual_toy: layers `explained`, `stem`, `late`
     nested_toy:   layers `backbone/c2`, `backbone/dw` (path = model/layer inside the Sequential)
   Targets: the top-2 predicted classes; softmax output (logits=false) and the pre-softmax output of
   the last Dense (logits=true). The arithmetic after the gradient is nsfw_gradcam's (eli5_from_grads).
4. Writes packages/models/src/__fixtures__/toy-gradcam.json, with every input as a flat HWC float list.

Diagnostic (printed, not stored): the residual_toy heatmaps again with the gradient of one path dropped
(tf.stop_gradient on one input of an Add), i.e. what an implementation that misses a downstream path of
the explained layer would get, and how far that is from the golden.

Usage:
  node tools/golden/make-toy-models.mjs                     # models + TF.js predictions
  .venv-tools/bin/python tools/golden/toy_gradcam.py [--fixtures DIR]
"""

import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import golden_common as gc  # noqa: E402  (sets TF_ENABLE_ONEDNN_OPTS=0 before TF loads)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

SIZE = 24
IMAGES = ["chelsea.png", "coffee.png"]
TOLERANCE = 1e-5  # Keras vs TF.js predictions and logits


# --------------------------------------------------------------------------------------------
# The two architectures, as in make-toy-models.mjs
# --------------------------------------------------------------------------------------------

def residual_toy():
    inp = keras.Input((SIZE, SIZE, 3), name="input")
    stem = layers.Conv2D(6, 3, padding="same", activation="relu", name="stem")(inp)
    explained = layers.Conv2D(6, 3, padding="same", activation="relu", name="explained")(stem)
    after = layers.Conv2D(6, 1, padding="same", activation="linear", name="after")(explained)
    skip = layers.Add(name="skip")([explained, after])
    outer = layers.Add(name="outer")([stem, skip])
    pool = layers.MaxPooling2D(2, name="pool")(outer)
    late = layers.Conv2D(8, 3, padding="same", activation="relu", name="late")(pool)
    gap = layers.GlobalAveragePooling2D(name="gap")(late)
    head = layers.Dense(3, activation="softmax", name="head")(gap)
    return keras.Model(inp, head, name="residual_toy")


def residual_forward(m, x, explain, drop=None):
    """One forward pass of residual_toy, layer by layer. Returns (A = output of `explain`, probs, logits).

    drop (diagnostic only): 'skip.explained' | 'skip.after' | 'outer.stem' | 'outer.skip' stops the
    gradient through that input of that Add.
    """
    L = m.get_layer
    sg = tf.stop_gradient
    t = {}
    t["stem"] = L("stem")(x)
    t["explained"] = L("explained")(t["stem"])
    t["after"] = L("after")(t["explained"])
    e, a = t["explained"], t["after"]
    t["skip"] = L("skip")([sg(e) if drop == "skip.explained" else e, sg(a) if drop == "skip.after" else a])
    s, k = t["stem"], t["skip"]
    t["outer"] = L("outer")([sg(s) if drop == "outer.stem" else s, sg(k) if drop == "outer.skip" else k])
    t["pool"] = L("pool")(t["outer"])
    t["late"] = L("late")(t["pool"])
    t["gap"] = L("gap")(t["late"])
    probs = L("head")(t["gap"])
    logits = dense_logits(L("head"), t["gap"])
    return t[explain], probs, logits


def nested_toy():
    inp = keras.Input((SIZE, SIZE, 3), name="backbone_input")
    c1 = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="c1")(inp)
    dw = layers.DepthwiseConv2D(3, padding="same", activation="relu", name="dw")(c1)
    c2 = layers.Conv2D(16, 1, activation="relu", name="c2")(dw)
    gap = layers.GlobalAveragePooling2D(name="gap")(c2)
    backbone = keras.Model(inp, gap, name="backbone")
    head = keras.Sequential([
        keras.Input((16,)),
        layers.Dense(6, activation="relu", name="fc"),
        layers.Dense(3, activation="softmax", name="probs"),
    ], name="head")
    return keras.Sequential([keras.Input((SIZE, SIZE, 3)), backbone, head], name="nested_toy")


def nested_forward(m, x, explain, drop=None):
    """One forward pass of nested_toy calling the layers of `backbone` and `head` one by one."""
    assert drop is None
    bb, hd = m.get_layer("backbone"), m.get_layer("head")
    t = {}
    t["backbone/c1"] = bb.get_layer("c1")(x)
    t["backbone/dw"] = bb.get_layer("dw")(t["backbone/c1"])
    t["backbone/c2"] = bb.get_layer("c2")(t["backbone/dw"])
    t["backbone/gap"] = bb.get_layer("gap")(t["backbone/c2"])
    t["head/fc"] = hd.get_layer("fc")(t["backbone/gap"])
    probs = hd.get_layer("probs")(t["head/fc"])
    logits = dense_logits(hd.get_layer("probs"), t["head/fc"])
    return t[explain], probs, logits


def dense_logits(dense, h):
    """The pre-activation of a Keras 3 Dense layer: what Dense.call computes before the activation."""
    return keras.ops.add(keras.ops.matmul(h, dense.kernel), dense.bias)


MODELS = {
    "residual_toy": {
        "dir": "residual-toy",
        "build": residual_toy,
        "forward": residual_forward,
        "layers": ["explained", "stem", "late"],
        "sublayers": lambda m: [(lay.name, lay) for lay in m.layers],
    },
    "nested_toy": {
        "dir": "nested-toy",
        "build": nested_toy,
        "forward": nested_forward,
        "layers": ["backbone/c2", "backbone/dw"],
        "sublayers": lambda m: [(f"{sub.name}/{lay.name}", lay) for sub in m.layers for lay in sub.layers],
    },
}

# Weight names of the TF.js manifest (`<layer>/<name>`, no model prefix) in Keras 3 `layer.weights` order.
WEIGHT_NAMES = {
    "Conv2D": ["kernel", "bias"],
    "DepthwiseConv2D": ["depthwise_kernel", "bias"],
    "Dense": ["kernel", "bias"],
}


def load_tfjs_weights(model, folder):
    with open(os.path.join(folder, "model.json")) as f:
        meta = json.load(f)
    (group,) = meta["weightsManifest"]
    assert group["paths"] == ["weights.bin"], group["paths"]
    blob = np.fromfile(os.path.join(folder, "weights.bin"), dtype="<f4")
    values, offset = {}, 0
    for spec in group["weights"]:
        assert spec["dtype"] == "float32" and "quantization" not in spec, spec
        n = int(np.prod(spec["shape"]))
        values[spec["name"]] = blob[offset:offset + n].reshape(spec["shape"])
        offset += n
    assert offset == blob.size, f"weights.bin has {blob.size - offset} unused floats"
    used = set()
    for path, lay in MODELS[model.name]["sublayers"](model):
        names = WEIGHT_NAMES.get(type(lay).__name__, [])
        assert len(names) == len(lay.weights), f"{path}: {names} vs {[w.path for w in lay.weights]}"
        if not names:
            continue
        ws = []
        for wn, var in zip(names, lay.weights):
            key = f"{lay.name}/{wn}"
            assert tuple(values[key].shape) == tuple(var.shape), (key, values[key].shape, var.shape)
            ws.append(values[key])
            used.add(key)
        lay.set_weights(ws)
    assert used == set(values), f"weights not used: {sorted(set(values) - used)}"
    return hashlib.sha256(blob.tobytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Grad-CAM
# --------------------------------------------------------------------------------------------

def gradcam(forward, m, x, layer, target, use_logits, drop=None):
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        A, probs, logits = forward(m, xt, layer, drop)
        score = (logits if use_logits else probs)[0, target]
    G = tape.gradient(score, A)
    raw_max, heat, grad_norm = gc.eli5_from_grads(A.numpy(), G)
    return float(score.numpy()), raw_max, heat, grad_norm, probs.numpy()[0], logits.numpy()[0]


def json_input(x):
    """x (1, 24, 24, 3) float32 -> flat HWC list of the shortest decimals that parse back to x exactly."""
    flat = x.reshape(-1)
    out = [float(np.format_float_positional(v, unique=True, trim="0")) for v in flat]
    back = np.array(out, dtype=np.float64).astype(np.float32)   # what Float32Array.from(JSON) gives
    assert np.array_equal(back, flat), "input does not round-trip through JSON"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=os.path.join(gc.REPO, "packages", "models", "src", "__fixtures__"))
    ap.add_argument("--images-dir", default=os.path.join(gc.REPO, "examples", "images"))
    args = ap.parse_args()

    inputs = {}
    for file in IMAGES:
        img = gc.load_image(os.path.join(args.images_dir, file), SIZE)
        pixels = np.asarray(img, dtype=np.uint8)
        inputs[file] = (hashlib.sha256(pixels.tobytes()).hexdigest(), gc.to_input(img))

    out_models = {}
    report = []
    for key, spec in MODELS.items():
        folder = os.path.join(args.fixtures, spec["dir"])
        m = spec["build"]()
        assert m.name == key
        sha = load_tfjs_weights(m, folder)
        with open(os.path.join(folder, "tfjs-predictions.json")) as f:
            tfjs = {im["file"]: im for im in json.load(f)["images"]}
        print(f"\n{key} ({spec['dir']}/, weights.bin sha256 {sha})")
        images = []
        for file in IMAGES:
            pixels_sha, x = inputs[file]
            tj = tfjs[file]
            assert tj["pixelsSha256"] == pixels_sha, f"{file}: the TF.js input pixels differ from Pillow's"
            probs = m(x, training=False).numpy()[0]
            _, p2, z = spec["forward"](m, tf.constant(x), spec["layers"][0])
            assert np.array_equal(p2.numpy()[0], probs), "layer-by-layer forward differs from the model"
            logits = z.numpy()[0]
            dp = float(np.max(np.abs(probs - np.array(tj["predictions"]))))
            dz = float(np.max(np.abs(logits - np.array(tj["logits"]))))
            assert dp <= TOLERANCE and dz <= TOLERANCE, (file, dp, dz)
            report.append((key, file, dp, dz))
            order = [int(i) for i in np.argsort(-probs, kind="stable")]
            assert order[:2] == [int(i) for i in np.argsort(-np.array(tj["predictions"]), kind="stable")][:2]
            targets = order[:2]
            print(f"  {file}: predictions {np.array2string(probs, precision=7)} logits "
                  f"{np.array2string(logits, precision=7)}  |keras - tfjs| probs {dp:.2g} logits {dz:.2g}")
            cases = []
            for layer in spec["layers"]:
                for use_logits in (False, True):
                    for target in targets:
                        score, raw_max, heat, gnorm, _, _ = gradcam(spec["forward"], m, x, layer, target, use_logits)
                        print(f"    {layer:12s} {'logits ' if use_logits else 'softmax'} t={target} score={score:.7g} "
                              f"|dS/dA|={gnorm:.3e} rawMax={raw_max:.6g} {gc.heat_summary(heat)}")
                        cases.append(gc.case_record(layer, target, use_logits, score, raw_max, gnorm, heat))
            images.append({
                "file": file,
                "input": json_input(x),
                "predictions": [gc.r7(v) for v in probs],
                "logits": [gc.r7(v) for v in logits],
                "cases": cases,
            })
        out_models[key] = {
            "dir": spec["dir"],
            "weightsSha256": sha,
            "layers": spec["layers"],
            "images": images,
        }
        if key == "residual_toy":
            skip_drop_diagnostic(m, spec)

    print("\nKeras vs TF.js (max |diff|):")
    for key, file, dp, dz in report:
        print(f"  {key:13s} {file:12s} predictions {dp:.3g}  logits {dz:.3g}")

    doc = {
        "generator": "tools/golden/toy_gradcam.py (ELI5 eli5.keras.gradcam algorithm, tf.GradientTape); "
                     "models from tools/golden/make-toy-models.mjs",
        "versions": gc.versions(),
        "input": f"PIL Image.open(path).convert('RGB').resize(({SIZE}, {SIZE}), Image.NEAREST), float32 / 255; "
                 f"`input` = that tensor, flat, HWC order ([1, {SIZE}, {SIZE}, 3])",
        "method": ("G = l2_normalize(dScore/dA) over the whole tensor (x * rsqrt(max(sum x^2, 1e-12)), float32), "
                   "dScore/dA the total derivative (one forward pass, every downstream path); "
                   "w_k = mean_ij G[0,i,j,k] (float32); lmap = relu(sum_k w_k * A[0,:,:,k]) with float32 products "
                   "accumulated in float64; heatmap = lmap / (max(lmap) + 1e-7); rawMax = max(lmap). "
                   "logits=true: score is the pre-softmax output of the last Dense. "
                   "layer 'backbone/c2' = layer c2 of the nested model backbone."),
        "rounding": "7 significant digits (input: shortest decimal that parses back to the float32 exactly)",
        "tolerance": {"kerasVsTfjsPredictions": TOLERANCE},
        "models": out_models,
    }
    # The flat inputs go on one line each (dump_json puts one heatmap row per line).
    flat = {}
    for m in out_models.values():
        for im in m["images"]:
            key = f"@@INPUT{len(flat)}@@"
            flat[key] = json.dumps(im["input"], separators=(",", ":"))
            im["input"] = key
    text = gc.dump_json(doc)
    for key, line in flat.items():
        text = text.replace(f'"{key}"', line)
    out_json = os.path.join(args.fixtures, "toy-gradcam.json")
    with open(out_json, "w") as f:
        f.write(text)
    print(f"wrote {out_json} ({os.path.getsize(out_json)} bytes)")


def skip_drop_diagnostic(m, spec):
    """How far the residual_toy heatmaps move when the gradient through one Add input is dropped."""
    print("\n  diagnostic: max |heatmap(total derivative) - heatmap(one Add input's gradient dropped)|")
    for layer, drops in (("explained", ["skip.explained", "skip.after"]), ("stem", ["outer.stem", "outer.skip"])):
        for drop in drops:
            worst, least = 0.0, np.inf
            worst_case = None
            for file in IMAGES:
                img = gc.load_image(os.path.join(gc.REPO, "examples", "images", file), SIZE)
                x = gc.to_input(img)
                probs = m(x, training=False).numpy()[0]
                for target in [int(i) for i in np.argsort(-probs, kind="stable")][:2]:
                    for use_logits in (False, True):
                        ref = gradcam(spec["forward"], m, x, layer, target, use_logits)[2]
                        alt = gradcam(spec["forward"], m, x, layer, target, use_logits, drop)[2]
                        d = float(np.max(np.abs(ref - alt)))
                        least = min(least, d)
                        if d > worst:
                            worst, worst_case = d, (file, target, "logits" if use_logits else "softmax")
            print(f"    {layer:10s} drop gradient through {drop:15s}: {worst:.4g} (worst case: {worst_case}; "
                  f"smallest over the 8 cases: {least:.3g})")


if __name__ == "__main__":
    sys.exit(main())
