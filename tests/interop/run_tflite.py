#!/usr/bin/env python3
"""Runs a .tflite model with LiteRT on raw u8 images and writes its raw outputs.

usage: run_tflite.py MODEL.tflite IMAGES.u8 H W C COUNT RESOLVER [batch] OUT.bin

IMAGES.u8 holds COUNT images of H*W*C u8 pixels (NHWC). Each is fed as float32 pixel / 255
(the float input wgpu-qat trains on), one image per invocation. RESOLVER is BUILTIN_REF
(LiteRT's reference kernels) or BUILTIN (the default path, XNNPACK). OUT.bin receives the
output tensor's raw bytes, image after image. With `batch`, the input is resized to [COUNT, H,
W, C] and every image runs in one invocation. Prints one JSON line describing the model.
"""
import json
import sys
import warnings

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def main():
    model, images, h, w, c, count, resolver = sys.argv[1:8]
    batch, out = sys.argv[8:-1] == ["batch"], sys.argv[-1]
    h, w, c, count = int(h), int(w), int(c), int(count)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        interp = Interpreter(model_path=model, experimental_op_resolver_type=getattr(OpResolverType, resolver))
        if batch:
            interp.resize_tensor_input(interp.get_input_details()[0]["index"], [count, h, w, c])
        interp.allocate_tensors()
    pixels = np.fromfile(images, dtype=np.uint8).reshape(count, h, w, c)
    inp = interp.get_input_details()[0]
    outp = interp.get_output_details()[0]
    results = []
    for x in [pixels] if batch else [p.reshape(1, h, w, c) for p in pixels]:
        interp.set_tensor(inp["index"], x.astype(np.float32) / np.float32(255.0))
        interp.invoke()
        results.append(interp.get_tensor(outp["index"]).copy())
    np.concatenate([r.reshape(-1) for r in results]).tofile(out)
    print(json.dumps({
        "input": {"dtype": str(inp["dtype"].__name__), "shape": [int(d) for d in inp["shape"]]},
        "output": {"dtype": str(outp["dtype"].__name__), "shape": [int(d) for d in outp["shape"]],
                   "scale": float(outp["quantization"][0]), "zero_point": int(outp["quantization"][1])},
        "ops": sorted({d["op_name"] for d in interp._get_ops_details()}),
        "warnings": [str(w.message) for w in caught],
    }))


if __name__ == "__main__":
    main()
