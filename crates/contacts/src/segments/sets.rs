//! Counting a segment made only of set conditions (tags, groups, custom field values,
//! opt-outs of one channel kind, when contacts were made) from the sets' sizes, without
//! visiting each member.
//!
//! Triggers keep each set's size by value in `contact_set_sizes` (see its migration), so
//! "has the tag vip" is one row, "age over 30" the field's rows for ages over 30 and
//! "made in the last year" a year of days. A set's rows belong to the workspace's contacts
//! by construction, deleted and test-mode ones included, so the segment's live contacts
//! are the count from the sizes less the few contacts of the workspace that are not live
//! and match (each checked with the condition's own test). A negated set is every live
//! contact less the set; two sets of which any will do are both sizes less what they
//! share; all of several sets are the smallest one's members found in each other one.
//!
//! A field with many distinct values (an email address per contact, say) has as many
//! size rows as members: it is counted from its values' index, as before. Test mode keeps
//! the usual count: there, the workspace's live contacts are the exceptions, and there
//! are many.

use super::{
    At, Checked, Context, DAY_MS, Dialect, FIELD_PREFIX, allowed, channel_kind,
    custom_field_filter, day_start, days_ms, id_filter, value_of,
};
use crate::sql::{Sql, Value};
use msgbuddy_core::Result;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::segment::{
    ANY_CHANNEL, Condition, Segment, SubjectKind, built_in_subject, operators_for,
};
use sqlx::{AnyConnection, Row};

/// The most size rows a field may have for a count to read them rather than its index.
const MAX_SIZE_ROWS: i64 = 2_000;

/// A condition that is membership of one of the workspace's sets of contacts.
struct SetPart {
    /// `SELECT contact_id ...`: the members, whatever their state.
    ids: Sql,
    /// Whether the contact `c` is a member (negation aside), for the few contacts that
    /// are not live. A count of the contact's rows rather than `EXISTS`, which PostgreSQL
    /// turns into a join that reads the whole set (600,000 ages over 30) to check 5,000
    /// deleted contacts; a scalar subquery is one probe of the set's key per contact.
    holds: Sql,
    /// How many members, from the sizes, as a scalar subquery.
    size: Option<Sql>,
    /// A set whose sizes are only read when it has at most [`MAX_SIZE_ROWS`] rows.
    probe: Option<String>,
    negated: bool,
}

/// `(SELECT <sum of the sizes of set_id passing filter>)`.
fn sizes(set_id: String, filter: Option<Sql>) -> Sql {
    let mut sql = Sql::new(
        "(SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM contact_set_sizes WHERE set_id = ",
    );
    sql.bind_text(set_id);
    if let Some(filter) = filter {
        sql.push(" AND ").append(filter);
    }
    sql.push(")");
    sql
}

/// A set held in `table` (with a `contact_id` column), its rows chosen by `filter`.
fn table_part(table: &'static str, filter: Sql, size: Sql, negated: bool) -> SetPart {
    let mut ids = Sql::new("SELECT contact_id FROM ");
    ids.push(table).push(" WHERE ").append(filter.clone());
    let mut holds = Sql::new("(SELECT COUNT(*) FROM ");
    holds
        .push(table)
        .push(" m WHERE m.contact_id = c.id AND ")
        .append(filter)
        .push(") > 0");
    SetPart {
        ids,
        holds,
        size: Some(size),
        probe: None,
        negated,
    }
}

