//! Twin of the batch gather kernel.

/// Twin of gather/batch.wgsl: batch of `batch` samples starting at `start` in `order`.
pub fn gather_batch(
    images: &[u8],
    labels: &[u8],
    pixels: usize,
    order: &[u32],
    start: usize,
    batch: usize,
) -> (Vec<f32>, Vec<u32>) {
    let mut x = Vec::with_capacity(batch * pixels);
    let mut y = Vec::with_capacity(batch);
    for &s in &order[start..start + batch] {
        let s = s as usize;
        x.extend(images[s * pixels..(s + 1) * pixels].iter().map(|&p| p as f32 / 255.0));
        y.push(labels[s] as u32);
    }
    (x, y)
}
