//! One chunk of rows: checked off the async runtime, decided against the contacts the
//! database has, and (unless it is a dry run) written, all inside the chunk's
//! transaction.

use super::mapping::Target;
use super::parse::{RawRow, Rows};
use super::plan::{self, Book, Decision, KeyKind, TagBudget};
use super::row::{self, Candidate, Column};
use super::write::{self, Change, RowError};
use crate::fields::{self, FieldValue};
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::contact_import::OnDuplicate;
use msgbuddy_domain::custom_field::FieldDefinition;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What rows are read against: the file's columns and the workspace's fields.
#[derive(Debug)]
pub struct Context {
    pub columns: Vec<Column>,
    pub definitions: Vec<FieldDefinition>,
}

/// A row read and checked.
#[derive(Debug)]
pub struct Checked {
    pub line: i64,
    pub raw: String,
    pub candidate: std::result::Result<Candidate, String>,
}

/// Rows read and checked, with the reader to go on with; an error is the file's, not a
/// row's.
pub type Read = (Rows, std::result::Result<Vec<Checked>, String>);

/// Starts reading and checking up to `count` rows on a blocking thread, so a chunk can be
/// read while the one before it is written; [`ahead`] waits for them.
pub fn read_ahead(
    mut rows: Rows,
    context: Arc<Context>,
    count: usize,
) -> tokio::task::JoinHandle<Read> {
    tokio::task::spawn_blocking(move || {
        let checked = rows.take(count).map(|raw| {
            raw.into_iter()
                .map(|r| check(r, &context))
                .collect::<Vec<_>>()
        });
        (rows, checked)
    })
}

/// The rows [`read_ahead`] read.
pub async fn ahead(reading: tokio::task::JoinHandle<Read>) -> Result<Read> {
    reading
        .await
        .map_err(|e| Error::internal(format!("reading an import stopped: {e}")))
}

/// Passes over `count` rows on a blocking thread.
pub async fn skip(mut rows: Rows, count: i64) -> Result<(Rows, std::result::Result<(), String>)> {
    tokio::task::spawn_blocking(move || {
        let skipped = rows.skip(count);
        (rows, skipped)
    })
    .await
    .map_err(|e| Error::internal(format!("reading an import stopped: {e}")))
}

fn check(raw: RawRow, context: &Context) -> Checked {
    let candidate = match raw.problem {
        Some(problem) => Err(problem),
        None => row::read(&raw.cells, &context.columns, &context.definitions),
    };
    Checked {
        line: raw.line,
        raw: raw.raw,
        candidate,
    }
}

/// The field values a new contact gets: the row's, the defaults for the rest, and a
/// refusal when a required field ends up empty.
fn new_contact_values(
    row: &Candidate,
    context: &Context,
) -> std::result::Result<Vec<(usize, FieldValue)>, String> {
    let mut out = Vec::new();
    for (index, def) in context.definitions.iter().enumerate() {
        if row.fields.iter().any(|(i, _)| *i == index) {
            continue;
        }
        let default = match &def.default_value {
            Some(raw) => fields::parse_value(def, raw).unwrap_or(None),
            None => None,
        };
        let header = context
            .columns
            .iter()
            .find(|c| c.target == Some(Target::Field(index)))
            .map_or(def.label.as_str(), |c| c.header.as_str());
        fields::check_required(def, &default).map_err(|m| format!("{header}: {m}"))?;
        if let Some(value) = default {
            out.push((index, value));
        }
    }
    Ok(out)
}

/// A contact the chunk makes.
#[derive(Debug)]
struct NewRow {
    id: String,
    change: Change,
    /// Whether the name is the row's own, not its address standing in.
    named: bool,
    line: i64,
    raw: String,
}

/// What the chunk's rows come to.
#[derive(Debug, Default)]
pub struct Outcome {
    new: Vec<NewRow>,
    new_at: HashMap<String, usize>,
    updates: Vec<(String, Change)>,
    update_at: HashMap<String, usize>,
    pub errors: Vec<RowError>,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
}

impl Change {
    /// Takes the row's given values over what is there.
    fn merge(&mut self, row: &Candidate, definitions: &[FieldDefinition]) {
        let take = |mine: &mut Option<String>, theirs: &Option<String>| {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        };
        take(&mut self.name, &row.name);
        take(&mut self.phone, &row.phone);
        take(&mut self.email, &row.email);
        take(&mut self.telegram_id, &row.telegram_id);
        take(&mut self.language, &row.language);
        for (index, value) in &row.fields {
            if let Some(def) = definitions.get(*index) {
                self.fields.insert(def.id.clone(), value.clone());
            }
        }
        for tag in &row.tags {
            if !self
                .tags
                .iter()
                .any(|t| t.to_lowercase() == tag.to_lowercase())
            {
                self.tags.push(tag.clone());
            }
        }
        self.opt_out |= row.opt_out;
    }
}

