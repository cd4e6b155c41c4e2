//! The user's own images (PNG or JPEG): decoded with the `image` crate, converted to the
//! model's channels (1: luma, 3: RGB) and resized to its input, as the u8 pixels the int8
//! interpreter and the data sets take (NHWC, one image).

use crate::{QatError, Result};
use std::path::Path;

/// File extensions read as images (case-insensitive).
pub const EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// Whether `path` names a file we read as an image, by its extension.
pub fn is_image(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// How an image is fitted to the model's input.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fit {
    /// Replace each value v by 255 - v (MNIST digits are white on black; a scan is often the
    /// reverse).
    pub invert: bool,
}

/// Reads `path` and returns its pixels as `[h, w, c]` u8 values (c = 1: luma, 3: RGB), resized
/// with a triangle filter when its size differs. A missing, unreadable, corrupt or truncated
/// file is an error naming it.
pub fn load(path: &Path, [h, w, c]: [u32; 3], fit: Fit) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|source| QatError::Io { path: path.into(), source })?;
    let decoded = image::load_from_memory(&bytes).map_err(|e| QatError::BadData {
        path: path.into(),
        detail: format!("not a PNG or JPEG image we can read: {e}"),
    })?;
    if decoded.width() == 0 || decoded.height() == 0 {
        return Err(QatError::BadData { path: path.into(), detail: "the image is empty".into() });
    }
    let resize = |img: image::DynamicImage| {
        if img.width() == w && img.height() == h {
            img
        } else {
            img.resize_exact(w, h, image::imageops::FilterType::Triangle)
        }
    };
    let mut pixels = match c {
        1 => resize(image::DynamicImage::ImageLuma8(decoded.to_luma8())).into_luma8().into_raw(),
        3 => resize(image::DynamicImage::ImageRgb8(decoded.to_rgb8())).into_rgb8().into_raw(),
        _ => {
            return Err(QatError::Invalid(format!(
                "{}: the model takes {c} channels; images give 1 (grey) or 3 (RGB)",
                path.display()
            )))
        }
    };
    if fit.invert {
        pixels.iter_mut().for_each(|v| *v = 255 - *v);
    }
    Ok(pixels)
}