/// The condition as a set, or `None` for one on the contact's other columns (or on
/// opt-outs of any channel, which a contact may hold several of). Errors as the `WHERE`
/// clause's.
fn part(
    ctx: &Context,
    workspace_id: &str,
    at: At,
    condition: &Condition,
) -> Checked<Option<SetPart>> {
    if let Some(key) = condition.field.strip_prefix(FIELD_PREFIX) {
        let Some(def) = ctx.fields.iter().find(|d| d.key == key) else {
            return Ok(None);
        };
        let op = allowed(
            at,
            operators_for(SubjectKind::of_field(def.kind)),
            &condition.op,
            &def.label,
        )?;
        let value = value_of(at, op, &condition.value)?;
        let (values, negated) = custom_field_filter(ctx, at, def, op, value)?;
        let mut filter = Sql::new("field_id = ");
        filter.bind_text(def.id.clone());
        if let Some(values) = values.clone() {
            filter.push(" AND ").append(values);
        }
        let mut part = table_part(
            "contact_field_values",
            filter,
            sizes(def.id.clone(), values),
            negated,
        );
        part.probe = Some(def.id.clone());
        return Ok(Some(part));
    }
    let Some(subject) = built_in_subject(&condition.field) else {
        return Ok(None);
    };
    let op = allowed(at, subject.ops, &condition.op, subject.label)?;
    let value = value_of(at, op, &condition.value)?;
    let (table, known, what, column, negated) = match subject.field {
        "tag" => (
            "contact_tags",
            ctx.tags,
            "tag",
            "tag_id = ",
            op == "has_not",
        ),
        "group" => (
            "contact_group_members",
            ctx.groups,
            "group",
            "group_id = ",
            op == "not_in",
        ),
        "opted_out" => return opted_out(workspace_id, at, op, value),
        "created_at" => return created(ctx, workspace_id, at, op, value),
        _ => return Ok(None),
    };
    let filter = id_filter(at, known, what, column, value)?;
    Ok(Some(table_part(
        table,
        filter,
        sizes(value.to_owned(), None),
        negated,
    )))
}

/// Opted out (or not) of one channel kind.
fn opted_out(workspace_id: &str, at: At, op: &str, value: &str) -> Checked<Option<SetPart>> {
    if value == ANY_CHANNEL {
        return Ok(None);
    }
    let kind = channel_kind(at, value)?.as_str();
    let mut ids = Sql::new(
        "SELECT o.contact_id FROM contact_opt_outs o JOIN contacts oc ON oc.id = o.contact_id \
         WHERE oc.workspace_id = ",
    );
    ids.bind_text(workspace_id)
        .push(" AND o.channel_kind = ")
        .bind_text(kind);
    let mut holds = Sql::new(
        "(SELECT COUNT(*) FROM contact_opt_outs m WHERE m.contact_id = c.id AND m.channel_kind = ",
    );
    holds.bind_text(kind).push(") > 0");
    let mut kind_filter = Sql::new("value_text = ");
    kind_filter.bind_text(kind);
    Ok(Some(SetPart {
        ids,
        holds,
        size: Some(sizes(
            format!("opted_out:{workspace_id}"),
            Some(kind_filter),
        )),
        probe: None,
        negated: op == "is_not",
    }))
}

/// `created_at` in `[from, to)` (either end open), over `column`.
fn moment_range(column: &str, from: Option<i64>, to: Option<i64>) -> Sql {
    let mut sql = Sql::new("1 = 1");
    if let Some(from) = from {
        sql.push(" AND ").push(column).push(" >= ").bind_int(from);
    }
    if let Some(to) = to {
        sql.push(" AND ").push(column).push(" < ").bind_int(to);
    }
    sql
}

/// The workspace's contacts (both modes, deleted ones too) made in `[from, to)`, counted
/// from their index: for the part of a day at either end of a range.
fn made_between(workspace_id: &str, from: Option<i64>, to: Option<i64>) -> Sql {
    let mut sql = Sql::new("(SELECT COUNT(*) FROM contacts WHERE workspace_id = ");
    sql.bind_text(workspace_id)
        .push(" AND is_test IN (0, 1) AND ")
        .append(moment_range("created_at", from, to))
        .push(")");
    sql
}

