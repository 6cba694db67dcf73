//! Branding values, parsed once: the accent colour with its WCAG 2.x contrast, the product
//! name, and the logo (decoded and re-encoded so nothing but pixels is kept).
//!
//! Contrast follows WCAG 2.x (SC 1.4.3 and its definitions of *relative luminance* and
//! *contrast ratio*): luminance is computed in linear light from sRGB (`palette`'s sRGB
//! transfer function), the ratio is `(L1 + 0.05) / (L2 + 0.05)`.

use std::io::Cursor;
use std::str::FromStr;

use palette::{Clamp, FromColor, LinSrgb, Oklch, Srgb};
use wire::branding::{AccentCheck, TextColour};

/// WCAG 2.x AA for normal text.
pub const MIN_CONTRAST: f64 = 4.5;
/// The page the accent is drawn on as text and links (`bg-white` cards, `slate-50` page).
pub const PAGE_BACKGROUND: &str = "#ffffff";

/// An accent colour: sRGB, 8 bits per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccentColour(Srgb<u8>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a colour: write it as #rgb or #rrggbb, like #4f46e5.")]
pub struct ColourError(pub String);

impl AccentColour {
    /// `#rgb` or `#rrggbb`, any case, surrounding spaces ignored. The `#` is required.
    pub fn parse(s: &str) -> Result<Self, ColourError> {
        let t = s.trim();
        let bad = || ColourError(t.to_string());
        let hex = t.strip_prefix('#').ok_or_else(bad)?;
        if !matches!(hex.len(), 3 | 6) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Srgb::<u8>::from_str(hex).map(Self).map_err(|_| bad())
    }

