//! Saved segments: conditions on a contact's columns, tags, groups, channels, opt-outs and
//! custom fields, compiled to a `WHERE` fragment over `contacts c`. Every condition is
//! checked against the allow-list in [`msgbuddy_domain::segment`] each time a segment is
//! compiled (a saved one may name a field deleted since); only fixed text written here
//! enters the SQL and every value is a bound parameter.
//!
//! Set membership is `c.id IN (SELECT contact_id ...)` on SQLite, which then walks the
//! (usually smaller) set instead of every contact. Negations are `NOT EXISTS` on both
//! backends, and PostgreSQL gets `EXISTS` for the positive ones too: PostgreSQL never
//! turns `NOT IN`, or an `IN` under `OR`, into a join, and once the set is estimated
//! larger than `work_mem` it rescans the whole set for every contact (hours at a million
//! contacts), while `EXISTS` always has a join or an index probe per row to fall back on.

use crate::contact::{read_row, row_columns};
use crate::definitions;
use crate::fields::{self, FieldValue};
use crate::list;
use crate::sql::{Sql, Value};
use crate::tags;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::db::{new_id, now_ms};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::contact::{ContactFilter, ContactRow};
use msgbuddy_domain::custom_field::{FieldDefinition, FieldKind, FieldScope};
use msgbuddy_domain::message::ChannelKind;
use msgbuddy_domain::segment::{
    ANY_CHANNEL, Condition, FIELD_PREFIX, MAX_CONDITIONS, MAX_DAYS, Operator, Segment,
    SegmentSummary, SubjectKind, built_in_subject, check_name, operators_for, takes_value,
};
use msgbuddy_domain::{AppError, Permission};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashSet;

mod sets;

/// The most rows [`preview`] returns.
pub const MAX_PREVIEW: usize = 100;

const DAY_MS: i64 = 86_400_000;

/// How many leading characters of `value_text` the field value indexes hold (see the
/// contacts migration). Whole values cannot be indexed: PostgreSQL refuses an index
/// entry over about 2.7 kB, and long text and multi-select values are longer.
const INDEXED_CHARS: usize = 100;
const PREFIX: &str = "substr(value_text, 1, 100)";
const LOWER_PREFIX: &str = "lower(substr(value_text, 1, 100))";

/// Below SQLite's limit on a `LIKE` pattern (50,000 bytes), with room for the wildcards
/// and escapes.
const MAX_LIKE_BYTES: usize = 20_000;

/// The few places the two backends' SQL differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn of(conn: &AnyConnection) -> Self {
        if conn.backend_name() == "PostgreSQL" {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    /// `raw` lowered as the backend's `lower()` lowers a column. SQLite's knows only
    /// ASCII, so a value lowered further would never equal the column it is compared to.
    fn fold(self, raw: &str) -> String {
        match self {
            Self::Sqlite => raw.to_ascii_lowercase(),
            Self::Postgres => raw.to_lowercase(),
        }
    }

    /// A function giving the 1-based position of its second argument in its first (0 when
    /// absent). Not `LIKE`: SQLite refuses a pattern over 50,000 bytes, and a value to
    /// search for has no length limit.
    fn position(self) -> &'static str {
        match self {
            Self::Sqlite => "instr(",
            Self::Postgres => "strpos(",
        }
    }
}

/// What conditions may refer to, read from the database once per compile.
struct Context<'a> {
    fields: &'a [FieldDefinition],
    tags: &'a HashSet<String>,
    groups: &'a HashSet<String>,
    now_ms: i64,
    dialect: Dialect,
}

/// The condition a problem is in, for errors naming `conditions.N.field|op|value`.
#[derive(Debug, Clone, Copy)]
struct At(usize);

impl At {
    fn error(self, part: &str, message: impl Into<String>) -> AppError {
        AppError::invalid_field(&format!("conditions.{}.{part}", self.0), message)
    }
    fn field(self, message: impl Into<String>) -> AppError {
        self.error("field", message)
    }
    fn op(self, message: impl Into<String>) -> AppError {
        self.error("op", message)
    }
    fn value(self, message: impl Into<String>) -> AppError {
        self.error("value", message)
    }
}

type Checked<T> = std::result::Result<T, AppError>;

fn check_size(segment: &Segment) -> Checked<()> {
    if segment.conditions.len() > MAX_CONDITIONS {
        return Err(AppError::invalid_field(
            "conditions",
            format!("A segment has at most {MAX_CONDITIONS} conditions."),
        ));
    }
    Ok(())
}

/// The segment's conditions joined by `AND` (match all) or `OR`, in parentheses; `None`
/// for a segment without conditions, which is every contact.
fn compile(ctx: &Context, segment: &Segment) -> Checked<Option<Sql>> {
    check_size(segment)?;
    if segment.conditions.is_empty() {
        return Ok(None);
    }
    let joiner = if segment.match_all { " AND " } else { " OR " };
    let mut sql = Sql::new("(");
    for (index, condition) in segment.conditions.iter().enumerate() {
        if index > 0 {
            sql.push(joiner);
        }
        sql.push("(")
            .append(condition_sql(ctx, At(index), condition)?)
            .push(")");
    }
    sql.push(")");
    Ok(Some(sql))
}

fn condition_sql(ctx: &Context, at: At, condition: &Condition) -> Checked<Sql> {
    if let Some(key) = condition.field.strip_prefix(FIELD_PREFIX) {
        let def = ctx.fields.iter().find(|d| d.key == key).ok_or_else(|| {
            at.field("There is no such contact field in this workspace; it may have been deleted.")
        })?;
        let ops = operators_for(SubjectKind::of_field(def.kind));
        let op = allowed(at, ops, &condition.op, &def.label)?;
        let value = value_of(at, op, &condition.value)?;
        return custom_field(ctx, at, def, op, value);
    }
    let subject = built_in_subject(&condition.field)
        .ok_or_else(|| at.field("Choose what to test from the list."))?;
    let op = allowed(at, subject.ops, &condition.op, subject.label)?;
    let value = value_of(at, op, &condition.value)?;
    built_in(ctx, at, subject.field, op, value)
}

/// The operator as the allow-list spells it, or an error listing the ones there are.
fn allowed(at: At, ops: &'static [Operator], op: &str, label: &str) -> Checked<&'static str> {
    if let Some((name, _)) = ops.iter().find(|(name, _)| *name == op) {
        return Ok(*name);
    }
    let offered: Vec<&str> = ops.iter().map(|(_, words)| *words).collect();
    Err(at.op(format!(
        "{label} can be tested with: {}.",
        offered.join(", ")
    )))
}

/// The trimmed value of an operator that takes one; empty for the others.
fn value_of<'a>(at: At, op: &str, raw: &'a str) -> Checked<&'a str> {
    if !takes_value(op) {
        return Ok("");
    }
    let value = raw.trim();
    if value.is_empty() {
        return Err(at.value("Enter a value to compare with."));
    }
    // No stored text holds one, and PostgreSQL refuses it as a parameter.
    if value.contains('\0') {
        return Err(at.value("A value cannot contain a NUL character."));
    }
    Ok(value)
}

