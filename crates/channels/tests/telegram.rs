//! The Telegram Bot API adapter against the documented `Update` and error shapes.

use msgbuddy_channels::telegram::{self, Telegram};
use msgbuddy_channels::{
    ErrorClass, Inbound, Outbound, Provider, Recipient, Verification, WebhookRequest,
};
use msgbuddy_domain::message::{Choice, Content, Media, MediaKind};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/telegram/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn one(name: &str) -> msgbuddy_channels::InboundMessage {
    match telegram::parse(&fixture(name)).expect("parses").pop() {
        Some(Inbound::Message(m)) => m,
        other => panic!("one message from {name}: {other:?}"),
    }
}

#[test]
fn updates_parse_into_messages_from_the_chat() {
    let m = one("update_text.json");
    assert_eq!(m.provider_message_id, "1111111:1365");
    assert_eq!(m.from.address, "1111111");
    assert_eq!(m.from.name.as_deref(), Some("Test Lastname"));
    assert_eq!(m.at_ms, 1_441_645_532_000);
    assert_eq!(
        m.content,
        Content::Text {
            body: "/start".into()
        }
    );

    let photo = one("update_photo.json");
    let Content::Media(media) = photo.content else {
        panic!("photo")
    };
    assert_eq!(
        media.provider_id.as_deref(),
        Some("AgADBAADlarge"),
        "the largest size"
    );
    assert_eq!(media.caption.as_deref(), Some("Our shop front"));

    let Content::Media(doc) = one("update_document.json").content else {
        panic!("document")
    };
    assert_eq!(
        (doc.kind, doc.filename.as_deref()),
        (MediaKind::Document, Some("invoice.pdf"))
    );
    assert!(
        matches!(one("update_location.json").content, Content::Location(l) if (l.latitude - 52.520008).abs() < 1e-9)
    );
    assert!(
        matches!(one("update_contact.json").content, Content::Contacts { contacts } if contacts[0].name == "Erika Mustermann")
    );

    let tap = one("update_callback_query.json");
    assert_eq!(
        tap.content,
        Content::Reply {
            id: "size_m".into(),
            title: "size_m".into()
        }
    );
    assert_eq!(tap.reply_to.as_deref(), Some("1111111:1370"));

    let edited = one("update_edited.json");
    assert_eq!(edited.provider_message_id, "1111111:1365:edited:1441646600");
    assert!(telegram::parse(b"{\"ok\":true}").is_err());
    assert!(
        telegram::parse(br#"{"update_id":1,"my_chat_member":{}}"#)
            .expect("parses")
            .is_empty()
    );
}

#[test]
fn the_secret_token_header_is_checked() {
    let bot = Telegram::new(
        "http://127.0.0.1:9",
        "123:abc",
        "s3cret-token",
        "https://x/webhooks/ch",
        reqwest::Client::new(),
    );
    let body = fixture("update_text.json");
    let request = |headers: &'static [(String, String)]| WebhookRequest {
        method: "POST",
        url: "",
        query: "",
        headers,
        body: &body,
    };
    let good: &'static [(String, String)] = Box::leak(Box::new([(
        telegram::SECRET_HEADER.to_owned(),
        "s3cret-token".to_owned(),
    )]));
    let bad: &'static [(String, String)] = Box::leak(Box::new([(
        telegram::SECRET_HEADER.to_owned(),
        "guess".to_owned(),
    )]));
    assert_eq!(bot.verify_webhook(&request(good)), Verification::Accept);
    assert!(matches!(
        bot.verify_webhook(&request(bad)),
        Verification::Reject(_)
    ));
    assert!(matches!(
        bot.verify_webhook(&request(&[])),
        Verification::Reject(_)
    ));
}

#[test]
fn sends_pick_the_method_and_fields_of_the_bot_api() {
    let to = Recipient {
        address: "1111111".into(),
        name: None,
    };
    let build = |content: Content| {
        telegram::request_for(&Outbound {
            to: &to,
            content: &content,
            reference: "msg_1",
            reply_to: Some("1111111:1365"),
            thread: None,
            file: None,
        })
        .expect("a request")
    };
    let (method, body) = build(Content::Text { body: "Hi".into() });
    assert_eq!(method, "sendMessage");
    assert_eq!(body["chat_id"], 1_111_111);
    assert_eq!(body["reply_parameters"]["message_id"], 1365);
    let (method, body) = build(Content::Media(Media {
        kind: MediaKind::Image,
        url: Some("https://cdn.example/a.jpg".into()),
        provider_id: None,
        mime_type: None,
        filename: None,
        caption: Some("A".into()),
        size_bytes: None,
        media_id: None,
    }));
    assert_eq!(
        (method, body["photo"].as_str(), body["caption"].as_str()),
        ("sendPhoto", Some("https://cdn.example/a.jpg"), Some("A"))
    );
    let (method, body) = build(Content::Buttons {
        body: "Size?".into(),
        buttons: vec![Choice {
            id: "m".into(),
            title: "M".into(),
            description: None,
        }],
    });
    assert_eq!(method, "sendMessage");
    assert_eq!(
        body["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "m"
    );
    assert!(
        telegram::request_for(&Outbound {
            to: &to,
            content: &Content::Template {
                name: "t".into(),
                language: "en".into(),
                parameters: vec![]
            },
            reference: "m",
            reply_to: None,
            thread: None,
            file: None,
        })
        .is_err()
    );
}

#[test]
fn errors_follow_the_error_code() {
    let answer = |status: u16, name: &str| msgbuddy_channels::http::Answer {
        status: reqwest::StatusCode::from_u16(status).expect("status"),
        retry_after: None,
        body: serde_json::from_slice(&fixture(name)).expect("json"),
    };
    let limited = telegram::error_from(&answer(429, "error_429.json"));
    assert_eq!(
        limited.class,
        ErrorClass::Throttled {
            retry_after: Some(std::time::Duration::from_secs(5))
        }
    );
    let blocked = telegram::error_from(&answer(403, "error_403.json"));
    assert_eq!(blocked.class, ErrorClass::Permanent);
    assert_eq!(blocked.message, "Forbidden: bot was blocked by the user");
}
