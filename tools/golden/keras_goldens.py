"""Keras 3 models saved as .keras / .h5, and TensorFlow references for gradcam's Keras loading,
target functions, several-layer maps, AblationCAM, Integrated Gradients, SmoothGrad, Occlusion,
Score-CAM on logits and ROAD → packages/gradcam/src/__fixtures__/keras/.

Every number comes from TensorFlow (GradientTape, model calls) and numpy/scipy in float64 where
the formula is post-processing; see the README beside the fixtures. Run:
    .venv-tools/bin/python tools/golden/keras_goldens.py [--out DIR]
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as gc  # noqa: E402  (sets the TF environment before TF loads)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.sparse import lil_matrix, csc_matrix  # noqa: E402
from scipy.sparse.linalg import spsolve  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402
from PIL import Image  # noqa: E402

SIZE = 32
IMAGES = ["chelsea.png", "coffee.png"]


# -- seeded noise, the same numbers as packages/core/src/random.ts ---------------------------
def mulberry32(seed):
    state = seed & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def nxt():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0

    return nxt


def gaussian_noise(count, seed):
    u = mulberry32(seed)
    out = np.zeros(count, dtype=np.float32)
    for i in range(0, count, 2):
        r = math.sqrt(-2 * math.log(1 - u()))
        a = 2 * math.pi * u()
        out[i] = r * math.cos(a)
        if i + 1 < count:
            out[i + 1] = r * math.sin(a)
    return out


# -- models ---------------------------------------------------------------------------------
def randomize_bn(model, rng):
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            g, b, m, v = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, g.shape), rng.normal(0, 0.1, b.shape), rng.normal(0, 0.2, m.shape), rng.uniform(0.5, 2, v.shape)])


def small_cnn():
    return keras.Sequential([
        keras.Input((SIZE, SIZE, 3)),
        L.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
        L.BatchNormalization(name="bn1"),
        L.MaxPooling2D(2, name="pool1"),
        L.DepthwiseConv2D(3, padding="same", name="dw"),
        L.ReLU(6.0, name="dw_relu"),
        L.SeparableConv2D(12, 3, padding="same", activation="relu", name="sep"),
        L.Dropout(0.2, name="drop"),
        L.GlobalAveragePooling2D(name="gap"),
        L.Dense(4, activation="softmax", name="probs"),
    ], name="small_cnn")


def resnet_block():
    i = keras.Input((SIZE, SIZE, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", name="stem")(i)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.Activation("relu", name="stem_relu")(x)
    y = L.Conv2D(8, 3, padding="same", name="res_conv1")(x)
    y = L.BatchNormalization(name="res_bn1")(y)
    y = L.ReLU(name="res_relu1")(y)
    y = L.Conv2D(8, 3, padding="same", name="res_conv2")(y)
    y = L.BatchNormalization(name="res_bn2")(y)
    x = L.Add(name="add")([x, y])
    x = L.ReLU(name="block_out")(x)
    z = L.ZeroPadding2D(1, name="pad")(x)
    z = L.Conv2D(6, 3, padding="valid", activation="relu", name="conv_b")(z)
    x = L.Concatenate(name="concat")([x, z])
    x = L.MaxPooling2D(2, name="pool")(x)
    x = L.Flatten(name="flatten")(x)
    o = L.Dense(5, activation="softmax", name="probs")(x)
    return keras.Model(i, o, name="resnet_block")


def rescaled():
    i = keras.Input((SIZE, SIZE, 3))
    x = L.Rescaling(1 / 127.5, offset=-1, name="rescale")(i)
    x = L.Conv2D(8, 3, name="conv1")(x)
    x = L.LeakyReLU(0.2, name="leaky")(x)
    x = L.AveragePooling2D(2, name="avg")(x)
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="last_conv")(x)
    x = L.GlobalMaxPooling2D(name="gmp")(x)
    o = L.Dense(3, activation="softmax", name="probs")(x)
    return keras.Model(i, o, name="rescaled")


def regression():
    i = keras.Input((SIZE, SIZE, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv1")(i)
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="conv2")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    o = L.Dense(1, name="value")(x)
    return keras.Model(i, o, name="regression")


def segmentation():
    i = keras.Input((SIZE, SIZE, 3))
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="enc")(i)
    x = L.MaxPooling2D(2, name="down")(x)
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="mid")(x)
    x = L.UpSampling2D(2, name="up")(x)
    o = L.Conv2D(3, 1, activation="softmax", name="seg")(x)
    return keras.Model(i, o, name="segmentation")


BOXES, DET_CLASSES = 6, 3


def detection():
    i = keras.Input((SIZE, SIZE, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv1")(i)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="det_conv")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(BOXES * (4 + DET_CLASSES), name="head")(x)
    x = L.Reshape((BOXES, 4 + DET_CLASSES), name="table")(x)
    o = L.Activation("sigmoid", name="boxes")(x)
    return keras.Model(i, o, name="detection")


# -- helpers --------------------------------------------------------------------------------
def load_pixels(images_dir, name):
    img = Image.open(os.path.join(images_dir, name)).convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8)


def grads_at(model, layer_name, x, score_fn):
    """A and dScore/dA at a layer (the total derivative, as explain computes it)."""
    grad_model = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        a, y = grad_model(xt, training=False)
        score = score_fn(y[0])
    return a.numpy(), tape.gradient(score, a).numpy(), float(score.numpy())


def eli5(model, layer, x, score_fn):
    a, g, score = grads_at(model, layer, x, score_fn)
    _, heat, _ = gc.eli5_from_grads(a, tf.constant(g))
    return heat, score


def input_grad(model, x, score_fn):
    xt = tf.constant(x.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = model(xt, training=False)
        s = tf.reduce_sum(tf.stack([score_fn(y[r]) for r in range(y.shape[0])]))
    return tape.gradient(s, xt).numpy().astype(np.float64)


def rows(m):
    return [[gc.r7(v) for v in row] for row in np.asarray(m)]


def tail_of(model, name):
    """The layers after `name` of a Sequential model, as a function of that layer's output."""
    names = [l.name for l in model.layers]
    after = model.layers[names.index(name) + 1:]

    def run(a):
        for l in after:
            a = l(a, training=False)
        return a
    return run


