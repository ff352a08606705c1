#!/usr/bin/env python3
"""Golden maps of every built-in CAM method on the nsfwjs MobileNetV2, from TensorFlow.

The model is rebuilt in Keras 3 from the nsfwjs export exactly as nsfw_gradcam.py does (shared helpers
in golden_common.py). For each image and layer, one forward pass gives the activations A (1, h, w, c)
and, per target, a GradientTape gives G = dScore/dA (the softmax output, as ELI5 explains). The maps
follow pytorch-grad-cam's formulas (file names below), computed in float64 numpy from TF's float32 A
and G; Score-CAM runs the TF model on every masked input.

  gradcam       ELI5: w = mean_ij(G / ||G||_2); map = sum_k w_k A_k        (eli5.keras.gradcam)
  gradcam++     a = G^2 / (2 G^2 + sum_ij(A) G^3 + 1e-6), 0 where G == 0;
                w = sum_ij a relu(G); map = sum_k w_k A_k                   (grad_cam_plusplus.py)
  hirescam      map = sum_k G_k * A_k                                        (hirescam.py)
  layercam      map = sum_k relu(G_k) * A_k                                  (layer_cam.py)
  xgradcam      w = sum_ij(G A) / (sum_ij(A) + 1e-7); map = sum_k w_k A_k    (xgrad_cam.py)
  scorecam      M_k = upsample(A_k) to 224x224 (bilinear, align_corners=True = torch UpsamplingBilinear2d),
                (M_k - min) / (max - min + 1e-8); s_k = model(x * M_k)[target];
                w = softmax_k(s); map = sum_k w_k A_k                        (score_cam.py)
  eigencam      get_2d_projection(A)                                         (eigen_cam.py)
  eigengradcam  get_2d_projection(G * A)                                     (eigen_grad_cam.py)

get_2d_projection(X): X (h*w, c) centred over positions, projected on the first right-singular vector
(np.linalg.svd, float64); the singular vector's sign, which LAPACK leaves arbitrary, is chosen so the
projection correlates positively with X's channel sum.
eigen_smooth (pytorch-grad-cam's option; `eigenSmooth` in gradcam): get_2d_projection of w_k A_k (weight
methods) or of the per-channel contributions (hirescam, layercam) instead of their channel sum.
counterfactual: G replaced by -G.
aug_smooth (--aug-smooth, a separate small file): pytorch-grad-cam's forward_augmentation_smoothing with
ttach HorizontalFlip x Multiply(0.9, 1.0, 1.1): each augmented input (flip(x) * factor) is explained with
the targets of the plain image, its map post-processed (ReLU, / (max + 1e-7)), flipped back; the six
maps are averaged. Stored as the final heatmaps.

Stored: the raw maps (before ReLU and normalisation), 7 significant digits. The TypeScript test
applies ReLU and / (max|map| + 1e-7) (or compares the signed, max-normalised maps for relu: false).

Usage:
  node tools/export-nsfw-model.mjs                 # -> $TMPDIR/gradcam-nsfw-export/mobilenet_v2
  .venv-tools/bin/python tools/golden/cam_methods.py [--model-dir DIR] [--out DIR]
  .venv-tools/bin/python tools/golden/cam_methods.py --aug-smooth   # -> nsfw-mobilenet-v2-aug-smooth.json (seconds)
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import golden_common as gc  # noqa: E402  (sets the TF environment before TensorFlow loads)
from nsfw_gradcam import CLASSES, format_with_biome  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

LAYERS = ["out_relu", "block_13_expand_relu"]
IMAGES = ["chelsea.png", "coffee.png"]
METHODS = ["gradcam", "gradcam++", "hirescam", "layercam", "xgradcam", "scorecam", "eigencam", "eigengradcam"]
GRADIENT_METHODS = ["gradcam", "gradcam++", "hirescam", "layercam", "xgradcam", "eigengradcam"]
SCORECAM_BATCH = 64


def projection(x):
    """pytorch-grad-cam get_2d_projection for one (h, w, c) array, float64, sign fixed (see above)."""
    h, w, c = x.shape
    flat = x.reshape(h * w, c).astype(np.float64)
    centred = flat - flat.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    p = centred @ vt[0]
    if np.dot(p, flat.sum(axis=1)) < 0:
        p = -p
    return p.reshape(h, w)


def weighted(weights, a):
    """sum_k w_k A_k in float64."""
    return np.tensordot(a.astype(np.float64), weights.astype(np.float64), axes=([2], [0]))


def method_weights(method, a, g):
    """The channel weights of the weight-based gradient methods; a, g: (h, w, c) float64."""
    if method == "gradcam":
        gn = tf.math.l2_normalize(tf.constant(g.astype(np.float32))).numpy().astype(np.float64)  # Keras l2_normalize
        return gn.mean(axis=(0, 1))
    sum_a = a.sum(axis=(0, 1))
    if method == "gradcam++":
        g2 = g ** 2
        g3 = g2 * g
        alpha = g2 / (2 * g2 + sum_a * g3 + 1e-6)
        alpha = np.where(g != 0, alpha, 0)
        return (np.maximum(g, 0) * alpha).sum(axis=(0, 1))
    if method == "xgradcam":
        return (g * a / (sum_a + 1e-7)).sum(axis=(0, 1))
    raise ValueError(method)


def contributions(method, a, g):
    if method == "hirescam":
        return g * a
    if method == "layercam":
        return np.maximum(g, 0) * a
    raise ValueError(method)


def gradient_map(method, a, g, eigen_smooth):
    if method in ("gradcam", "gradcam++", "xgradcam"):
        w = method_weights(method, a, g)
        return projection(w * a) if eigen_smooth else weighted(w, a)
    if method in ("hirescam", "layercam"):
        c = contributions(method, a, g)
        return projection(c) if eigen_smooth else c.sum(axis=2)
    if method == "eigengradcam":
        return projection(g * a)
    raise ValueError(method)


def score_cam_scores(model, x, a, targets):
    """s[t, k] = model(x * mask_k)[target t], masks as pytorch-grad-cam's score_cam.py."""
    h, w = x.shape[1:3]
    at = tf.constant(a[np.newaxis].astype(np.float32))
    c = a.shape[2]
    out = np.zeros((len(targets), c), dtype=np.float64)
    for start in range(0, c, SCORECAM_BATCH):
        chunk = at[..., start:start + SCORECAM_BATCH]
        up = tf.compat.v1.image.resize_bilinear(chunk, (h, w), align_corners=True)  # (1, H, W, b)
        mn = tf.reduce_min(up, axis=(1, 2), keepdims=True)
        mx = tf.reduce_max(up, axis=(1, 2), keepdims=True)
        masks = (up - mn) / (mx - mn + 1e-8)
        batch = tf.constant(x) * tf.transpose(masks, (3, 1, 2, 0))  # (b, H, W, 3)
        y = model(batch, training=False).numpy()
        out[:, start:start + chunk.shape[-1]] = y[:, targets].T
    return out


