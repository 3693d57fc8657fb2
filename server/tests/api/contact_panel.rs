//! The contact beside a thread: their details and their other conversations, only those
//! the member may see.

use crate::helpers::{TestApp, TestDb, backends, member_with_role, owner_with_workspace};
use crate::inbox::{act, customer_writes};

#[tokio::test]
async fn the_thread_shows_the_contact_and_their_other_conversations_in_reach() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Panel").await;
        let (mut agent, _) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let (_, other_id) = member_with_role(&app, &mut owner, &ws, "agent").await;
        let first =
            customer_writes(&app, &mut owner, &ws, "+15550600001", "On the first line").await;
        // Resolved; then the team writes to the same customer, which opens a new one.
        act(
            &mut owner,
            "conversations/status",
            &ws,
            &first,
            &[("status", "resolved")],
        )
        .await
        .expect("resolved");
        let sandbox = owner
            .call("channels/list", &[("workspace_id", &ws)])
            .await
            .expect("list")["channels"][0]["id"]
            .as_str()
            .expect("the Sandbox")
            .to_owned();
        owner
            .call(
                "conversations/start",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", &sandbox),
                    ("to", "+15550600001"),
                    ("text", "Hello again from us"),
                ],
            )
            .await
            .expect("started");
        let thread = owner
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &first)],
            )
            .await
            .expect("thread");
        let contact = &thread["contact"];
        assert_eq!(contact["phone"], "+15550600001");
        assert_eq!(contact["opted_out"], 0, "no opt-outs");
        let others = contact["conversations"].as_array().expect("others");
        assert_eq!(others.len(), 1);
        assert_eq!(others[0]["last_message_preview"], "Hello again from us");
        let second = others[0]["id"].as_str().expect("id").to_owned();
        // Their tags and custom fields show beside the thread, and link to their page.
        owner
            .call(
                "contact-fields/create",
                &[
                    ("workspace_id", &ws),
                    ("scope", "contact"),
                    ("key", "tier"),
                    ("label", "Tier"),
                    ("kind", "text"),
                ],
            )
            .await
            .expect("field");
        owner
            .call(
                "tags/create",
                &[
                    ("workspace_id", &ws),
                    ("name", "vip"),
                    ("colour", "#f59e0b"),
                ],
            )
            .await
            .expect("tag");
        let tag = owner
            .call("contact-settings/get", &[("workspace_id", &ws)])
            .await
            .expect("settings")["tags"][0]["id"]
            .as_str()
            .expect("tag id")
            .to_owned();
        let contact_id = contact["id"].as_str().expect("contact id").to_owned();
        let tag_box = format!("tags[{tag}]");
        owner
            .call(
                "contacts/save",
                &[
                    ("workspace_id", &ws),
                    ("contact_id", &contact_id),
                    ("name", "Panel Person"),
                    ("phone", "+15550600001"),
                    ("fields[tier]", "<b>Gold</b>"),
                    (&tag_box, "1"),
                ],
            )
            .await
            .expect("saved");
        let (_, html) = owner.page(&format!("/w/{ws}/conversations/{first}")).await;
        assert!(html.contains("data-testid=\"contact-panel\""));
        assert!(
            html.contains("&lt;b&gt;Gold&lt;/b&gt;"),
            "the field's value, as text"
        );
        assert!(html.contains("data-testid=\"contact-panel-tag\""));
        assert!(html.contains(&format!("/w/{ws}/contacts/{contact_id}")));
        assert!(html.contains(&format!("/w/{ws}/conversations/{second}")));

        // Given to another agent, the second is out of this agent's reach, and off the panel.
        act(
            &mut owner,
            "conversations/assign",
            &ws,
            &second,
            &[("action", "assign"), ("assignee_id", &other_id)],
        )
        .await
        .expect("assigned");
        let thread = agent
            .call(
                "conversations/thread",
                &[("workspace_id", &ws), ("conversation_id", &first)],
            )
            .await
            .expect("thread");
        assert_eq!(thread["contact"]["conversations"], serde_json::json!([]));
    }
}
