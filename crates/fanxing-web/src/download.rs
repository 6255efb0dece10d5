//! File downloads: one place that sets the type and the attachment name,
//! for bytes in memory and for large files streamed from disk.

use axum::body::Body;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncReadExt;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const ZIP: &str = "application/zip";

/// A response that downloads `body` as `filename` (ASCII; shown as is).
pub fn download(body: impl Into<Body>, content_type: &'static str, filename: &str) -> Response {
    let mut res = body.into().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
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