def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


AUG_METHODS = ["gradcam", "hirescam", "gradcam++"]
AUG_FACTORS = [0.9, 1.0, 1.1]


def post(raw):
    m = np.maximum(raw, 0)
    return m / (np.max(np.abs(m)) + 1e-7)


def aug_smooth(model, out_dir, images_dir, size, meta):
    name = LAYERS[0]
    grad_model = keras.Model(model.inputs, [model.get_layer(name).output, model.output])
    images = []
    for file in IMAGES[:1]:
        x = gc.to_input(gc.load_image(os.path.join(images_dir, file), size))
        probs = model(x, training=False).numpy()[0]
        targets = [int(i) for i in np.argsort(-probs, kind="stable")[:2]]
        sums = {(m, t): 0.0 for m in AUG_METHODS for t in targets}
        for flip in (False, True):
            for factor in AUG_FACTORS:
                xa = tf.constant((x[:, :, ::-1, :] if flip else x) * np.float32(factor))
                for t in targets:
                    with tf.GradientTape() as tape:
                        tape.watch(xa)
                        A, y = grad_model(xa, training=False)
                        score = y[0, t]
                    g = tape.gradient(score, A).numpy()[0].astype(np.float64)
                    a = A.numpy()[0].astype(np.float64)
                    for m in AUG_METHODS:
                        heat = post(gradient_map(m, a, g, False))
                        sums[(m, t)] = sums[(m, t)] + (heat[:, ::-1] if flip else heat) / 6
        cases = [{"method": m, "target": t, "heatmap": rows(sums[(m, t)])} for m in AUG_METHODS for t in targets]
        images.append({"file": file, "targets": targets, "layer": name, "cases": cases})
    doc = {
        "generator": "tools/golden/cam_methods.py --aug-smooth (pytorch-grad-cam aug_smooth, tf.GradientTape)",
        "versions": gc.versions(),
        "model": "nsfw_mobilenet_v2",
        "weightsSha256": meta.get("weightsSha256"),
        "augmentations": "horizontal flip x multiply 0.9 / 1.0 / 1.1 of the preprocessed input; maps post-processed "
                         "(ReLU, / (max + 1e-7)), flipped back, averaged",
        "images": images,
    }
    out_json = os.path.join(out_dir, "nsfw-mobilenet-v2-aug-smooth.json")
    with open(out_json, "w") as f:
        f.write(gc.dump_json(doc))
    print(f"wrote {out_json} ({os.path.getsize(out_json)} bytes)")


