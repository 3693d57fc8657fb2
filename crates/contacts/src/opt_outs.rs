//! Opt-outs: a contact says, per channel kind, that they want no more messages. A
//! customer does it by writing a keyword (STOP) and undoes it with another (START); a
//! member or the API can do it too. The message pipeline refuses every send to a kind the
//! contact opted out of ([`mask_sql`] gives it the set with the contact's row).

use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::now_ms;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Result};
use msgbuddy_domain::message::{ChannelKind, OptOuts};
use msgbuddy_domain::{AppError, Permission};
use sqlx::{AnyConnection, Row};

/// A SQL expression for the [`OptOuts`] mask of the contact whose id is `contact_id`
/// (a column such as `ct.id`): one indexed lookup per row.
pub fn mask_sql(contact_id: &str) -> String {
    let mut bits = String::new();
    for (index, kind) in ChannelKind::ALL.iter().enumerate() {
        bits.push_str(&format!(" WHEN '{}' THEN {}", kind.as_str(), 1 << index));
    }
    format!(
        "(SELECT COALESCE(SUM(CASE o.channel_kind{bits} ELSE 0 END), 0) \
         FROM contact_opt_outs o WHERE o.contact_id = {contact_id})"
    )
}

/// Who opted a contact out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The customer, with a keyword.
    Keyword,
    /// A member, on the contact's page.
    Member,
    /// A partner, over the API.
    Api,
    /// A column of an imported file.
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyword => "keyword",
            Self::Member => "member",
            Self::Api => "api",
            Self::Import => "import",
        }
    }
}

/// Records that the contact opted out of `kind`; false if they already had.
pub async fn opt_out(
    conn: &mut AnyConnection,
    contact_id: &str,
    kind: ChannelKind,
    reason: &str,
    source: Source,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO contact_opt_outs (contact_id, channel_kind, reason, source, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (contact_id, channel_kind) DO NOTHING",
    )
    .bind(contact_id)
    .bind(kind.as_str())
    .bind(reason.chars().take(200).collect::<String>())
    .bind(source.as_str())
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Opts the contact back in to `kind`; false if they were not opted out.
pub async fn opt_in(conn: &mut AnyConnection, contact_id: &str, kind: ChannelKind) -> Result<bool> {
    let done =
        sqlx::query("DELETE FROM contact_opt_outs WHERE contact_id = $1 AND channel_kind = $2")
            .bind(contact_id)
            .bind(kind.as_str())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// One opt-out as the contact's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOut {
    pub kind: ChannelKind,
    pub reason: String,
    pub source: String,
    pub at_ms: i64,
}

/// The contact's opt-outs, in the order of [`ChannelKind::ALL`].
pub async fn of(conn: &mut AnyConnection, contact_id: &str) -> Result<Vec<OptOut>> {
    let rows = sqlx::query(
        "SELECT channel_kind, reason, source, created_at FROM contact_opt_outs WHERE contact_id = $1",
    )
    .bind(contact_id)
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Ok(kind) = ChannelKind::parse(&row.try_get::<String, _>(0)?) else {
            continue;
        };
        out.push(OptOut {
            kind,
            reason: row.try_get(1)?,
            source: row.try_get(2)?,
            at_ms: row.try_get(3)?,
        });
    }
    out.sort_by_key(|o| ChannelKind::ALL.iter().position(|k| *k == o.kind));
    Ok(out)
}

/// The set of kinds, for a rule check.
pub fn set(opt_outs: &[OptOut]) -> OptOuts {
    opt_outs
        .iter()
        .fold(OptOuts::default(), |set, o| set.with(o.kind))
}

/// What a customer's message asks for, if it is a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordAction {
    Stop,
    Start,
}

/// A workspace's keywords and the answers they send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keywords {
    pub stop: Vec<String>,
    pub start: Vec<String>,
    pub stop_reply: String,
    pub start_reply: String,
}

/// The most keywords of each kind, and the longest keyword and answer.
const MAX_KEYWORDS: usize = 20;
const MAX_KEYWORD_CHARS: usize = 20;
const MAX_REPLY_CHARS: usize = 320;

