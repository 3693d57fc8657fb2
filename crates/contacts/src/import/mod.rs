//! Bulk import of contacts from a CSV or JSON file.
//!
//! A member uploads a file ([`upload`]): it is checked whole, kept in the database (so
//! any instance's worker can read it) and previewed with a mapping of its columns guessed
//! from their names. They choose the mapping and what duplicates do, and start it
//! ([`start`]), for real or as a dry run that counts without writing. The worker
//! ([`run`], [`work_once`]) writes the rows in chunks, one transaction each with the
//! import's progress, so a crash never duplicates a row nor keeps half a chunk; refused
//! rows are kept with their line and reason for a report ([`errors_csv`]).

mod chunk;
mod commit;
mod job;
mod mapping;
mod parse;
mod plan;
mod report;
mod row;
mod store;
mod write;

pub use job::{DEFAULT_CHUNK_ROWS, LEASE_MS, run, work_once, work_once_crashing_at};
pub use parse::MAX_COLUMNS;
pub use report::{ErrorReport, errors_csv, errors_report, guard_formula};
pub use store::{get, list, start, upload};
