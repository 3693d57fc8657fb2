//! The email channel against real mail servers: Debian's Dovecot for IMAP and aiosmtpd
//! for SMTP (started by `server/tests/support/mail/start.sh`, which `scripts/test.sh`
//! makes sure is installable). msgbuddy validates both, reads the mailbox, threads answers
//! by `Message-ID` / `In-Reply-To` / `References`, and replies over SMTP.

use crate::helpers::{Browser, TestApp, TestDb, backends, owner_with_workspace};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use msgbuddy_messaging::{dispatch, inbound, mailbox};
use serde_json::Value;
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::process::Command;

const SUPPORT: &str = "support@example.test";
const CUSTOMER: &str = "customer@example.test";
const PASSWORD: &str = "secret-pass";

/// The two mail servers, stopped when dropped.
struct MailServers {
    dir: PathBuf,
    imap_port: u16,
    smtp_port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn support_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/support/mail/{name}"))
}

impl MailServers {
    fn start() -> MailServers {
        let dir = std::env::temp_dir().join(format!(
            "msgbuddy-mail-{}-{}",
            std::process::id(),
            msgbuddy_core::db::new_id("t")
        ));
        let (imap_port, smtp_port) = (free_port(), free_port());
        let out = Command::new("bash")
            .arg(support_script("start.sh"))
            .arg(&dir)
            .arg(imap_port.to_string())
            .arg(smtp_port.to_string())
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "the mail servers start (Dovecot and aiosmtpd; scripts/test.sh installs them): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        MailServers {
            dir,
            imap_port,
            smtp_port,
        }
    }

    /// Mail from the customer's own mail program, through the SMTP server into the
    /// support mailbox.
    async fn customer_writes(&self, raw: &str) {
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.smtp_port)
            .credentials(Credentials::new(SUPPORT.into(), PASSWORD.into()))
            .build();
        let envelope = Envelope::new(
            Some(CUSTOMER.parse().expect("from")),
            vec![SUPPORT.parse().expect("to")],
        )
        .expect("envelope");
        smtp.send_raw(&envelope, raw.replace('\n', "\r\n").as_bytes())
            .await
            .expect("the SMTP server takes the customer's mail");
    }

    /// What the SMTP server received that contains `needle`.
    fn received_with(&self, needle: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("smtp-received")) else {
            return vec![];
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter(|m| m.contains(needle))
            .collect()
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(support_script("stop.sh"))
            .arg(&self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn email_channel(
    owner: &mut Browser,
    ws: &str,
    mail: &MailServers,
    password: &str,
) -> Result<Value, msgbuddy_domain::AppError> {
    let (imap, smtp) = (mail.imap_port.to_string(), mail.smtp_port.to_string());
    owner
        .call(
            "channels/create",
            &[
                ("workspace_id", ws),
                ("kind", "email"),
                ("name", "Acme Support"),
                ("values[address]", SUPPORT),
                ("values[smtp_host]", "127.0.0.1"),
                ("values[smtp_port]", &smtp),
                ("values[smtp_username]", SUPPORT),
                ("values[smtp_password]", password),
                ("values[imap_host]", "127.0.0.1"),
                ("values[imap_port]", &imap),
                ("values[imap_username]", SUPPORT),
                ("values[imap_password]", password),
                ("values[tls]", "off"),
            ],
        )
        .await?;
    let list = owner
        .call("channels/list", &[("workspace_id", ws)])
        .await
        .expect("list");
    Ok(list["channels"]
        .as_array()
        .and_then(|l| l.iter().rev().find(|c| c["kind"] == "email"))
        .cloned()
        .expect("the email channel"))
}

/// Reads the mailbox and runs the pipeline until nothing is left to do.
async fn settle(app: &TestApp) {
    mailbox::poll_all(&app.messaging).await.expect("poll");
    for _ in 0..10 {
        let sent = dispatch::dispatch_due(&app.messaging, "test", &dispatch::Settings::default())
            .await
            .expect("dispatch");
        let processed = inbound::process_due(&app.messaging, 100)
            .await
            .expect("process");
        if sent == 0 && processed == 0 {
            return;
        }
    }
}

/// The conversation with the latest activity.
async fn latest_conversation(owner: &mut Browser, ws: &str) -> Value {
    let list = owner
        .call(
            "conversations/list",
            &[("workspace_id", ws), ("test", "false")],
        )
        .await
        .expect("list");
    list["conversations"][0].clone()
}

/// The oldest message of a conversation.
async fn first_message(owner: &mut Browser, ws: &str, conversation: &str) -> Value {
    let thread = owner
        .call(
            "conversations/thread",
            &[("workspace_id", ws), ("conversation_id", conversation)],
        )
        .await
        .expect("thread");
    thread["messages"][0].clone()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(app.db.reader())
        .await
        .expect("row")
        .try_get(0)
        .expect("count")
}

#[tokio::test]
async fn email_validates_receives_threads_and_replies_through_real_mail_servers() {
    for backend in backends() {
        let mail = MailServers::start();
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Mail").await;

        // A wrong password is found by "Validate & save", with the server's reason.
        let wrong = email_channel(&mut owner, &ws, &mail, "not-the-password")
            .await
            .expect("saved");
        assert_eq!(wrong["status"], "invalid", "{wrong}");
        assert!(
            wrong["status_detail"]
                .as_str()
                .is_some_and(|d| d.contains("SMTP") || d.contains("IMAP")),
            "{wrong}"
        );
        owner
            .call(
                "channels/action",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", wrong["id"].as_str().expect("id")),
                    ("action", "disconnect"),
                ],
            )
            .await
            .expect("disconnected");

        let channel = email_channel(&mut owner, &ws, &mail, PASSWORD)
            .await
            .expect("saved");
        assert_eq!(channel["status"], "good", "{channel}");

        // The customer writes; msgbuddy reads it from the mailbox.
        let first_id = format!("{}@customer.example.test", msgbuddy_core::db::new_id("c"));
        mail.customer_writes(&format!(
            "From: Priya Raman <{CUSTOMER}>\nTo: Acme Support <{SUPPORT}>\nSubject: Order 1042 never arrived\n\
             Message-ID: <{first_id}>\nDate: Sun, 22 Nov 2026 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n\
             Hello, my order 1042 has not arrived yet. Can you check?\n"
        ))
        .await;
        settle(&app).await;
        let conversation = latest_conversation(&mut owner, &ws).await;
        assert_eq!(conversation["contact_name"], "Priya Raman");
        assert_eq!(conversation["contact_address"], CUSTOMER);
        let conversation_id = conversation["id"].as_str().expect("id").to_owned();
        let first = &first_message(&mut owner, &ws, &conversation_id).await;
        assert_eq!(first["direction"], "inbound");
        assert_eq!(first["content"]["subject"], "Order 1042 never arrived");
        assert!(
            first["content"]["body"]
                .as_str()
                .is_some_and(|b| b.contains("order 1042 has not arrived")),
            "{first}"
        );

        // Reading the mailbox again from scratch takes nothing twice.
        sqlx::query("UPDATE channel_accounts SET poll_cursor = NULL")
            .execute(app.db.writer())
            .await
            .expect("reset");
        settle(&app).await;
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"
            )
            .await,
            1
        );

        // The reply goes out over SMTP, threaded under the customer's message.
        owner
            .call(
                "conversations/send",
                &[
                    ("workspace_id", &ws),
                    ("conversation_id", &conversation_id),
                    ("text", "Sorry about that! It ships today."),
                ],
            )
            .await
            .expect("sent");
        settle(&app).await;
        let reply: (String, String) = {
            let row = sqlx::query(
                "SELECT status, provider_message_id FROM messages WHERE direction = 'outbound'",
            )
            .fetch_one(app.db.reader())
            .await
            .expect("reply");
            (row.try_get(0).expect("s"), row.try_get(1).expect("id"))
        };
        assert_eq!(reply.0, "sent");
        assert!(reply.1.ends_with("@example.test"), "{}", reply.1);
        let wire = mail.received_with(&reply.1);
        assert_eq!(wire.len(), 1, "one message with Message-ID {}", reply.1);
        let wire = &wire[0];
        for expected in [
            format!("Message-ID: <{}>", reply.1),
            format!("In-Reply-To: <{first_id}>"),
            format!("References: <{first_id}>"),
            "Subject: Re: Order 1042 never arrived".to_owned(),
            "Sorry about that! It ships today.".to_owned(),
        ] {
            assert!(
                wire.to_ascii_lowercase()
                    .contains(&expected.to_ascii_lowercase()),
                "{expected} in\n{wire}"
            );
        }

        // The customer answers the reply: it lands in the same conversation.
        mail.customer_writes(&format!(
            "From: Priya Raman <{CUSTOMER}>\nTo: {SUPPORT}\nSubject: Re: Order 1042 never arrived\n\
             Message-ID: <{}@customer.example.test>\nIn-Reply-To: <{}>\nReferences: <{first_id}> <{}>\n\
             Content-Type: text/plain; charset=utf-8\n\nThank you!\n",
            msgbuddy_core::db::new_id("c"),
            reply.1,
            reply.1
        ))
        .await;
        settle(&app).await;
        assert_eq!(
            count(&app, "SELECT COUNT(DISTINCT conversation_id) FROM messages").await,
            1
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 3);

        // Mail with no way to read it is kept for admins, never lost.
        mail.customer_writes("this is not an email at all, there are no headers\n")
            .await;
        settle(&app).await;
        let page = owner
            .call(
                "channels/get",
                &[
                    ("workspace_id", &ws),
                    ("channel_id", channel["id"].as_str().expect("id")),
                ],
            )
            .await
            .expect("page");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM messages").await, 3);
        assert_eq!(page["failed"][0]["state"], "failed", "{page}");
        assert!(
            page["failed"][0]["error"]
                .as_str()
                .is_some_and(|e| e.contains("From")),
            "{page}"
        );
    }
}