impl Default for Keywords {
    /// The industry's (and Twilio's) standard English keywords.
    fn default() -> Self {
        let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect();
        Self {
            stop: words(&["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]),
            start: words(&["START", "YES", "UNSTOP"]),
            stop_reply: "You have been unsubscribed and will receive no more messages here. \
                         Reply START to subscribe again."
                .to_owned(),
            start_reply: "You have been subscribed again. Reply STOP to unsubscribe.".to_owned(),
        }
    }
}

impl Keywords {
    /// Whether `text` is a keyword: the whole message, one word, whatever its case and
    /// with trailing punctuation ("Stop." counts, "please stop" does not, as carriers do).
    pub fn classify(&self, text: &str) -> Option<KeywordAction> {
        let word = text
            .trim()
            .trim_end_matches(['.', '!', '?'])
            .trim()
            .to_uppercase();
        if word.is_empty() || word.contains(char::is_whitespace) {
            return None;
        }
        if self.stop.contains(&word) {
            Some(KeywordAction::Stop)
        } else if self.start.contains(&word) {
            Some(KeywordAction::Start)
        } else {
            None
        }
    }

    /// Keywords and answers as a form gives them: words separated by commas or spaces.
    pub fn parse(
        stop: &str,
        start: &str,
        stop_reply: &str,
        start_reply: &str,
    ) -> std::result::Result<Self, AppError> {
        let stop = words("stop_keywords", stop)?;
        let start = words("start_keywords", start)?;
        if let Some(both) = stop.iter().find(|w| start.contains(w)) {
            return Err(AppError::invalid_field(
                "start_keywords",
                format!("{both} cannot both stop and start messages."),
            ));
        }
        Ok(Self {
            stop,
            start,
            stop_reply: reply("stop_reply", stop_reply)?,
            start_reply: reply("start_reply", start_reply)?,
        })
    }
}

fn words(field: &str, raw: &str) -> std::result::Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for word in raw.split(|c: char| c == ',' || c.is_whitespace()) {
        if word.is_empty() {
            continue;
        }
        let word = word.to_uppercase();
        if word.chars().count() > MAX_KEYWORD_CHARS || !word.chars().all(char::is_alphanumeric) {
            return Err(AppError::invalid_field(
                field,
                format!(
                    "A keyword is one word of letters and digits, at most {MAX_KEYWORD_CHARS} long."
                ),
            ));
        }
        if !out.contains(&word) {
            out.push(word);
        }
    }
    if out.is_empty() || out.len() > MAX_KEYWORDS {
        return Err(AppError::invalid_field(
            field,
            format!("Give 1 to {MAX_KEYWORDS} keywords."),
        ));
    }
    Ok(out)
}

fn reply(field: &str, raw: &str) -> std::result::Result<String, AppError> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().count() > MAX_REPLY_CHARS || raw.chars().any(char::is_control)
    {
        return Err(AppError::invalid_field(
            field,
            format!("An answer is 1 to {MAX_REPLY_CHARS} characters on one line."),
        ));
    }
    Ok(raw.to_owned())
}

/// The workspace's keywords (the defaults until it sets its own).
pub async fn keywords(conn: &mut AnyConnection, workspace_id: &str) -> Result<Keywords> {
    let row = sqlx::query(
        "SELECT stop_keywords, start_keywords, stop_reply, start_reply FROM contact_settings WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(Keywords::default());
    };
    let split = |s: String| s.split(',').map(str::to_owned).collect::<Vec<_>>();
    Ok(Keywords {
        stop: split(row.try_get(0)?),
        start: split(row.try_get(1)?),
        stop_reply: row.try_get(2)?,
        start_reply: row.try_get(3)?,
    })
}

/// Keeps the workspace's keywords (a settings change, audited).
pub async fn save_keywords(db: &Db, actor: &Actor, member: &Member, k: &Keywords) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let mut tx = db.begin_write().await?;
    let before = keywords(&mut tx, &member.workspace_id).await?;
    sqlx::query(
        "INSERT INTO contact_settings (workspace_id, stop_keywords, start_keywords, stop_reply, start_reply) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id) DO UPDATE SET \
         stop_keywords = excluded.stop_keywords, start_keywords = excluded.start_keywords, \
         stop_reply = excluded.stop_reply, start_reply = excluded.start_reply",
    )
    .bind(&member.workspace_id)
    .bind(k.stop.join(","))
    .bind(k.start.join(","))
    .bind(&k.stop_reply)
    .bind(&k.start_reply)
    .execute(&mut *tx)
    .await?;
    let json = |k: &Keywords| serde_json::json!({ "stop": k.stop, "start": k.start, "stop_reply": k.stop_reply, "start_reply": k.start_reply });
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "opt_out_keywords.update",
            target_type: "workspace",
            target_id: Some(&member.workspace_id),
            before: Some(json(&before)),
            after: Some(json(k)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyword_is_the_whole_message_in_any_case() {
        let k = Keywords::default();
        assert_eq!(k.classify("STOP"), Some(KeywordAction::Stop));
        assert_eq!(k.classify("  stop. "), Some(KeywordAction::Stop));
        assert_eq!(k.classify("Unsubscribe!"), Some(KeywordAction::Stop));
        assert_eq!(k.classify("start"), Some(KeywordAction::Start));
        assert_eq!(k.classify("please stop"), None);
        assert_eq!(k.classify("stopping"), None);
        assert_eq!(k.classify(""), None);
        assert_eq!(k.classify("'; DROP TABLE contacts; --"), None);
    }

    #[test]
    fn keywords_from_a_form_are_words_and_never_both() {
        let k = Keywords::parse("stop, arret  quit", "start", "Bye.", "Hi.").expect("valid");
        assert_eq!(k.stop, ["STOP", "ARRET", "QUIT"]);
        assert_eq!(k.classify("Arret"), Some(KeywordAction::Stop));
        let err = |r: std::result::Result<Keywords, AppError>| {
            r.err().and_then(|e| e.field().map(str::to_owned))
        };
        assert_eq!(
            err(Keywords::parse("stop", "stop", "a", "b")).as_deref(),
            Some("start_keywords")
        );
        assert_eq!(
            err(Keywords::parse("", "start", "a", "b")).as_deref(),
            Some("stop_keywords")
        );
        assert_eq!(
            err(Keywords::parse("st'op", "start", "a", "b")).as_deref(),
            Some("stop_keywords")
        );
        assert_eq!(
            err(Keywords::parse("stop", "start", "", "b")).as_deref(),
            Some("stop_reply")
        );
        assert_eq!(
            err(Keywords::parse("stop", "start", "a", &"x".repeat(321))).as_deref(),
            Some("start_reply")
        );
    }

    #[test]
    fn the_mask_names_every_kind_once() {
        let sql = mask_sql("ct.id");
        for (index, kind) in ChannelKind::ALL.iter().enumerate() {
            assert!(sql.contains(&format!("'{}' THEN {}", kind.as_str(), 1 << index)));
        }
        let set = OptOuts::default().with(ChannelKind::Sms);
        assert_eq!(set.mask(), 1 << 4);
    }
}