fn built_in(ctx: &Context, at: At, field: &str, op: &str, value: &str) -> Checked<Sql> {
    match field {
        // The name is kept lowered too (`name_folded`, see its migration).
        "name" => text_column(
            ctx,
            at,
            "c.name",
            Some("c.name_folded"),
            op,
            ctx.dialect.fold(value),
        ),
        "email" => text_column(
            ctx,
            at,
            "c.email",
            Some("lower(c.email)"),
            op,
            ctx.dialect.fold(value),
        ),
        "language" => text_column(
            ctx,
            at,
            "c.language",
            Some("lower(c.language)"),
            op,
            ctx.dialect.fold(value),
        ),
        // Kept in E.164, which has no letters: compared as it is, so its index serves.
        "phone" => text_column(ctx, at, "c.phone", None, op, phone_value(op, value)),
        "tag" => by_id(
            ctx,
            at,
            ctx.tags,
            "tag",
            ("contact_tags", "tag_id = "),
            value,
            op == "has_not",
        ),
        "group" => by_id(
            ctx,
            at,
            ctx.groups,
            "group",
            ("contact_group_members", "group_id = "),
            value,
            op == "not_in",
        ),
        "channel" => channel(at, op, value),
        "opted_out" => opted_out(ctx, at, op, value),
        "blocked" => Ok(Sql::new(if op == "is_true" {
            "c.blocked <> 0"
        } else {
            "c.blocked = 0"
        })),
        "created_at" => moment_column(ctx, at, "c.created_at", op, value),
        // `last_seen_at` is when the customer last wrote.
        "last_inbound_at" => moment_column(ctx, at, "c.last_seen_at", op, value),
        _ => Err(at.field("Choose what to test from the list.")),
    }
}

/// A phone number typed any way matches the stored E.164 form.
fn phone_value(op: &str, value: &str) -> String {
    match op {
        "eq" | "neq" => crate::phone::normalise(value, None).unwrap_or_else(|_| value.to_owned()),
        _ => value.to_owned(),
    }
}

/// How a text operator tests, and whether it is the negation of that test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextTest {
    Equals,
    Contains,
    StartsWith,
    Present,
}

fn text_test(at: At, op: &str) -> Checked<(TextTest, bool)> {
    Ok(match op {
        "eq" => (TextTest::Equals, false),
        "neq" => (TextTest::Equals, true),
        "contains" => (TextTest::Contains, false),
        "not_contains" => (TextTest::Contains, true),
        "starts_with" => (TextTest::StartsWith, false),
        "is_set" => (TextTest::Present, false),
        "is_not_set" => (TextTest::Present, true),
        _ => return Err(at.op("Choose how to compare from the list.")),
    })
}

/// `haystack` (fixed SQL) contains, or starts with, the bound `needle`.
fn position_sql(dialect: Dialect, haystack: &str, needle: String, starts: bool) -> Sql {
    let mut sql = Sql::new(dialect.position());
    sql.push(haystack).push(", ").bind_text(needle);
    sql.push(if starts { ") = 1" } else { ") > 0" });
    sql
}

/// A test on one of the contact's text columns, compared `lowered` (the column lowered,
/// for one compared whatever its case). A negation includes contacts without a value
/// ("email does not contain x" holds for a contact with no email).
fn text_column(
    ctx: &Context,
    at: At,
    column: &'static str,
    lowered: Option<&'static str>,
    op: &str,
    value: String,
) -> Checked<Sql> {
    let (test, negated) = text_test(at, op)?;
    let folded = lowered.is_some();
    let compared = lowered.unwrap_or(column);
    let positive = match test {
        TextTest::Present => Sql::new(&format!("({column} IS NOT NULL AND {column} <> '')")),
        TextTest::Equals => {
            let mut sql = Sql::new(compared);
            sql.push(" = ").bind_text(value);
            sql
        }
        TextTest::Contains | TextTest::StartsWith
            if folded && ctx.dialect == Dialect::Sqlite && value.len() < MAX_LIKE_BYTES =>
        {
            // SQLite's LIKE ignores ASCII case as its lower() does, and runs without
            // lowering a copy of every name first.
            let pattern = list::contains_pattern(&value);
            let pattern = match test {
                TextTest::StartsWith => pattern[1..].to_owned(),
                _ => pattern,
            };
            let mut sql = Sql::new(column);
            sql.push(" LIKE ").bind_text(pattern).push(" ESCAPE '\\'");
            sql
        }
        TextTest::Contains => position_sql(ctx.dialect, compared, value, false),
        TextTest::StartsWith => position_sql(ctx.dialect, compared, value, true),
    };
    if !negated {
        return Ok(positive);
    }
    let mut sql = Sql::new(&format!("({column} IS NULL OR NOT ("));
    sql.append(positive).push("))");
    Ok(sql)
}

/// Whether the contact is in the set `table` (a table with a `contact_id` column) holds,
/// narrowed by `filter` (over that table's columns), or not in it.
fn membership(dialect: Dialect, table: &'static str, filter: Option<Sql>, negated: bool) -> Sql {
    if negated || dialect == Dialect::Postgres {
        let mut sql = Sql::new(if negated { "NOT EXISTS" } else { "EXISTS" });
        sql.push(" (SELECT 1 FROM ")
            .push(table)
            .push(" m WHERE m.contact_id = c.id");
        if let Some(filter) = filter {
            sql.push(" AND ").append(filter);
        }
        sql.push(")");
        return sql;
    }
    let mut sql = Sql::new("c.id IN (SELECT contact_id FROM ");
    sql.push(table);
    if let Some(filter) = filter {
        sql.push(" WHERE ").append(filter);
    }
    sql.push(")");
    sql
}

/// A tag or group condition: `value` must be the id of one in the workspace.
fn by_id(
    ctx: &Context,
    at: At,
    known: &HashSet<String>,
    what: &str,
    (table, column): (&'static str, &'static str),
    value: &str,
    negated: bool,
) -> Checked<Sql> {
    let filter = id_filter(at, known, what, column, value)?;
    Ok(membership(ctx.dialect, table, Some(filter), negated))
}

/// `column` (`tag_id = `, say) equal to `value`, the id of a tag or group of the workspace.
fn id_filter(
    at: At,
    known: &HashSet<String>,
    what: &str,
    column: &'static str,
    value: &str,
) -> Checked<Sql> {
    if !known.contains(value) {
        return Err(at.value(format!("There is no such {what} in this workspace.")));
    }
    let mut filter = Sql::new(column);
    filter.bind_text(value);
    Ok(filter)
}

fn channel_kind(at: At, value: &str) -> Checked<ChannelKind> {
    ChannelKind::parse(value)
        .map_err(|_| at.value("Choose a channel: sandbox, whatsapp, telegram, email or sms."))
}

/// Whether the contact has the address a channel kind sends to.
fn channel(at: At, op: &str, value: &str) -> Checked<Sql> {
    let column = match channel_kind(at, value)? {
        ChannelKind::Email => "c.email",
        ChannelKind::Telegram => "c.telegram_id",
        ChannelKind::Whatsapp | ChannelKind::Sms | ChannelKind::Sandbox => "c.phone",
    };
    Ok(Sql::new(&format!(
        "{column} IS {}NULL",
        if op == "is" { "NOT " } else { "" }
    )))
}