impl Change {
    /// Takes a later change's given values over this one's.
    fn absorb(&mut self, later: Change) {
        let take = |mine: &mut Option<String>, theirs: Option<String>| {
            if theirs.is_some() {
                *mine = theirs;
            }
        };
        take(&mut self.name, later.name);
        take(&mut self.phone, later.phone);
        take(&mut self.email, later.email);
        take(&mut self.telegram_id, later.telegram_id);
        take(&mut self.language, later.language);
        self.fields.extend(later.fields);
        for tag in later.tags {
            if !self
                .tags
                .iter()
                .any(|t| t.to_lowercase() == tag.to_lowercase())
            {
                self.tags.push(tag);
            }
        }
        self.opt_out |= later.opt_out;
    }
}

impl Outcome {
    fn refuse(&mut self, line: i64, reason: String, raw: String) {
        self.errors.push(RowError { line, reason, raw });
    }

    fn apply(&mut self, decision: Decision, row: &Candidate, checked: &Checked, context: &Context) {
        let definitions = &context.definitions;
        match decision {
            Decision::Create { id, defaults } => {
                let mut change = Change::default();
                for (index, value) in defaults {
                    if let Some(def) = definitions.get(index) {
                        change.fields.insert(def.id.clone(), value);
                    }
                }
                change.merge(row, definitions);
                let named = change.name.is_some();
                if !named {
                    change.name = Some(row.name_or_address());
                }
                self.new_at.insert(id.clone(), self.new.len());
                self.new.push(NewRow {
                    id,
                    change,
                    named,
                    line: checked.line,
                    raw: checked.raw.clone(),
                });
                self.created += 1;
            }
            Decision::Update(id) => {
                if let Some(new) = self.new_at.get(&id).and_then(|i| self.new.get_mut(*i)) {
                    new.named |= row.name.is_some();
                    new.change.merge(row, definitions);
                } else {
                    let at = *self.update_at.entry(id.clone()).or_insert_with(|| {
                        self.updates.push((id, Change::default()));
                        self.updates.len() - 1
                    });
                    if let Some((_, change)) = self.updates.get_mut(at) {
                        change.merge(row, definitions);
                    }
                }
                self.updated += 1;
            }
            Decision::Skip => self.skipped += 1,
            Decision::Refuse(reason) => self.refuse(checked.line, reason, checked.raw.clone()),
        }
    }
}

/// What a dry run remembers from chunk to chunk, since it writes nothing the next
/// chunk's lookups could find.
#[derive(Debug, Default)]
pub struct Memory {
    pub book: Book,
    pub budget: Option<TagBudget>,
}

/// Decides the chunk's rows against the database (read through `conn`). A dry run
/// carries `memory` over; a real run starts each chunk afresh from the database.
pub async fn decide(
    conn: &mut AnyConnection,
    workspace_id: &str,
    test_mode: bool,
    on_duplicate: OnDuplicate,
    context: &Context,
    memory: &mut Memory,
    checked: &[Checked],
) -> Result<Outcome> {
    let rows: Vec<&Candidate> = checked
        .iter()
        .filter_map(|c| c.candidate.as_ref().ok())
        .collect();
    for kind in [KeyKind::Phone, KeyKind::Email, KeyKind::Telegram] {
        // An address the contact found by phone already has is nobody else's: only the
        // others are looked up (a file imported again looks up its phone numbers alone).
        let values: Vec<&String> = rows
            .iter()
            .filter_map(|row| {
                let value = plan::key_of(row, kind)?;
                (!memory.book.holds_already(row, kind, value)).then_some(value)
            })
            .collect();
        for (id, known) in write::lookup(conn, workspace_id, test_mode, kind, &values).await? {
            memory.book.learn(id, known);
        }
    }
    if memory.budget.is_none() {
        let names = write::tag_names(conn, workspace_id).await?;
        let limit = usize::try_from(crate::tags::MAX_TAGS).unwrap_or_default();
        memory.budget = Some(TagBudget::new(names, limit));
    }
    let mut outcome = Outcome::default();
    for c in checked {
        let row = match &c.candidate {
            Ok(row) => row,
            Err(reason) => {
                outcome.refuse(c.line, reason.clone(), c.raw.clone());
                continue;
            }
        };
        let budget = memory.budget.get_or_insert_with(TagBudget::default);
        if let Err(reason) = budget.check(&row.tags) {
            outcome.refuse(c.line, reason, c.raw.clone());
            continue;
        }
        let decision = memory
            .book
            .decide(row, on_duplicate, || new_contact_values(row, context));
        if matches!(decision, Decision::Create { .. } | Decision::Update(_)) {
            budget.reserve(&row.tags);
        }
        outcome.apply(decision, row, c, context);
    }
    Ok(outcome)
}

/// A test's stand-in for a worker dying in the middle of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crash;

