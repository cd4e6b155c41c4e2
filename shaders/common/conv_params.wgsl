// The uniform of the conv2d and depthwise kernels (Rust: ops::conv2d::Conv2dParams; depthwise
// uses o == c). Prepended by the shader registry to the six shaders that use it.
struct Params {
    n: u32, h: u32, w: u32, c: u32,
    oh: u32, ow: u32, o: u32, kh: u32,
    kw: u32, stride: u32, pad_top: u32, pad_left: u32,
}