fn opted_out(ctx: &Context, at: At, op: &str, value: &str) -> Checked<Sql> {
    let filter = if value == ANY_CHANNEL {
        None
    } else {
        let mut filter = Sql::new("channel_kind = ");
        filter.bind_text(channel_kind(at, value)?.as_str());
        Some(filter)
    };
    Ok(membership(
        ctx.dialect,
        "contact_opt_outs",
        filter,
        op == "is_not",
    ))
}

/// Midnight UTC starting the day `value` (`YYYY-MM-DD`), in milliseconds.
fn day_start(at: At, value: &str) -> Checked<i64> {
    let (y, m, d) = fields::parse_date(value).map_err(|m| at.value(m))?;
    Ok(fields::days_from_civil(y, m, d) * DAY_MS)
}

/// A whole number of days, 1 to [`MAX_DAYS`], in milliseconds.
fn days_ms(at: At, value: &str) -> Checked<i64> {
    let days = value
        .parse::<u32>()
        .ok()
        .filter(|d| value.bytes().all(|b| b.is_ascii_digit()) && (1..=MAX_DAYS).contains(d))
        .ok_or_else(|| {
            at.value(format!(
                "Enter a whole number of days from 1 to {MAX_DAYS}."
            ))
        })?;
    Ok(i64::from(days) * DAY_MS)
}

/// A test on one of the contact's moments (milliseconds, `NULL` when unknown).
fn moment_column(
    ctx: &Context,
    at: At,
    column: &'static str,
    op: &str,
    value: &str,
) -> Checked<Sql> {
    let mut sql = Sql::new(column);
    match op {
        "before" => {
            sql.push(" < ").bind_int(day_start(at, value)?);
        }
        "after" => {
            sql.push(" >= ").bind_int(day_start(at, value)? + DAY_MS);
        }
        "within_last_days" => {
            let from = ctx.now_ms - days_ms(at, value)?;
            sql.push(" >= ").bind_int(from).push(" AND ").push(column);
            sql.push(" <= ").bind_int(ctx.now_ms);
        }
        "more_than_days_ago" => {
            sql.push(" < ").bind_int(ctx.now_ms - days_ms(at, value)?);
        }
        "is_set" => {
            sql.push(" IS NOT NULL");
        }
        "is_not_set" => {
            sql.push(" IS NULL");
        }
        _ => return Err(at.op("Choose how to compare from the list.")),
    }
    Ok(sql)
}

/// Whether the contact has a value of `def` passing `filter` (any value when `None`).
fn field_set(ctx: &Context, def: &FieldDefinition, filter: Option<Sql>, negated: bool) -> Sql {
    let mut sql = Sql::new("field_id = ");
    sql.bind_text(def.id.clone());
    if let Some(filter) = filter {
        sql.push(" AND ").append(filter);
    }
    membership(ctx.dialect, "contact_field_values", Some(sql), negated)
}

fn custom_field(
    ctx: &Context,
    at: At,
    def: &FieldDefinition,
    op: &str,
    value: &str,
) -> Checked<Sql> {
    let (filter, negated) = custom_field_filter(ctx, at, def, op, value)?;
    Ok(field_set(ctx, def, filter, negated))
}

/// What a custom field condition asks of the field's values (`None`: any value), and
/// whether the contact must have no such value.
fn custom_field_filter(
    ctx: &Context,
    at: At,
    def: &FieldDefinition,
    op: &str,
    value: &str,
) -> Checked<(Option<Sql>, bool)> {
    match op {
        "is_set" => return Ok((None, false)),
        "is_not_set" => return Ok((None, true)),
        _ => {}
    }
    let (filter, negated) = match SubjectKind::of_field(def.kind) {
        SubjectKind::Text => text_field(ctx, at, def, op, value)?,
        SubjectKind::Number => (number_field(at, def, op, value)?, op == "neq"),
        SubjectKind::Date => (date_field(at, def, op, value)?, false),
        SubjectKind::DateTime => (date_time_field(ctx, at, def, op, value)?, false),
        SubjectKind::Boolean => (
            Sql::new(if op == "is_true" {
                "value_number <> 0"
            } else {
                "value_number = 0"
            }),
            false,
        ),
        SubjectKind::Select => (select_field(at, def, value)?, op == "neq"),
        SubjectKind::MultiSelect => (multi_select_field(at, def, value)?, op == "excludes"),
        _ => return Err(at.field("Choose what to test from the list.")),
    };
    Ok((Some(filter), negated))
}

/// `value_text` equal to `value` (lowered as the column is, when `folded`), spelt so the
/// prefix indexes serve it: a value shorter than the prefix equals the prefix exactly
/// when it equals the whole text (`lower()` maps one character to one).
fn value_text_equals(folded: bool, value: String) -> Sql {
    let (prefix, whole) = if folded {
        (LOWER_PREFIX, "lower(value_text)")
    } else {
        (PREFIX, "value_text")
    };
    let mut sql = Sql::new(prefix);
    sql.push(" = ");
    if value.chars().count() < INDEXED_CHARS {
        sql.bind_text(value);
        return sql;
    }
    sql.bind_text(value.chars().take(INDEXED_CHARS).collect::<String>());
    sql.push(" AND ").push(whole).push(" = ").bind_text(value);
    sql
}

/// Text, long text, email, phone and web address fields. Their values are searched as
/// written (not held to the field's length or format), except that an equality with a
/// valid address compares its normalised form.
fn text_field(
    ctx: &Context,
    at: At,
    def: &FieldDefinition,
    op: &str,
    value: &str,
) -> Checked<(Sql, bool)> {
    let (test, negated) = text_test(at, op)?;
    let value = match (test, def.kind) {
        (TextTest::Equals, FieldKind::Email | FieldKind::Phone | FieldKind::Url) => {
            match fields::parse_value(def, value) {
                Ok(Some(FieldValue::Text(normal))) => normal,
                _ => value.to_owned(),
            }
        }
        _ => value.to_owned(),
    };
    let value = ctx.dialect.fold(&value);
    let filter = match test {
        TextTest::Equals => value_text_equals(true, value),
        TextTest::Contains => position_sql(ctx.dialect, "lower(value_text)", value, false),
        TextTest::StartsWith => position_sql(ctx.dialect, "lower(value_text)", value, true),
        TextTest::Present => return Err(at.op("Choose how to compare from the list.")),
    };
    Ok((filter, negated))
}

fn number_field(at: At, def: &FieldDefinition, op: &str, value: &str) -> Checked<Sql> {
    // A threshold outside the field's bounds is a fair question with a plain answer.
    let unbounded = FieldDefinition {
        min: None,
        max: None,
        ..def.clone()
    };
    let number = match fields::parse_value(&unbounded, value) {
        Ok(Some(FieldValue::Number(n))) => n,
        Ok(_) => return Err(at.value("Enter a number.")),
        Err(message) => return Err(at.value(message)),
    };
    let cmp = match op {
        "eq" | "neq" => " = ",
        "gt" => " > ",
        "gte" => " >= ",
        "lt" => " < ",
        "lte" => " <= ",
        _ => return Err(at.op("Choose how to compare from the list.")),
    };
    let mut sql = Sql::new("value_number");
    sql.push(cmp).bind(Value::Real(number));
    Ok(sql)
}

