#!/usr/bin/env python3
"""Runs an ONNX model with onnxruntime on raw u8 images and writes its raw outputs.

usage: run_onnx.py MODEL.onnx IMAGES.u8 H W C COUNT [batch | batch-nchw] OUT.bin

Each image is fed as float32 pixel / 255 in NHWC [1, H, W, C] (the same float input as the
.tflite), one per run; with `batch` all images in one run, and with `batch-nchw` as one
[COUNT, C, H, W] batch (a model exported with `--layout nchw`). OUT.bin receives the output's raw
bytes, image after image. Prints one JSON line describing the session.
"""
import json
import sys
import warnings

import numpy as np
import onnxruntime as ort


def main():
    model, images, h, w, c, count = sys.argv[1:7]
    mode, out = (sys.argv[7] if len(sys.argv) > 8 else "one"), sys.argv[-1]
    h, w, c, count = int(h), int(w), int(c), int(count)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        options = ort.SessionOptions()
        options.log_severity_level = 2  # warnings and errors reach stderr
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    pixels = np.fromfile(images, dtype=np.uint8).reshape(count, h, w, c)
    inp = session.get_inputs()[0]
    outp = session.get_outputs()[0]
    x = pixels.astype(np.float32) / np.float32(255.0)
    if mode == "batch-nchw":
        batches = [np.ascontiguousarray(x.transpose(0, 3, 1, 2))]
    elif mode == "batch":
        batches = [x]
    else:
        batches = [x[i:i + 1] for i in range(count)]
    results = [session.run([outp.name], {inp.name: b})[0].copy() for b in batches]
    np.concatenate([r.reshape(-1) for r in results]).tofile(out)
    print(json.dumps({
        "input": {"name": inp.name, "type": inp.type, "shape": inp.shape},
        "output": {"name": outp.name, "type": outp.type, "shape": outp.shape},
        "onnxruntime": ort.__version__,
        "warnings": [str(w.message) for w in caught],
    }))


if __name__ == "__main__":
    main()
