//! Bulk imports of contacts from a CSV or JSON file, as the import pages show them: what
//! was uploaded, how its columns map to contact fields, and how far the worker has got.

use serde::{Deserialize, Serialize};

/// The largest file an import takes.
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;
/// The most rows one file may hold.
pub const MAX_IMPORT_ROWS: i64 = 1_000_000;
/// Rows shown before an import starts.
pub const PREVIEW_ROWS: usize = 5;
/// A column mapped to a custom contact field is `field.` and the field's key.
pub const FIELD_TARGET_PREFIX: &str = "field.";

/// The contact's own columns a file's column can fill, with the name the page shows. An
/// empty target ignores the column; see [`FIELD_TARGET_PREFIX`] for custom fields.
pub const BUILT_IN_TARGETS: [(&str, &str); 7] = [
    ("name", "Name"),
    ("phone", "Phone number"),
    ("email", "Email address"),
    ("telegram_id", "Telegram id"),
    ("language", "Language"),
    ("tags", "Tags (comma-separated)"),
    ("opted_out", "Opted out (yes/no)"),
];

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Stored and previewed; waits for a mapping and a start.
    Uploaded,
    /// Started; waits for a worker.
    Queued,
    Running,
    Done,
    /// Stopped for a reason in [`ImportView::error`]; nothing after the committed rows.
    Failed,
}

impl ImportStatus {
    pub const ALL: [ImportStatus; 5] = [
        Self::Uploaded,
        Self::Queued,
        Self::Running,
        Self::Done,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the worker has finished with it, one way or the other.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

/// What a row does when it matches a contact that exists (or an earlier row of the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// Fills in the row's non-empty columns, adds its tags.
    #[default]
    Update,
    /// Leaves the contact as it is.
    Skip,
}

impl OnDuplicate {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Update => "update",
            Self::Skip => "skip",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "update" => Some(Self::Update),
            "skip" => Some(Self::Skip),
            _ => None,
        }
    }
}

/// What an upload answers: the file as read, and the mapping guessed from its headers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub id: String,
    pub file_name: String,
    /// `csv` or `json`.
    pub format: String,
    pub total_rows: i64,
    pub headers: Vec<String>,
    /// One target per column (see [`ImportView::mapping`]).
    pub mapping: Vec<String>,
    /// The first [`PREVIEW_ROWS`] rows, one cell per header.
    pub preview: Vec<Vec<String>>,
}

/// An import as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: String,
    pub file_name: String,
    pub status: ImportStatus,
    /// Checks and counts every row but writes no contact.
    pub dry_run: bool,
    pub on_duplicate: OnDuplicate,
    pub total_rows: i64,
    /// Rows committed so far (created, updated, skipped or refused).
    pub processed_rows: i64,
    pub created_rows: i64,
    pub updated_rows: i64,
    pub skipped_rows: i64,
    pub error_rows: i64,
    pub headers: Vec<String>,
    /// One target per column: `""` ignores it, otherwise a name of [`BUILT_IN_TARGETS`]
    /// or `field.<key>`.
    pub mapping: Vec<String>,
    pub preview: Vec<Vec<String>>,
    pub error: Option<String>,
    pub created_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

impl ImportView {
    /// The part a live event carries.
    pub fn progress(&self) -> ImportProgress {
        ImportProgress {
            id: self.id.clone(),
            status: self.status,
            dry_run: self.dry_run,
            total_rows: self.total_rows,
            processed_rows: self.processed_rows,
            created_rows: self.created_rows,
            updated_rows: self.updated_rows,
            skipped_rows: self.skipped_rows,
            error_rows: self.error_rows,
            error: self.error.clone(),
        }
    }
}

/// How far an import has got, as the live event tells it after every chunk of rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub id: String,
    pub status: ImportStatus,
    pub dry_run: bool,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created_rows: i64,
    pub updated_rows: i64,
    pub skipped_rows: i64,
    pub error_rows: i64,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ImportStatus::ALL {
            assert_eq!(ImportStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ImportStatus::parse("Done"), None);
        for d in [OnDuplicate::Update, OnDuplicate::Skip] {
            assert_eq!(OnDuplicate::parse(d.as_str()), Some(d));
        }
        assert_eq!(
            serde_json::to_value(ImportStatus::Running).expect("json"),
            "running"
        );
    }
}