/// Days are kept as `YYYY-MM-DD`, which sort as text, and are shorter than the indexed
/// prefix, so the prefix compares as the whole value does.
fn date_field(at: At, def: &FieldDefinition, op: &str, value: &str) -> Checked<Sql> {
    let day = match fields::parse_value(def, value) {
        Ok(Some(FieldValue::Date(day))) => day,
        Ok(_) => return Err(at.value("Enter a date as YYYY-MM-DD.")),
        Err(message) => return Err(at.value(message)),
    };
    let cmp = match op {
        "eq" => " = ",
        "before" => " < ",
        "after" => " > ",
        _ => return Err(at.op("Choose how to compare from the list.")),
    };
    let mut sql = Sql::new(PREFIX);
    sql.push(cmp).bind_text(day);
    Ok(sql)
}

/// Moments are milliseconds in `value_number`. A bare day means its UTC bounds, as for
/// the contact's own moments; anything else is read as the field reads its values.
fn date_time_field(
    ctx: &Context,
    at: At,
    def: &FieldDefinition,
    op: &str,
    value: &str,
) -> Checked<Sql> {
    let mut sql = Sql::new("value_number");
    let (cmp, ms) = match op {
        "within_last_days" => {
            let from = ctx.now_ms - days_ms(at, value)?;
            sql.push(" >= ")
                .bind(Value::Real(from as f64))
                .push(" AND value_number <= ")
                .bind(Value::Real(ctx.now_ms as f64));
            return Ok(sql);
        }
        "before" => (" < ", moment(at, def, value, 0)?),
        "after" => (" > ", moment(at, def, value, DAY_MS - 1)?),
        _ => return Err(at.op("Choose how to compare from the list.")),
    };
    sql.push(cmp).bind(Value::Real(ms as f64));
    Ok(sql)
}

/// A moment typed for a date-time field; a bare day is its first millisecond plus
/// `into_day`.
fn moment(at: At, def: &FieldDefinition, value: &str, into_day: i64) -> Checked<i64> {
    if let Ok(start) = day_start(at, value) {
        return Ok(start + into_day);
    }
    match fields::parse_value(def, value) {
        Ok(Some(FieldValue::DateTime(ms))) => Ok(ms),
        Ok(_) => Err(at.value("Enter a date and time.")),
        Err(message) => Err(at.value(message)),
    }
}

fn select_field(at: At, def: &FieldDefinition, value: &str) -> Checked<Sql> {
    match fields::parse_value(def, value) {
        Ok(Some(FieldValue::Choice(option))) => Ok(value_text_equals(false, option)),
        Ok(_) => Err(at.value("Choose one of the options.")),
        Err(message) => Err(at.value(message)),
    }
}

/// A list of choices is kept as `\nA\nB\n`, so one whole option is `\n` + it + `\n`.
fn multi_select_field(at: At, def: &FieldDefinition, value: &str) -> Checked<Sql> {
    let option = fields::choose_one(def, value).map_err(|m| at.value(m))?;
    let mut sql = Sql::new("value_text LIKE ");
    sql.bind_text(list::contains_pattern(&format!("\n{option}\n")))
        .push(" ESCAPE '\\'");
    Ok(sql)
}

/// The ids among `ids` that name a row of the workspace, by `sql` (`$1` the id, `$2` the
/// workspace).
async fn known_ids<'a>(
    conn: &mut AnyConnection,
    sql: &'static str,
    workspace_id: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashSet<String>> {
    let mut known = HashSet::new();
    let mut asked = HashSet::new();
    for id in ids {
        if !asked.insert(id) {
            continue;
        }
        let found = sqlx::query(sql)
            .bind(id)
            .bind(workspace_id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_some() {
            known.insert(id.to_owned());
        }
    }
    Ok(known)
}

fn values_of<'a>(segment: &'a Segment, field: &'a str) -> impl Iterator<Item = &'a str> {
    segment
        .conditions
        .iter()
        .filter(move |c| c.field == field)
        .map(|c| c.value.trim())
}

/// The segment's own conditions as SQL over `contacts c` (no workspace test), checked
/// against the allow-list and the workspace's fields, tags and groups; `None` when it
/// has no conditions.
pub(crate) async fn fragment(
    conn: &mut AnyConnection,
    workspace_id: &str,
    segment: &Segment,
) -> Result<Option<Sql>> {
    let known = Known::load(conn, workspace_id, segment).await?;
    Ok(compile(&known.context(Dialect::of(conn)), segment)?)
}

/// The workspace's fields, and which of the tags and groups a segment names are its own.
struct Known {
    fields: Vec<FieldDefinition>,
    tags: HashSet<String>,
    groups: HashSet<String>,
}

impl Known {
    async fn load(conn: &mut AnyConnection, workspace_id: &str, segment: &Segment) -> Result<Self> {
        check_size(segment)?;
        let fields = definitions::load(conn, workspace_id, FieldScope::Contact).await?;
        let tags = known_ids(
            conn,
            "SELECT 1 FROM tags WHERE id = $1 AND workspace_id = $2",
            workspace_id,
            values_of(segment, "tag"),
        )
        .await?;
        let groups = known_ids(
            conn,
            "SELECT 1 FROM contact_groups WHERE id = $1 AND workspace_id = $2",
            workspace_id,
            values_of(segment, "group"),
        )
        .await?;
        Ok(Self {
            fields,
            tags,
            groups,
        })
    }

    fn context(&self, dialect: Dialect) -> Context<'_> {
        Context {
            fields: &self.fields,
            tags: &self.tags,
            groups: &self.groups,
            now_ms: now_ms(),
            dialect,
        }
    }
}

/// The `WHERE` clause (without `WHERE`) selecting the workspace's live contacts in the
/// segment, from `contacts c`: for counting, listing and sending to a segment.
pub async fn where_sql(
    conn: &mut AnyConnection,
    member: &Member,
    segment: &Segment,
) -> Result<Sql> {
    let mut sql = list::filter_sql(
        &member.workspace_id,
        member.test_mode,
        &ContactFilter::default(),
    )?;
    if let Some(part) = fragment(conn, &member.workspace_id, segment).await? {
        sql.push(" AND ").append(part);
    }
    Ok(sql)
}

/// The list's `segment` filter: the saved segment's conditions, or why it cannot be used.
pub(crate) async fn list_filter(
    conn: &mut AnyConnection,
    workspace_id: &str,
    segment_id: &str,
) -> Result<Option<Sql>> {
    let segment = find(conn, workspace_id, segment_id).await?.ok_or_else(|| {
        AppError::invalid_field("segment", "There is no such segment in this workspace.")
    })?;
    match fragment(conn, workspace_id, &segment).await {
        Err(Error::App(e)) => Err(AppError::invalid_field(
            "segment",
            format!("The segment {} cannot be used: {}", segment.name, e.message),
        )
        .into()),
        other => other,
    }
}

