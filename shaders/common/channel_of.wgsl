// Channel of element idx of a channel-last tensor: idx % channels, with a mask when channels
// (uniform) is a power of two, since lavapipe cannot vectorize integer division. Prepended by
// the shader registry to the shaders that use it.
fn channel_of(idx: u32, channels: u32) -> u32 {
    if ((channels & (channels - 1u)) == 0u) { return idx & (channels - 1u); }
    return idx % channels;
}
