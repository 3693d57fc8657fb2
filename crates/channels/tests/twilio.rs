//! The Twilio SMS adapter against Twilio's documented webhooks and signature.

use msgbuddy_channels::twilio::{self, Twilio};
use msgbuddy_channels::{Inbound, Provider, Verification, WebhookRequest};
use msgbuddy_domain::message::{Content, DeliveryStatus, MediaKind};

fn fixture(name: &str) -> Vec<u8> {
    let raw = std::fs::read_to_string(format!(
        "{}/tests/fixtures/twilio/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    raw.trim().as_bytes().to_vec()
}

/// The worked example of Twilio's "Webhooks security" page.
#[test]
fn the_signature_matches_twilios_worked_example() {
    let params: Vec<(String, String)> = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(
        twilio::sign(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params
        ),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
}

#[test]
fn webhooks_are_verified_against_the_full_url_and_every_field() {
    let sms = Twilio::new(
        "http://127.0.0.1:9",
        "ACxxx",
        "auth-token",
        "+15017250604",
        "https://x.example/webhooks/ch_1",
        reqwest::Client::new(),
    );
    let body = fixture("inbound_sms.form");
    let url = "https://x.example/webhooks/ch_1";
    let fields = msgbuddy_channels::http::form_pairs(std::str::from_utf8(&body).expect("utf8"));
    let good = vec![(
        twilio::SIGNATURE_HEADER.to_owned(),
        twilio::sign("auth-token", url, &fields),
    )];
    let request = WebhookRequest {
        method: "POST",
        url,
        query: "",
        headers: &good,
        body: &body,
    };
    assert_eq!(sms.verify_webhook(&request), Verification::Accept);
    let other_url = WebhookRequest {
        url: "https://x.example/webhooks/ch_2",
        ..request.clone()
    };
    assert!(matches!(
        sms.verify_webhook(&other_url),
        Verification::Reject(_)
    ));
    let tampered = body
        .iter()
        .copied()
        .map(|b| if b == b'H' { b'J' } else { b })
        .collect::<Vec<_>>();
    let tampered = WebhookRequest {
        body: &tampered,
        ..request.clone()
    };
    assert!(matches!(
        sms.verify_webhook(&tampered),
        Verification::Reject(_)
    ));
    assert!(matches!(
        sms.verify_webhook(&WebhookRequest {
            headers: &[],
            ..request
        }),
        Verification::Reject(_)
    ));
    assert_eq!(sms.webhook_ok().0, "text/xml");
}

#[test]
fn inbound_sms_mms_and_status_callbacks_parse() {
    let one = |body: &[u8], query: &str| -> Inbound {
        let mut parsed = twilio::parse(body, query).expect("parses");
        assert_eq!(parsed.len(), 1);
        parsed.remove(0)
    };
    let Inbound::Message(m) = one(&fixture("inbound_sms.form"), "") else {
        panic!("an inbound message")
    };
    assert_eq!(m.provider_message_id, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
    assert_eq!(m.from.address, "+14155551234");
    assert_eq!(
        m.content,
        Content::Text {
            body: "Hello! Is the shop open?".into()
        }
    );

    let Inbound::Message(mms) = one(&fixture("inbound_mms.form"), "") else {
        panic!("an inbound MMS")
    };
    assert!(
        matches!(mms.content, Content::Media(m) if m.kind == MediaKind::Image && m.caption.as_deref() == Some("Look"))
    );

    let Inbound::Status(s) = one(&fixture("status_delivered.form"), "ref=msg_42") else {
        panic!("a status")
    };
    assert_eq!(
        (s.status, s.reference.as_deref()),
        (DeliveryStatus::Delivered, Some("msg_42"))
    );
    let Inbound::Status(s) = one(&fixture("status_undelivered.form"), "") else {
        panic!("a status")
    };
    assert_eq!(s.status, DeliveryStatus::Failed);
    assert_eq!(s.error.expect("error").code, "30003");
    assert!(
        twilio::parse(b"MessageStatus=queued&MessageSid=SMx", "")
            .expect("parses")
            .is_empty()
    );
    assert!(twilio::parse(b"hello", "").is_err());
}
