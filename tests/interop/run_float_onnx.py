#!/usr/bin/env python3
"""Runs a float ONNX model with onnxruntime on raw u8 images and writes its float32 outputs.

usage: run_float_onnx.py MODEL.onnx IMAGES.u8 H W C COUNT OUT.bin

Images are fed as float32 pixel / 255, all at once, in the layout the model's input declares:
NCHW [N, C, H, W] (PyTorch) or NHWC [N, H, W, C] (tf2onnx from Keras). OUT.bin receives the
output named "logits" (the model zoo's Keras fixtures add the input of their final Softmax under
that name), else the first, as raw float32, image after image. Prints one JSON line describing the session.
"""
import json
import sys

import numpy as np
import onnxruntime as ort


def main():
    model, images, h, w, c, count, out = sys.argv[1:8]
    h, w, c, count = int(h), int(w), int(c), int(count)
    options = ort.SessionOptions()
    options.log_severity_level = 2
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    outputs = session.get_outputs()
    inp, outp = session.get_inputs()[0], next((o for o in outputs if o.name == "logits"), outputs[0])
    x = np.fromfile(images, dtype=np.uint8).reshape(count, h, w, c).astype(np.float32) / np.float32(255.0)
    nchw = inp.shape[1] == c and inp.shape[3] == w and not (inp.shape[3] == c and inp.shape[1] == h)
    if nchw:
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    y = session.run([outp.name], {inp.name: x})[0]
    y.astype(np.float32).tofile(out)
    print(json.dumps({"input": {"name": inp.name, "shape": [str(d) for d in inp.shape]}, "nchw": bool(nchw),
                      "output": {"name": outp.name, "shape": [str(d) for d in outp.shape]},
                      "onnxruntime": ort.__version__}))


if __name__ == "__main__":
    main()
