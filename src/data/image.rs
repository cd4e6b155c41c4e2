//! The user's own images (PNG or JPEG): decoded with the `image` crate, converted to the
//! model's channels (1: luma, 3: RGB) and resized to its input, as the u8 pixels the int8
//! interpreter and the data sets take (NHWC, one image).
//!
//! Bounded: a file is read only when it is a regular file of at most `MAX_IMAGE_BYTES`, and
//! decoded only when its header declares at most `MAX_IMAGE_SIDE` pixels a side and
//! `MAX_IMAGE_PIXELS` in all (checked before any pixel is decoded). A JPEG whose last scan is
//! not followed by its end-of-image marker is truncated and refused, as a truncated PNG is.

use crate::{QatError, Result};
use std::path::Path;

/// File extensions read as images (case-insensitive).
pub const EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// Largest image file read, in bytes.
pub const MAX_IMAGE_BYTES: u64 = 64 << 20;
/// Largest width or height decoded.
pub const MAX_IMAGE_SIDE: u32 = 16384;
/// Most pixels decoded (width x height): 8192 x 4096, a 33-megapixel photo.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 25;

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
    let bytes = qat_int8::input::read_bounded(path, MAX_IMAGE_BYTES, "an image file")?;
    let decoded = decode(&bytes).map_err(|detail| QatError::BadData { path: path.into(), detail })?;
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

/// Decodes a PNG or JPEG within the limits above.
fn decode(bytes: &[u8]) -> std::result::Result<image::DynamicImage, String> {
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| format!("cannot read it: {e}"))
    };
    let format = reader()?.format();
    if !matches!(format, Some(image::ImageFormat::Png | image::ImageFormat::Jpeg)) {
        return Err("not a PNG or JPEG image (its first bytes are neither's signature)".into());
    }
    let unreadable = |e: image::ImageError| format!("not a PNG or JPEG image we can read: {e}");
    let (width, height) = reader()?.into_dimensions().map_err(unreadable)?;
    if width.max(height) > MAX_IMAGE_SIDE || width as u64 * height as u64 > MAX_IMAGE_PIXELS {
        return Err(format!(
            "{width} x {height} pixels is larger than we decode (at most {MAX_IMAGE_SIDE} a side and {MAX_IMAGE_PIXELS} pixels); resize it first"
        ));
    }
    if format == Some(image::ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
        return Err("the JPEG is truncated: its image data does not end with the end-of-image marker (FF D9)".into());
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    let mut r = reader()?;
    r.limits(limits);
    r.decode().map_err(unreadable)
}

/// Whether a JPEG's last scan (its last start-of-scan marker, FF DA) is followed by an
/// end-of-image marker (FF D9). Inside scan data a 0xFF byte is always followed by 0x00 or a
/// restart marker, so an FF D9 after the last FF DA ends the image; a file cut short has none.
/// (An embedded thumbnail's markers come before the main image's scans.)
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(sos) = bytes.windows(2).rposition(|m| m == [0xFF, 0xDA]) else { return false };
    bytes[sos..].windows(2).any(|m| m == [0xFF, 0xD9])
}