/// The list's field filter: contacts whose value of the contact field `key` is `value`
/// (holds that choice, for a list of choices; is yes or no, for a yes/no field; any
/// value, when `value` is empty), tested as a segment's condition would test it.
pub(crate) async fn field_filter(
    conn: &mut AnyConnection,
    workspace_id: &str,
    key: &str,
    value: &str,
) -> Result<Sql> {
    let fields = definitions::load(conn, workspace_id, FieldScope::Contact).await?;
    let def = fields.iter().find(|d| d.key == key).ok_or_else(|| {
        AppError::invalid_field("field", "There is no such contact field in this workspace.")
    })?;
    let value = value.trim();
    let (op, value) = match def.kind {
        _ if value.is_empty() => ("is_set", ""),
        FieldKind::MultiSelect => ("includes", value),
        FieldKind::Boolean => match fields::parse_value(def, value) {
            Ok(Some(FieldValue::Boolean(true))) => ("is_true", ""),
            Ok(Some(FieldValue::Boolean(false))) => ("is_false", ""),
            _ => return Err(AppError::invalid_field("value", "Enter yes or no.").into()),
        },
        FieldKind::DateTime => {
            return Err(AppError::invalid_field(
                "value",
                format!(
                    "{} is a moment: find it by a range with a segment (before, after, within the last days).",
                    def.label
                ),
            )
            .into());
        }
        _ => ("eq", value),
    };
    let (tags, groups) = (HashSet::new(), HashSet::new());
    let ctx = Context {
        fields: &fields,
        tags: &tags,
        groups: &groups,
        now_ms: now_ms(),
        dialect: Dialect::of(conn),
    };
    let condition = Condition {
        field: format!("{FIELD_PREFIX}{key}"),
        op: op.to_owned(),
        value: value.to_owned(),
    };
    condition_sql(&ctx, At(0), &condition)
        .map_err(|e| AppError::invalid_field("value", e.message).into())
}

/// The condition whose contacts are exactly those `condition` leaves out, for a negated
/// set condition (a `NOT EXISTS` over a set of contact ids, never unknown); `None` for
/// any other.
fn complement(condition: &Condition) -> Option<Condition> {
    let op = if condition.field.starts_with(FIELD_PREFIX) {
        match condition.op.as_str() {
            "is_not_set" => "is_set",
            "neq" => "eq",
            "not_contains" => "contains",
            "excludes" => "includes",
            _ => return None,
        }
    } else {
        match (condition.field.as_str(), condition.op.as_str()) {
            ("tag", "has_not") => "has",
            ("group", "not_in") => "in",
            ("opted_out", "is_not") => "is",
            _ => return None,
        }
    };
    Some(Condition {
        op: op.to_owned(),
        ..condition.clone()
    })
}

/// How many of the workspace's contacts are in the segment (saved or being built).
///
/// On SQLite a segment of one negated set condition ("does not have the tag vip") is
/// counted as every live contact less those in the set: SQLite has no anti-join, and
/// probing the set once per contact takes several times as long as walking the set. One
/// statement, so both counts read the same snapshot.
pub async fn count(db: &Db, member: &Member, segment: &Segment) -> Result<i64> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    let filtered = where_sql(&mut conn, member, segment).await?;
    let known = Known::load(&mut conn, &member.workspace_id, segment).await?;
    let ctx = known.context(Dialect::of(&conn));
    if let Some(counted) = sets::count(&mut conn, member, &ctx, segment).await? {
        return Ok(counted);
    }
    let positive = match segment.conditions.as_slice() {
        [only] if Dialect::of(&conn) == Dialect::Sqlite => complement(only),
        _ => None,
    };
    let Some(positive) = positive else {
        let mut sql = Sql::new("SELECT COUNT(*) FROM contacts c WHERE ");
        sql.append(filtered);
        return Ok(sql.query().fetch_one(&mut *conn).await?.try_get(0)?);
    };
    let positive = Segment {
        conditions: vec![positive],
        ..segment.clone()
    };
    let mut sql = Sql::new("SELECT (SELECT COUNT(*) FROM contacts c WHERE ");
    sql.append(list::filter_sql(
        &member.workspace_id,
        member.test_mode,
        &ContactFilter::default(),
    )?)
    .push(") - (SELECT COUNT(*) FROM contacts c WHERE ")
    .append(where_sql(&mut conn, member, &positive).await?)
    .push(")");
    Ok(sql.query().fetch_one(&mut *conn).await?.try_get(0)?)
}

/// The newest contacts in the segment, at most `limit` (up to [`MAX_PREVIEW`]), as the
/// list shows them.
pub async fn preview(
    db: &Db,
    member: &Member,
    segment: &Segment,
    limit: usize,
) -> Result<Vec<ContactRow>> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    let mut sql = Sql::new(&format!("SELECT {} FROM contacts c WHERE ", row_columns()));
    sql.append(where_sql(&mut conn, member, segment).await?)
        .push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
        .bind_int(i64::try_from(limit.clamp(1, MAX_PREVIEW)).unwrap_or(1));
    let rows = sql.fetch_all(&mut conn).await?;
    let mut out: Vec<ContactRow> = rows.iter().map(read_row).collect::<Result<_>>()?;
    let ids: Vec<String> = out.iter().map(|r| r.id.clone()).collect();
    let mut tags = tags::of_many(&mut conn, &ids).await?;
    for row in &mut out {
        row.tags = tags.remove(&row.id).unwrap_or_default();
    }
    Ok(out)
}

const COLUMNS: &str = "id, name, match_all, conditions";

fn read(row: &AnyRow) -> Result<Segment> {
    let id: String = row.try_get(0)?;
    let conditions: String = row.try_get(3)?;
    let conditions = serde_json::from_str(&conditions)
        .map_err(|e| Error::internal(format!("segment {id} has unreadable conditions: {e}")))?;
    Ok(Segment {
        id,
        name: row.try_get(1)?,
        match_all: row.try_get::<i64, _>(2)? != 0,
        conditions,
    })
}

/// A segment of the workspace, as saved.
async fn find(conn: &mut AnyConnection, workspace_id: &str, id: &str) -> Result<Option<Segment>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM segments WHERE id = $1 AND workspace_id = $2"
    )))
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(read).transpose()
}

async fn all(conn: &mut AnyConnection, workspace_id: &str) -> Result<Vec<Segment>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM segments WHERE workspace_id = $1 ORDER BY lower(name), id"
    )))
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(read).collect()
}

/// The workspace's segments by name, as saved (each is checked again when it runs, so one
/// naming a field deleted since can still be opened and mended).
pub async fn list(db: &Db, member: &Member) -> Result<Vec<Segment>> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    all(&mut conn, &member.workspace_id).await
}

