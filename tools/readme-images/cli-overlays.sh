#!/usr/bin/env bash
# Regenerates the CLI overlays shown in the root README (docs/images/cli-*.png) with the built
# CLI on the bundled default model: `npx -y pnpm@10 build && tools/readme-images/cli-overlays.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node packages/cli/dist/bin.js explain examples/images/chelsea.png --top 2 --out "$out" --backend wasm
mkdir -p docs/images
for file in "$out"/*.png; do cp "$file" "docs/images/cli-$(basename "$file")"; done
ls -l docs/images/cli-*.png
