//! The text of an uploaded course material, for the library's search.
//!
//! PDF (its text layer), Word and PowerPoint (the text of paragraphs and
//! slides), Excel (the strings of its cells), plain text and Markdown
//! (UTF-8 or GB 18030). Every read is bounded: a zip entry is inflated at
//! most [`MAX_XML_BYTES`], whatever size it declares, and the text kept is
//! at most [`super::MAX_BODY_CHARS`] characters. Errors are message keys
//! saying why no text could be had (corrupt, password-protected, no text
//! layer, unreadable encoding).

use std::io::Read;

use quick_xml::events::Event;

/// The most bytes one XML part of an Office file is inflated to.
pub const MAX_XML_BYTES: u64 = 64 << 20;

/// Whether files of this type carry text worth extracting (images and
/// video do not, and are not flagged).
pub fn has_text(content_type: &str) -> bool {
    content_type == "application/pdf"
        || content_type.starts_with("text/")
        || content_type.contains("officedocument")
}

/// The text of a material, or the message key of why there is none.
pub fn extract(content_type: &str, bytes: &[u8]) -> Result<String, &'static str> {
    let text = match content_type {
        "application/pdf" => pdf(bytes)?,
        t if t.starts_with("text/") => plain(bytes)?,
        t if t.contains("wordprocessingml") => {
            office(bytes, |n| n == "word/document.xml", "t", "p")?
        }
        t if t.contains("presentationml") => office(bytes, is_slide, "t", "p")?,
        t if t.contains("spreadsheetml") => {
            office(bytes, |n| n == "xl/sharedStrings.xml", "t", "si")?
        }
        _ => return Err("material.no_text"),
    };
    let text: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if text.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
        return Err("material.no_text");
    }
    Ok(text.chars().take(super::MAX_BODY_CHARS).collect())
}

fn plain(bytes: &[u8]) -> Result<String, &'static str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
    if bad {
        return Err("material.bad_encoding");
    }
    Ok(s.into_owned())
}

fn pdf(bytes: &[u8]) -> Result<String, &'static str> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) => "material.pdf_locked",
        _ => "material.pdf_corrupt",
    })?;
    if doc.is_encrypted() {
        return Err("material.pdf_locked");
    }
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let mut out = String::new();
    for chunk in doc.extract_text_chunks(&pages).into_iter().flatten() {
        out.push_str(&chunk);
        out.push('\n');
        if out.len() > 4 * super::MAX_BODY_CHARS {
            break;
        }
    }
    Ok(out)
}

fn is_slide(name: &str) -> bool {
    name.strip_prefix("ppt/slides/slide")
        .and_then(|r| r.strip_suffix(".xml"))
        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

fn slide_number(name: &str) -> u32 {
    name.trim_start_matches("ppt/slides/slide")
        .trim_end_matches(".xml")
        .parse()
        .unwrap_or(0)
}

/// The text of the XML parts of a zip package that `wanted` names, in
/// order (slides by number): the content of `text` elements, a line break
/// at the end of each `para` element (names without their prefix).
fn office(
    bytes: &[u8],
    wanted: impl Fn(&str) -> bool,
    text: &str,
    para: &str,
) -> Result<String, &'static str> {
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| "material.office_corrupt")?;
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .filter(|n| wanted(n))
        .collect();
    if names.is_empty() {
        return Err("material.office_corrupt");
    }
    names.sort_by_key(|n| (slide_number(n), n.clone()));
    let mut out = String::new();
    for name in names {
        let entry = zip.by_name(&name).map_err(|_| "material.office_corrupt")?;
        let mut xml = Vec::new();
        entry
            .take(MAX_XML_BYTES + 1)
            .read_to_end(&mut xml)
            .map_err(|_| "material.office_corrupt")?;
        if xml.len() as u64 > MAX_XML_BYTES {
            return Err("material.too_large_text");
        }
        xml_text(&xml, text, para, &mut out)?;
        out.push('\n');
    }
    Ok(out)
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn xml_text(xml: &[u8], text: &str, para: &str, out: &mut String) -> Result<(), &'static str> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if local(e.name().as_ref()) == text => inside = true,
            Ok(Event::End(e)) => {
                let name = e.name();
                let n = local(name.as_ref());
                if n == text {
                    inside = false;
                } else if n == para {
                    out.push('\n');
                }
            }
            Ok(Event::Text(t)) if inside => out.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) if inside => match r.resolve_char_ref() {
                Ok(Some(c)) => out.push(c),
                _ => match &*r {
                    "amp" => out.push('&'),
                    "lt" => out.push('<'),
                    "gt" => out.push('>'),
                    "quot" => out.push('"'),
                    "apos" => out.push('\''),
                    _ => {}
                },
            },
            Ok(Event::Eof) => return Ok(()),
            Err(_) => return Err("material.office_corrupt"),
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn package(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn word_and_powerpoint_text_in_order() {
        let docx = package(&[(
            "word/document.xml",
            r#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>直播带货</w:t></w:r><w:r><w:t xml:space="preserve"> 选品 &amp; 定价</w:t></w:r></w:p><w:p><w:r><w:t>第二段</w:t></w:r></w:p></w:body></w:document>"#,
        )]);
        let t = extract(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &docx,
        )
        .unwrap();
        assert_eq!(t, "直播带货 选品 & 定价\n第二段");
        let pptx = package(&[
            (
                "ppt/slides/slide10.xml",
                r#"<p:sld xmlns:a="a" xmlns:p="p"><a:p><a:r><a:t>第十页</a:t></a:r></a:p></p:sld>"#,
            ),
            (
                "ppt/slides/slide2.xml",
                r#"<p:sld xmlns:a="a" xmlns:p="p"><a:p><a:r><a:t>第二页</a:t></a:r></a:p></p:sld>"#,
            ),
        ]);
        let t = extract(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            &pptx,
        )
        .unwrap();
        assert_eq!(t, "第二页\n第十页");
    }

    #[test]
    fn plain_text_in_utf8_or_gb18030() {
        assert_eq!(
            extract("text/plain", "\u{feff}讲义正文".as_bytes()).unwrap(),
            "讲义正文"
        );
        let (gbk, _, _) = encoding_rs::GB18030.encode("讲义正文");
        assert_eq!(extract("text/plain", &gbk).unwrap(), "讲义正文");
    }

    #[test]
    fn bad_files_say_why() {
        assert_eq!(
            extract("application/pdf", b"%PDF-1.7 garbage"),
            Err("material.pdf_corrupt")
        );
        assert_eq!(
            extract(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                b"PK\x03\x04 not a zip"
            ),
            Err("material.office_corrupt")
        );
        assert_eq!(extract("text/plain", b"   \n "), Err("material.no_text"));
        let empty_slides = package(&[("ppt/presentation.xml", "<p/>")]);
        assert_eq!(
            extract(
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                &empty_slides
            ),
            Err("material.office_corrupt")
        );
    }

    #[test]
    fn an_inflated_part_is_bounded_whatever_it_declares() {
        let big = "<w:t>".to_string() + &"直".repeat((MAX_XML_BYTES / 3 + 10) as usize) + "</w:t>";
        let docx = package(&[("word/document.xml", &big)]);
        assert_eq!(
            extract(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &docx
            ),
            Err("material.too_large_text")
        );
    }
}