/// Writes what the chunk decided. A contact whose address was taken meanwhile becomes a
/// duplicate found late; `crash` stops with an error after the contacts are written and
/// before their values, as a dying worker would.
pub async fn write(
    conn: &mut AnyConnection,
    workspace_id: &str,
    test_mode: bool,
    on_duplicate: OnDuplicate,
    mut outcome: Outcome,
    now: i64,
    crash: Option<Crash>,
) -> Result<Outcome> {
    let tag_names: Vec<String> = outcome
        .new
        .iter()
        .map(|n| &n.change)
        .chain(outcome.updates.iter().map(|(_, c)| c))
        .flat_map(|c| c.tags.iter().cloned())
        .collect();
    let tag_ids = if tag_names.is_empty() {
        HashMap::new()
    } else {
        write::ensure_tags(conn, workspace_id, &tag_names, now).await?
    };
    let new: Vec<(&String, &Change)> = outcome.new.iter().map(|n| (&n.id, &n.change)).collect();
    let inserted = write::insert_contacts(conn, workspace_id, test_mode, &new, now).await?;
    if inserted.len() < outcome.new.len() {
        found_late(
            conn,
            workspace_id,
            test_mode,
            on_duplicate,
            &mut outcome,
            &inserted,
        )
        .await?;
    }
    let updates: Vec<(&String, &Change)> = outcome.updates.iter().map(|(id, c)| (id, c)).collect();
    write::update_contacts(conn, &updates, now).await?;
    if crash.is_some() {
        return Err(Error::internal(
            "the import worker stopped in the middle of a chunk",
        ));
    }
    let fresh: Vec<(&String, &Change)> = outcome
        .new
        .iter()
        .filter(|n| inserted.contains(&n.id))
        .map(|n| (&n.id, &n.change))
        .collect();
    write_details(conn, &fresh, &tag_ids, now, true).await?;
    write_details(conn, &updates, &tag_ids, now, false).await?;
    let opted_out: Vec<&String> = fresh
        .iter()
        .chain(&updates)
        .filter(|(_, c)| c.opt_out)
        .map(|(id, _)| *id)
        .collect();
    write::opt_out_everywhere(conn, &opted_out, now).await?;
    Ok(outcome)
}

/// The field values and tags of contacts; `fresh` ones were made in this transaction.
async fn write_details(
    conn: &mut AnyConnection,
    contacts: &[(&String, &Change)],
    tag_ids: &HashMap<String, String>,
    now: i64,
    fresh: bool,
) -> Result<()> {
    let values: Vec<(&String, &String, &FieldValue)> = contacts
        .iter()
        .flat_map(|(id, c)| {
            c.fields
                .iter()
                .map(move |(field, value)| (*id, field, value))
        })
        .collect();
    write::upsert_values(conn, &values, fresh).await?;
    let tagged: Vec<(&String, &String)> = contacts
        .iter()
        .flat_map(|(id, c)| {
            c.tags
                .iter()
                .filter_map(|name| tag_ids.get(&name.to_lowercase()))
                .map(move |tag| (*id, tag))
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    write::add_tags(conn, &tagged, now, fresh).await?;
    Ok(())
}

/// New contacts the database refused because another contact took one of their
/// addresses after the lookup: they update (or skip) that contact instead, as any
/// duplicate would.
async fn found_late(
    conn: &mut AnyConnection,
    workspace_id: &str,
    test_mode: bool,
    on_duplicate: OnDuplicate,
    outcome: &mut Outcome,
    inserted: &HashSet<String>,
) -> Result<()> {
    let late: Vec<usize> = (0..outcome.new.len())
        .filter(|i| {
            outcome
                .new
                .get(*i)
                .is_some_and(|n| !inserted.contains(&n.id))
        })
        .collect();
    for index in late {
        let Some(new) = outcome.new.get(index) else {
            continue;
        };
        let holder = write::holder(conn, workspace_id, test_mode, &new.change).await?;
        outcome.created -= 1;
        match holder {
            Some((_, false)) if on_duplicate == OnDuplicate::Skip => outcome.skipped += 1,
            Some((id, false)) => {
                let mut change = new.change.clone();
                if !new.named {
                    change.name = None;
                }
                match outcome.update_at.get(&id).copied() {
                    Some(at) => {
                        if let Some((_, existing)) = outcome.updates.get_mut(at) {
                            existing.absorb(change);
                        }
                    }
                    None => {
                        outcome.update_at.insert(id.clone(), outcome.updates.len());
                        outcome.updates.push((id, change));
                    }
                }
                outcome.updated += 1;
            }
            _ => {
                let (line, raw) = (new.line, new.raw.clone());
                outcome.refuse(
                    line,
                    "Another contact took this row's phone number, email address or Telegram id while the import ran; import the row again."
                        .to_owned(),
                    raw,
                );
            }
        }
    }
    Ok(())
}