/// The workspace's segments by name, each with what stops it running, if anything.
pub async fn summaries(db: &Db, member: &Member) -> Result<Vec<SegmentSummary>> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    let mut out = Vec::new();
    for segment in all(&mut conn, &member.workspace_id).await? {
        let problem = match fragment(&mut conn, &member.workspace_id, &segment).await {
            Ok(_) => None,
            Err(Error::App(e)) => Some(e.message),
            Err(e) => return Err(e),
        };
        out.push(SegmentSummary {
            id: segment.id,
            name: segment.name,
            conditions_count: segment.conditions.len(),
            problem,
        });
    }
    Ok(out)
}

/// One segment of the workspace, as saved.
pub async fn get(db: &Db, member: &Member, id: &str) -> Result<Segment> {
    member.require(Permission::ContactsView)?;
    let mut conn = db.reader().acquire().await?;
    find(&mut conn, &member.workspace_id, id)
        .await?
        .ok_or_else(|| AppError::not_found().into())
}

/// The segment to save, its name checked; its conditions are checked by compiling them.
fn to_save(name: &str, match_all: bool, conditions: &[Condition]) -> Checked<Segment> {
    Ok(Segment {
        id: String::new(),
        name: check_name(name)?,
        match_all,
        conditions: conditions.to_vec(),
    })
}

/// Refuses a name another segment of the workspace has, whatever its case (as the
/// unique index does, with the database's own `lower()`).
async fn check_name_free(
    conn: &mut AnyConnection,
    workspace_id: &str,
    name: &str,
    own_id: &str,
) -> Result<()> {
    let taken = sqlx::query(
        "SELECT 1 FROM segments WHERE workspace_id = $1 AND lower(name) = lower($2) AND id <> $3",
    )
    .bind(workspace_id)
    .bind(name)
    .bind(own_id)
    .fetch_optional(conn)
    .await?;
    match taken {
        Some(_) => Err(name_taken()),
        None => Ok(()),
    }
}

fn name_taken() -> Error {
    AppError::invalid_field("name", "Another segment has this name.").into()
}

/// A unique index refusing the name (another save got there between check and write).
fn taken(e: sqlx::Error) -> Error {
    let e = Error::from(e);
    if e.is_unique_violation("segments_name_key", "segments_name_key") {
        name_taken()
    } else {
        e
    }
}

fn conditions_json(segment: &Segment) -> Result<String> {
    serde_json::to_string(&segment.conditions)
        .map_err(|e| Error::internal(format!("segment conditions: {e}")))
}

fn audit_json(segment: &Segment) -> serde_json::Value {
    serde_json::json!({
        "name": segment.name,
        "match_all": segment.match_all,
        "conditions": segment.conditions,
    })
}

