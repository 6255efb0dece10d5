//! File downloads: one place that sets the type and the attachment name,
//! for bytes in memory and for large files streamed from disk.

use axum::body::Body;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncReadExt;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const ZIP: &str = "application/zip";

/// A response that downloads `body` as `filename`. A Chinese name travels
/// as `filename*` (RFC 6266), with an ASCII stand-in for old clients.
pub fn download(body: impl Into<Body>, content_type: &'static str, filename: &str) -> Response {
    let mut res = body.into().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// `attachment; filename="…"` for an ASCII name; with `filename*` added
/// when the name is not ASCII (the plain name then keeps only its ASCII).
pub fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    if ascii == filename {
        format!("attachment; filename=\"{filename}\"")
    } else {
        let ascii = ascii.trim_start_matches(['-', '_']);
        let ascii = if ascii.starts_with('.') || ascii.is_empty() {
            format!("fanxing{ascii}")
        } else {
            ascii.to_string()
        };
        format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            crate::error::urlencode(filename)
        )
    }
}

/// Streams a finished file (usually an unlinked temporary file) from its
/// start in 64 KiB reads, so the response never holds the whole file.
pub fn file_download(
    mut file: std::fs::File,
    content_type: &'static str,
    filename: &str,
) -> std::io::Result<Response> {
    use std::io::Seek;
    let len = file.seek(std::io::SeekFrom::End(0))?;
    file.rewind()?;
    let file = tokio::fs::File::from_std(file);
    let chunks = futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut res = download(Body::from_stream(chunks), content_type, filename);
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(res)
}

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_names_travel_as_filename_star() {
        assert_eq!(
            super::content_disposition("progress.xlsx"),
            "attachment; filename=\"progress.xlsx\""
        );
        let d = super::content_disposition("苏州市培训进度-2026-12-02.xlsx");
        assert!(
            d.starts_with("attachment; filename=\"2026-12-02.xlsx\"; filename*=UTF-8''%E8%8B%8F"),
            "{d}"
        );
    }
}
