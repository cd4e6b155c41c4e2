//! The uniform parameters the int8 window kernels share (conv2d, depthwise, max_pool,
//! avg_pool; shaders/int8/window_params.wgsl) and their override constants.

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the int8 window kernels (int8/conv2d, depthwise, max_pool,
/// avg_pool; shaders/int8/window_params.wgsl).
pub struct WindowParams {
    /// Images in the batch.
    pub batch: u32,
    /// Input height.
    pub h: u32,
    /// Input width.
    pub w: u32,
    /// Input channels.
    pub c: u32,
    /// Output height.
    pub oh: u32,
    /// Output width.
    pub ow: u32,
    /// Output channels (conv2d; the others keep c).
    pub o: u32,
    /// Window height.
    pub kh: u32,
    /// Window width.
    pub kw: u32,
    /// Stride.
    pub stride: u32,
    /// Rows of padding before the first.
    pub pad_top: u32,
    /// Columns of padding before the first.
    pub pad_left: u32,
    /// Input zero point.
    pub in_zp: i32,
    /// Output zero point.
    pub out_zp: i32,
    /// Lowest output value (the fused activation's clamp).
    pub clamp_min: i32,
    /// Highest output value.
    pub clamp_max: i32,
}

crate::uniform_fields!(WindowParams: batch, h, w, c, oh, ow, o, kh, kw, stride, pad_top, pad_left, in_zp, out_zp, clamp_min, clamp_max);

impl WindowParams {
    /// The override constants of int8/max_pool (the window and sizes), int8/depthwise (also
    /// the padding: `with_pads`) and int8/conv2d (also the output channels: `with_o`).
    pub fn specialization(&self, with_pads: bool, with_o: bool) -> crate::gpu::pipelines::Specialization {
        let s = crate::gpu::pipelines::Specialization::default()
            .with("KH", self.kh)
            .with("KW", self.kw)
            .with("C", self.c)
            .with("STRIDE", self.stride)
            .with("H", self.h)
            .with("W", self.w)
            .with("OH", self.oh)
            .with("OW", self.ow);
        let s = if with_o { s.with("O", self.o) } else { s };
        if with_pads {
            s.with("PAD_TOP", self.pad_top).with("PAD_LEFT", self.pad_left)
        } else {
            s
        }
    }
}
