//! Certificates as PDF: A4 landscape, Chinese text in an embedded (subset)
//! Noto CJK font, and a QR code that opens the public verify page.
//!
//! The font is read once from `FANXING_CJK_FONT` (a `.ttc`/`.otf` path; the
//! face index may follow after `#`, e.g. `…/NotoSerifCJK-Regular.ttc#2`), or
//! from Debian's `fonts-noto-cjk` location.

use std::sync::LazyLock;

use fanxing_core::curriculum::CertificateView;
use fanxing_core::{Error, Lang};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::text::{Font, TextDirection};
use krilla::Document;

/// Debian's fonts-noto-cjk; face 2 of the collections is Simplified Chinese.
const CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
];

static FONT: LazyLock<Option<Font>> = LazyLock::new(|| {
    let configured = std::env::var("FANXING_CJK_FONT")
        .ok()
        .map(|v| match v.split_once('#') {
            Some((p, i)) => (p.to_string(), i.parse().unwrap_or(0)),
            None => (v, 0),
        });
    let paths: Vec<(String, u32)> = configured
        .into_iter()
        .chain(CANDIDATES.iter().map(|(p, i)| (p.to_string(), *i)))
        .collect();
    paths.into_iter().find_map(|(path, index)| {
        let bytes = std::fs::read(&path).ok()?;
        Font::new(bytes.into(), index)
    })
});

fn fill(surface: &mut krilla::surface::Surface<'_>, r: u8, g: u8, b: u8) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }));
}

fn rect(surface: &mut krilla::surface::Surface<'_>, x: f32, y: f32, w: f32, h: f32) {
    if let Some(r) = Rect::from_xywh(x, y, w, h) {
        let mut pb = PathBuilder::new();
        pb.push_rect(r);
        if let Some(path) = pb.finish() {
            surface.draw_path(&path);
        }
    }
}

/// Roughly how wide `text` sets at `size` (CJK full width, ASCII half).
fn width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
        .sum::<f32>()
        * size
}

fn centred(surface: &mut krilla::surface::Surface<'_>, font: &Font, y: f32, size: f32, text: &str) {
    let x = (842.0 - width(text, size)) / 2.0;
    surface.draw_text(
        Point::from_xy(x, y),
        font.clone(),
        size,
        text,
        false,
        TextDirection::Auto,
    );
}

/// Renders the certificate. `verify_url` is what the QR code opens.
pub fn render(c: &CertificateView, verify_url: &str, lang: Lang) -> Result<Vec<u8>, Error> {
    let font = FONT
        .as_ref()
        .ok_or_else(|| Error::Message(lang.t("certificate.font_missing").to_string()))?;
    let qr = qrcode::QrCode::with_error_correction_level(verify_url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Error::Store(format!("qr: {e}")))?;
    let mut document = Document::new();
    let settings =
        PageSettings::from_wh(842.0, 595.0).ok_or_else(|| Error::Store("page size".into()))?;
    let mut page = document.start_page_with(settings);
    let mut s = page.surface();
    // A red frame.
    fill(&mut s, 200, 16, 46);
    rect(&mut s, 24.0, 24.0, 794.0, 6.0);
    rect(&mut s, 24.0, 565.0, 794.0, 6.0);
    rect(&mut s, 24.0, 24.0, 6.0, 547.0);
    rect(&mut s, 812.0, 24.0, 6.0, 547.0);
    centred(&mut s, font, 130.0, 44.0, lang.t("certificate.title"));
    fill(&mut s, 29, 36, 51);
    centred(&mut s, font, 225.0, 30.0, &c.person_name);
    let body = lang.tf(
        "certificate.body",
        &[
            ("programme", &c.programme_name),
            ("track", c.track_name(lang)),
        ],
    );
    centred(&mut s, font, 290.0, 18.0, &body);
    let issued = fanxing_core::training::format_local(c.issued_at);
    let date = issued.get(..10).unwrap_or(&issued);
    centred(
        &mut s,
        font,
        360.0,
        16.0,
        &format!("{} · {}", c.issuer, date),
    );
    let number = format!("{}：{}", lang.t("certificate.number"), c.number);
    s.draw_text(
        Point::from_xy(60.0, 530.0),
        font.clone(),
        12.0,
        &number,
        false,
        TextDirection::Auto,
    );
    // The QR code, one square per dark module, bottom right.
    let modules = qr.width();
    let cell = 110.0 / modules as f32;
    let (x0, y0) = (842.0 - 60.0 - 110.0, 595.0 - 60.0 - 110.0);
    for (i, color) in qr.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (cx, cy) = ((i % modules) as f32, (i / modules) as f32);
            rect(
                &mut s,
                x0 + cx * cell,
                y0 + cy * cell,
                cell + 0.05,
                cell + 0.05,
            );
        }
    }
    s.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| Error::Store(format!("pdf: {e:?}")))
}