    /// `#rrggbb`, lower case.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0.red, self.0.green, self.0.blue)
    }

    /// Relative luminance (WCAG 2.x): 0 for black, 1 for white, in linear light.
    pub fn luminance(self) -> f64 {
        let lin: LinSrgb<f64> = self.0.into_format::<f64>().into_linear();
        0.2126 * lin.red + 0.7152 * lin.green + 0.0722 * lin.blue
    }

    /// The contrast ratio with another colour, 1 to 21.
    pub fn contrast(self, other: AccentColour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// Black or white text, whichever contrasts more with this colour, and its ratio.
    pub fn text_colour(self) -> (TextColour, f64) {
        let black = self.contrast(Self::BLACK);
        let white = self.contrast(Self::WHITE);
        if black >= white {
            (TextColour::Black, black)
        } else {
            (TextColour::White, white)
        }
    }

    pub const BLACK: AccentColour = AccentColour(Srgb::new(0, 0, 0));
    pub const WHITE: AccentColour = AccentColour(Srgb::new(255, 255, 255));

    /// The console's own accent (Tailwind indigo 600).
    pub const DEFAULT: AccentColour = AccentColour(Srgb::new(0x4f, 0x46, 0xe5));

    /// Whether the accent works both as a background under its text colour and as text on
    /// the white page; when it does not, the nearest colour that does.
    ///
    /// The text on the accent always reaches 4.5:1 (the better of black and white is at least
    /// 4.58:1 for every sRGB colour), so what refuses a colour is the page: links, the active
    /// section and focus rings are drawn in the accent on white, and need 4.5:1 there.
    pub fn check(self) -> AccentCheck {
        let (on_accent, on_accent_ratio) = self.text_colour();
        let on_page_ratio = self.contrast(Self::WHITE);
        let passes = on_accent_ratio >= MIN_CONTRAST && on_page_ratio >= MIN_CONTRAST;
        AccentCheck {
            accent: self.hex(),
            on_accent,
            on_accent_ratio: round2(on_accent_ratio),
            on_page_ratio: round2(on_page_ratio),
            passes,
            suggestion: (!passes).then(|| self.nearest_passing().hex()),
        }
    }

    /// The lightest colour of the same hue and chroma (Oklch, chroma reduced to stay in sRGB)
    /// that reaches 4.5:1 on white: the smallest change of lightness that passes.
    fn nearest_passing(self) -> AccentColour {
        let mut start: Oklch<f64> = Oklch::from_color(self.0.into_format::<f64>());
        // A grey stays grey (its hue is noise).
        if start.chroma < 0.002 {
            start.chroma = 0.0;
        }
        let at = |l: f64| {
            let mut c = start;
            c.l = l;
            let rgb: Srgb<f64> = Srgb::from_color(c).clamp();
            AccentColour(rgb.into_format())
        };
        let passes = |c: AccentColour| c.contrast(Self::WHITE) >= MIN_CONTRAST;
        // Lightness 0 is black (21:1); search the largest lightness that still passes.
        let (mut lo, mut hi) = (0.0_f64, start.l.min(1.0));
        for _ in 0..40 {
            let mid = (lo + hi) / 2.0;
            if passes(at(mid)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let found = at(lo);
        if passes(found) {
            found
        } else {
            Self::BLACK
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).floor() / 100.0
}

/// The product name shown instead of "Dezky": 1 to 40 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    pub const MAX_CHARS: usize = 40;

    /// `Ok(None)` for empty (back to "Dezky").
    pub fn parse(s: &str) -> Result<Option<Self>, String> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(None);
        }
        if t.chars().count() > Self::MAX_CHARS {
            return Err(format!(
                "The product name is {} characters long; at most {} fit the header.",
                t.chars().count(),
                Self::MAX_CHARS
            ));
        }
        if t.chars().any(char::is_control) {
            return Err("The product name cannot hold control characters.".into());
        }
        Ok(Some(Self(t.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A logo as stored: a PNG re-encoded from the decoded pixels, with its size.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Logo({}×{}, {} bytes)",
            self.width,
            self.height,
            self.png.len()
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoError {
    #[error("The logo is {0} bytes; the limit is 256 KiB (262,144 bytes).")]
    TooLarge(usize),
    #[error("SVG logos are not accepted (they can carry scripts): upload a PNG, JPEG or WebP.")]
    Svg,
    #[error("This file is not a PNG, JPEG or WebP image.")]
    NotAnImage,
    #[error("The image could not be read: {0}")]
    Corrupt(String),
    #[error("The logo is {0}×{1} pixels; at most 1024×1024 are accepted.")]
    TooManyPixels(u32, u32),
    #[error("The image data does not end where the file does ({0} bytes follow it): save it again from an image editor.")]
    TrailingData(usize),
}

impl Logo {
    pub const MAX_BYTES: usize = 256 * 1024;
    pub const MAX_SIDE: u32 = 1024;

    /// Decodes a PNG, JPEG or WebP (by its content, not its name) and re-encodes it as PNG,
    /// so nothing but pixels is stored: no metadata, no trailing payload, no script. SVG and
    /// everything else are refused, as are files over 256 KiB or 1024 px a side, and a PNG
    /// with bytes after its `IEND` chunk (a polyglot file).
    pub fn from_upload(bytes: &[u8]) -> Result<Self, LogoError> {
        use image::{ImageFormat, ImageReader, Limits};
        if bytes.len() > Self::MAX_BYTES {
            return Err(LogoError::TooLarge(bytes.len()));
        }
        if looks_like_svg(bytes) {
            return Err(LogoError::Svg);
        }
        let format = image::guess_format(bytes).map_err(|_| LogoError::NotAnImage)?;
        if !matches!(
            format,
            ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
        ) {
            return Err(LogoError::NotAnImage);
        }
        if format == ImageFormat::Png {
            if let Some(extra) = png_trailing_bytes(bytes) {
                return Err(LogoError::TrailingData(extra));
            }
        }
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(Self::MAX_SIDE);
        limits.max_image_height = Some(Self::MAX_SIDE);
        limits.max_alloc = Some(64 * 1024 * 1024);
        reader.limits(limits);
        let decoded = reader.decode().map_err(|e| match e {
            image::ImageError::Limits(_) => {
                let (w, h) = image::ImageReader::with_format(Cursor::new(bytes), format)
                    .into_dimensions()
                    .unwrap_or((0, 0));
                LogoError::TooManyPixels(w, h)
            }
            other => LogoError::Corrupt(other.to_string()),
        })?;
        let (width, height) = (decoded.width(), decoded.height());
        let mut png = Vec::new();
        decoded
            .to_rgba8()
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|e| LogoError::Corrupt(e.to_string()))?;
        Ok(Self { png, width, height })
    }
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    head.contains("<svg") || (head.trim_start().starts_with("<?xml") && head.contains("svg"))
}

/// Bytes after a PNG's `IEND` chunk, walking the chunks from the signature (PNG §5.3:
/// length, type, data, CRC). `None` when the file ends with `IEND` or is not well formed
/// (the decoder then says why).
fn png_trailing_bytes(bytes: &[u8]) -> Option<usize> {
    let mut at = 8usize;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?) as usize;
        let kind = &bytes[at + 4..at + 8];
        let end = at.checked_add(12)?.checked_add(len)?;
        if end > bytes.len() {
            return None;
        }
        if kind == b"IEND" {
            return (end < bytes.len()).then(|| bytes.len() - end);
        }
        at = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> AccentColour {
        AccentColour::parse(s).unwrap()
    }

    #[test]
    fn colours_parse_in_short_and_long_form_any_case() {
        assert_eq!(c("#FFF").hex(), "#ffffff");
        assert_eq!(c(" #4F46e5 ").hex(), "#4f46e5");
        assert_eq!(c("#abc").hex(), "#aabbcc");
        for bad in ["fff", "#ffff", "#12345g", "#1234567", "red", "", "#"] {
            assert!(AccentColour::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_colour_is_the_higher_contrast_one() {
        // White background: black text at 21:1.
        let (text, ratio) = c("#FFF").text_colour();
        assert_eq!(text, TextColour::Black);
        assert!((ratio - 21.0).abs() < 1e-9);
        // #333: white text, 12.63:1.
        let (text, ratio) = c("#333").text_colour();
        assert_eq!(text, TextColour::White);
        assert!((ratio - 12.63).abs() < 0.01, "{ratio}");
        // Computed in linear light: #777777 is L = 0.184, 4.48:1 on white, 4.69:1 on black.
        let (text, ratio) = c("#777777").text_colour();
        assert_eq!(text, TextColour::Black);
        assert!((ratio - 4.69).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn mid_grey_is_refused_with_its_ratio_and_a_passing_neighbour() {
        let check = c("#777777").check();
        assert!(!check.passes);
        assert_eq!(check.on_page_ratio, 4.47);
        // The classic lightest grey with 4.5:1 on white.
        assert_eq!(check.suggestion.as_deref(), Some("#767676"));
        assert!(c("#767676").check().passes);
    }

    #[test]
    fn suggestions_keep_the_hue_and_pass() {
        for s in ["#ff8800", "#00ffff", "#ffff00", "#FFF", "#8fa3ff"] {
            let check = c(s).check();
            assert!(!check.passes, "{s}");
            let hint = c(check.suggestion.as_deref().unwrap());
            assert!(hint.check().passes, "{s} → {}", hint.hex());
            assert!(
                hint.contrast(AccentColour::WHITE) < 5.0,
                "{s} → {} is not the nearest",
                hint.hex()
            );
        }
        assert!(c("#333").check().passes);
        assert!(AccentColour::DEFAULT.check().passes);
    }

    #[test]
    fn the_better_of_black_and_white_always_reaches_aa() {
        // Why the text colour alone never refuses a colour: the minimum over sRGB is 4.58.
        let mut worst = f64::MAX;
        for r in (0..=255u8).step_by(3) {
            for g in (0..=255u8).step_by(3) {
                for b in (0..=255u8).step_by(3) {
                    worst = worst.min(AccentColour(Srgb::new(r, g, b)).text_colour().1);
                }
            }
        }
        assert!(worst > 4.58 && worst < 4.6, "{worst}");
    }

    #[test]
    fn product_names() {
        assert_eq!(ProductName::parse("  ").unwrap(), None);
        assert_eq!(
            ProductName::parse(" Acme Cloud ")
                .unwrap()
                .unwrap()
                .as_str(),
            "Acme Cloud"
        );
        assert!(ProductName::parse(&"x".repeat(41)).is_err());
        assert!(ProductName::parse("a\u{7}b").is_err());
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(width, height, image::Rgba([10, 20, 30, 255]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn logos_are_re_encoded_as_png() {
        let mut jpeg = Vec::new();
        image::RgbImage::from_pixel(40, 20, image::Rgb([200, 10, 10]))
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let logo = Logo::from_upload(&jpeg).unwrap();
        assert_eq!((logo.width, logo.height), (40, 20));
        assert!(logo.png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let logo = Logo::from_upload(&png(16, 16)).unwrap();
        assert_eq!((logo.width, logo.height), (16, 16));
    }

    #[test]
    fn svg_other_files_and_polyglots_are_refused() {
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(Logo::from_upload(svg), Err(LogoError::Svg));
        assert_eq!(
            Logo::from_upload(b"%PDF-1.7 not an image"),
            Err(LogoError::NotAnImage)
        );
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(Logo::from_upload(gif), Err(LogoError::NotAnImage));
        let mut polyglot = png(8, 8);
        polyglot.extend_from_slice(b"<html><script>alert(1)</script></html>");
        assert_eq!(
            Logo::from_upload(&polyglot),
            Err(LogoError::TrailingData(38))
        );
        let big = vec![0u8; Logo::MAX_BYTES + 1];
        assert_eq!(
            Logo::from_upload(&big),
            Err(LogoError::TooLarge(Logo::MAX_BYTES + 1))
        );
        assert_eq!(
            Logo::from_upload(&png(1500, 10)),
            Err(LogoError::TooManyPixels(1500, 10))
        );
        let mut cut = png(32, 32);
        cut.truncate(cut.len() - 20);
        assert!(matches!(
            Logo::from_upload(&cut),
            Err(LogoError::Corrupt(_))
        ));
    }
}
