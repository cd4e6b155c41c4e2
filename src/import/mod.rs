//! Importing trained float models from other frameworks: ONNX files exported by PyTorch
//! (`torch.onnx.export`) or by tf2onnx from Keras (`onnx`), as a model spec and float
//! parameters that training starts from (`qat train --init model.onnx`, `qat import`).

pub mod onnx;
