//! What a file is, read from its first bytes, never from its name or the type a client
//! claims. Only types some channel carries are taken; everything else is refused with
//! the list of what is.

use msgbuddy_domain::AppError;
use msgbuddy_domain::message::MediaKind;

/// A file's type as its content shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub mime_type: &'static str,
    pub kind: MediaKind,
}

const TAKEN: &str = "images (JPEG, PNG, GIF, WebP), video (MP4, 3GP), audio (MP3, M4A, AAC, OGG, AMR), \
                     PDF, Word, Excel, PowerPoint and plain text";

/// Reads the type of `bytes`. `filename` only tells apart the old Office formats, which
/// share one container; it never makes a file something its content is not.
pub fn sniff(bytes: &[u8], filename: Option<&str>) -> Result<Sniffed, AppError> {
    let found = binary(bytes, filename).or_else(|| text(bytes));
    found
        .map(|(mime_type, kind)| Sniffed { mime_type, kind })
        .ok_or_else(|| {
            AppError::invalid_field(
                "file",
                format!("This file's content is not a type msgbuddy sends. It takes {TAKEN}."),
            )
        })
}

fn binary(b: &[u8], filename: Option<&str>) -> Option<(&'static str, MediaKind)> {
    use MediaKind::*;
    let at = |offset: usize, magic: &[u8]| b.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\xFF\xD8\xFF") {
        return Some(("image/jpeg", Image));
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some(("image/png", Image));
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some(("image/gif", Image));
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some(("image/webp", Image));
    }
    if at(4, b"ftyp") {
        let brand = b.get(8..12)?;
        return Some(match brand {
            b"M4A " | b"M4B " => ("audio/mp4", Audio),
            b"3gp4" | b"3gp5" | b"3gp6" | b"3g2a" => ("video/3gpp", Video),
            b"qt  " => ("video/quicktime", Video),
            _ => ("video/mp4", Video),
        });
    }
    if at(0, b"OggS") {
        return Some(("audio/ogg", Audio));
    }
    if at(0, b"ID3") {
        return Some(("audio/mpeg", Audio));
    }
    if at(0, b"#!AMR") {
        return Some(("audio/amr", Audio));
    }
    if let [0xFF, second, ..] = b {
        // An ADTS AAC frame (layer bits 00) or an MPEG audio frame without a tag.
        if second & 0xF6 == 0xF0 {
            return Some(("audio/aac", Audio));
        }
        if second & 0xE0 == 0xE0 && second & 0x06 != 0 {
            return Some(("audio/mpeg", Audio));
        }
    }
    if at(0, b"%PDF-") {
        return Some(("application/pdf", Document));
    }
    if at(0, b"PK\x03\x04") {
        return office_open_xml(b).map(|mime| (mime, Document));
    }
    if at(0, b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        // The old binary Office formats share one container; the name says which.
        let ext = filename?.rsplit_once('.')?.1.to_ascii_lowercase();
        let mime = match ext.as_str() {
            "doc" => "application/msword",
            "xls" => "application/vnd.ms-excel",
            "ppt" => "application/vnd.ms-powerpoint",
            _ => return None,
        };
        return Some((mime, Document));
    }
    None
}

/// A zip is a Word, Excel or PowerPoint file when it holds that format's part folder.
fn office_open_xml(b: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| b.windows(needle.len()).any(|w| w == needle);
    if !has(b"[Content_Types].xml") {
        return None;
    }
    if has(b"word/") {
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else if has(b"xl/") {
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    } else if has(b"ppt/") {
        Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
    } else {
        None
    }
}

/// UTF-8 text without control characters other than tab, line breaks and form feed.
fn text(b: &[u8]) -> Option<(&'static str, MediaKind)> {
    let s = std::str::from_utf8(b).ok()?;
    let clean = !s.is_empty()
        && s.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'));
    clean.then_some(("text/plain", MediaKind::Document))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mime(bytes: &[u8]) -> Option<&'static str> {
        sniff(bytes, None).ok().map(|s| s.mime_type)
    }

    #[test]
    fn images_audio_video_and_documents_are_known_by_their_first_bytes() {
        assert_eq!(mime(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some("image/jpeg"));
        assert_eq!(mime(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(mime(b"GIF89a\x01\0"), Some("image/gif"));
        assert_eq!(mime(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(mime(b"\0\0\0\x18ftypmp42\0\0\0\0"), Some("video/mp4"));
        assert_eq!(mime(b"\0\0\0\x18ftyp3gp4\0\0\0\0"), Some("video/3gpp"));
        assert_eq!(mime(b"\0\0\0\x20ftypM4A \0\0\0\0"), Some("audio/mp4"));
        assert_eq!(mime(b"OggS\0\x02"), Some("audio/ogg"));
        assert_eq!(mime(b"ID3\x04\0\0"), Some("audio/mpeg"));
        assert_eq!(mime(b"\xFF\xFB\x90\x64"), Some("audio/mpeg"));
        assert_eq!(mime(b"\xFF\xF1\x50\x80"), Some("audio/aac"));
        assert_eq!(mime(b"#!AMR\n"), Some("audio/amr"));
        assert_eq!(mime(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(
            mime(b"PK\x03\x04\x14\0[Content_Types].xml...word/document.xml"),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(
            mime("Order #42 — thanks!\r\n".as_bytes()),
            Some("text/plain")
        );
    }

    #[test]
    fn the_name_never_overrides_the_content() {
        let html = b"<script>alert(1)</script>";
        // Text is served as text/plain, whatever it was called.
        assert_eq!(
            sniff(html, Some("photo.jpg")).map(|s| s.mime_type),
            Ok("text/plain")
        );
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0";
        let err = sniff(exe, Some("invoice.pdf")).expect_err("an executable is refused");
        assert!(err.message.contains("not a type msgbuddy sends"), "{err:?}");
        // A zip that is not an Office file, and an old Office file without a telling name.
        assert!(sniff(b"PK\x03\x04\x14\0\0\0evil.sh", Some("a.docx")).is_err());
        assert!(sniff(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0", Some("a.exe")).is_err());
        assert_eq!(
            sniff(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0", Some("Q3.XLS")).map(|s| s.mime_type),
            Ok("application/vnd.ms-excel")
        );
        assert!(sniff(b"", None).is_err());
        assert!(sniff(b"text\0with a NUL", None).is_err());
    }
}
