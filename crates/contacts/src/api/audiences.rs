//! Tags, segments and groups in the partner API: read the workspace's tags and tag or
//! untag a contact; save, read (with the count right now), count and remove segments;
//! make groups and put contacts in them. A segment's or group's contacts are listed by
//! `GET /api/v1/contacts?segment=` (or `group=`).

use crate::{groups, segments, tags};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Result};
use msgbuddy_domain::AppError;
use msgbuddy_domain::contact::{Group, Tag};
use msgbuddy_domain::segment::{Condition, Segment};
use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiTag {
    pub id: String,
    pub name: String,
    /// The colour it shows in (`slate`, `red`, `amber`, `green`, `blue`, ...).
    pub colour: String,
}

impl From<Tag> for ApiTag {
    fn from(t: Tag) -> Self {
        Self {
            id: t.id,
            name: t.name,
            colour: t.colour,
        }
    }
}

/// A tag to put on a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TagRequest {
    /// The tag's name or id.
    pub tag: String,
}

/// The workspace's tags by name.
pub async fn list_tags(db: &Db, member: &Member) -> Result<Vec<ApiTag>> {
    Ok(tags::list(db, member)
        .await?
        .into_iter()
        .map(ApiTag::from)
        .collect())
}

/// Puts a tag on a contact (or takes it off); whether that changed anything.
pub async fn tag_contact(
    db: &Db,
    member: &Member,
    contact_id: &str,
    tag: &str,
    add: bool,
) -> Result<bool> {
    let tag_id = super::tag_id(&tags::list(db, member).await?, tag)
        .ok_or_else(|| AppError::invalid_field("tag", "There is no such tag in this workspace."))?;
    // A contact of another workspace or mode is as absent as one that never was.
    crate::contact::get(db, member, contact_id).await?;
    let changed = tags::apply_to_many(db, member, &tag_id, &[contact_id.to_owned()], add).await?;
    Ok(changed > 0)
}

/// A condition of a segment: a subject, a test and (for most tests) a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiCondition {
    /// `name`, `phone`, `email`, `language`, `tag`, `group`, `channel`, `opted_out`,
    /// `blocked`, `created`, `last_inbound`, or `field.<key>` for a custom field.
    #[cfg_attr(feature = "openapi", schema(example = "tag"))]
    pub field: String,
    /// The test, from the subject's allow-list: `eq`, `neq`, `contains`, `not_contains`,
    /// `is_set`, `is_not_set`, `gt`, `lt`, `has`, `has_not`, `in`, `not_in`, `includes`,
    /// `excludes`, `is`, `is_not`, `within_days`, `before_days`, ...
    #[cfg_attr(feature = "openapi", schema(example = "has"))]
    pub op: String,
    /// A tag or group by name or id; anything else as text.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "vip"))]
    pub value: String,
}

/// A saved segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiSegment {
    pub id: String,
    pub name: String,
    /// `all`: every condition holds; `any`: one is enough.
    #[serde(rename = "match")]
    pub match_: String,
    pub conditions: Vec<ApiCondition>,
    /// How many contacts it holds right now (on reading one segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// What `POST /api/v1/segments` takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    pub name: String,
    /// `all` (the default) or `any`.
    #[serde(default, rename = "match")]
    pub match_: Option<String>,
    pub conditions: Vec<ApiCondition>,
}

fn api_segment(s: Segment, count: Option<i64>) -> ApiSegment {
    ApiSegment {
        id: s.id,
        name: s.name,
        match_: if s.match_all { "all" } else { "any" }.to_owned(),
        conditions: s
            .conditions
            .into_iter()
            .map(|c| ApiCondition {
                field: c.field,
                op: c.op,
                value: c.value,
            })
            .collect(),
        count,
    }
}

