//! `POST /api/v1/contacts/import`: a CSV or JSON file as the request body, its columns
//! mapped from their names (`name`, `phone`, `email`, `telegram_id`, `language`, `tags`,
//! `opted_out`, or a custom field's key or label), run by the import worker like one
//! started from the page; `GET /api/v1/contacts/imports/{id}` follows it.

use crate::import;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Result};
use msgbuddy_domain::AppError;
use msgbuddy_domain::contact_import::ImportView;
use msgbuddy_domain::time::iso_utc;
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// How the import runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// A contact already here (same phone, email or Telegram id): `update` it (the
    /// default) or `skip` the row.
    pub on_duplicate: Option<String>,
    /// `true`: check every row and count what would happen, writing nothing.
    pub dry_run: Option<bool>,
    /// The file's name, for the imports page.
    pub file_name: Option<String>,
}

/// An import and how far it has got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiImport {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "imp_01HNQX2P8Y9R3T4V5W6Z7A8B9C")
    )]
    pub id: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub dry_run: bool,
    /// `update` or `skip`.
    pub on_duplicate: String,
    /// The file's columns, and what each one fills (`""`: nothing).
    pub columns: Vec<String>,
    pub mapping: Vec<String>,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created_rows: i64,
    pub updated_rows: i64,
    pub skipped_rows: i64,
    /// Refused rows; `GET /api/v1/contacts/imports/{id}/errors` lists them as CSV.
    pub error_rows: i64,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl From<ImportView> for ApiImport {
    fn from(v: ImportView) -> Self {
        Self {
            id: v.id,
            status: v.status.as_str().to_owned(),
            dry_run: v.dry_run,
            on_duplicate: v.on_duplicate.as_str().to_owned(),
            columns: v.headers,
            mapping: v.mapping,
            total_rows: v.total_rows,
            processed_rows: v.processed_rows,
            created_rows: v.created_rows,
            updated_rows: v.updated_rows,
            skipped_rows: v.skipped_rows,
            error_rows: v.error_rows,
            error: v.error,
            created_at: iso_utc(v.created_at_ms),
            finished_at: v.finished_at_ms.map(iso_utc),
        }
    }
}

/// Stores the file and queues its import with the mapping its column names suggest.
pub async fn start_import(
    db: &Db,
    actor: &Actor,
    member: &Member,
    options: &ImportOptions,
    body: &[u8],
) -> Result<ApiImport> {
    let on_duplicate = options.on_duplicate.as_deref().unwrap_or("update");
    if !matches!(on_duplicate, "update" | "skip") {
        return Err(AppError::invalid_field("on_duplicate", "Use update or skip.").into());
    }
    let name = options.file_name.as_deref().unwrap_or("api-import");
    let uploaded = import::upload(db, actor, member, name, body).await?;
    let view = import::start(
        db,
        actor,
        member,
        &uploaded.id,
        uploaded.mapping,
        on_duplicate,
        options.dry_run.unwrap_or(false),
    )
    .await?;
    Ok(view.into())
}

/// One import of the workspace (in the key's mode).
pub async fn get_import(db: &Db, member: &Member, id: &str) -> Result<ApiImport> {
    Ok(import::get(db, member, id).await?.into())
}
