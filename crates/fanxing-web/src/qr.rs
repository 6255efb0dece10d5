//! QR codes as SVG, rendered on the server so pages, print and PDF share them.

use fanxing_core::Error;

/// An SVG QR code for `data` (error correction M, with a quiet zone).
pub fn svg(data: &str) -> Result<String, Error> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Error::Store(format!("qr: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_svg() {
        let s = super::svg("FX1.1.2.3.4.abc").unwrap();
        assert!(s.starts_with("<?xml") || s.starts_with("<svg"));
        assert!(s.contains("<path") || s.contains("<rect"));
    }
}
