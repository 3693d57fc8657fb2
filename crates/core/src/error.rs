//! The core's error: either something the user can act on ([`AppError`]) or a fault of ours
//! (database, I/O) that is logged with its cause and shown to the user as a generic error.

use msgbuddy_domain::AppError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into())
    }

    /// Whether this is a unique-constraint violation on `constraint` (PostgreSQL names the
    /// constraint; SQLite names the table and column, which `column` matches).
    pub fn is_unique_violation(&self, constraint: &str, column: &str) -> bool {
        let Error::Db(sqlx::Error::Database(db)) = self else {
            return false;
        };
        if db.kind() != sqlx::error::ErrorKind::UniqueViolation {
            return false;
        }
        match db.constraint() {
            Some(name) => name == constraint,
            None => db.message().contains(column),
        }
    }

    /// What the user sees. Faults are logged here, once, with their cause.
    pub fn into_app_error(self) -> AppError {
        match self {
            Error::App(e) => e,
            other => {
                tracing::error!(error = %other, "request failed");
                AppError::internal()
            }
        }
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        e.into_app_error()
    }
}
