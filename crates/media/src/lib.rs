//! Media files: uploads to send and files customers sent, downloaded from the provider.
//!
//! A file's type is read from its content ([`sniff`]), never from its name or a claimed
//! type. Uploads must be a type some channel carries; a customer's file of any other
//! type is kept as `application/octet-stream` and only ever served as a download. Bytes live behind [`store::MediaStore`] (local disk under `./data/media` by
//! default); the `media_files` row says whose file it is. Members of the workspace open
//! a file at `/media/{id}`; a provider that fetches an outbound file by URL (WhatsApp's
//! `link`, Telegram, Twilio's `MediaUrl`) gets a link signed for that file that expires
//! within the hour, made when the message is handed over.
#![forbid(unsafe_code)]

pub mod sniff;
pub mod store;

use msgbuddy_core::crypto::{MasterKeys, hex};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::{Db, Error, Result, workspaces};
use msgbuddy_domain::message::{Media, MediaKind};
use msgbuddy_domain::{AppError, Permission};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::sync::Arc;
use store::MediaStore;

/// The largest file msgbuddy takes: WhatsApp's document limit, the largest any channel
/// carries. Each channel's own limit is checked when a message is sent.
pub const MAX_BYTES: usize = 100 * 1024 * 1024;

/// How long a signed link for a provider stays good.
pub const LINK_LIFETIME_MS: i64 = 60 * 60 * 1000;

const LINK_PURPOSE: &str = "media-link";

/// A stored file.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFile {
    pub id: String,
    pub workspace_id: String,
    pub is_test: bool,
    pub kind: MediaKind,
    pub mime_type: String,
    pub size_bytes: u64,
    pub filename: Option<String>,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub created_at_ms: i64,
}

impl MediaFile {
    /// This file as message content, opened by members at its `/media/` path.
    pub fn to_media(&self, caption: Option<String>) -> Media {
        Media {
            kind: self.kind,
            url: Some(path(&self.id)),
            provider_id: None,
            mime_type: Some(self.mime_type.clone()),
            filename: self.filename.clone(),
            caption,
            size_bytes: Some(self.size_bytes),
            media_id: Some(self.id.clone()),
        }
    }

    fn key(&self) -> String {
        format!("{}/{}", self.workspace_id, self.id)
    }
}

/// Where members open a file.
pub fn path(id: &str) -> String {
    format!("/media/{id}")
}

/// Where a file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Upload,
    Inbound,
}

/// A file to keep.
#[derive(Debug, Clone, Copy)]
pub struct NewFile<'a> {
    pub workspace_id: &'a str,
    pub is_test: bool,
    pub bytes: &'a [u8],
    pub filename: Option<&'a str>,
    pub origin: Origin,
    pub created_by: Option<&'a str>,
}

/// The media library: the store, and the key that signs provider links.
#[derive(Debug, Clone)]
pub struct Library {
    store: Arc<dyn MediaStore>,
    keys: MasterKeys,
    public_url: String,
}

const COLUMNS: &str =
    "id, workspace_id, is_test, kind, mime_type, size_bytes, filename, sha256, created_at";

fn file(row: &AnyRow) -> Result<MediaFile> {
    let kind: String = row.try_get(3)?;
    let size: i64 = row.try_get(5)?;
    Ok(MediaFile {
        id: row.try_get(0)?,
        workspace_id: row.try_get(1)?,
        is_test: row.try_get::<i64, _>(2)? != 0,
        kind: parse_kind(&kind)?,
        mime_type: row.try_get(4)?,
        size_bytes: u64::try_from(size).unwrap_or_default(),
        filename: row.try_get(6)?,
        sha256: row.try_get(7)?,
        created_at_ms: row.try_get(8)?,
    })
}

fn parse_kind(raw: &str) -> Result<MediaKind> {
    [
        MediaKind::Image,
        MediaKind::Video,
        MediaKind::Audio,
        MediaKind::Document,
        MediaKind::Sticker,
    ]
    .into_iter()
    .find(|k| k.as_str() == raw)
    .ok_or_else(|| Error::internal(format!("unknown media kind `{raw}`")))
}

