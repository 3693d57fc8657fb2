//! Search over every message of the workspace.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::message::{ChannelView, SearchHit};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchView {
    pub hits: Vec<SearchHit>,
    /// The `after` of the next page, if there is one.
    pub next: Option<String>,
    /// The channels to filter by.
    pub channels: Vec<ChannelView>,
}

/// The search form's fields, as the page's query string has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub direction: Option<String>,
    /// A day, `2026-11-01` (UTC).
    #[serde(default)]
    pub since: Option<String>,
    /// The last day, `2026-11-30` (UTC), included.
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

#[server(input = GetUrl, endpoint = "search")]
pub async fn search_messages(
    workspace_id: String,
    #[server(default)] params: SearchParams,
    #[server(default)] test: bool,
) -> Result<SearchView, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::message::Direction;
    use msgbuddy_inbox::search::{self, Search};
    let (_, member) = crate::server::member(&workspace_id, Permission::ConversationsView).await?;
    let m = crate::server::messaging()?;
    let channels = msgbuddy_messaging::accounts::list(&m, &member).await?;
    let text = params.q.clone().unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(SearchView {
            hits: Vec::new(),
            next: None,
            channels,
        });
    }
    let direction =
        match params.direction.as_deref().filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(Direction::parse(d).ok_or_else(|| {
                AppError::invalid_field("direction", "Choose inbound or outbound.")
            })?),
        };
    let results = search::search(
        &m,
        &member,
        &Search {
            text,
            channel_id: params.channel.clone(),
            contact_id: None,
            direction,
            since_ms: super::utc_day("since", params.since.as_deref())?,
            until_ms: super::utc_day("until", params.until.as_deref())?.map(|d| d + 86_400_000),
            is_test: test,
            after: params.after.clone(),
            limit: 25,
        },
    )
    .await?;
    Ok(SearchView {
        hits: results.hits,
        next: results.next,
        channels,
    })
}
