#!/usr/bin/env bash
# Regenerates int8/src/export/tflite_schema.rs from the vendored TFLite schema with planus
# (`cargo install planus-cli --version 1.3.0`). schema.fbs is TensorFlow's
# tensorflow/compiler/mlir/lite/schema/schema.fbs (Apache-2.0, LICENSE beside it), unmodified;
# planus 1.3 does not parse the `(deprecated)` attribute on enum values, union members and
# tables, so it is stripped on the way in (it only marks REDUCE_WINDOW, which we never write).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sed -e 's/ (deprecated)//' "$here/schema.fbs" > "$tmp/schema.fbs"
planus rust -o "$here/../../src/export/tflite_schema.rs" "$tmp/schema.fbs"