/// A mail from the customer's program with a photo, a PDF and a zip attached (the
/// channel adapter's fixture, written by Python's `email` package).
const MAIL_WITH_FILES: &str =
    include_str!("../../../crates/channels/tests/fixtures/email/attachments.eml");

/// A small PDF, as the agent's upload.
const LABEL_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n% return label for order 1042\n";

#[tokio::test]
async fn attachments_arrive_as_files_members_open_and_a_file_goes_out_attached() {
    for backend in backends() {
        let mail = MailServers::start();
        let db = TestDb::new(backend).await;
        let app = TestApp::spawn(&db, &[]).await;
        let (mut owner, ws) = owner_with_workspace(&app, "Mail files").await;
        let channel = email_channel(&mut owner, &ws, &mail, PASSWORD)
            .await
            .expect("saved");
        assert_eq!(channel["status"], "good", "{channel}");

        // The customer's mail arrives with its three files, each kept by msgbuddy.
        mail.customer_writes(MAIL_WITH_FILES).await;
        settle(&app).await;
        msgbuddy_messaging::media::download_due(&app.messaging)
            .await
            .expect("files kept");
        let conversation = latest_conversation(&mut owner, &ws).await["id"]
            .as_str()
            .expect("a conversation")
            .to_owned();
        let content = &first_message(&mut owner, &ws, &conversation).await["content"];
        assert_eq!(content["type"], "email", "{content}");
        assert_eq!(
            content["body"],
            "The box arrived crushed. Photo and invoice attached."
        );
        let files = content["attachments"].as_array().expect("attachments");
        let shown: Vec<(&str, &str, &str)> = files
            .iter()
            .map(|f| {
                (
                    f["kind"].as_str().unwrap_or_default(),
                    f["filename"].as_str().unwrap_or_default(),
                    f["mime_type"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                ("image", "parcel.png", "image/png"),
                ("document", "Invoice 1042 – März.pdf", "application/pdf"),
                // Not a type msgbuddy sends, but a customer's file is kept all the same.
                ("document", "logs.zip", "application/octet-stream"),
            ],
            "{content}"
        );
        let id = |i: usize| files[i]["media_id"].as_str().expect("kept").to_owned();

        // Members open each file: the photo in place, the others as downloads.
        let open = |id: String| {
            let client = owner.client.clone();
            let url = format!("{}/media/{id}", app.base);
            async move { client.get(url).send().await.expect("get") }
        };
        let photo = open(id(0)).await;
        assert_eq!(photo.status(), 200);
        assert!(
            photo
                .bytes()
                .await
                .expect("bytes")
                .starts_with(b"\x89PNG\r\n\x1a\n")
        );
        let invoice = open(id(1)).await;
        assert_eq!(invoice.headers()["content-type"], "application/pdf");
        assert!(
            invoice.headers()["content-disposition"]
                .to_str()
                .unwrap_or_default()
                .contains("filename*=UTF-8''Invoice%201042%20%E2%80%93%20M%C3%A4rz.pdf")
        );
        let invoice = invoice.bytes().await.expect("bytes");
        assert!(invoice.starts_with(b"%PDF-1.4") && invoice.ends_with(b"%%EOF\n"));
        let zip = open(id(2)).await;
        assert_eq!(zip.headers()["content-type"], "application/octet-stream");
        assert!(
            zip.headers()["content-disposition"]
                .to_str()
                .unwrap_or_default()
                .starts_with("attachment;")
        );
        assert_eq!(
            zip.bytes().await.expect("bytes").as_ref(),
            b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
        );
        let page = format!("/w/{ws}/conversations/{conversation}");
        let (_, html) = owner.page(&page).await;
        assert!(html.contains("data-testid=\"message-attachments\""));
        assert!(
            html.contains(&format!("src=\"/media/{}\"", id(0))),
            "the photo is shown in the thread"
        );

        // The mailbox read again from scratch keeps no file twice.
        sqlx::query("UPDATE channel_accounts SET poll_cursor = NULL")
            .execute(app.db.writer())
            .await
            .expect("reset");
        settle(&app).await;
        msgbuddy_messaging::media::download_due(&app.messaging)
            .await
            .expect("nothing new");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM media_files").await, 3);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM media_downloads").await, 0);

        // The agent answers with a file: it goes out attached, under the thread's subject.
        let csrf = owner.csrf.clone();
        let (status, location) = owner
            .attach(
                &ws,
                &conversation,
                &[
                    ("csrf_token", None, csrf.as_bytes()),
                    ("caption", None, "Here is your return label.".as_bytes()),
                    ("file", Some("return-label.pdf"), LABEL_PDF),
                ],
            )
            .await;
        assert_eq!((status, location.as_str()), (303, page.as_str()));
        settle(&app).await;
        let row = sqlx::query(
            "SELECT status, provider_message_id FROM messages WHERE direction = 'outbound'",
        )
        .fetch_one(app.db.reader())
        .await
        .expect("the answer");
        let (status, provider_id): (String, String) =
            (row.try_get(0).expect("s"), row.try_get(1).expect("id"));
        assert_eq!(status, "sent");
        let wire = mail.received_with(&provider_id);
        assert_eq!(wire.len(), 1, "one mail with Message-ID {provider_id}");
        let read = mail_parser::MessageParser::default()
            .parse(wire[0].as_bytes())
            .expect("a mail");
        assert_eq!(read.subject(), Some("Re: Damaged parcel, photos attached"));
        assert_eq!(
            read.body_text(0).as_deref().map(str::trim_end),
            Some("Here is your return label.")
        );
        assert_eq!(read.attachment_count(), 1);
        let file = read.attachment(0).expect("the label");
        use mail_parser::MimeHeaders;
        assert_eq!(file.attachment_name(), Some("return-label.pdf"));
        assert_eq!(file.contents(), LABEL_PDF);
    }
}
