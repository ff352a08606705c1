#!/usr/bin/env python3
"""Golden Grad-CAM heatmaps for the nsfwjs MobileNetV2 model, computed the way ELI5 does.

Inputs: the folder written by `node tools/export-nsfw-model.mjs` (model.json + weights.bin:
the Keras 2.2.4 layers topology shipped by nsfwjs and its weights, dequantized exactly as TF.js does).

1. Rebuilds the network in Keras 3 (functional API) by walking model_config.config.layers and their
   inbound_nodes, and loads the weights by layer name. A copy whose dense_3 activation is linear gives
   the pre-softmax logits.
2. For each image: PIL open -> convert('RGB') -> resize((224, 224), NEAREST) (what
   keras.utils.load_img(path, target_size=(224, 224)) does), float32, / 255, batch axis.
3. Grad-CAM as eli5.keras.gradcam (eli5 0.13) does it:
     score = y[0, target]; G = dScore/dA (GradientTape; the total derivative, also inside residual blocks)
     G = tf.math.l2_normalize(G)                      # K.l2_normalize(axis=None): G * rsqrt(max(sum G^2, 1e-12))
     w_k = tf.reduce_mean(G, axis=(1, 2))[0]          # K.mean over i, j   (float32, in TF like Keras)
     lmap = zeros(float64); lmap += w_k * A[0, :, :, k] for each k   # numpy, float32 products, float64 sum
     lmap = maximum(lmap, 0); heatmap = lmap / (max(lmap) + 1e-7)    # K.epsilon() = 1e-7
   for the softmax output (what ELI5 explains) and for the logits (the same with dense_3 linear).
4. Writes packages/gradcam/src/__fixtures__/nsfw-mobilenet-v2-gradcam.json and <image>-224.png.

Usage (see tools/setup-venv.sh for the Python environment):
  node tools/export-nsfw-model.mjs                 # -> $TMPDIR/gradcam-nsfw-export/mobilenet_v2
  .venv-tools/bin/python tools/golden/nsfw_gradcam.py [--model-dir DIR] [--out DIR]
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # deterministic, plain-float32 CPU kernels

import numpy as np  # noqa: E402
import PIL  # noqa: E402
from PIL import Image  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]
LAYERS = ["out_relu", "Conv_1", "block_16_project", "block_9_expand", "block_2_expand"]
# Layers whose heatmaps are large (56x56): stored only for these images to keep the fixture small.
LARGE_LAYERS = {"block_2_expand"}
DEFAULT_IMAGES = ["chelsea.png", "coffee.png", "astronaut.png"]
DEFAULT_LARGE_IMAGES = ["chelsea.png"]
EPSILON = 1e-7  # keras.backend.epsilon(), used by ELI5


# --------------------------------------------------------------------------------------------
# Rebuilding the Keras 2.2.4 topology in Keras 3
# --------------------------------------------------------------------------------------------

def _pairs(v):
    return tuple(tuple(p) if isinstance(p, list) else p for p in v) if isinstance(v, list) else v


def make_layer(class_name, cfg, overrides=None):
    """A Keras 3 layer from a Keras 2.2.4 layer config, passing only keys Keras 3 accepts."""
    c = dict(cfg)
    if overrides:
        c.update(overrides)
    name = c["name"]
    if class_name == "ZeroPadding2D":
        return keras.layers.ZeroPadding2D(padding=_pairs(c["padding"]), data_format=c["data_format"], name=name)
    if class_name == "Conv2D":
        return keras.layers.Conv2D(
            filters=c["filters"], kernel_size=tuple(c["kernel_size"]), strides=tuple(c["strides"]),
            padding=c["padding"], data_format=c["data_format"], dilation_rate=tuple(c["dilation_rate"]),
            activation=c["activation"], use_bias=c["use_bias"], name=name)
    if class_name == "DepthwiseConv2D":
        return keras.layers.DepthwiseConv2D(
            kernel_size=tuple(c["kernel_size"]), strides=tuple(c["strides"]), padding=c["padding"],
            depth_multiplier=c["depth_multiplier"], data_format=c["data_format"],
            dilation_rate=tuple(c["dilation_rate"]), activation=c["activation"], use_bias=c["use_bias"], name=name)
    if class_name == "BatchNormalization":
        return keras.layers.BatchNormalization(
            axis=c["axis"], momentum=c["momentum"], epsilon=c["epsilon"], center=c["center"], scale=c["scale"],
            name=name)
    if class_name == "ReLU":
        return keras.layers.ReLU(
            max_value=c.get("max_value"), negative_slope=c.get("negative_slope", 0.0),
            threshold=c.get("threshold", 0.0), name=name)
    if class_name == "Add":
        return keras.layers.Add(name=name)
    if class_name == "AveragePooling2D":
        return keras.layers.AveragePooling2D(
            pool_size=tuple(c["pool_size"]), strides=tuple(c["strides"]) if c.get("strides") else None,
            padding=c["padding"], data_format=c["data_format"], name=name)
    if class_name == "Flatten":
        return keras.layers.Flatten(data_format=c.get("data_format"), name=name)
    if class_name == "Dense":
        return keras.layers.Dense(units=c["units"], activation=c["activation"], use_bias=c["use_bias"], name=name)
    if class_name == "Dropout":
        return keras.layers.Dropout(rate=c["rate"], noise_shape=c.get("noise_shape"), seed=c.get("seed"), name=name)
    raise ValueError(f"unsupported layer class {class_name} ({name})")


# Exported weight names (Keras 2 variable names) in the order of each Keras 3 layer's `weights`.
def weight_names(class_name, cfg):
    if class_name == "Conv2D" or class_name == "Dense":
        return ["kernel"] + (["bias"] if cfg["use_bias"] else [])
    if class_name == "DepthwiseConv2D":
        return ["depthwise_kernel"] + (["bias"] if cfg["use_bias"] else [])
    if class_name == "BatchNormalization":
        return (["gamma"] if cfg["scale"] else []) + (["beta"] if cfg["center"] else []) + \
            ["moving_mean", "moving_variance"]
    return []


def load_export(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        meta = json.load(f)
    blob = np.fromfile(os.path.join(model_dir, "weights.bin"), dtype="<f4")
    weights = {}
    for w in meta["weights"]:
        n = int(np.prod(w["shape"])) if w["shape"] else 1
        start = w["offset"] // 4
        weights[w["name"]] = blob[start:start + n].reshape(w["shape"])
    return meta, weights


def build_model(topology, weights, overrides=None):
    """Functional Keras 3 model from the Keras 2.2.4 `modelTopology`; overrides: {layer: {key: value}}."""
    overrides = overrides or {}
    mc = topology["model_config"]
    assert mc["class_name"] in ("Model", "Functional"), mc["class_name"]
    cfg = mc["config"]
    tensors = {}
    pending = list(cfg["layers"])
    built_layers = []
    while pending:
        progressed = False
        for layer in list(pending):
            cls, lc, name = layer["class_name"], layer["config"], layer["name"]
            nodes = layer["inbound_nodes"]
            if cls == "InputLayer":
                shape = lc["batch_input_shape"][1:]
                tensors[name] = keras.Input(shape=tuple(shape), dtype=lc.get("dtype", "float32"), name=name)
            else:
                assert len(nodes) == 1, f"{name}: shared layers are not supported"
                srcs = nodes[0]
                if not all(s[0] in tensors for s in srcs):
                    continue
                for s in srcs:
                    assert s[1] == 0 and s[2] == 0, f"{name}: inbound {s} not supported"
                inputs = [tensors[s[0]] for s in srcs]
                kl = make_layer(cls, lc, overrides.get(name))
                tensors[name] = kl(inputs if len(inputs) > 1 else inputs[0])
                built_layers.append((kl, cls, lc))
            pending.remove(layer)
            progressed = True
        if not progressed:
            raise ValueError(f"cannot resolve inbound nodes of {[l['name'] for l in pending]}")
    ins = [tensors[n[0]] for n in cfg["input_layers"]]
    outs = [tensors[n[0]] for n in cfg["output_layers"]]
    model = keras.Model(inputs=ins[0] if len(ins) == 1 else ins, outputs=outs[0] if len(outs) == 1 else outs,
                        name=cfg.get("name") or "model")

    used = set()
    for kl, cls, lc in built_layers:
        names = weight_names(cls, lc)
        assert len(names) == len(kl.weights), f"{kl.name}: {names} vs {[w.path for w in kl.weights]}"
        values = []
        for wn, var in zip(names, kl.weights):
            key = f"{kl.name}/{wn}"
            v = weights[key]
            assert tuple(v.shape) == tuple(var.shape), f"{key}: {v.shape} vs {var.shape}"
            values.append(v)
            used.add(key)
        if values:
            kl.set_weights(values)
    unused = set(weights) - used
    assert not unused, f"exported weights not used: {sorted(unused)}"
    return model


# --------------------------------------------------------------------------------------------
# Images and Grad-CAM
# --------------------------------------------------------------------------------------------

def load_image(path, size):
    img = Image.open(path)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img.resize((size, size), Image.NEAREST)


def to_input(img):
    x = np.asarray(img, dtype=np.float32) / np.float32(255.0)
    return x[np.newaxis, ...]


def gradcam_eli5(grad_model, x, target):
    """Returns (score, rawMax, heatmap float64, grad L2 norm, lmap accumulated in float32)."""
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        A, y = grad_model(xt, training=False)
        score = y[0, target]
    G = tape.gradient(score, A)
    grad_norm = float(tf.norm(G).numpy())
    Gn = tf.math.l2_normalize(G)                      # K.l2_normalize(grads), axis=None
    weights = tf.reduce_mean(Gn, axis=(1, 2)).numpy()[0]   # K.mean(grads, axis=(1, 2))
    activations = A.numpy()[0]

    lmap = np.zeros(activations.shape[:2], dtype=np.float64)   # ELI5: float64 accumulator
    lmap32 = np.zeros(activations.shape[:2], dtype=np.float32)  # pure float32 variant, for reference
    for i, w in enumerate(weights):
        term = w * activations[..., i]                 # float32 * float32
        lmap += term
        lmap32 += term
    lmap = np.maximum(lmap, 0)
    raw_max = float(np.max(lmap))
    heatmap = lmap / (np.max(lmap) + EPSILON)
    lmap32 = np.maximum(lmap32, 0)
    heatmap32 = lmap32 / (np.max(lmap32) + np.float32(EPSILON))
    return float(score.numpy()), raw_max, heatmap, grad_norm, heatmap32


def predict_top2(model, model_logits, x):
    """Softmax output, logits (checked to agree through a softmax) and the two best classes."""
    probs = model(x, training=False).numpy()[0]
    logits = model_logits(x, training=False).numpy()[0]
    sm = np.exp(logits - logits.max())
    sm /= sm.sum()
    assert np.allclose(sm, probs, atol=1e-6), (sm, probs)
    order = [int(i) for i in np.argsort(-probs, kind="stable")]
    return probs, logits, order


def case_record(layer, target, use_logits, score, raw_max, gnorm, heat):
    """One golden case as the fixtures store it, floats rounded to 7 significant digits."""
    return {
        "layer": layer,
        "target": target,
        "logits": use_logits,
        "score": r7(score),
        "rawMax": r7(raw_max),
        "gradNorm": r7(gnorm),
        "heatmap": [[r7(v) for v in row] for row in heat],
    }


def r7(v):
    """Round to 7 significant digits (JSON-friendly float)."""
    v = float(v)
    if v == 0.0 or not np.isfinite(v):
        return 0.0 if v == 0.0 else v
    return float(f"{v:.7g}")


def dump_json(doc):
    """JSON with one heatmap row per line: readable diffs, small file."""
    rows = {}

    def walk(o):
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()}
        if isinstance(o, list):
            if o and isinstance(o[0], list) and o[0] and isinstance(o[0][0], (int, float)):
                key = f"@@ROWS{len(rows)}@@"
                rows[key] = o
                return key
            return [walk(v) for v in o]
        return o

    text = json.dumps(walk(doc), indent=2)
    for key, mat in rows.items():
        body = ",\n".join(json.dumps(r, separators=(",", ":")) for r in mat)
        text = text.replace(f'"{key}"', "[\n" + body + "\n]")
    return text + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "gradcam-nsfw-export", "mobilenet_v2"),
                    help="output folder of tools/export-nsfw-model.mjs")
    ap.add_argument("--images-dir", default=os.path.join(REPO, "examples", "images"))
    ap.add_argument("--images", nargs="+", default=DEFAULT_IMAGES)
    ap.add_argument("--large-images", nargs="*", default=DEFAULT_LARGE_IMAGES,
                    help=f"images that also get the {sorted(LARGE_LAYERS)} heatmaps")
    ap.add_argument("--out", default=os.path.join(REPO, "packages", "gradcam", "src", "__fixtures__"))
    args = ap.parse_args()

    meta, weights = load_export(args.model_dir)
    topo = meta["modelTopology"]
    print(f"model: {meta.get('source')} keras_version={topo.get('keras_version')}")
    model = build_model(topo, weights)
    model_logits = build_model(topo, weights, overrides={"dense_3": {"activation": "linear"}})
    size = model.input_shape[1]
    assert model.output_shape == (None, len(CLASSES)), model.output_shape

    os.makedirs(args.out, exist_ok=True)
    grad_models = {}
    for name in LAYERS:
        grad_models[(name, False)] = keras.Model(model.inputs, [model.get_layer(name).output, model.output])
        grad_models[(name, True)] = keras.Model(
            model_logits.inputs, [model_logits.get_layer(name).output, model_logits.output])

    images = []
    max_f32_diff = 0.0
    for file in args.images:
        img = load_image(os.path.join(args.images_dir, file), size)
        stem = os.path.splitext(file)[0]
        resized = f"{stem}-{size}.png"
        img.save(os.path.join(args.out, resized))
        # The file on disk must decode back to exactly the pixels we fed the model.
        assert np.array_equal(np.asarray(Image.open(os.path.join(args.out, resized)).convert("RGB")), np.asarray(img))
        x = to_input(img)
        probs, logits, order = predict_top2(model, model_logits, x)
        targets = order[:2]
        print(f"\n{file}: " + ", ".join(f"{CLASSES[i]}={probs[i]:.6f}" for i in order))
        print("  logits: " + ", ".join(f"{CLASSES[i]}={logits[i]:.5f}" for i in range(len(CLASSES))))
        cases = []
        for name in LAYERS:
            if name in LARGE_LAYERS and file not in args.large_images:
                continue
            for use_logits in (False, True):
                for target in targets:
                    score, raw_max, heat, gnorm, heat32 = gradcam_eli5(grad_models[(name, use_logits)], x, target)
                    max_f32_diff = max(max_f32_diff, float(np.max(np.abs(heat - heat32))))
                    nz = heat[heat > 0]
                    print(f"  {name:17s} {'logits ' if use_logits else 'softmax'} {CLASSES[target]:8s} "
                          f"score={score:.6g} |dS/dA|={gnorm:.3e} rawMax={raw_max:.6g} "
                          f"heat[{heat.shape[0]}x{heat.shape[1]}] min={heat.min():.3g} "
                          f"minNonZero={(nz.min() if nz.size else 0):.3g} max={heat.max():.7f} "
                          f"zeros={int((heat == 0).sum())}")
                    cases.append(case_record(name, target, use_logits, score, raw_max, gnorm, heat))
        images.append({
            "file": file,
            "resized": resized,
            "predictions": [r7(p) for p in probs],
            "logits": [r7(v) for v in logits],
            "cases": cases,
        })
    print(f"\nmax |heatmap(float64 accumulation, ELI5) - heatmap(float32 accumulation)| = {max_f32_diff:.3g}")

    doc = {
        "generator": "tools/golden/nsfw_gradcam.py (ELI5 eli5.keras.gradcam algorithm, tf.GradientTape)",
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "pillow": PIL.__version__,
        },
        "model": "nsfw_mobilenet_v2",
        "source": meta.get("source"),
        "weightsSha256": meta.get("weightsSha256"),
        "preprocessing": "x/255",
        "resize": "PIL Image.open(path).convert('RGB').resize((224, 224), Image.NEAREST)",
        "method": ("G = l2_normalize(dScore/dA) over the whole tensor (x * rsqrt(max(sum x^2, 1e-12)), float32); "
                   "w_k = mean_ij G[0,i,j,k] (float32); lmap = relu(sum_k w_k * A[0,:,:,k]) with float32 products "
                   "accumulated in float64; heatmap = lmap / (max(lmap) + 1e-7); rawMax = max(lmap). "
                   "logits=true: score is the pre-softmax dense_3 output."),
        "rounding": "7 significant digits",
        "classes": CLASSES,
        "images": images,
    }
    out_json = os.path.join(args.out, "nsfw-mobilenet-v2-gradcam.json")
    with open(out_json, "w") as f:
        f.write(dump_json(doc))
    format_with_biome(out_json)
    print(f"wrote {out_json} ({os.path.getsize(out_json)} bytes)")


def format_with_biome(path):
    """The repo lints JSON with `biome check .`: format the fixture with the repo's own biome if installed."""
    biome = os.path.join(REPO, "node_modules", ".bin", "biome")
    if not os.path.exists(biome):
        biome = shutil.which("biome")
    if not biome:
        print("note: biome not found (run pnpm install); the JSON is not biome-formatted")
        return
    r = subprocess.run([biome, "format", "--write", path], cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"warning: biome format failed:\n{r.stdout}{r.stderr}")


if __name__ == "__main__":
    sys.exit(main())
