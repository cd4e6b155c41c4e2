//! Matrix product `c[m, n] = sum_k a[m, k] b[k, n] (+ bias[n])`, where each operand's layout is
//! given by strides. Two kernels: `matmul/row_major_b_vec4` (4x4 blocks per invocation, vec4
//! loads) when b is row-major with n % 4 == 0, else the general `matmul/strided`. Dense forward
//! and both dense gradients are this op.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, pipelines::Specialization, Gpu};
use crate::Result;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the matmul kernels (shaders/matmul/): c [m, n] = a [m, k] b [k, n] (+ bias \[n\]), with strides so either operand may be transposed.
pub struct MatmulParams {
    /// Rows of a and c.
    pub m: u32,
    /// Columns of b and c.
    pub n: u32,
    /// The inner dimension.
    pub k: u32,
    /// 1 to add the bias, 0 not to.
    pub has_bias: u32,
    /// a[m, k] is at a[m * a_sm + k * a_sk].
    pub a_sm: u32,
    /// See `a_sm`.
    pub a_sk: u32,
    /// b[k, n] is at b[k * b_sk + n * b_sn].
    pub b_sk: u32,
    /// See `b_sk`.
    pub b_sn: u32,
}

crate::uniform_fields!(MatmulParams: m, n, k, has_bias, a_sm, a_sk, b_sk, b_sn);

impl MatmulParams {
    /// Plain row-major `a [m, k]` times row-major `b [k, n]`.
    pub fn row_major(m: u32, n: u32, k: u32) -> Self {
        MatmulParams { m, n, k, has_bias: 0, a_sm: k, a_sk: 1, b_sk: n, b_sn: 1 }
    }
    /// Floating-point operations: 2 m n k.
    pub fn flops(&self) -> u64 {
        2 * self.m as u64 * self.n as u64 * self.k as u64
    }
    /// Whether the blocked vec4 kernel applies: b row-major and n a multiple of 4.
    pub fn vec4_applies(&self) -> bool {
        self.b_sn == 1 && self.b_sk == self.n && self.n.is_multiple_of(4) && self.m > 0
    }
    /// How the blocked kernel reads a (its `A_LAYOUT`): 1 when a is row-major with whole vec4s
    /// along k (a_sm and k multiples of 4), 2 when a is column-major with whole vec4s of four
    /// rows (a_sm == 1, a_sk a multiple of 4 that holds m rounded up to 4), else 0 (one value
    /// at a time).
    pub fn a_layout(&self) -> u32 {
        if self.a_sk == 1 && self.a_sm.is_multiple_of(4) && self.k.is_multiple_of(4) {
            1
        } else if self.a_sm == 1 && self.a_sk.is_multiple_of(4) && self.a_sk >= 4 * self.m.div_ceil(4) {
            2
        } else {
            0
        }
    }
    /// Whether the transposed-b vec4 kernel applies: a row-major [m, k], b row-major [n, k]
    /// (c = a b^T, a dense layer's forward) and k a multiple of 4.
    pub fn bt_vec4_applies(&self) -> bool {
        self.a_sk == 1 && self.a_sm == self.k && self.b_sk == 1 && self.b_sn == self.k && self.k.is_multiple_of(4)
    }
    /// The kernel `dispatch` uses.
    pub fn kernel(&self) -> &'static Kernel<MatmulParams> {
        if self.vec4_applies() {
            &ROW_MAJOR_B_VEC4
        } else if self.bt_vec4_applies() {
            &ROW_MAJOR_BT_VEC4
        } else {
            &STRIDED
        }
    }
    /// `bias` is ignored (but must be bound) when `has_bias == 0`.
    pub fn dispatch(
        &self,
        gpu: &Gpu,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        bias: &wgpu::Buffer,
        c: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        if self.vec4_applies() {
            let grid = Grid::items((self.n / 4 * self.m.div_ceil(4)) as usize, WORKGROUP_SIZE);
            let layout = Specialization::default().with("A_LAYOUT", self.a_layout());
            return Dispatch::specialized(gpu, &ROW_MAJOR_B_VEC4, &layout, self, &[a, b, bias, c], grid);
        }
        if self.bt_vec4_applies() {
            let grid = Grid(self.m.div_ceil(WORKGROUP_SIZE), self.n.div_ceil(16), 1);
            let n = Specialization::default().with("N", self.n);
            return Dispatch::specialized(gpu, &ROW_MAJOR_BT_VEC4, &n, self, &[a, b, bias, c], grid);
        }
        self.dispatch_strided(gpu, a, b, bias, c)
    }
    /// Always the general strided kernel (for tests and the benchmark).
    pub fn dispatch_strided(
        &self,
        gpu: &Gpu,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        bias: &wgpu::Buffer,
        c: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        Dispatch::new(gpu, &STRIDED, self, &[a, b, bias, c], Grid::items((self.m * self.n) as usize, WORKGROUP_SIZE))
    }
}

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `matmul/strided`: shaders/matmul/strided.wgsl.
#[rustfmt::skip]
pub static STRIDED: Kernel<MatmulParams> = crate::kernel!("matmul/strided", MatmulParams, [R, R, R, W]);
/// `matmul/row_major_b_vec4`: shaders/matmul/row_major_b_vec4.wgsl.
#[rustfmt::skip]
pub static ROW_MAJOR_B_VEC4: Kernel<MatmulParams> = crate::kernel!("matmul/row_major_b_vec4", MatmulParams, [R, R, R, W]; specialized ["A_LAYOUT"]);
/// `matmul/row_major_bt_vec4`: shaders/matmul/row_major_bt_vec4.wgsl.
#[rustfmt::skip]
pub static ROW_MAJOR_BT_VEC4: Kernel<MatmulParams> = crate::kernel!("matmul/row_major_bt_vec4", MatmulParams, [R, R, R, W]; specialized ["N"]);
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[&STRIDED.shader, &ROW_MAJOR_B_VEC4.shader, &ROW_MAJOR_BT_VEC4.shader];

/// Twins of the matmul kernels.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against.
pub mod twin {
    use crate::ops::matmul::MatmulParams;

    /// Twin of matmul/strided.wgsl.
    pub fn matmul_strided(p: &MatmulParams, a: &[f32], b: &[f32], bias: &[f32]) -> Vec<f32> {
        let mut c = vec![0.0; (p.m * p.n) as usize];
        for row in 0..p.m {
            for col in 0..p.n {
                let mut acc = if p.has_bias != 0 { bias[col as usize] } else { 0.0 };
                for k in 0..p.k {
                    acc += a[(row * p.a_sm + k * p.a_sk) as usize] * b[(k * p.b_sk + col * p.b_sn) as usize];
                }
                c[(row * p.n + col) as usize] = acc;
            }
        }
        c
    }
}
