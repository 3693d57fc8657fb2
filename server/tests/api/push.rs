//! Browser push against a local push service: the test plays the browser (its own P-256
//! keys and auth secret, as `PushManager.subscribe` makes them), msgbuddy encrypts each
//! push for it (aes128gcm) and signs it with its VAPID key; the test decrypts the push and
//! checks the signature with the server's public key. Preferences decide what is pushed
//! and what is kept in the app; a push service answering 410 loses the subscription.

use crate::helpers::{TestApp, TestDb, backends, count, member_with_role, owner_with_workspace};
use crate::inbox::{act, customer_writes};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use msgbuddy_notifications::push::{self, Pusher};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn pushes_are_encrypted_for_the_browser_signed_by_vapid_and_follow_preferences() {
    for backend in backends() {
        let service = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/push/phone"))
            .respond_with(ResponseTemplate::new(201))
            .mount(&service)
            .await;
        Mock::given(method("POST"))
            .and(path("/push/old-laptop"))
            .respond_with(ResponseTemplate::new(410))
            .mount(&service)
            .await;
        let services = format!("{}/push/", service.uri());
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[("MSGBUDDY_PUSH_SERVICES", &services)]).await;
        let pusher = Pusher {
            db: app.db.clone(),
            keys: app.messaging.keys.clone(),
            http: reqwest::Client::new(),
            extra_services: vec![services.clone()],
            contact: "mailto:admin@localhost".to_owned(),
        };
        let (mut owner, ws) = owner_with_workspace(&app, "Push").await;
        let (mut agent, agent_id) = member_with_role(&app, &mut owner, &ws, "agent").await;

        // The agent's browser subscribes (twice: the same endpoint is kept once).
        let (phone_keys, phone_auth) = ece::generate_keypair_and_auth_secret().expect("keys");
        let phone = format!("{services}phone");
        for _ in 0..2 {
            agent
                .call(
                    "push/subscribe",
                    &[
                        ("endpoint", &phone),
                        ("p256dh", &b64(&phone_keys.pub_as_raw().expect("raw"))),
                        ("auth", &b64(&phone_auth)),
                    ],
                )
                .await
                .expect("subscribed");
        }
        // Addresses that are not a push service, and keys that are not keys, are refused.
        for (endpoint, p256dh, auth, field) in [
            (
                "http://169.254.169.254/latest/meta-data",
                b64(&[4; 65]),
                b64(&[1; 16]),
                "endpoint",
            ),
            (
                "https://fcm.googleapis.com.evil.test/x",
                b64(&[4; 65]),
                b64(&[1; 16]),
                "endpoint",
            ),
            (
                phone.as_str(),
                "not-a-key".to_owned(),
                b64(&[1; 16]),
                "p256dh",
            ),
            (phone.as_str(), b64(&[4; 65]), b64(&[1; 5]), "auth"),
        ] {
            let err = agent
                .call(
                    "push/subscribe",
                    &[("endpoint", endpoint), ("p256dh", &p256dh), ("auth", &auth)],
                )
                .await
                .expect_err(field);
            assert_eq!(err.details, Some(json!({ "field": field })), "{endpoint}");
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM push_subscriptions", &[]).await,
            1
        );
        let view = agent
            .call("notifications/preferences", &[("workspace_id", &ws)])
            .await
            .expect("preferences");
        assert_eq!(view["browsers"], 1);
        let vapid = URL_SAFE_NO_PAD
            .decode(view["vapid_public_key"].as_str().expect("key"))
            .expect("base64url");
        assert_eq!(
            (vapid.len(), vapid[0]),
            (65, 4),
            "an uncompressed P-256 key"
        );
        assert!(
            view["preferences"]
                .as_array()
                .expect("kinds")
                .iter()
                .all(|p| p["in_app"] == true && p["push"] == true)
        );

        // Assigned a conversation: one push, which only the agent's browser can read.
        let ana = customer_writes(&app, &mut owner, &ws, "+15550500001", "Hello").await;
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &ana,
            &[("action", "assign"), ("assignee_id", &agent_id)],
        )
        .await
        .expect("assigned");
        assert_eq!(push::deliver_due(&pusher).await.expect("pushed"), 1);
        let received = service.received_requests().await.expect("recorded");
        assert_eq!(received.len(), 1);
        let sent = &received[0];
        assert_eq!(
            sent.headers.get("content-encoding").expect("encoding"),
            "aes128gcm"
        );
        assert!(sent.headers.get("ttl").is_some());
        let payload: Value = serde_json::from_slice(
            &ece::decrypt(
                &phone_keys.raw_components().expect("components"),
                &phone_auth,
                &sent.body,
            )
            .expect("the browser's keys decrypt it"),
        )
        .expect("json");
        assert_eq!(payload["title"], "msgbuddy");
        assert_eq!(payload["url"], format!("/w/{ws}/conversations/{ana}"));
        assert!(
            payload["body"]
                .as_str()
                .expect("body")
                .contains("assigned you the conversation")
        );

        // The VAPID header: `vapid t=<JWT>, k=<the server's public key>`, signed by it.
        let authorization = sent
            .headers
            .get("authorization")
            .expect("vapid")
            .to_str()
            .expect("text");
        let (token, key) = authorization
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .expect("vapid t=…, k=…");
        assert_eq!(key, view["vapid_public_key"].as_str().expect("key"));
        {
            use jwt_simple::prelude::*;
            let public = ES256PublicKey::from_bytes(&vapid).expect("public key");
            let claims = public
                .verify_token::<JWTClaims<NoCustomClaims>>(token, None)
                .map(|c| (c.subject, c.expires_at.is_some()));
            assert_eq!(
                claims.expect("signed by the VAPID key"),
                (Some("mailto:admin@localhost".to_owned()), true)
            );
        }

        // A customer writing in the agent's conversation is news for them too; and a
        // browser whose push service answers 410 is forgotten.
        let (laptop_keys, laptop_auth) = ece::generate_keypair_and_auth_secret().expect("keys");
        agent
            .call(
                "push/subscribe",
                &[
                    ("endpoint", &format!("{services}old-laptop")),
                    ("p256dh", &b64(&laptop_keys.pub_as_raw().expect("raw"))),
                    ("auth", &b64(&laptop_auth)),
                ],
            )
            .await
            .expect("second browser");
        customer_writes(&app, &mut owner, &ws, "+15550500001", "Any news?").await;
        assert_eq!(push::deliver_due(&pusher).await.expect("pushed"), 1);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM push_subscriptions", &[]).await,
            1,
            "the 410 one is gone"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM push_outbox", &[]).await,
            0
        );
        let to_phone: Vec<_> = service
            .received_requests()
            .await
            .expect("recorded")
            .into_iter()
            .filter(|r| r.url.path() == "/push/phone")
            .collect();
        let news: Value = serde_json::from_slice(
            &ece::decrypt(
                &phone_keys.raw_components().expect("c"),
                &phone_auth,
                &to_phone[1].body,
            )
            .expect("decrypts"),
        )
        .expect("json");
        assert!(
            news["body"]
                .as_str()
                .expect("body")
                .contains("wrote: Any news?"),
            "{news}"
        );

        // Preferences: no push for new messages, nothing at all for assignments.
        agent
            .call(
                "notifications/preferences/save",
                &[
                    ("workspace_id", &ws),
                    ("in_app[new_message]", "1"),
                    ("in_app[mentioned]", "1"),
                    ("push[mentioned]", "1"),
                ],
            )
            .await
            .expect("saved");
        let before = count(&app, "SELECT COUNT(*) FROM notifications", &[]).await;
        customer_writes(&app, &mut owner, &ws, "+15550500001", "Hello again").await;
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &ana,
            &[("action", "unassign")],
        )
        .await
        .expect("back");
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &ana,
            &[("action", "assign"), ("assignee_id", &agent_id)],
        )
        .await
        .expect("again");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM push_outbox", &[]).await,
            0,
            "nothing to push"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM notifications", &[]).await,
            before + 1,
            "the new message in the app, the assignment nowhere"
        );
        let err = agent
            .call(
                "notifications/preferences/save",
                &[("workspace_id", &ws), ("push[everything]", "1")],
            )
            .await
            .expect_err("unknown kind");
        assert_eq!(err.code, msgbuddy_domain::ErrorCode::Validation);

        // Unsubscribing forgets the browser.
        agent
            .call("push/unsubscribe", &[("endpoint", &phone)])
            .await
            .expect("unsubscribed");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM push_subscriptions", &[]).await,
            0
        );

        // A user keeps at most ten browsers: the oldest make way.
        for n in 0..12 {
            agent
                .call(
                    "push/subscribe",
                    &[
                        ("endpoint", &format!("{services}browser-{n}")),
                        ("p256dh", &b64(&[4; 65])),
                        ("auth", &b64(&[1; 16])),
                    ],
                )
                .await
                .expect("subscribed");
        }
        let kept = "SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1";
        assert_eq!(
            count(&app, kept, &[agent_id.as_str()]).await,
            push::MAX_BROWSERS
        );
    }
}