def rows(m):
    return [[gc.r7(v) for v in row] for row in m]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "gradcam-nsfw-export", "mobilenet_v2"))
    ap.add_argument("--images-dir", default=os.path.join(gc.REPO, "examples", "images"))
    ap.add_argument("--out", default=os.path.join(gc.REPO, "packages", "gradcam", "src", "__fixtures__"))
    ap.add_argument("--aug-smooth", action="store_true", help="write only the aug_smooth fixture")
    args = ap.parse_args()

    meta, weights = gc.load_export(args.model_dir)
    model = gc.build_model(meta["modelTopology"], weights)
    size = model.input_shape[1]
    if args.aug_smooth:
        return aug_smooth(model, args.out, args.images_dir, size, meta)
    grad_models = {name: keras.Model(model.inputs, [model.get_layer(name).output, model.output]) for name in LAYERS}

    images = []
    for file_index, file in enumerate(IMAGES):
        img = gc.load_image(os.path.join(args.images_dir, file), size)
        x = gc.to_input(img)
        probs = model(x, training=False).numpy()[0]
        targets = [int(i) for i in np.argsort(-probs, kind="stable")[:2]]
        print(f"{file}: targets {[CLASSES[t] for t in targets]} probs {[round(float(probs[t]), 6) for t in targets]}")
        layer_records = []
        for name in LAYERS:
            xt = tf.constant(x)
            grads = []
            for t in targets:
                with tf.GradientTape() as tape:
                    tape.watch(xt)
                    A, y = grad_models[name](xt, training=False)
                    score = y[0, t]
                grads.append(tape.gradient(score, A).numpy()[0].astype(np.float64))
            a = A.numpy()[0].astype(np.float64)
            started = time.time()
            score_weights = softmax(score_cam_scores(model, x, A.numpy()[0], targets))
            print(f"  {name} {a.shape}: Score-CAM {a.shape[2]} masked inputs in {time.time() - started:.1f}s")
            cases = []
            # Eigen-smoothed and counterfactual variants only for the first image at the first layer (small file).
            variants = [(False, False)] + ([(True, False), (False, True)] if file_index == 0 and name == LAYERS[0] else [])
            for eigen_smooth, counterfactual in variants:
                for method in METHODS:
                    if counterfactual and method not in GRADIENT_METHODS:
                        continue
                    for ti, t in enumerate(targets):
                        g = -grads[ti] if counterfactual else grads[ti]
                        if method == "scorecam":
                            w = score_weights[ti]
                            raw = projection(w * a) if eigen_smooth else weighted(w, a)
                        elif method == "eigencam":
                            raw = projection(a)
                        else:
                            raw = gradient_map(method, a, g, eigen_smooth)
                        cases.append({"method": method, "target": t, "eigenSmooth": eigen_smooth,
                                      "counterfactual": counterfactual, "raw": rows(raw)})
            layer_records.append({"layer": name, "shape": list(a.shape), "cases": cases})
        images.append({"file": file, "resized": f"{os.path.splitext(file)[0]}-{size}.png",
                       "predictions": [gc.r7(p) for p in probs], "targets": targets, "layers": layer_records})

    doc = {
        "generator": "tools/golden/cam_methods.py (pytorch-grad-cam formulas on tf.GradientTape gradients)",
        "versions": gc.versions(),
        "model": "nsfw_mobilenet_v2",
        "weightsSha256": meta.get("weightsSha256"),
        "preprocessing": "x/255",
        "score": "softmax output y[0, target] (logits: false)",
        "stored": "raw maps before ReLU and normalisation, float64 from TF's float32 A and G, 7 significant digits",
        "scorecam": f"masks in chunks of {SCORECAM_BATCH}; bilinear align_corners=True; (m - min)/(max - min + 1e-8); softmax over channels",
        "projection": "centred over positions, first right-singular vector (np.linalg.svd), sign: positive correlation with the channel sum",
        "classes": CLASSES,
        "images": images,
    }
    out_json = os.path.join(args.out, "nsfw-mobilenet-v2-cam-methods.json")
    with open(out_json, "w") as f:
        f.write(gc.dump_json(doc))
    format_with_biome(out_json)
    print(f"wrote {out_json} ({os.path.getsize(out_json)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
