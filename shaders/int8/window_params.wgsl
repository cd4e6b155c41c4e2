// The parameters of the int8 kernels that slide a window over an NHWC batch (conv2d,
// depthwise, max_pool, avg_pool; ops::int8::WindowParams).
struct Params {
    batch: u32, h: u32, w: u32, c: u32,
    oh: u32, ow: u32, o: u32, kh: u32,
    kw: u32, stride: u32, pad_top: u32, pad_left: u32,
    in_zp: i32, out_zp: i32, clamp_min: i32, clamp_max: i32,
}