/// Saves a new segment; its id.
pub async fn create(
    db: &Db,
    actor: &Actor,
    member: &Member,
    name: &str,
    match_all: bool,
    conditions: &[Condition],
) -> Result<String> {
    member.require(Permission::ContactsEdit)?;
    let mut segment = to_save(name, match_all, conditions)?;
    let mut tx = db.begin_write().await?;
    fragment(&mut tx, &member.workspace_id, &segment).await?;
    check_name_free(&mut tx, &member.workspace_id, &segment.name, "").await?;
    segment.id = new_id("seg");
    let now = now_ms();
    sqlx::query(
        "INSERT INTO segments (id, workspace_id, name, match_all, conditions, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&segment.id)
    .bind(&member.workspace_id)
    .bind(&segment.name)
    .bind(i64::from(segment.match_all))
    .bind(conditions_json(&segment)?)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(taken)?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "segment.create",
            target_type: "segment",
            target_id: Some(&segment.id),
            before: None,
            after: Some(audit_json(&segment)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(segment.id)
}

/// Changes a saved segment.
pub async fn update(
    db: &Db,
    actor: &Actor,
    member: &Member,
    id: &str,
    name: &str,
    match_all: bool,
    conditions: &[Condition],
) -> Result<()> {
    member.require(Permission::ContactsEdit)?;
    let mut segment = to_save(name, match_all, conditions)?;
    let mut tx = db.begin_write().await?;
    let before = find(&mut tx, &member.workspace_id, id)
        .await?
        .ok_or_else(|| Error::App(AppError::not_found()))?;
    fragment(&mut tx, &member.workspace_id, &segment).await?;
    check_name_free(&mut tx, &member.workspace_id, &segment.name, id).await?;
    segment.id = before.id.clone();
    sqlx::query(
        "UPDATE segments SET name = $1, match_all = $2, conditions = $3, updated_at = $4 \
         WHERE id = $5 AND workspace_id = $6",
    )
    .bind(&segment.name)
    .bind(i64::from(segment.match_all))
    .bind(conditions_json(&segment)?)
    .bind(now_ms())
    .bind(id)
    .bind(&member.workspace_id)
    .execute(&mut *tx)
    .await
    .map_err(taken)?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "segment.update",
            target_type: "segment",
            target_id: Some(id),
            before: Some(audit_json(&before)),
            after: Some(audit_json(&segment)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a saved segment.
pub async fn delete(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    member.require(Permission::ContactsEdit)?;
    let mut tx = db.begin_write().await?;
    let before = find(&mut tx, &member.workspace_id, id)
        .await?
        .ok_or_else(|| Error::App(AppError::not_found()))?;
    sqlx::query("DELETE FROM segments WHERE id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(&member.workspace_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "segment.delete",
            target_type: "segment",
            target_id: Some(id),
            before: Some(audit_json(&before)),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use msgbuddy_domain::custom_field::FieldKind;
    use msgbuddy_domain::segment::BUILT_IN_SUBJECTS;

    const NOW: i64 = 1_780_000_000_000;

    fn def(key: &str, kind: FieldKind) -> FieldDefinition {
        FieldDefinition {
            id: format!("fld_{key}"),
            scope: FieldScope::Contact,
            key: key.to_owned(),
            label: key.to_owned(),
            kind,
            required: false,
            default_value: None,
            options: if kind.has_options() {
                vec!["Sport".into(), "50%_off\\".into()]
            } else {
                Vec::new()
            },
            min: Some(0.0),
            max: Some(120.0),
        }
    }

    fn every_kind() -> Vec<FieldDefinition> {
        FieldKind::ALL.iter().map(|k| def(k.as_str(), *k)).collect()
    }

    fn ids(list: &[&str]) -> HashSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn cond(field: &str, op: &str, value: &str) -> Condition {
        Condition {
            field: field.to_owned(),
            op: op.to_owned(),
            value: value.to_owned(),
        }
    }

    fn run(dialect: Dialect, match_all: bool, conditions: Vec<Condition>) -> Checked<Option<Sql>> {
        let fields = every_kind();
        let tags = ids(&["tag_vip"]);
        let groups = ids(&["grp_1"]);
        let ctx = Context {
            fields: &fields,
            tags: &tags,
            groups: &groups,
            now_ms: NOW,
            dialect,
        };
        compile(
            &ctx,
            &Segment {
                id: String::new(),
                name: "Test".into(),
                match_all,
                conditions,
            },
        )
    }

    fn one(dialect: Dialect, condition: Condition) -> Checked<Sql> {
        run(dialect, true, vec![condition]).map(|sql| sql.unwrap_or_default())
    }

    #[test]
    fn a_negated_set_is_counted_through_its_exact_complement() {
        for (field, op, value) in [
            ("tag", "has_not", "tag_vip"),
            ("group", "not_in", "grp_1"),
            ("opted_out", "is_not", "sms"),
            ("opted_out", "is_not", ANY_CHANNEL),
            ("field.text", "neq", "Pune"),
            ("field.text", "not_contains", "an"),
            ("field.number", "neq", "30"),
            ("field.number", "is_not_set", ""),
            ("field.select", "neq", "Sport"),
            ("field.multi_select", "excludes", "Sport"),
        ] {
            let negated = cond(field, op, value);
            let positive = complement(&negated).expect("a negated set");
            let negated = one(Dialect::Postgres, negated).expect("valid");
            let positive = one(Dialect::Postgres, positive).expect("valid");
            assert!(
                positive.text().starts_with("((EXISTS "),
                "{}",
                positive.text()
            );
            assert_eq!(
                negated.text(),
                positive.text().replacen("((", "((NOT ", 1),
                "{field} {op}"
            );
        }
        for (field, op) in [
            ("channel", "is_not"),
            ("name", "not_contains"),
            ("tag", "has"),
            ("blocked", "is_false"),
            ("field.boolean", "is_false"),
        ] {
            assert!(complement(&cond(field, op, "x")).is_none(), "{field} {op}");
        }
    }

    fn refused_at(condition: Condition) -> String {
        match one(Dialect::Sqlite, condition) {
            Ok(sql) => panic!("compiled: {}", sql.text()),
            Err(e) => e.field().unwrap_or_default().to_owned(),
        }
    }

    /// A value each operator accepts, for the subject `field`.
    fn sample(field: &str, op: &str) -> &'static str {
        match (field, op) {
            (_, "within_last_days" | "more_than_days_ago") => "30",
            ("tag", _) => "tag_vip",
            ("group", _) => "grp_1",
            ("channel", _) => "email",
            ("opted_out", _) => "any",
            ("field.number", _) => "42.5",
            ("field.date", _) | ("created_at" | "last_inbound_at", _) => "2026-01-05",
            ("field.date_time", _) => "2026-01-05T10:00:00Z",
            ("field.select" | "field.multi_select", _) => "sport",
            _ => "Pune",
        }
    }

    /// Every placeholder `$1..$n` appears once, in order, for exactly the values bound.
    fn assert_numbered(sql: &Sql) {
        let text = sql.text();
        let mut from = 0;
        for n in 1..=sql.values.len() {
            let mark = format!("${n}");
            let at = text[from..]
                .find(&mark)
                .unwrap_or_else(|| panic!("{mark} missing in {text}"));
            from += at + mark.len();
        }
        assert_eq!(
            text.matches('$').count(),
            sql.values.len(),
            "unbound or unused placeholders in {text}"
        );
    }

    #[test]
    fn every_allowed_operator_compiles_for_every_subject_on_both_backends() {
        let mut subjects: Vec<(String, Vec<&str>)> = BUILT_IN_SUBJECTS
            .iter()
            .map(|b| {
                (
                    b.field.to_owned(),
                    b.ops.iter().map(|(op, _)| *op).collect(),
                )
            })
            .collect();
        for d in every_kind() {
            let ops = operators_for(SubjectKind::of_field(d.kind));
            subjects.push((
                format!("field.{}", d.key),
                ops.iter().map(|(op, _)| *op).collect(),
            ));
        }
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            for (field, ops) in &subjects {
                for op in ops {
                    let sql = one(dialect, cond(field, op, sample(field, op)))
                        .unwrap_or_else(|e| panic!("{field} {op}: {e:?}"));
                    assert!(!sql.text().is_empty());
                    assert_numbered(&sql);
                }
            }
        }
    }

    #[test]
    fn anything_off_the_allow_list_is_refused_naming_the_condition() {
        assert_eq!(
            refused_at(cond("telegram_id", "eq", "1")),
            "conditions.0.field"
        );
        assert_eq!(
            refused_at(cond("field.gone", "eq", "1")),
            "conditions.0.field"
        );
        assert_eq!(
            refused_at(cond("c.name; DROP TABLE contacts", "eq", "x")),
            "conditions.0.field"
        );
        assert_eq!(refused_at(cond("name", "gt", "a")), "conditions.0.op");
        assert_eq!(refused_at(cond("tag", "eq", "tag_vip")), "conditions.0.op");
        assert_eq!(
            refused_at(cond("field.number", "contains", "1")),
            "conditions.0.op"
        );
        assert_eq!(
            refused_at(cond("field.date_time", "eq", "2026-01-05")),
            "conditions.0.op"
        );
        assert_eq!(
            refused_at(cond("created_at", "is_set", "")),
            "conditions.0.op"
        );
        assert_eq!(refused_at(cond("name", " eq", "a")), "conditions.0.op");
        let second = run(
            Dialect::Sqlite,
            false,
            vec![cond("blocked", "is_true", ""), cond("name", "eq", "   ")],
        )
        .expect_err("blank");
        assert_eq!(second.field(), Some("conditions.1.value"));
    }

    #[test]
    fn values_are_checked_by_the_subject_s_rules() {
        for (field, op, value) in [
            ("field.number", "gt", "abc"),
            ("field.number", "eq", "1,5"),
            ("field.date", "before", "2026-02-30"),
            ("field.date_time", "after", "tomorrow"),
            ("field.select", "eq", "Chess"),
            ("field.multi_select", "includes", "Sport, 50%_off\\"),
            ("created_at", "before", "05/01/2026"),
            ("created_at", "within_last_days", "0"),
            ("created_at", "within_last_days", "36501"),
            ("last_inbound_at", "more_than_days_ago", "1.5"),
            ("last_inbound_at", "more_than_days_ago", "+3"),
            ("tag", "has", "tag_other_workspace"),
            ("group", "in", "' OR '1'='1"),
            ("channel", "is", "fax"),
            ("opted_out", "is", "ANY"),
            ("name", "contains", "a\0b"),
        ] {
            assert_eq!(
                refused_at(cond(field, op, value)),
                "conditions.0.value",
                "{field} {op} {value:?}"
            );
        }
        // Bounds of a number field do not limit a threshold.
        assert!(one(Dialect::Sqlite, cond("field.number", "gt", "500")).is_ok());
        // Operators without a value ignore it.
        assert!(one(Dialect::Sqlite, cond("field.boolean", "is_true", "\0")).is_ok());
        let too_many = (0..=MAX_CONDITIONS)
            .map(|_| cond("blocked", "is_false", ""))
            .collect();
        let e = run(Dialect::Sqlite, true, too_many).expect_err("too many");
        assert_eq!(e.field(), Some("conditions"));
        assert!(
            run(Dialect::Sqlite, true, Vec::new())
                .expect("empty")
                .is_none()
        );
    }

    #[test]
    fn no_user_text_ever_reaches_the_sql() {
        let long = "x".repeat(100_000);
        let hostile = [
            "'",
            "\"",
            "'; DROP TABLE contacts; --",
            "%",
            "_",
            "\\",
            "' OR '1'='1",
            "O'Brien%_\\",
            "$1",
            "Ünïcødé ☃ '||'",
            long.as_str(),
        ];
        let text_subjects = [
            "name",
            "phone",
            "email",
            "language",
            "field.text",
            "field.long_text",
            "field.email",
            "field.phone",
            "field.url",
        ];
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            for value in hostile {
                let mut conditions = Vec::new();
                for field in text_subjects {
                    for op in ["eq", "neq", "contains", "not_contains", "starts_with"] {
                        conditions.push(cond(field, op, value));
                    }
                }
                for chunk in conditions.chunks(MAX_CONDITIONS) {
                    let sql = run(dialect, false, chunk.to_vec())
                        .unwrap_or_else(|e| panic!("{value:.20}: {e:?}"))
                        .expect("conditions");
                    let text = sql.text();
                    for needle in ["DROP", "OR '1'", "Brien", "Ünï", "xxx", "\"", "%", "\\\\"] {
                        assert!(!text.contains(needle), "{needle} in {text}");
                    }
                    assert!(!text.contains("'\\''"), "quotes come from fixed text only");
                    assert_numbered(&sql);
                    assert!(
                        sql.values.iter().any(|v| matches!(v, Value::Text(t) if t.contains(&dialect.fold(value.trim())))),
                        "the value is bound"
                    );
                }
            }
        }
    }

    #[test]
    fn text_compares_lowered_and_searches_by_like_within_its_limit() {
        let sql = one(Dialect::Postgres, cond("field.text", "eq", "PUNE")).expect("sql");
        assert!(
            sql.text()
                .contains("lower(substr(value_text, 1, 100)) = $2"),
            "{}",
            sql.text()
        );
        assert_eq!(sql.values[1], Value::Text("pune".into()));
        assert!(sql.text().starts_with("((EXISTS"), "{}", sql.text());
        let sqlite = one(Dialect::Sqlite, cond("field.text", "eq", "PUNE")).expect("sql");
        assert!(
            sqlite.text().starts_with(
                "((c.id IN (SELECT contact_id FROM contact_field_values WHERE field_id = $1"
            ),
            "{}",
            sqlite.text()
        );
        // SQLite lowers ASCII only, so the value is lowered the same way.
        let name = one(Dialect::Sqlite, cond("name", "eq", "ÄSHA")).expect("sql");
        assert_eq!(name.values[0], Value::Text("Äsha".into()));
        let long = "Y".repeat(150);
        let sql = one(Dialect::Sqlite, cond("field.text", "eq", &long)).expect("sql");
        assert_eq!(sql.values[1], Value::Text("y".repeat(100)));
        assert!(sql.text().contains("lower(value_text) = $3"));
        let contains = one(Dialect::Postgres, cond("name", "contains", "%")).expect("sql");
        // Names are kept lowered, so nothing is lowered as they are read.
        assert_eq!(contains.text(), "((strpos(c.name_folded, $1) > 0))");
        // SQLite searches with LIKE (its case rules are its lower()'s), the needle's
        // wildcards escaped; a needle too long for a LIKE pattern falls back to instr().
        let not = one(Dialect::Sqlite, cond("email", "not_contains", "X_%")).expect("sql");
        assert_eq!(
            not.text(),
            "(((c.email IS NULL OR NOT (c.email LIKE $1 ESCAPE '\\'))))"
        );
        assert_eq!(not.values[0], Value::Text("%x\\_\\%%".into()));
        let starts = one(Dialect::Sqlite, cond("name", "starts_with", "an")).expect("sql");
        assert_eq!(starts.values[0], Value::Text("an%".into()));
        let huge = one(
            Dialect::Sqlite,
            cond("email", "contains", &"x".repeat(30_000)),
        )
        .expect("sql");
        assert_eq!(huge.text(), "((instr(lower(c.email), $1) > 0))");
        let phone = one(Dialect::Sqlite, cond("phone", "eq", "+91 98765 43210")).expect("sql");
        assert_eq!(phone.text(), "((c.phone = $1))");
        assert_eq!(phone.values[0], Value::Text("+919876543210".into()));
    }

    #[test]
    fn negations_and_sets_are_spelt_to_stay_linear() {
        let has_not = one(Dialect::Sqlite, cond("tag", "has_not", "tag_vip")).expect("sql");
        assert_eq!(
            has_not.text(),
            "((NOT EXISTS (SELECT 1 FROM contact_tags m WHERE m.contact_id = c.id AND tag_id = $1)))"
        );
        let has = one(Dialect::Sqlite, cond("tag", "has", "tag_vip")).expect("sql");
        assert_eq!(
            has.text(),
            "((c.id IN (SELECT contact_id FROM contact_tags WHERE tag_id = $1)))"
        );
        let any = run(
            Dialect::Sqlite,
            false,
            vec![cond("opted_out", "is", "any"), cond("group", "in", "grp_1")],
        )
        .expect("sql")
        .expect("conditions");
        assert_eq!(
            any.text(),
            "((c.id IN (SELECT contact_id FROM contact_opt_outs)) OR (c.id IN (SELECT contact_id FROM contact_group_members WHERE group_id = $1)))"
        );
        let includes = one(
            Dialect::Sqlite,
            cond("field.multi_select", "includes", "50%_OFF\\"),
        )
        .expect("sql");
        assert!(includes.text().contains("value_text LIKE $2 ESCAPE '\\'"));
        assert_eq!(
            includes.values[1],
            Value::Text("%\n50\\%\\_off\\\\\n%".into())
        );
    }

    #[test]
    fn moments_use_utc_day_bounds_and_days_back_from_now() {
        let day = fields::days_from_civil(2026, 1, 5) * DAY_MS;
        let before = one(Dialect::Sqlite, cond("created_at", "before", "2026-01-05")).expect("sql");
        assert_eq!(before.text(), "((c.created_at < $1))");
        assert_eq!(before.values, [Value::Int(day)]);
        let after = one(
            Dialect::Sqlite,
            cond("last_inbound_at", "after", "2026-01-05"),
        )
        .expect("sql");
        assert_eq!(after.text(), "((c.last_seen_at >= $1))");
        assert_eq!(after.values, [Value::Int(day + DAY_MS)]);
        let within =
            one(Dialect::Sqlite, cond("created_at", "within_last_days", "7")).expect("sql");
        assert_eq!(
            within.values,
            [Value::Int(NOW - 7 * DAY_MS), Value::Int(NOW)]
        );
        let field = one(
            Dialect::Sqlite,
            cond("field.date_time", "after", "2026-01-05"),
        )
        .expect("sql");
        assert_eq!(field.values[1], Value::Real((day + DAY_MS - 1) as f64));
        let moment = one(
            Dialect::Sqlite,
            cond("field.date_time", "before", "2026-01-05T10:00:00+05:30"),
        )
        .expect("sql");
        assert_eq!(
            moment.values[1],
            Value::Real((day + 4 * 3_600_000 + 30 * 60_000) as f64)
        );
        let never = one(
            Dialect::Sqlite,
            cond("last_inbound_at", "is_not_set", "ignored"),
        )
        .expect("sql");
        assert_eq!(never.text(), "((c.last_seen_at IS NULL))");
        assert!(never.values.is_empty());
    }
}
