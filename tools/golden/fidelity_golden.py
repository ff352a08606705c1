#!/usr/bin/env python3
"""Float64 golden Grad-CAM maps of the nsfwjs MobileNetV2, and how far TensorFlow's float32 modes are from them.

The yardstick of gradcam's fidelity rule (packages/gradcam/src/__fixtures__/README.md, "Fidelity"):
the exact answer, up to float64 rounding, for the float32 weights and float32 inputs every backend gets.

1. The nsfwjs MobileNetV2 is rebuilt twice from the export of tools/export-nsfw-model.mjs
   (tools/golden/golden_common.py's builder): once with Keras' float64 dtype policy (weights and input
   cast to float64, every op in float64), once in float32 as usual. Each has a logits twin (dense_3 linear).
2. Images: the four samples of examples/images loaded as keras' load_img does (Pillow NEAREST to 224x224),
   / 255 in float32, and their mirror images (x[:, :, ::-1, :]): 8 inputs. The 224x224 PNGs are written
   next to the fixture (the three existing ones are rewritten byte-identically; rocket-224.png is new).
3. For each image, layer (out_relu, Conv_1, block_16_project, block_9_expand, block_2_expand), output
   (probability, logits) and the float64 model's top-2 classes: Grad-CAM as ELI5 computes it, with
   GradientTape, G = dScore/dA, G / sqrt(max(sum G^2, 1e-12)), w_k = mean_ij G, map = relu(sum_k w_k A_k),
   map / (max + 1e-7): 8 x 5 x 2 x 2 = 160 maps, in float64 (the golden) and with the float32 model in
   TF eager, in tf.function and in tf.function(jit_compile=True) (XLA), every step in float32 TF ops.
4. Each float32 mode's distance from float64: per map the mean |difference| over its cells; over the 160
   maps the median, 90th percentile and maximum of those means, the largest single cell, and the largest
   score / probability difference. Also each pair of float32 modes against each other.

Writes packages/gradcam/src/__fixtures__/nsfw-mobilenet-v2-fidelity.json (index, scores, probabilities,
tables) and nsfw-mobilenet-v2-fidelity-f64.bin (the 160 float64 maps stored as float32 little-endian, in
index order; rounding them to float32 moves a cell by < 6e-8).

Usage:
  node tools/export-nsfw-model.mjs                   # -> $TMPDIR/gradcam-nsfw-export/mobilenet_v2
  .venv-tools/bin/python tools/golden/fidelity_golden.py [--model-dir DIR] [--out DIR]
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import golden_common as gc  # noqa: E402  (sets TF_ENABLE_ONEDNN_OPTS=0 before TensorFlow loads)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from PIL import Image  # noqa: E402

IMAGES = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"]
LAYERS = ["out_relu", "Conv_1", "block_16_project", "block_9_expand", "block_2_expand"]
OUTPUT_LAYER = "dense_3"
MODES = ["eager", "function", "xla"]


def build(topo, weights, dtype):
    """The model and its logits twin under a dtype policy; weights cast to it."""
    keras.config.set_dtype_policy(dtype)
    try:
        cast = {k: v.astype(dtype) for k, v in weights.items()}
        model = gc.build_model(topo, cast)
        logits = gc.build_model(topo, cast, overrides={OUTPUT_LAYER: {"activation": "linear"}})
    finally:
        keras.config.set_dtype_policy("float32")
    return model, logits


def grad_models(model, logits_model):
    return {
        (layer, use_logits): keras.Model(m.inputs, [m.get_layer(layer).output, m.output])
        for layer in LAYERS
        for use_logits, m in ((False, model), (True, logits_model))
    }


def gradcam(grad_model, x, targets):
    """Grad-CAM of each target, every step in the model's dtype: (maps [T, h, w], scores [T], outputs [classes])."""
    with tf.GradientTape(persistent=True) as tape:
        A, y = grad_model(x, training=False)
        scores = [y[0, t] for t in targets]
    maps = []
    for s in scores:
        G = tape.gradient(s, A)
        G = G * tf.math.rsqrt(tf.maximum(tf.reduce_sum(G * G), tf.cast(1e-12, G.dtype)))
        w = tf.reduce_mean(G, axis=(1, 2))
        lmap = tf.nn.relu(tf.einsum("bhwc,bc->bhw", A, w))[0]
        maps.append(lmap / (tf.reduce_max(lmap) + tf.cast(gc.EPSILON, lmap.dtype)))
    del tape
    return tf.stack(maps), tf.stack(scores), y[0]


def summarize(errors, cells, scores, probs):
    errors = np.asarray(errors)
    return {
        "maps": int(errors.size),
        "medianMeanError": float(np.median(errors)),
        "p90MeanError": float(np.percentile(errors, 90)),
        "maxMeanError": float(errors.max()),
        "mapsAbove1_5e-3": int((errors > 1.5e-3).sum()),
        "maxCellError": float(cells),
        "maxScoreError": float(scores),
        "maxProbabilityError": float(probs),
    }