/// When the contact was made, as the `WHERE` clause reads the operator: the whole days of
/// the range from the sizes by day, the part-days at its ends from the index.
fn created(
    ctx: &Context,
    workspace_id: &str,
    at: At,
    op: &str,
    value: &str,
) -> Checked<Option<SetPart>> {
    let (from, to) = match op {
        "before" => (None, Some(day_start(at, value)?)),
        "after" => (Some(day_start(at, value)? + DAY_MS), None),
        "within_last_days" => (Some(ctx.now_ms - days_ms(at, value)?), Some(ctx.now_ms + 1)),
        "more_than_days_ago" => (None, Some(ctx.now_ms - days_ms(at, value)?)),
        _ => return Ok(None),
    };
    let mut ids = Sql::new("SELECT id AS contact_id FROM contacts WHERE workspace_id = ");
    ids.bind_text(workspace_id)
        .push(" AND is_test IN (0, 1) AND ")
        .append(moment_range("created_at", from, to));
    // The first and last whole days inside the range (day numbers, the last excluded).
    let first_day = from.map(|f| f.div_euclid(DAY_MS) + i64::from(f.rem_euclid(DAY_MS) != 0));
    let end_day = to.map(|t| t.div_euclid(DAY_MS));
    let size = match (first_day, end_day) {
        (Some(first), Some(end)) if first >= end => made_between(workspace_id, from, to),
        _ => {
            let mut days = Sql::new("1 = 1");
            if let Some(first) = first_day {
                days.push(" AND value_number >= ")
                    .bind(Value::Real(first as f64));
            }
            if let Some(end) = end_day {
                days.push(" AND value_number < ")
                    .bind(Value::Real(end as f64));
            }
            let mut size = Sql::new("(");
            size.append(sizes(format!("created:{workspace_id}"), Some(days)));
            if let (Some(from), Some(first)) = (from, first_day) {
                size.push(" + ").append(made_between(
                    workspace_id,
                    Some(from),
                    Some(first * DAY_MS),
                ));
            }
            if let (Some(to), Some(end)) = (to, end_day) {
                size.push(" + ")
                    .append(made_between(workspace_id, Some(end * DAY_MS), Some(to)));
            }
            size.push(")");
            size
        }
    };
    Ok(Some(SetPart {
        ids,
        holds: moment_range("c.created_at", from, to),
        size: Some(size),
        probe: None,
        negated: false,
    }))
}

/// Whether the set's sizes have few enough rows to be read.
async fn few_sizes(conn: &mut AnyConnection, set_id: &str) -> Result<bool> {
    let rows: i64 = sqlx::query(
        "SELECT COUNT(*) FROM (SELECT 1 FROM contact_set_sizes WHERE set_id = $1 LIMIT 2001) s",
    )
    .bind(set_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(rows <= MAX_SIZE_ROWS)
}

/// The segment's count from its sets, or `None` when it is not made of sets alone (or
/// the member works on test-mode data).
pub(super) async fn count(
    conn: &mut AnyConnection,
    member: &Member,
    ctx: &Context<'_>,
    segment: &Segment,
) -> Result<Option<i64>> {
    if member.test_mode {
        return Ok(None);
    }
    let ws = member.workspace_id.as_str();
    if segment.conditions.is_empty() {
        return Ok(Some(fetch(conn, select(everyone(ctx, ws))).await?));
    }
    let mut parts = Vec::with_capacity(segment.conditions.len());
    for (index, condition) in segment.conditions.iter().enumerate() {
        match part(ctx, ws, At(index), condition)? {
            Some(p) => parts.push(p),
            None => return Ok(None),
        }
    }
    for p in &mut parts {
        if let Some(set_id) = p.probe.take()
            && !few_sizes(conn, &set_id).await?
        {
            p.size = None;
        }
    }
    let negated = parts.iter().filter(|p| p.negated).count();
    let all_sized = parts.iter().all(|p| p.size.is_some());
    let sql = match (parts.len(), negated) {
        (1, 1) => {
            let mut sql = everyone(ctx, ws);
            sql.push(" - ")
                .append(live(ctx, ws, raw(&parts[0]), &parts[0].holds));
            sql
        }
        (1, 0) => live(ctx, ws, raw(&parts[0]), &parts[0].holds),
        (_, 0) if segment.match_all => {
            if all_sized && by_size(conn, &mut parts).await?.first() == Some(&0) {
                return Ok(Some(0));
            }
            live(ctx, ws, intersection(&parts), &tests(&parts, " AND "))
        }
        (2, 0) if all_sized => {
            by_size(conn, &mut parts).await?;
            let mut sql = Sql::new("(");
            sql.append(raw(&parts[0]))
                .push(" + ")
                .append(raw(&parts[1]))
                .push(" - ")
                .append(intersection(&parts))
                .push(")");
            live(ctx, ws, sql, &tests(&parts, " OR "))
        }
        (_, 0) => {
            let mut union = Sql::new("(SELECT COUNT(*) FROM (");
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    union.push(" UNION ");
                }
                union.append(p.ids.clone());
            }
            union.push(") s)");
            live(ctx, ws, union, &tests(&parts, " OR "))
        }
        _ => return Ok(None),
    };
    Ok(Some(fetch(conn, select(sql)).await?))
}