def logits_of(model, x):
    """Pre-softmax scores of a model whose last layer is Dense(softmax)."""
    penultimate = keras.Model(model.inputs, model.layers[-2].output)(x, training=False)
    k, b = model.layers[-1].get_weights()
    return penultimate.numpy() @ k + b


def imputation(img, removed, noise, seed):
    """ROAD's noisy linear imputation (the paper's sparse system, scipy spsolve) + gaussian_noise(seed)."""
    h, w, c = img.shape
    unknown = np.flatnonzero(removed.reshape(-1))
    slot = -np.ones(h * w, dtype=int)
    slot[unknown] = np.arange(len(unknown))
    A = lil_matrix((len(unknown), len(unknown)))
    b = np.zeros((len(unknown), c))
    diag = np.zeros(len(unknown))
    weights = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6), ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]
    flat = img.reshape(-1, c).astype(np.float64)
    for k, p in enumerate(unknown):
        y, x = divmod(p, w)
        for (dy, dx), wt in weights:
            yy, xx = y + dy, x + dx
            if not (0 <= yy < h and 0 <= xx < w):
                continue
            diag[k] += wt
            q = yy * w + xx
            if slot[q] >= 0:
                A[k, slot[q]] = -wt
            else:
                b[k] += wt * flat[q]
    A.setdiag(diag)
    v = spsolve(csc_matrix(A), b).reshape(len(unknown), c)
    z = gaussian_noise(len(unknown) * c, seed).reshape(len(unknown), c)
    out = flat.copy()
    out[unknown] = v + noise * z
    return out.reshape(h, w, c).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(gc.REPO, "packages", "gradcam", "src", "__fixtures__", "keras"))
    ap.add_argument("--images-dir", default=os.path.join(gc.REPO, "examples", "images"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(21)
    rng = np.random.default_rng(21)
    u = mulberry32(0)
    print("mulberry32(0):", [round(u() * 2 ** 32) for _ in range(3)])

    pixels = [load_pixels(args.images_dir, n) for n in IMAGES]
    doc = {"generator": "tools/golden/keras_goldens.py", "versions": {**gc.versions(), "scipy": scipy.__version__},
           "images": [{"file": n, "size": SIZE, "resize": "Pillow BILINEAR", "pixels": p.reshape(-1).tolist()} for n, p in zip(IMAGES, pixels)]}

    built = {}
    for make in (small_cnn, resnet_block, rescaled, regression, segmentation, detection):
        m = make()
        randomize_bn(m, rng)
        if m.name == "small_cnn":
            # A confident classifier (random weights give near-uniform probabilities and tiny gradients).
            k, b = m.get_layer("probs").get_weights()
            m.get_layer("probs").set_weights([k * 30, b])
        m.save(os.path.join(args.out, f"{m.name}.keras"))
        built[m.name] = m
    built["resnet_block"].save(os.path.join(args.out, "resnet_block.h5"))

    def x_of(i, raw=False):
        return pixels[i][np.newaxis].astype(np.float32) / (1.0 if raw else 255.0)

    # 1. Loading + Grad-CAM (ELI5) of the top class.
    cases = []
    for name, files, layers, raw in [("small_cnn", ["small_cnn.keras"], ["sep", "conv1"], False),
                                     ("resnet_block", ["resnet_block.keras", "resnet_block.h5"], ["block_out", "res_relu1", "concat"], False),
                                     ("rescaled", ["rescaled.keras"], ["last_conv"], True)]:
        m = built[name]
        for i in range(len(IMAGES)):
            x = x_of(i, raw)
            probs = m(x, training=False).numpy()[0]
            t = int(np.argmax(probs))
            maps = {}
            for layer in layers:
                heat, _ = eli5(m, layer, x, lambda y, t=t: y[t])
                maps[layer] = rows(heat)
            cases.append({"model": name, "files": files, "image": i, "preprocess": "none" if raw else "x/255",
                          "predictions": [gc.r7(p) for p in probs], "target": t, "gradcam": maps})
    doc["loading"] = cases

    # 2. Target functions.
    x = x_of(0)
    reg = built["regression"]
    heat, score = eli5(reg, "conv2", x, lambda y: y[0])
    seg = built["segmentation"]
    out = seg(x, training=False).numpy()[0]
    labels = np.argmax(out, axis=-1)
    category = int(np.bincount(labels.reshape(-1), minlength=3).argmax())
    mask = (labels == category).astype(np.float32)
    seg_heat, seg_score = eli5(seg, "mid", x, lambda y: tf.reduce_sum(y[..., category] * mask))
    det = built["detection"]
    table = det(x, training=False).numpy()[0]
    b = table[2, :4]
    # Boxes as (cx, cy, w, h): the sigmoid outputs always make a proper box.
    ref = [float(b[0]) + 0.02, float(b[1]) - 0.01, float(b[2]) * 0.9, float(b[3]) * 1.1]

    def corners(cx, cy, w, h):
        return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2

    def det_score(y):
        x1, y1, x2, y2 = corners(*[y[:, j] for j in range(4)])
        r = corners(*ref)
        area_p = tf.nn.relu(x2 - x1) * tf.nn.relu(y2 - y1)
        inter = tf.nn.relu(tf.minimum(x2, r[2]) - tf.maximum(x1, r[0])) * tf.nn.relu(tf.minimum(y2, r[3]) - tf.maximum(y1, r[1]))
        area_r = max(r[2] - r[0], 0) * max(r[3] - r[1], 0)
        iou = inter / tf.maximum(area_p + area_r - inter, 1e-12)
        best = tf.argmax(iou)
        return tf.where(iou[best] > 0.5, iou[best] + y[best, 4 + 2], 0.0)
    det_heat, det_score_v = eli5(det, "det_conv", x, det_score)
    doc["targets"] = {
        "regression": {"model": "regression.keras", "layer": "conv2", "score": gc.r7(score), "gradcam": rows(heat)},
        "segmentation": {"model": "segmentation.keras", "layer": "mid", "category": category, "mask": mask.astype(int).reshape(-1).tolist(),
                         "score": gc.r7(seg_score), "gradcam": rows(seg_heat)},
        "detection": {"model": "detection.keras", "layer": "det_conv", "box": [gc.r7(v) for v in ref], "classId": 2, "iouThreshold": 0.5, "format": "cxcywh",
                      "score": gc.r7(det_score_v), "gradcam": rows(det_heat)},
    }

    # 3. Methods on small_cnn, image 0, its top class (raw maps before ReLU and normalisation).
    m = built["small_cnn"]
    x = x_of(0)
    probs = m(x, training=False).numpy()[0]
    t = int(np.argmax(probs))
    score_fn = lambda y: y[t]  # noqa: E731
    methods = {"target": t}
    steps = 8
    alphas = np.arange(1, steps + 1, dtype=np.float32)[:, None, None, None] / steps
    g = input_grad(m, alphas * x, score_fn).mean(axis=0)
    methods["integratedGradients"] = {"steps": steps, "baseline": "zero", "raw": rows((g * x[0]).sum(axis=-1))}
    samples, noise = 4, 0.15
    sigma = noise * float(x.max() - x.min())
    z = gaussian_noise(samples * x.size, 0).reshape((samples,) + x.shape[1:])
    g = input_grad(m, x + sigma * z, score_fn).mean(axis=0)
    methods["smoothGrad"] = {"samples": samples, "noise": noise, "seed": 0, "raw": rows(np.abs(g).max(axis=-1))}
    window, stride = 8, 4
    pos = list(range(0, SIZE - window, stride)) + [SIZE - window]
    base = np.broadcast_to(x.mean(axis=(1, 2), keepdims=True), x.shape)
    sums = np.zeros((SIZE, SIZE))
    counts = np.zeros((SIZE, SIZE))
    batch = []
    for py in pos:
        for px in pos:
            o = x.copy()
            o[0, py:py + window, px:px + window] = base[0, py:py + window, px:px + window]
            batch.append(o[0])
    scores = m(np.stack(batch), training=False).numpy()[:, t]
    for (py, px), s in zip([(a, c) for a in pos for c in pos], scores):
        sums[py:py + window, px:px + window] += probs[t] - s
        counts[py:py + window, px:px + window] += 1
    methods["occlusion"] = {"window": window, "stride": stride, "baseline": "mean", "raw": rows(sums / counts)}
    a = keras.Model(m.inputs, m.get_layer("sep").output)(x, training=False).numpy()
    tail = tail_of(m, "sep")
    y0 = float(tail(a).numpy()[0, t])
    value = 0.0 if a.min() == 0 else float(a.min()) - 1e7
    ablated = np.repeat(a, a.shape[-1], axis=0)
    for k in range(a.shape[-1]):
        ablated[k, ..., k] = value
    yk = tail(ablated).numpy()[:, t]
    w = (y0 - yk) / y0
    methods["ablationcam"] = {"layer": "sep", "raw": rows((a[0] * w).sum(axis=-1))}
    up = tf.compat.v1.image.resize_bilinear(a, (SIZE, SIZE), align_corners=True).numpy()
    mn = up.min(axis=(1, 2), keepdims=True)
    mx = up.max(axis=(1, 2), keepdims=True)
    masks = (up - mn) / (mx - mn + 1e-8)
    masked = x * np.transpose(masks, (3, 1, 2, 0))
    logits = logits_of(m, masked)[:, t]
    sw = np.exp(logits - logits.max())
    sw /= sw.sum()
    methods["scorecamLogits"] = {"layer": "sep", "raw": rows((a[0] * sw).sum(axis=-1))}
    h1, _ = eli5(m, "conv1", x, score_fn)
    h2, _ = eli5(m, "sep", x, score_fn)
    big = max((h1, h2), key=lambda h: h.size)
    resized = [h if h.shape == big.shape else tf.image.resize(h[None, ..., None].astype(np.float32), big.shape, method="bilinear").numpy()[0, ..., 0]
               for h in (h1, h2)]
    mean = np.mean(resized, axis=0)
    methods["multiLayer"] = {"layers": ["conv1", "sep"], "heatmap": rows(mean / mean.max())}
    doc["methods"] = methods

    # 4. ROAD on the Grad-CAM map at 'sep' (upsampled bilinearly to the image).
    heat = np.asarray(h2, dtype=np.float32)
    up = tf.image.resize(heat[None, ..., None], (SIZE, SIZE), method="bilinear").numpy()[0, ..., 0].reshape(-1)
    fractions = [0.2, 0.5, 0.8]
    order_morf = sorted(range(SIZE * SIZE), key=lambda i: (-up[i], i))
    order_lerf = sorted(range(SIZE * SIZE), key=lambda i: (up[i], i))
    road = {"target": t, "fractions": fractions, "noise": 0.01, "seed": 0, "heatmap": rows(heat), "original": gc.r7(probs[t])}
    for key, order in (("morf", order_morf), ("lerf", order_lerf)):
        imgs = []
        for f in fractions:
            removed = np.zeros(SIZE * SIZE, dtype=bool)
            removed[order[:round(f * SIZE * SIZE)]] = True
            imgs.append(imputation(x[0], removed.reshape(SIZE, SIZE), 0.01, 0))
        road[key] = [gc.r7(v) for v in m(np.stack(imgs), training=False).numpy()[:, t]]
    doc["road"] = road

    path = os.path.join(args.out, "keras-goldens.json")
    with open(path, "w") as f:
        f.write(gc.dump_json(doc))
    gc._ng.format_with_biome(path)
    for n in sorted(os.listdir(args.out)):
        print(f"  {n}: {os.path.getsize(os.path.join(args.out, n))} bytes")


if __name__ == "__main__":
    sys.exit(main())