def main():
    args = gc.mobilenet_arguments(__doc__).parse_args()

    meta, weights = gc.load_export(args.model_dir)
    topo = meta["modelTopology"]
    m64, l64 = build(topo, weights, "float64")
    m32, l32 = build(topo, weights, "float32")
    assert m64.output.dtype == "float64", m64.output.dtype
    g64 = grad_models(m64, l64)
    g32 = grad_models(m32, l32)
    # One traced function per (layer, logits) and mode; targets are a tensor so each traces once.
    runners = {
        "eager": lambda key, x, t: gradcam(g32[key], x, [t[0], t[1]]),
    }
    traced = {}
    for key, gm in g32.items():
        traced[("function", key)] = tf.function(lambda x, t, m=gm: gradcam(m, x, [t[0], t[1]]))
        traced[("xla", key)] = tf.function(lambda x, t, m=gm: gradcam(m, x, [t[0], t[1]]), jit_compile=True)
    runners["function"] = lambda key, x, t: traced[("function", key)](x, tf.constant(t))
    runners["xla"] = lambda key, x, t: traced[("xla", key)](x, tf.constant(t))

    inputs = []
    for file in IMAGES:
        img = gc.load_image(os.path.join(args.images_dir, file), 224)
        resized = f"{os.path.splitext(file)[0]}-224.png"
        img.save(os.path.join(args.out, resized))
        assert np.array_equal(np.asarray(Image.open(os.path.join(args.out, resized)).convert("RGB")), np.asarray(img))
        x = gc.to_input(img)
        inputs.append((file, resized, False, x))
        inputs.append((file, resized, True, np.ascontiguousarray(x[:, :, ::-1, :])))

    index = []
    blob = []
    offset = 0
    errors = {m: [] for m in MODES}
    worst = {m: [0.0, 0.0, 0.0] for m in MODES}  # cell, score, probability
    pairs = {f"{a}-{b}": [] for i, a in enumerate(MODES) for b in MODES[i + 1:]}
    images = []
    for file, resized, mirrored, x in inputs:
        x64 = tf.constant(x.astype(np.float64))
        x32 = tf.constant(x)
        probs64 = m64(x64, training=False).numpy()[0]
        logits64 = l64(x64, training=False).numpy()[0]
        targets = [int(i) for i in np.argsort(-probs64, kind="stable")[:2]]
        probs32 = {m: None for m in MODES}
        print(f"{file}{' mirrored' if mirrored else ''}: targets {targets}, p = {np.round(probs64, 6).tolist()}", flush=True)
        for layer in LAYERS:
            for use_logits in (False, True):
                key = (layer, use_logits)
                maps64, scores64, _ = (t.numpy() for t in gradcam(g64[key], x64, targets))
                ours = {}
                for mode in MODES:
                    maps32, scores32, out32 = (t.numpy() for t in runners[mode](key, x32, targets))
                    ours[mode] = maps32
                    if not use_logits:
                        probs32[mode] = out32
                    for k in range(2):
                        d = np.abs(maps32[k].astype(np.float64) - maps64[k])
                        errors[mode].append(float(d.mean()))
                        worst[mode][0] = max(worst[mode][0], float(d.max()))
                        worst[mode][1] = max(worst[mode][1], abs(float(scores32[k]) - float(scores64[k])))
                for i, a in enumerate(MODES):
                    for b in MODES[i + 1:]:
                        for k in range(2):
                            pairs[f"{a}-{b}"].append(float(np.abs(ours[a][k].astype(np.float64) - ours[b][k]).mean()))
                for k, target in enumerate(targets):
                    h, w = maps64[k].shape
                    index.append({
                        "image": len(images),
                        "layer": layer,
                        "logits": use_logits,
                        "target": target,
                        "score": float(scores64[k]),
                        "shape": [h, w],
                        "offset": offset,
                    })
                    blob.append(maps64[k].astype("<f4").ravel())
                    offset += h * w
        for mode in MODES:
            worst[mode][2] = max(worst[mode][2], float(np.abs(probs32[mode].astype(np.float64) - probs64).max()))
        images.append({
            "file": file,
            "resized": resized,
            "mirrored": mirrored,
            "targets": targets,
            "probabilities": [float(p) for p in probs64],
            "logits": [float(v) for v in logits64],
        })

    tables = {mode: summarize(errors[mode], *worst[mode]) for mode in MODES}
    pair_tables = {name: {"medianMeanError": float(np.median(v)), "p90MeanError": float(np.percentile(v, 90)),
                          "maxMeanError": float(np.max(v))} for name, v in pairs.items()}
    print(json.dumps({"float32VsFloat64": tables, "float32Pairs": pair_tables}, indent=2))

    doc = {
        "generator": "tools/golden/fidelity_golden.py",
        "versions": gc.versions(),
        "model": "nsfw_mobilenet_v2",
        "weightsSha256": meta.get("weightsSha256"),
        "preprocessing": "x/255 (float32), mirrored: x[:, :, ::-1, :]",
        "method": "ELI5 Grad-CAM: G / sqrt(max(sum G^2, 1e-12)); w = mean_ij G; relu(sum_k w_k A_k) / (max + 1e-7)",
        "maps": "nsfw-mobilenet-v2-fidelity-f64.bin: float64 maps stored as float32 LE, cases[i].offset (in values)",
        "layers": LAYERS,
        "images": images,
        "cases": index,
        "float32VsFloat64": tables,
        "float32Pairs": pair_tables,
    }
    with open(os.path.join(args.out, "nsfw-mobilenet-v2-fidelity.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    np.concatenate(blob).astype("<f4").tofile(os.path.join(args.out, "nsfw-mobilenet-v2-fidelity-f64.bin"))
    print(f"wrote {len(index)} maps ({offset} values)")


if __name__ == "__main__":
    main()
