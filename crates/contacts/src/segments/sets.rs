//! Counting a segment made only of set conditions (tags, groups, custom field values)
//! from the sets themselves, without visiting each contact.
//!
//! A set's rows (`contact_tags` for a tag, say) belong to the workspace's contacts by
//! construction, deleted and test-mode ones included. So the segment's live contacts are
//! the sets combined (`INTERSECT` for all of, `UNION` for any of), counted from their
//! indexes alone, less the few contacts of the workspace that are not live and fall in
//! them (each checked with the usual per-contact test). A single negated set ("does not
//! have the tag vip") is every live contact less the set. Counting a set of 600,000
//! members this way reads 600,000 index entries; checking each member against its
//! contact row, as the `WHERE` clause does, reads that many rows besides.
//!
//! Test mode keeps the usual count: there, the workspace's live contacts are the
//! exceptions, and there are many.

use super::{
    At, Checked, Context, Dialect, FIELD_PREFIX, allowed, custom_field_filter, id_filter, value_of,
};
use crate::list;
use crate::sql::Sql;
use msgbuddy_core::Result;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::contact::ContactFilter;
use msgbuddy_domain::segment::{Condition, Segment, SubjectKind, built_in_subject, operators_for};
use sqlx::{AnyConnection, Row};

/// A condition that is membership of one of the workspace's sets of contacts.
struct SetPart {
    table: &'static str,
    /// Over the table's own columns.
    filter: Sql,
    negated: bool,
}

impl SetPart {
    /// The members' ids.
    fn ids(&self) -> Sql {
        let mut sql = Sql::new("SELECT contact_id FROM ");
        sql.push(self.table)
            .push(" WHERE ")
            .append(self.filter.clone());
        sql
    }

    /// Whether the contact `c` is a member (negation aside).
    fn holds(&self) -> Sql {
        let mut sql = Sql::new("EXISTS (SELECT 1 FROM ");
        sql.push(self.table)
            .push(" m WHERE m.contact_id = c.id AND ")
            .append(self.filter.clone())
            .push(")");
        sql
    }
}

/// The condition as a set, or `None` for one on the contact's own columns (or on
/// opt-outs, whose table is not the workspace's alone). Errors as the `WHERE` clause's.
fn part(ctx: &Context, at: At, condition: &Condition) -> Checked<Option<SetPart>> {
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
        if let Some(values) = values {
            filter.push(" AND ").append(values);
        }
        return Ok(Some(SetPart {
            table: "contact_field_values",
            filter,
            negated,
        }));
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
        _ => return Ok(None),
    };
    Ok(Some(SetPart {
        table,
        filter: id_filter(at, known, what, column, value)?,
        negated,
    }))
}

/// The segment's count from its sets, or `None` when it is not made of sets alone (or
/// the member works on test-mode data).
pub(super) async fn count(
    conn: &mut AnyConnection,
    member: &Member,
    ctx: &Context<'_>,
    segment: &Segment,
) -> Result<Option<i64>> {
    if member.test_mode || segment.conditions.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::with_capacity(segment.conditions.len());
    for (index, condition) in segment.conditions.iter().enumerate() {
        match part(ctx, At(index), condition)? {
            Some(p) => parts.push(p),
            None => return Ok(None),
        }
    }
    let negated = parts.iter().filter(|p| p.negated).count();
    let sql = match (parts.as_slice(), negated) {
        ([only], 1) => everyone_but(ctx, member, only)?,
        (_, 0) => combined(ctx, member, &parts, segment.match_all),
        _ => return Ok(None),
    };
    Ok(Some(sql.query().fetch_one(&mut *conn).await?.try_get(0)?))
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

/// How many live contacts hold `test` (over `contacts c`): the contacts of the sets
/// counted whole, less those not live.
fn less_not_live(ctx: &Context, member: &Member, members: Sql, test: &Sql) -> Sql {
    let mut sql = Sql::new("(SELECT COUNT(*) FROM (");
    sql.append(members).push(") s)");
    for exceptions in not_live(ctx.dialect, &member.workspace_id) {
        sql.push(" - (SELECT COUNT(*) FROM ")
            .append(exceptions)
            .push(" AND ")
            .append(test.clone())
            .push(")");
    }
    sql
}

/// All of the sets (the first one's members that are in each of the others: a member
/// appears once in a set) or any of them (their union).
fn combined(ctx: &Context, member: &Member, parts: &[SetPart], match_all: bool) -> Sql {
    let joiner = if match_all { " AND " } else { " OR " };
    let mut members = Sql::new("");
    let mut test = Sql::new("(");
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            test.push(joiner);
        }
        test.append(p.holds());
        match (i, match_all) {
            (0, _) => {
                members.append(p.ids());
            }
            (_, true) => {
                members
                    .push(" AND contact_id IN (")
                    .append(p.ids())
                    .push(")");
            }
            (_, false) => {
                members.push(" UNION ").append(p.ids());
            }
        }
    }
    test.push(")");
    let mut sql = Sql::new("SELECT ");
    sql.append(less_not_live(ctx, member, members, &test));
    sql
}

/// Every live contact but the set's members.
fn everyone_but(ctx: &Context, member: &Member, part: &SetPart) -> Result<Sql> {
    let mut sql = Sql::new("SELECT (SELECT COUNT(*) FROM contacts c WHERE ");
    sql.append(list::filter_sql(
        &member.workspace_id,
        member.test_mode,
        &ContactFilter::default(),
    )?)
    .push(") - (")
    .append(less_not_live(ctx, member, part.ids(), &part.holds()))
    .push(")");
    Ok(sql)
}