/// The conditions with tags and groups named by id, as segments keep them.
async fn conditions(db: &Db, member: &Member, given: &[ApiCondition]) -> Result<Vec<Condition>> {
    let tags = tags::list(db, member).await?;
    let groups = groups::list(db, member).await?;
    Ok(given
        .iter()
        .map(|c| {
            let value = match c.field.as_str() {
                "tag" => super::tag_id(&tags, &c.value),
                "group" => groups
                    .iter()
                    .find(|g| g.id == c.value.trim() || g.name.eq_ignore_ascii_case(c.value.trim()))
                    .map(|g| g.id.clone()),
                _ => None,
            };
            Condition {
                field: c.field.clone(),
                op: c.op.clone(),
                value: value.unwrap_or_else(|| c.value.clone()),
            }
        })
        .collect())
}

fn match_all(raw: Option<&str>) -> Result<bool> {
    match raw.map(str::trim) {
        None | Some("all") => Ok(true),
        Some("any") => Ok(false),
        Some(_) => Err(AppError::invalid_field("match", "Use all or any.").into()),
    }
}

/// The workspace's saved segments by name.
pub async fn list_segments(db: &Db, member: &Member) -> Result<Vec<ApiSegment>> {
    Ok(segments::list(db, member)
        .await?
        .into_iter()
        .map(|s| api_segment(s, None))
        .collect())
}

/// One saved segment with how many contacts it holds now.
pub async fn get_segment(db: &Db, member: &Member, id: &str) -> Result<ApiSegment> {
    let segment = segments::get(db, member, id).await?;
    let count = segments::count(db, member, &segment).await?;
    Ok(api_segment(segment, Some(count)))
}

/// Saves a segment; it, counted.
pub async fn create_segment(
    db: &Db,
    actor: &Actor,
    member: &Member,
    input: &SegmentInput,
) -> Result<ApiSegment> {
    let all = match_all(input.match_.as_deref())?;
    let conditions = conditions(db, member, &input.conditions).await?;
    let id = segments::create(db, actor, member, &input.name, all, &conditions).await?;
    get_segment(db, member, &id).await
}

/// Removes a saved segment.
pub async fn delete_segment(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    segments::delete(db, actor, member, id).await
}

/// A group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiGroup {
    pub id: String,
    pub name: String,
    /// How many contacts are in it.
    pub contacts: i64,
}

impl From<Group> for ApiGroup {
    fn from(g: Group) -> Self {
        Self {
            id: g.id,
            name: g.name,
            contacts: g.contacts,
        }
    }
}

/// What `POST /api/v1/groups` takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub name: String,
}

/// Contacts to put in a group or take out of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupContacts {
    /// Up to 1,000 contact ids; ids of no contact here change nothing.
    pub contact_ids: Vec<String>,
}

/// How many contacts a call changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Changed {
    pub changed: u64,
}

pub async fn list_groups(db: &Db, member: &Member) -> Result<Vec<ApiGroup>> {
    Ok(groups::list(db, member)
        .await?
        .into_iter()
        .map(ApiGroup::from)
        .collect())
}

pub async fn get_group(db: &Db, member: &Member, id: &str) -> Result<ApiGroup> {
    Ok(groups::get(db, member, id).await?.into())
}

pub async fn create_group(
    db: &Db,
    actor: &Actor,
    member: &Member,
    input: &GroupInput,
) -> Result<ApiGroup> {
    Ok(groups::create(db, actor, member, &input.name).await?.into())
}

pub async fn delete_group(db: &Db, actor: &Actor, member: &Member, id: &str) -> Result<()> {
    groups::delete(db, actor, member, id).await
}

/// Puts contacts in a group (or takes them out).
pub async fn group_contacts(
    db: &Db,
    member: &Member,
    group_id: &str,
    input: &GroupContacts,
    add: bool,
) -> Result<Changed> {
    groups::get(db, member, group_id).await?;
    let changed = if add {
        groups::add(db, member, group_id, &input.contact_ids).await?
    } else {
        groups::remove(db, member, group_id, &input.contact_ids).await?
    };
    Ok(Changed { changed })
}
