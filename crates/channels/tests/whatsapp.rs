//! The WhatsApp Cloud API adapter against Meta's documented payloads.

use msgbuddy_channels::whatsapp::{self, WhatsApp, WhatsAppConfig};
use msgbuddy_channels::{
    ErrorClass, Inbound, Outbound, Provider, Recipient, Verification, WebhookRequest, signature,
};
use msgbuddy_domain::message::{
    Choice, ContactCard, Content, DeliveryStatus, ListSection, Location, Media, MediaKind,
};

const PHONE_NUMBER_ID: &str = "106540352242922";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/whatsapp/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn adapter() -> WhatsApp {
    WhatsApp::new(
        &WhatsAppConfig {
            base: "http://127.0.0.1:9",
            phone_number_id: PHONE_NUMBER_ID,
            waba_id: "102290129340398",
            app_id: "app",
            app_secret: "app-secret",
            access_token: "token",
            verify_token: "my verify token",
        },
        reqwest::Client::new(),
    )
}

fn post<'a>(body: &'a [u8], headers: &'a [(String, String)]) -> WebhookRequest<'a> {
    WebhookRequest {
        method: "POST",
        url: "https://msgbuddy.example/webhooks/ch_1",
        query: "",
        headers,
        body,
    }
}

#[test]
fn text_and_image_messages_parse_with_the_sender_name() {
    let parsed = whatsapp::parse(&fixture("inbound_text.json"), PHONE_NUMBER_ID).expect("parses");
    let [Inbound::Message(m)] = parsed.as_slice() else {
        panic!("one message: {parsed:?}")
    };
    assert_eq!(m.from.address, "+16505551234");
    assert_eq!(m.from.name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(m.at_ms, 1_749_416_383_000);
    assert_eq!(
        m.content,
        Content::Text {
            body: "Does it come in another color?".into()
        }
    );
    let parsed = whatsapp::parse(&fixture("inbound_image.json"), PHONE_NUMBER_ID).expect("parses");
    let [Inbound::Message(m)] = parsed.as_slice() else {
        panic!("one message")
    };
    let Content::Media(media) = &m.content else {
        panic!("media")
    };
    assert_eq!(media.kind, MediaKind::Image);
    assert_eq!(media.provider_id.as_deref(), Some("1003383421387256"));
    assert_eq!(media.caption.as_deref(), Some("Black jacket"));
}

#[test]
fn every_inbound_kind_parses() {
    let parsed = whatsapp::parse(&fixture("inbound_mixed.json"), PHONE_NUMBER_ID).expect("parses");
    let contents: Vec<Content> = parsed
        .into_iter()
        .map(|i| match i {
            Inbound::Message(m) => m.content,
            Inbound::Status(_) => panic!("no statuses here"),
        })
        .collect();
    assert!(
        matches!(&contents[0], Content::Location(Location { name: Some(n), .. }) if n == "Main Street Beans")
    );
    assert!(
        matches!(&contents[1], Content::Contacts { contacts } if contacts[0].name == "Barbara J. Johnson" && contacts[0].phones == vec!["+1 (940) 555-1234"])
    );
    assert_eq!(
        contents[2],
        Content::Reply {
            id: "change-button".into(),
            title: "Change".into()
        }
    );
    assert_eq!(
        contents[3],
        Content::Reply {
            id: "priority_express".into(),
            title: "Priority Mail Express".into()
        }
    );
    assert!(matches!(&contents[4], Content::Reaction { emoji, .. } if emoji == "😀"));
    assert!(matches!(&contents[5], Content::Media(m) if m.kind == MediaKind::Audio));
    assert!(
        matches!(&contents[6], Content::Media(m) if m.filename.as_deref() == Some("receipt.pdf"))
    );
    assert_eq!(
        contents[7],
        Content::Unsupported {
            kind: "unsupported".into()
        }
    );
}

#[test]
fn statuses_parse_with_the_reference_and_the_failure() {
    let parsed = whatsapp::parse(&fixture("statuses.json"), PHONE_NUMBER_ID).expect("parses");
    let statuses: Vec<_> = parsed
        .into_iter()
        .map(|i| match i {
            Inbound::Status(s) => s,
            Inbound::Message(_) => panic!("statuses only"),
        })
        .collect();
    assert_eq!(
        statuses.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered,
            DeliveryStatus::Read,
            DeliveryStatus::Failed
        ]
    );
    assert_eq!(statuses[0].reference.as_deref(), Some("msg_reference_1"));
    assert_eq!(statuses[2].reference, None);
    let failure = statuses[3].error.as_ref().expect("error");
    assert_eq!(failure.code, "131026");
    assert_eq!(
        failure.message,
        "Message undeliverable: Message Undeliverable."
    );
}

#[test]
fn other_numbers_webhooks_are_left_to_their_channels_and_junk_is_an_error() {
    assert!(
        whatsapp::parse(&fixture("other_number.json"), PHONE_NUMBER_ID)
            .expect("parses")
            .is_empty()
    );
    assert!(whatsapp::parse(b"{}", PHONE_NUMBER_ID).is_err());
    assert!(whatsapp::parse(b"<xml/>", PHONE_NUMBER_ID).is_err());
}

