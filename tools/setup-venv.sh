#!/usr/bin/env bash
# Create the Python environment used by tools/golden/*.py (golden Grad-CAM fixtures).
#
#   bash tools/setup-venv.sh            # -> .venv-tools/ at the repo root (git-ignored)
#   GRADCAM_TOOLS_VENV=/tmp/venv bash tools/setup-venv.sh
#
# Wheels come from local wheel folders when present (offline machines: /opt/pypi/files and
# /opt/pypi-more/files, or PIP_WHEEL_DIRS="dir1 dir2"), otherwise from the configured package index.
# The pins are the versions that produced packages/gradcam/src/__fixtures__/ (see its README.md).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GRADCAM_TOOLS_VENV:-$REPO/.venv-tools}"
PYTHON="${PYTHON:-python3}"
WHEEL_DIRS="${PIP_WHEEL_DIRS:-/opt/pypi/files /opt/pypi-more/files}"

PACKAGES=(
  tensorflow-cpu==2.21.0
  keras==3.15.1
  numpy==2.4.6
  pillow==12.3.0
  h5py
  matplotlib
  scikit-image
)

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

PIP_ARGS=()
for d in $WHEEL_DIRS; do
  if [ -d "$d" ]; then PIP_ARGS+=(--find-links "$d"); fi
done
if [ ${#PIP_ARGS[@]} -gt 0 ]; then
  PIP_ARGS=(--no-index "${PIP_ARGS[@]}")
fi

"$VENV/bin/pip" install --disable-pip-version-check "${PIP_ARGS[@]}" "${PACKAGES[@]}"
"$VENV/bin/python" - <<'EOF'
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import sys, numpy, PIL, tensorflow as tf, keras
print(f"ok: python {sys.version.split()[0]}, tensorflow {tf.__version__}, keras {keras.__version__}, "
      f"numpy {numpy.__version__}, pillow {PIL.__version__}")
EOF
echo "venv ready: $VENV"
