// The workgroup size of every kernel that runs one invocation per item or reduces in a
// workgroup (Rust: gpu::dispatch::WORKGROUP_SIZE, which a test checks against this). The shader
// registry prepends this file to every shader. Reductions halve it, so it is a power of two.
const WG: u32 = 64u;
