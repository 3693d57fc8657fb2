//! Email attachments, both ways: a mail written by another program (Python's `email`
//! package made the fixture) lists its files and gives their bytes back unchanged, and a
//! media message goes out as the caption with the file attached, which a mail reader
//! opens to the same bytes.

use msgbuddy_channels::email::{self, Email, EmailConfig};
use msgbuddy_channels::{
    ErrorClass, Inbound, Outbound, Provider, ProviderError, Recipient, WebhookRequest,
};
use msgbuddy_domain::message::{Content, Media, MediaKind};

const MAIL: &[u8] = include_bytes!("fixtures/email/attachments.eml");

fn channel() -> Email {
    Email::new(EmailConfig {
        address: "support@example.test".into(),
        display_name: "Acme Support".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: 2525,
        smtp_username: "support@example.test".into(),
        smtp_password: "secret".into(),
        imap_host: "127.0.0.1".into(),
        imap_port: 1143,
        imap_username: "support@example.test".into(),
        imap_password: "secret".into(),
        tls: false,
    })
}

/// The mail as the pipeline stores it (base64 of the raw bytes), read back.
fn stored(raw: &[u8]) -> String {
    email::encode_stored(raw)
}

fn parse(channel: &Email, body: &str) -> Content {
    let items = channel
        .parse_webhook(&WebhookRequest {
            method: "POST",
            url: "",
            query: "",
            headers: &[],
            body: body.as_bytes(),
        })
        .expect("the mail is read");
    match items.as_slice() {
        [Inbound::Message(m)] => m.content.clone(),
        other => panic!("one message, got {other:?}"),
    }
}

#[test]
fn an_inbound_mail_lists_its_attachments_and_gives_back_their_bytes() {
    let channel = channel();
    let body = stored(MAIL);
    let Content::Email {
        subject,
        body: text,
        attachments,
    } = parse(&channel, &body)
    else {
        panic!("an email");
    };
    assert_eq!(subject, "Damaged parcel, photos attached");
    assert_eq!(text, "The box arrived crushed. Photo and invoice attached.");
    let listed: Vec<(MediaKind, Option<&str>, Option<&str>)> = attachments
        .iter()
        .map(|a| (a.kind, a.filename.as_deref(), a.mime_type.as_deref()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (MediaKind::Image, Some("parcel.png"), Some("image/png")),
            (
                MediaKind::Document,
                Some("Invoice 1042 – März.pdf"),
                Some("application/pdf")
            ),
            (
                MediaKind::Document,
                Some("logs.zip"),
                Some("application/zip")
            ),
        ]
    );
    assert!(attachments.iter().all(|a| a.media_id.is_none()));

    let pdf = channel
        .attached_file(body.as_bytes(), &attachments[1], 1024 * 1024)
        .expect("read")
        .expect("a file");
    assert!(pdf.bytes.starts_with(b"%PDF-1.4"), "{:?}", pdf.bytes);
    assert!(pdf.bytes.ends_with(b"%%EOF\n"));
    assert_eq!(attachments[1].size_bytes, Some(pdf.bytes.len() as u64));
    let png = channel
        .attached_file(body.as_bytes(), &attachments[0], 1024 * 1024)
        .expect("read")
        .expect("a file");
    assert!(png.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));

    // Too large for the library, or not in the mail: a permanent refusal with the reason.
    let big = channel
        .attached_file(body.as_bytes(), &attachments[1], 10)
        .expect_err("too large");
    assert_eq!(big.class, ErrorClass::Permanent);
    let mut missing = attachments[0].clone();
    missing.provider_id = Some("attachment:7".into());
    let gone = channel
        .attached_file(body.as_bytes(), &missing, 1024 * 1024)
        .expect_err("no such attachment");
    assert!(gone.message.contains("attachment 7"), "{}", gone.message);
    // A file that did not come in a mail is not the email adapter's to read.
    missing.provider_id = Some("wamid.1".into());
    assert!(
        channel
            .attached_file(body.as_bytes(), &missing, 1024 * 1024)
            .expect("nothing to read")
            .is_none()
    );
}

#[test]
fn a_mail_without_attachments_lists_none() {
    let raw = b"From: a@example.test\r\nTo: support@example.test\r\nSubject: Hi\r\n\r\nHello\r\n";
    let Content::Email { attachments, .. } = parse(&channel(), &stored(raw)) else {
        panic!("an email");
    };
    assert!(attachments.is_empty());
}

fn photo(caption: Option<&str>, filename: Option<&str>) -> Media {
    Media {
        kind: MediaKind::Image,
        url: Some("/media/med_1".into()),
        provider_id: None,
        mime_type: Some("image/png".into()),
        filename: filename.map(str::to_owned),
        caption: caption.map(str::to_owned),
        size_bytes: Some(4),
        media_id: Some("med_1".into()),
    }
}

/// The mail the channel builds for `content` with `file` attached, as sent.
fn built(content: &Content, file: Option<&[u8]>) -> Result<Vec<u8>, ProviderError> {
    let to = Recipient {
        address: "customer@example.test".into(),
        name: Some("Priya Raman".into()),
    };
    channel()
        .build(&Outbound {
            to: &to,
            content,
            reference: "msg_1",
            reply_to: None,
            thread: None,
            file,
        })
        .map(|m| m.formatted())
}

#[test]
fn a_media_message_goes_out_as_its_caption_with_the_file_attached() {
    use mail_parser::MimeHeaders;
    let bytes: Vec<u8> = (0u8..=255).cycle().take(70_000).collect();
    let content = Content::Media(photo(Some("Your label, as promised"), Some("label.png")));
    let wire = built(&content, Some(&bytes)).expect("built");

    // Read back by a mail reader: the text, and the file with its name and every byte.
    let read = mail_parser::MessageParser::default()
        .parse(&wire)
        .expect("a mail");
    assert_eq!(
        read.body_text(0).as_deref().map(str::trim_end),
        Some("Your label, as promised")
    );
    assert_eq!(read.attachment_count(), 1);
    let part = read.attachment(0).expect("the file");
    assert_eq!(part.attachment_name(), Some("label.png"));
    assert_eq!(
        part.content_type()
            .map(|t| (t.ctype().to_owned(), t.subtype().map(str::to_owned))),
        Some(("image".to_owned(), Some("png".to_owned())))
    );
    assert_eq!(part.contents(), bytes.as_slice());

    // Without a name, one is made from the kind and type.
    let unnamed = Content::Media(photo(None, None));
    let wire = built(&unnamed, Some(b"\x89PNG")).expect("built");
    let read = mail_parser::MessageParser::default()
        .parse(&wire)
        .expect("a mail");
    assert_eq!(
        read.attachment(0).and_then(|p| p.attachment_name()),
        Some("image.png")
    );

    // A file msgbuddy does not hold (a URL given to the API) cannot be attached.
    let refused = built(&unnamed, None).expect_err("no bytes");
    assert_eq!(refused.class, ErrorClass::Permanent);
    assert_eq!(refused.code, "media_unavailable");
}
