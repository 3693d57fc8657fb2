//! Saved segments: the builder's live count and preview, and saving, changing and
//! deleting segments.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::contact::{ContactRow, Tag};
use msgbuddy_domain::custom_field::FieldDefinition;
use msgbuddy_domain::segment::{Condition, Segment};
use serde::{Deserialize, Serialize};

/// The segments page: saved segments, what conditions can name, and the segment being
/// built with its count and first contacts (or why it cannot run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentsView {
    pub segments: Vec<Segment>,
    pub fields: Vec<FieldDefinition>,
    pub tags: Vec<Tag>,
    pub groups: Vec<msgbuddy_domain::contact::Group>,
    /// The segment opened for editing (`edit=<id>`).
    pub editing: Option<Segment>,
    pub count: Option<Result<(i64, Vec<ContactRow>), AppError>>,
    pub can_edit: bool,
}

/// Tag and group conditions name a tag or group by id; the builder's text box may hold
/// its name.
#[cfg(feature = "ssr")]
fn with_ids(
    mut segment: Segment,
    tags: &[Tag],
    groups: &[msgbuddy_domain::contact::Group],
) -> Segment {
    for c in &mut segment.conditions {
        let named =
            |id: &str, name: &str| id == c.value || name.eq_ignore_ascii_case(c.value.trim());
        let id = match c.field.as_str() {
            "tag" => tags
                .iter()
                .find(|t| named(&t.id, &t.name))
                .map(|t| t.id.clone()),
            "group" => groups
                .iter()
                .find(|g| named(&g.id, &g.name))
                .map(|g| g.id.clone()),
            _ => None,
        };
        if let Some(id) = id {
            c.value = id;
        }
    }
    segment
}

#[server(input = GetUrl, endpoint = "segments/view")]
pub async fn load_segments(
    workspace_id: String,
    edit: Option<String>,
    build: Option<Segment>,
) -> Result<SegmentsView, AppError> {
    use msgbuddy_contacts::segments;
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::custom_field::FieldScope;
    let (_, member) = crate::server::member(&workspace_id, Permission::ContactsView).await?;
    let db = crate::server::db()?;
    let tags = msgbuddy_contacts::tags::list(&db, &member).await?;
    let groups = msgbuddy_contacts::groups::list(&db, &member).await?;
    let editing = match edit.filter(|e| !e.is_empty()) {
        Some(id) => Some(segments::get(&db, &member, &id).await?),
        None => None,
    };
    let count = match build.filter(|b| !b.conditions.is_empty()) {
        Some(segment) => {
            let segment = with_ids(segment, &tags, &groups);
            let counted = async {
                let n = segments::count(&db, &member, &segment).await?;
                let rows = segments::preview(&db, &member, &segment, 10).await?;
                Ok::<_, msgbuddy_core::Error>((n, rows))
            };
            Some(counted.await.map_err(msgbuddy_core::Error::into_app_error))
        }
        None => None,
    };
    Ok(SegmentsView {
        segments: segments::list(&db, &member).await?,
        fields: msgbuddy_contacts::definitions::list(&db, &member, FieldScope::Contact).await?,
        tags,
        groups,
        editing,
        count,
        can_edit: member.role.can(Permission::ContactsEdit),
    })
}

#[server(endpoint = "segments/save")]
pub async fn save_segment(
    csrf_token: String,
    workspace_id: String,
    #[server(default)] segment_id: String,
    name: String,
    #[server(default)] match_all: String,
    #[server(default)] conditions: Vec<Condition>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_contacts::segments;
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    let db = db()?;
    let tags = msgbuddy_contacts::tags::list(&db, &member).await?;
    let groups = msgbuddy_contacts::groups::list(&db, &member).await?;
    let segment = with_ids(
        Segment {
            id: segment_id.clone(),
            name: name.clone(),
            match_all: match_all != "any",
            conditions,
        },
        &tags,
        &groups,
    );
    let id = if segment_id.is_empty() {
        segments::create(
            &db,
            &actor(&user),
            &member,
            &name,
            segment.match_all,
            &segment.conditions,
        )
        .await?
    } else {
        segments::update(
            &db,
            &actor(&user),
            &member,
            &segment_id,
            &name,
            segment.match_all,
            &segment.conditions,
        )
        .await?;
        segment_id
    };
    redirect(&format!("/w/{workspace_id}/contacts?segment={id}"));
    Ok(())
}

#[server(endpoint = "segments/delete")]
pub async fn delete_segment(
    csrf_token: String,
    workspace_id: String,
    segment_id: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use crate::server::{actor, db, member, redirect};
    use msgbuddy_domain::Permission;
    let (user, member) = member(&workspace_id, Permission::ContactsEdit).await?;
    msgbuddy_contacts::segments::delete(&db()?, &actor(&user), &member, &segment_id).await?;
    redirect(&format!("/w/{workspace_id}/contacts/segments"));
    Ok(())
}
