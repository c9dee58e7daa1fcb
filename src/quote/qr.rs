//! QR codes of payment payloads, at error-correction level M as EPC069-12 requires: the module
//! matrix (drawn as vector squares in the PDF), an inline SVG for pages and a PNG for emails.

use std::io::Write;

use qrcode::{Color, EcLevel, QrCode};

use super::QuoteError;

/// White modules around the code, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// The dark and light modules of one QR code, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Modules per side.
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Horizontal runs of dark modules, `(x, y, length)`, so that a drawing has few shapes.
    pub fn dark_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }
}

/// The modules of the QR code of `payload` at level M.
pub fn matrix(payload: &str) -> Result<QrMatrix, QuoteError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|error| QuoteError::Qr(error.to_string()))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|color| color == Color::Dark)
        .collect();
    Ok(QrMatrix { width, dark })
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The QR code as an inline SVG element that scales with its box, labelled for screen readers.
pub fn svg(payload: &str, label: &str) -> Result<String, QuoteError> {
    let qr = matrix(payload)?;
    let side = qr.width() + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (x, y, length) in qr.dark_runs() {
        path.push_str(&format!(
            "M{} {}h{}v1h-{}z",
            x + QUIET_ZONE,
            y + QUIET_ZONE,
            length,
            length
        ));
    }
    let label = escape_attribute(label);
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         width=\"180\" height=\"180\" role=\"img\" aria-label=\"{label}\" \
         shape-rendering=\"crispEdges\"><title>{label}</title>\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// The QR code as a black-and-white PNG, `scale` pixels per module, with the quiet zone.
pub fn png(payload: &str, scale: usize) -> Result<Vec<u8>, QuoteError> {
    let qr = matrix(payload)?;
    let scale = scale.max(1);
    let pixels = (qr.width() + 2 * QUIET_ZONE) * scale;
    let row_bytes = pixels.div_ceil(8);
    // One-bit grey: 1 is white. Each row starts with filter type 0.
    let mut raw = Vec::with_capacity((row_bytes + 1) * pixels);
    for py in 0..pixels {
        raw.push(0u8);
        let mut row = vec![0xffu8; row_bytes];
        let my = (py / scale).checked_sub(QUIET_ZONE);
        for px in 0..pixels {
            let mx = (px / scale).checked_sub(QUIET_ZONE);
            let dark = match (mx, my) {
                (Some(x), Some(y)) if x < qr.width() && y < qr.width() => qr.is_dark(x, y),
                _ => false,
            };
            if dark {
                row[px / 8] &= !(0x80 >> (px % 8));
            }
        }
        raw.extend_from_slice(&row);
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&raw)
        .and_then(|()| encoder.flush())
        .map_err(|error| QuoteError::Qr(error.to_string()))?;
    let compressed = encoder
        .finish()
        .map_err(|error| QuoteError::Qr(error.to_string()))?;
    let side = u32::try_from(pixels).map_err(|error| QuoteError::Qr(error.to_string()))?;
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&[1, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &header);
    png_chunk(&mut out, b"IDAT", &compressed);
    png_chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// The PNG as a `data:` URI, for an `<img>` that needs no separate part in the message.
pub fn png_data_uri(payload: &str) -> Result<String, QuoteError> {
    use base64::Engine;
    let bytes = png(payload, 4)?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str =
        "BCD\n002\n1\nSCT\nGKCCBEBB\nORES\nBE68539007547034\nEUR1754.50\n\n\n+++123/4567/89002+++";

    #[test]
    fn the_code_has_finder_patterns_and_a_version_within_epc_limits() {
        let qr = matrix(PAYLOAD).unwrap();
        // Version v has 17 + 4v modules; EPC069-12 allows up to version 13 (69 modules).
        assert!(
            qr.width() <= 69 && (qr.width() - 17).is_multiple_of(4),
            "{}",
            qr.width()
        );
        // Top-left finder: a dark 7×7 ring with a dark 3×3 centre.
        for i in 0..7 {
            assert!(qr.is_dark(i, 0) && qr.is_dark(0, i) && qr.is_dark(6, i) && qr.is_dark(i, 6));
        }
        assert!(!qr.is_dark(1, 1) && qr.is_dark(3, 3));
        let runs: usize = qr.dark_runs().iter().map(|r| r.2).sum();
        let dark = (0..qr.width())
            .flat_map(|y| (0..qr.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| qr.is_dark(x, y))
            .count();
        assert_eq!(runs, dark);
    }

    #[test]
    fn svg_and_png_are_well_formed_and_stable() {
        let svg = svg(PAYLOAD, "QR <ORES>").unwrap();
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains("aria-label=\"QR &lt;ORES&gt;\""));
        let png = png(PAYLOAD, 4).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize;
        assert_eq!(side, (matrix(PAYLOAD).unwrap().width() + 8) * 4);
        assert_eq!(png, super::png(PAYLOAD, 4).unwrap());
        assert!(
            png_data_uri(PAYLOAD)
                .unwrap()
                .starts_with("data:image/png;base64,iVBOR")
        );
    }
}