fn select(expression: Sql) -> Sql {
    let mut sql = Sql::new("SELECT ");
    sql.append(expression);
    sql
}

async fn fetch(conn: &mut AnyConnection, sql: Sql) -> Result<i64> {
    Ok(sql.query().fetch_one(&mut *conn).await?.try_get(0)?)
}

/// Sorts the parts (each with a size) smallest first; their sizes, in that order.
async fn by_size(conn: &mut AnyConnection, parts: &mut Vec<SetPart>) -> Result<Vec<i64>> {
    let mut sql = Sql::new("SELECT ");
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.append(p.size.clone().unwrap_or_else(|| raw(p)));
    }
    let row = sql.query().fetch_one(&mut *conn).await?;
    let mut sized = Vec::with_capacity(parts.len());
    for (i, p) in parts.drain(..).enumerate() {
        sized.push((row.try_get::<i64, _>(i)?, p));
    }
    sized.sort_by_key(|(size, _)| *size);
    let (sizes, sorted): (Vec<i64>, Vec<SetPart>) = sized.into_iter().unzip();
    *parts = sorted;
    Ok(sizes)
}

/// The set's member count, from its sizes or else its index.
fn raw(part: &SetPart) -> Sql {
    if let Some(size) = &part.size {
        return size.clone();
    }
    let mut sql = Sql::new("(SELECT COUNT(*) FROM (");
    sql.append(part.ids.clone()).push(") s)");
    sql
}

/// How many contacts are in every one of the sets: the first one's members found in each
/// other one (a member appears once in a set).
fn intersection(parts: &[SetPart]) -> Sql {
    let mut sql = Sql::new("(SELECT COUNT(*) FROM (");
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            sql.append(p.ids.clone()).push(") s WHERE 1 = 1");
        } else {
            sql.push(" AND s.contact_id IN (")
                .append(p.ids.clone())
                .push(")");
        }
    }
    sql.push(")");
    sql
}

/// The parts' tests joined by `joiner`, in parentheses.
fn tests(parts: &[SetPart], joiner: &str) -> Sql {
    let mut sql = Sql::new("(");
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            sql.push(joiner);
        }
        sql.append(p.holds.clone());
    }
    sql.push(")");
    sql
}

/// The workspace's contacts that are not live (deleted, or test-mode data), as two
/// `FROM contacts c ... WHERE` parts, each read through the index that holds just them
/// (named on SQLite, whose planner may otherwise walk every live contact).
fn not_live(dialect: Dialect, workspace_id: &str) -> [Sql; 2] {
    let mut test_mode = Sql::new("contacts c WHERE c.workspace_id = ");
    test_mode.bind_text(workspace_id).push(" AND c.is_test = 1");
    let mut deleted = Sql::new(match dialect {
        Dialect::Sqlite => "contacts c INDEXED BY contacts_deleted_idx WHERE ",
        Dialect::Postgres => "contacts c WHERE ",
    });
    deleted
        .push("c.deleted_at IS NOT NULL AND c.workspace_id = ")
        .bind_text(workspace_id)
        .push(" AND c.is_test = 0");
    [test_mode, deleted]
}

/// How many live contacts hold `test` (over `contacts c`), of the `members` of the
/// workspace (any state) that hold it: those less the ones not live.
fn live(ctx: &Context, workspace_id: &str, members: Sql, test: &Sql) -> Sql {
    let mut sql = Sql::new("(");
    sql.append(members);
    for exceptions in not_live(ctx.dialect, workspace_id) {
        sql.push(" - (SELECT COUNT(*) FROM ")
            .append(exceptions)
            .push(" AND ")
            .append(test.clone())
            .push(")");
    }
    sql.push(")");
    sql
}

/// Every live contact of the workspace.
fn everyone(ctx: &Context, workspace_id: &str) -> Sql {
    live(
        ctx,
        workspace_id,
        sizes(format!("created:{workspace_id}"), None),
        &Sql::new("1 = 1"),
    )
}
