#!/usr/bin/env python3
"""Golden Grad-CAM heatmaps for the nsfwjs InceptionV3 model, computed the way ELI5 does.

The same pipeline as tools/golden/nsfw_gradcam.py (whose helpers it uses, via golden_common.py):

1. Rebuilds the Keras 2.2.4 InceptionV3 topology shipped by nsfwjs in Keras 3 (Conv2D without bias,
   BatchNormalization with scale=false, Activation, MaxPooling2D, AveragePooling2D with 'same'
   padding, Concatenate, Dense/Dropout head) and loads the weights dequantized exactly as TF.js does
   (the output of `node tools/export-nsfw-model.mjs --model inception_v3`). A copy whose dense_3 is
   linear gives the logits.
2. Images: PIL open -> convert('RGB') -> resize((299, 299), NEAREST) -> float32 / 255.
3. ELI5 Grad-CAM (nsfw_gradcam.gradcam_eli5) for the top-2 predicted classes, softmax and logits, at
   `mixed10` (8x8x2048), `mixed5` (17x17x768) and `mixed2` (35x35x288).
4. Writes packages/models/src/__fixtures__/nsfw-inception-v3-gradcam.json and <image>-299.png.

Diagnostic (printed, not stored): both images are predicted `Neutral` with p > 0.9998, so the softmax
gradient of that class, p_t * (onehot - p), is computed by TF from 1 - p_t ~ 2e-4 in float32. The
script recomputes those softmax cases with the softmax Jacobian in float64 (dScore/dA =
sum_j dp_t/dz_j * dz_j/dA) and prints how far the heatmaps move: that is the precision a float32
implementation can be expected to reach on them.

Usage (see tools/setup-venv.sh for the Python environment):
  node tools/export-nsfw-model.mjs --model inception_v3      # -> $TMPDIR/gradcam-nsfw-export/inception_v3
  .venv-tools/bin/python tools/golden/inception_gradcam.py [--model-dir DIR] [--out DIR]
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import golden_common as gc  # noqa: E402  (sets TF_ENABLE_ONEDNN_OPTS=0 before TF loads)
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]
LAYERS = ["mixed10", "mixed5", "mixed2"]
OUTPUT_LAYER = "dense_3"
DEFAULT_IMAGES = ["chelsea.png", "coffee.png"]
# Images that get the heatmaps of LARGE_LAYERS (35x35) too.
LARGE_LAYERS = {"mixed2"}
DEFAULT_LARGE_IMAGES = ["chelsea.png", "coffee.png"]
MAX_BYTES = 400_000


def softmax_cases_float64(logits_grad_model, x, target):
    """dScore/dA for score = softmax(z)[target] with the softmax Jacobian taken in float64."""
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        A, z = logits_grad_model(xt, training=False)
        zs = [z[0, j] for j in range(z.shape[-1])]
    dz = [tape.gradient(zj, A).numpy().astype(np.float64) for zj in zs]
    del tape
    z64 = z.numpy()[0].astype(np.float64)
    p = np.exp(z64 - z64.max())
    p /= p.sum()
    coef = p[target] * ((np.arange(len(p)) == target) - p)       # d p_t / d z_j
    G = sum(c * d for c, d in zip(coef, dz))
    G = G / np.sqrt(max(np.sum(G * G), 1e-12))
    w = G.mean(axis=(1, 2))[0]
    a = A.numpy()[0].astype(np.float64)
    lmap = np.maximum(np.tensordot(a, w, axes=([2], [0])), 0)
    return lmap / (lmap.max() + gc.EPSILON)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "gradcam-nsfw-export", "inception_v3"),
                    help="output folder of tools/export-nsfw-model.mjs --model inception_v3")
    ap.add_argument("--images-dir", default=os.path.join(gc.REPO, "examples", "images"))
    ap.add_argument("--images", nargs="+", default=DEFAULT_IMAGES)
    ap.add_argument("--large-images", nargs="*", default=DEFAULT_LARGE_IMAGES,
                    help=f"images that also get the {sorted(LARGE_LAYERS)} heatmaps")
    ap.add_argument("--out", default=os.path.join(gc.REPO, "packages", "models", "src", "__fixtures__"))
    args = ap.parse_args()

    meta, weights = gc.load_export(args.model_dir)
    topo = meta["modelTopology"]
    assert meta["source"]["model"] == "inception_v3", meta["source"]
    print(f"model: {meta.get('source')} keras_version={topo.get('keras_version')}")
    model = gc.build_model(topo, weights)
    model_logits = gc.build_model(topo, weights, overrides={OUTPUT_LAYER: {"activation": "linear"}})
    size = model.input_shape[1]
    assert size == 299 and model.output_shape == (None, len(CLASSES)), (model.input_shape, model.output_shape)

    grad_models = {}
    for name in LAYERS:
        grad_models[(name, False)] = keras.Model(model.inputs, [model.get_layer(name).output, model.output])
        grad_models[(name, True)] = keras.Model(
            model_logits.inputs, [model_logits.get_layer(name).output, model_logits.output])

    os.makedirs(args.out, exist_ok=True)
    images = []
    max_f64_softmax_diff = {}
    for file in args.images:
        img = gc.load_image(os.path.join(args.images_dir, file), size)
        stem = os.path.splitext(file)[0]
        resized = f"{stem}-{size}.png"
        img.save(os.path.join(args.out, resized))
        assert np.array_equal(np.asarray(Image.open(os.path.join(args.out, resized)).convert("RGB")), np.asarray(img))
        x = gc.to_input(img)
        probs, logits, order = gc.predict_top2(model, model_logits, x)
        targets = order[:2]
        print(f"\n{file}: " + ", ".join(f"{CLASSES[i]}={probs[i]:.7g}" for i in order))
        print("  logits: " + ", ".join(f"{CLASSES[i]}={logits[i]:.6g}" for i in range(len(CLASSES))))
        cases = []
        for name in LAYERS:
            if name in LARGE_LAYERS and file not in args.large_images:
                continue
            for use_logits in (False, True):
                for target in targets:
                    score, raw_max, heat, gnorm, _ = gc.gradcam_eli5(grad_models[(name, use_logits)], x, target)
                    note = ""
                    if not use_logits:
                        d = float(np.max(np.abs(softmax_cases_float64(grad_models[(name, True)], x, target) - heat)))
                        max_f64_softmax_diff[(name, target)] = max(max_f64_softmax_diff.get((name, target), 0.0), d)
                        note = f" |heat - heat(float64 softmax grad)|max={d:.2g}"
                    print(f"  {name:8s} {'logits ' if use_logits else 'softmax'} {CLASSES[target]:8s} "
                          f"score={score:.7g} |dS/dA|={gnorm:.3e} rawMax={raw_max:.6g} {gc.heat_summary(heat)}{note}")
                    cases.append(gc.case_record(name, target, use_logits, score, raw_max, gnorm, heat))
        images.append({
            "file": file,
            "resized": resized,
            "predictions": [gc.r7(p) for p in probs],
            "logits": [gc.r7(v) for v in logits],
            "cases": cases,
        })
    print("\nsoftmax cases, max |heatmap - heatmap with the softmax Jacobian in float64|:")
    for (name, target), d in sorted(max_f64_softmax_diff.items()):
        print(f"  {name:8s} {CLASSES[target]:8s} {d:.3g}")

    doc = {
        "generator": "tools/golden/inception_gradcam.py (ELI5 eli5.keras.gradcam algorithm, tf.GradientTape)",
        "versions": gc.versions(),
        "model": "nsfw_inception_v3",
        "source": meta.get("source"),
        "weightsSha256": meta.get("weightsSha256"),
        "preprocessing": "x/255",
        "resize": f"PIL Image.open(path).convert('RGB').resize(({size}, {size}), Image.NEAREST)",
        "method": ("G = l2_normalize(dScore/dA) over the whole tensor (x * rsqrt(max(sum x^2, 1e-12)), float32); "
                   "w_k = mean_ij G[0,i,j,k] (float32); lmap = relu(sum_k w_k * A[0,:,:,k]) with float32 products "
                   "accumulated in float64; heatmap = lmap / (max(lmap) + 1e-7); rawMax = max(lmap). "
                   f"logits=true: score is the pre-softmax {OUTPUT_LAYER} output."),
        "rounding": "7 significant digits",
        "classes": CLASSES,
        "images": images,
    }
    out_json = os.path.join(args.out, "nsfw-inception-v3-gradcam.json")
    with open(out_json, "w") as f:
        f.write(gc.dump_json(doc))   # not biome-formatted: biome.json excludes __fixtures__/**/*.json
    n = os.path.getsize(out_json)
    print(f"wrote {out_json} ({n} bytes)")
    if n >= MAX_BYTES:
        print(f"warning: {out_json} is {n} bytes (>= {MAX_BYTES}); pass fewer --large-images")


if __name__ == "__main__":
    sys.exit(main())
