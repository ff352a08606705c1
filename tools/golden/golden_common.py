"""Shared helpers for the golden Grad-CAM generators in tools/golden/.

Importing this module imports tools/golden/nsfw_gradcam.py (which sets TF_CPP_MIN_LOG_LEVEL=2 and
TF_ENABLE_ONEDNN_OPTS=0 before TensorFlow loads) and re-exports its helpers, so every generator uses
one implementation of: the Keras 2.2.4 topology walker, the export reader, the Pillow resize, the
ELI5 Grad-CAM and the JSON writer. On top of that it adds:

- `make_layer` / `build_model`: the topology walker extended to the layer classes of the nsfwjs
  InceptionV3 (Activation, Concatenate, MaxPooling2D; BatchNormalization with scale=false and
  AveragePooling2D with padding already work in nsfw_gradcam.make_layer).
- `eli5_from_grads`: the ELI5 Grad-CAM arithmetic given A and dScore/dA (for generators that run their
  own GradientTape, e.g. through nested models).
- `versions()`, `heat_summary()`.
"""

import argparse
import os
import platform
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nsfw_gradcam as _ng  # noqa: E402  (sets the TF environment variables before TF is imported)
from nsfw_gradcam import (  # noqa: E402, F401  (re-exported)
    EPSILON,
    REPO,
    case_record,
    dump_json,
    gradcam_eli5,
    load_export,
    load_image,
    predict_top2,
    r7,
    to_input,
    weight_names,
)

import numpy as np  # noqa: E402
import PIL  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

_base_make_layer = _ng.make_layer


def make_layer(class_name, cfg, overrides=None):
    """nsfw_gradcam.make_layer plus the layer classes of the nsfwjs InceptionV3 (Keras 2.2.4 configs)."""
    c = dict(cfg)
    if overrides:
        c.update(overrides)
    name = c["name"]
    if class_name == "Activation":
        return keras.layers.Activation(c["activation"], name=name)
    if class_name == "Concatenate":
        return keras.layers.Concatenate(axis=c["axis"], name=name)
    if class_name == "MaxPooling2D":
        return keras.layers.MaxPooling2D(
            pool_size=tuple(c["pool_size"]), strides=tuple(c["strides"]) if c.get("strides") else None,
            padding=c["padding"], data_format=c["data_format"], name=name)
    # BatchNormalization with scale=false: Keras 3 orders its weights beta, moving_mean,
    # moving_variance, as weight_names does; AveragePooling2D passes `padding` through.
    return _base_make_layer(class_name, cfg, overrides)


def build_model(topology, weights, overrides=None):
    """nsfw_gradcam.build_model with the extended layer factory.

    nsfw_gradcam.build_model looks `make_layer` up in its module globals at call time; that file is
    not changed here, so the extended factory is swapped in for the duration of the call.
    """
    saved = _ng.make_layer
    _ng.make_layer = make_layer
    try:
        return _ng.build_model(topology, weights, overrides)
    finally:
        _ng.make_layer = saved


def eli5_from_grads(A, G):
    """ELI5 Grad-CAM from the activation A (1, h, w, k) and G = dScore/dA of the same forward pass.

    The same arithmetic as nsfw_gradcam.gradcam_eli5: float32 l2-normalize over the whole tensor and
    spatial mean in TF, float32 products accumulated in a float64 map, relu, / (max + 1e-7).
    Returns (rawMax, heatmap float64 (h, w), gradNorm).
    """
    grad_norm = float(tf.norm(G).numpy())
    Gn = tf.math.l2_normalize(G)
    w = tf.reduce_mean(Gn, axis=(1, 2)).numpy()[0]
    a = np.asarray(A)[0]
    lmap = np.zeros(a.shape[:2], dtype=np.float64)
    for i, wk in enumerate(w):
        lmap += wk * a[..., i]
    lmap = np.maximum(lmap, 0)
    raw_max = float(np.max(lmap))
    return raw_max, lmap / (raw_max + EPSILON), grad_norm


def mobilenet_arguments(description):
    """The command line of the MobileNetV2 generators: --model-dir (the export of
    tools/export-nsfw-model.mjs), --images-dir (examples/images) and --out (gradcam's fixtures)."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "gradcam-nsfw-export", "mobilenet_v2"))
    ap.add_argument("--images-dir", default=os.path.join(REPO, "examples", "images"))
    ap.add_argument("--out", default=os.path.join(REPO, "packages", "gradcam", "src", "__fixtures__"))
    return ap


def versions():
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
    }


def heat_summary(heat):
    nz = heat[heat > 0]
    return (f"heat[{heat.shape[0]}x{heat.shape[1]}] min={heat.min():.3g} "
            f"minNonZero={(nz.min() if nz.size else 0):.3g} max={heat.max():.7f} zeros={int((heat == 0).sum())}")