/// A file name fit to keep and show: its last path part, without control or invisible
/// characters, at most 200 characters.
pub fn clean_filename(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !msgbuddy_domain::values::is_invisible(*c))
        .take(200)
        .collect();
    let cleaned = cleaned.trim();
    (!cleaned.is_empty() && cleaned != "." && cleaned != "..").then(|| cleaned.to_owned())
}

/// A file of the workspace, in the given mode, for a message being stored.
pub async fn find(
    conn: &mut AnyConnection,
    workspace_id: &str,
    is_test: bool,
    id: &str,
) -> Result<MediaFile> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM media_files WHERE id = $1 AND workspace_id = $2 AND is_test = $3"
    )))
    .bind(id)
    .bind(workspace_id)
    .bind(i64::from(is_test))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| {
        AppError::invalid_field("media_id", "There is no such file in this workspace.")
    })?;
    file(&row)
}

async fn by_id(db: &Db, id: &str) -> Result<Option<MediaFile>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM media_files WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.reader())
    .await?;
    row.as_ref().map(file).transpose()
}

impl Library {
    pub fn new(store: Arc<dyn MediaStore>, keys: MasterKeys, public_url: &str) -> Self {
        Self {
            store,
            keys,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Checks and keeps a file: its type from its content, its size, then the bytes and
    /// the row. Nothing is kept when either is refused.
    pub async fn save(&self, db: &Db, new: NewFile<'_>) -> Result<MediaFile> {
        if new.bytes.len() > MAX_BYTES {
            return Err(AppError::payload_too_large(MAX_BYTES).into());
        }
        let filename = new.filename.and_then(clean_filename);
        let sniffed = match (sniff::sniff(new.bytes, filename.as_deref()), new.origin) {
            (Ok(sniffed), _) => sniffed,
            // A customer's file is kept whatever it is (a zip, a calendar invite), so
            // nothing they send is lost; it is only ever served as a download. Only
            // files to send must be a type some channel carries.
            (Err(_), Origin::Inbound) => sniff::Sniffed {
                mime_type: "application/octet-stream",
                kind: MediaKind::Document,
            },
            (Err(e), Origin::Upload) => return Err(e.into()),
        };
        let media = MediaFile {
            id: new_id("med"),
            workspace_id: new.workspace_id.to_owned(),
            is_test: new.is_test,
            kind: sniffed.kind,
            mime_type: sniffed.mime_type.to_owned(),
            size_bytes: new.bytes.len() as u64,
            filename,
            sha256: hex(&Sha256::digest(new.bytes)),
            created_at_ms: now_ms(),
        };
        self.store
            .put(&media.key(), new.bytes)
            .await
            .map_err(|e| Error::internal(format!("storing media: {e}")))?;
        let inserted = sqlx::query(
            "INSERT INTO media_files (id, workspace_id, is_test, kind, mime_type, size_bytes, filename, sha256, origin, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&media.id)
        .bind(&media.workspace_id)
        .bind(i64::from(media.is_test))
        .bind(media.kind.as_str())
        .bind(&media.mime_type)
        .bind(i64::try_from(media.size_bytes).unwrap_or(i64::MAX))
        .bind(media.filename.as_deref())
        .bind(&media.sha256)
        .bind(match new.origin {
            Origin::Upload => "upload",
            Origin::Inbound => "inbound",
        })
        .bind(new.created_by)
        .bind(media.created_at_ms)
        .execute(db.writer())
        .await;
        if let Err(e) = inserted {
            let _ = self.store.delete(&media.key()).await;
            return Err(e.into());
        }
        Ok(media)
    }

    /// Removes a file nothing refers to yet (an upload whose message was refused).
    pub async fn discard(&self, db: &Db, media: &MediaFile) -> Result<()> {
        sqlx::query("DELETE FROM media_files WHERE id = $1")
            .bind(&media.id)
            .execute(db.writer())
            .await?;
        self.store
            .delete(&media.key())
            .await
            .map_err(|e| Error::internal(format!("removing media {}: {e}", media.id)))
    }

    /// A member's upload, to attach to a message.
    pub async fn upload(
        &self,
        db: &Db,
        member: &workspaces::Member,
        is_test: bool,
        bytes: &[u8],
        filename: Option<&str>,
        user_id: Option<&str>,
    ) -> Result<MediaFile> {
        member.require(Permission::ConversationsReply)?;
        self.save(
            db,
            NewFile {
                workspace_id: &member.workspace_id,
                is_test,
                bytes,
                filename,
                origin: Origin::Upload,
                created_by: user_id,
            },
        )
        .await
    }

    /// A file and its bytes for a logged-in user: only members of its workspace who may
    /// see conversations; anyone else gets 404, as if it did not exist.
    pub async fn open_for(&self, db: &Db, user_id: &str, id: &str) -> Result<(MediaFile, Vec<u8>)> {
        let media = by_id(db, id).await?.ok_or_else(AppError::not_found)?;
        workspaces::access(
            db,
            user_id,
            &media.workspace_id,
            Permission::ConversationsView,
        )
        .await
        .map_err(|_| AppError::not_found())?;
        let bytes = self.bytes(&media).await?;
        Ok((media, bytes))
    }

    /// A file and its bytes for a provider holding a signed link that has not expired.
    pub async fn open_signed(
        &self,
        db: &Db,
        id: &str,
        expires_ms: i64,
        signature: &str,
    ) -> Result<(MediaFile, Vec<u8>)> {
        let message = format!("{id}:{expires_ms}");
        if expires_ms < now_ms()
            || !self
                .keys
                .verify_mac(LINK_PURPOSE, message.as_bytes(), signature)
        {
            return Err(AppError::not_found().into());
        }
        let media = by_id(db, id).await?.ok_or_else(AppError::not_found)?;
        let bytes = self.bytes(&media).await?;
        Ok((media, bytes))
    }

    /// A file and its bytes for the pipeline, which hands them to a channel that attaches
    /// files (email); `None` when the file is gone.
    pub async fn read(&self, db: &Db, id: &str) -> Result<Option<(MediaFile, Vec<u8>)>> {
        let Some(media) = by_id(db, id).await? else {
            return Ok(None);
        };
        let bytes = self.bytes(&media).await?;
        Ok(Some((media, bytes)))
    }

    /// A file of the workspace, in the given mode, and its bytes, for a partner's API
    /// key; `None` for a file of anyone else, as if it did not exist.
    pub async fn open_in(
        &self,
        db: &Db,
        workspace_id: &str,
        is_test: bool,
        id: &str,
    ) -> Result<Option<(MediaFile, Vec<u8>)>> {
        match by_id(db, id).await? {
            Some(media) if media.workspace_id == workspace_id && media.is_test == is_test => {
                let bytes = self.bytes(&media).await?;
                Ok(Some((media, bytes)))
            }
            _ => Ok(None),
        }
    }

    /// The bytes of a file found through the database.
    pub async fn bytes(&self, media: &MediaFile) -> Result<Vec<u8>> {
        self.store
            .get(&media.key())
            .await
            .map_err(|e| Error::internal(format!("reading media {}: {e}", media.id)))
    }

    /// An absolute link to `id` a provider can fetch until `expires_ms`.
    pub fn signed_url(&self, id: &str, expires_ms: i64) -> String {
        let signature = self
            .keys
            .mac(LINK_PURPOSE, format!("{id}:{expires_ms}").as_bytes());
        format!(
            "{}{}?expires={expires_ms}&signature={signature}",
            self.public_url,
            path(id)
        )
    }

    /// Outbound media made ready for the provider: a stored file gets a fresh signed link.
    pub fn for_provider(&self, media: &Media) -> Media {
        let mut media = media.clone();
        if let Some(id) = &media.media_id {
            media.url = Some(self.signed_url(id, now_ms() + LINK_LIFETIME_MS));
        }
        media
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_keep_their_last_part_without_control_or_invisible_characters() {
        assert_eq!(
            clean_filename("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            clean_filename("C:\\Users\\a\\invoice.pdf").as_deref(),
            Some("invoice.pdf")
        );
        assert_eq!(
            clean_filename("in\u{202e}fdp.exe\n").as_deref(),
            Some("infdp.exe")
        );
        assert_eq!(clean_filename("  "), None);
        assert_eq!(clean_filename(".."), None);
        assert_eq!(clean_filename(&"a".repeat(500)).map(|s| s.len()), Some(200));
    }
}
