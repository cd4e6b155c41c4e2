//! Plain-loop f32 twins of the WGSL kernels, one function per kernel with the kernel's
//! parameters. Each op's twin lives in its own file, `ops::<op>::twin`, beside the kernel's
//! launcher; this module gathers them into one namespace (the list is `ops::twins`).

pub use crate::ops::twins::*;