#[test]
fn signatures_and_the_subscription_handshake_are_checked() {
    let wa = adapter();
    let body = fixture("inbound_text.json");
    let good = format!(
        "sha256={}",
        signature::hex(&signature::hmac_sha256(b"app-secret", &body))
    );
    let headers = vec![("X-Hub-Signature-256".to_owned(), good)];
    assert_eq!(
        wa.verify_webhook(&post(&body, &headers)),
        Verification::Accept
    );
    let mut tampered = body.clone();
    tampered[10] ^= 1;
    assert!(matches!(
        wa.verify_webhook(&post(&tampered, &headers)),
        Verification::Reject(_)
    ));
    assert!(matches!(
        wa.verify_webhook(&post(&body, &[])),
        Verification::Reject(_)
    ));

    let handshake = |query: &'static str| WebhookRequest {
        method: "GET",
        url: "https://msgbuddy.example/webhooks/ch_1",
        query,
        headers: &[],
        body: b"",
    };
    assert_eq!(
        wa.verify_webhook(&handshake(
            "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my+verify+token"
        )),
        Verification::Challenge("1158201444".into())
    );
    assert!(matches!(
        wa.verify_webhook(&handshake(
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess"
        )),
        Verification::Reject(_)
    ));
}

fn body_for(content: Content) -> serde_json::Value {
    let to = Recipient {
        address: "+16505551234".into(),
        name: None,
    };
    whatsapp::message_body(&Outbound {
        to: &to,
        content: &content,
        reference: "msg_1",
        reply_to: Some("wamid.prev"),
        thread: None,
        file: None,
    })
    .expect("a body")
}

#[test]
fn sends_are_built_as_meta_documents_each_type() {
    let text = body_for(Content::Text { body: "Hi".into() });
    assert_eq!(text["messaging_product"], "whatsapp");
    assert_eq!(text["to"], "16505551234");
    assert_eq!(text["type"], "text");
    assert_eq!(text["text"]["body"], "Hi");
    assert_eq!(text["biz_opaque_callback_data"], "msg_1");
    assert_eq!(text["context"]["message_id"], "wamid.prev");

    let doc = body_for(Content::Media(Media {
        kind: MediaKind::Document,
        url: Some("https://cdn.example/r.pdf".into()),
        provider_id: None,
        mime_type: None,
        filename: Some("r.pdf".into()),
        caption: Some("Receipt".into()),
        size_bytes: None,
        media_id: None,
    }));
    assert_eq!(doc["type"], "document");
    assert_eq!(doc["document"]["link"], "https://cdn.example/r.pdf");
    assert_eq!(doc["document"]["filename"], "r.pdf");

    let buttons = body_for(Content::Buttons {
        body: "Pick one".into(),
        buttons: vec![Choice {
            id: "yes".into(),
            title: "Yes".into(),
            description: None,
        }],
    });
    assert_eq!(buttons["interactive"]["type"], "button");
    assert_eq!(
        buttons["interactive"]["action"]["buttons"][0]["reply"]["id"],
        "yes"
    );

    let list = body_for(Content::List {
        body: "Shipping".into(),
        button: "Options".into(),
        sections: vec![ListSection {
            title: "Fast".into(),
            rows: vec![Choice {
                id: "x".into(),
                title: "Express".into(),
                description: Some("1 day".into()),
            }],
        }],
    });
    assert_eq!(
        list["interactive"]["action"]["sections"][0]["rows"][0]["description"],
        "1 day"
    );

    let template = body_for(Content::Template {
        name: "order_confirmation".into(),
        language: "en".into(),
        parameters: vec!["Nayeem".into(), "TR-204821".into()],
    });
    assert_eq!(template["template"]["language"]["code"], "en");
    assert_eq!(
        template["template"]["components"][0]["parameters"][1]["text"],
        "TR-204821"
    );

    let location = body_for(Content::Location(Location {
        latitude: 37.48,
        longitude: -122.14,
        name: Some("Beans".into()),
        address: None,
    }));
    assert_eq!(location["location"]["name"], "Beans");

    let card = body_for(Content::Contacts {
        contacts: vec![ContactCard {
            name: "Barbara Johnson".into(),
            first_name: Some("Barbara".into()),
            last_name: None,
            phones: vec!["+19405551234".into()],
            emails: vec![],
        }],
    });
    assert_eq!(
        card["contacts"][0]["name"]["formatted_name"],
        "Barbara Johnson"
    );
    assert_eq!(card["contacts"][0]["phones"][0]["phone"], "+19405551234");
}

fn classify(status: u16, body: &str) -> ErrorClass {
    let answer = msgbuddy_channels::http::Answer {
        status: reqwest::StatusCode::from_u16(status).expect("status"),
        retry_after: None,
        body: serde_json::from_str(body).unwrap_or_default(),
    };
    whatsapp::error_from(&answer).class
}

#[test]
fn errors_are_classified_by_meta_code() {
    let e = |code: i64| {
        format!(
            r#"{{"error":{{"message":"x","type":"OAuthException","code":{code},"error_data":{{"messaging_product":"whatsapp","details":"d"}},"fbtrace_id":"A"}}}}"#
        )
    };
    assert!(matches!(
        classify(400, &e(130429)),
        ErrorClass::Throttled { .. }
    ));
    assert!(matches!(
        classify(400, &e(131056)),
        ErrorClass::Throttled { .. }
    ));
    assert_eq!(classify(500, &e(131000)), ErrorClass::Retryable);
    assert_eq!(classify(401, &e(190)), ErrorClass::Credentials);
    assert_eq!(classify(400, &e(131047)), ErrorClass::Permanent);
    assert_eq!(classify(400, &e(131026)), ErrorClass::Permanent);
    assert_eq!(classify(503, "upstream down"), ErrorClass::Retryable);
    assert!(matches!(classify(429, ""), ErrorClass::Throttled { .. }));
}
