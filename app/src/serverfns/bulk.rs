//! One change to many conversations from the list: the ticked rows, or every conversation
//! the list's view and filters match.
// A form's fields are the server function's arguments, and the bulk bar has many.
#![allow(clippy::too_many_arguments)]

use super::conversations::ListParams;
use leptos::prelude::*;
use msgbuddy_domain::AppError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How a bulk change went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    /// Conversations now as asked.
    pub done: usize,
    /// Conversations that could not take the change: (id, reason).
    pub failed: Vec<(String, String)>,
}

/// Assigns (`assignee_id`; empty unassigns), claims, labels (`label_id`), unlabels or moves
/// to a `status` (a snooze with `snooze_hours`) the conversations ticked in `selected`
/// (`selected[<id>]=1`), or with `everything=1` all that `params` match.
#[server(endpoint = "conversations/bulk")]
pub async fn bulk_change(
    csrf_token: String,
    workspace_id: String,
    action: String,
    #[server(default)] test: Option<String>,
    #[server(default)] selected: HashMap<String, String>,
    #[server(default)] everything: Option<String>,
    #[server(default)] params: ListParams,
    #[server(default)] assignee_id: Option<String>,
    #[server(default)] label_id: Option<String>,
    #[server(default)] status: Option<String>,
    #[server(default)] snooze_hours: Option<String>,
) -> Result<BulkOutcome, AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use super::conversations::{list_query, status_change};
    use crate::server::{member, messaging, redirect};
    use msgbuddy_domain::Permission;
    use msgbuddy_inbox::assignment::Assign;
    use msgbuddy_inbox::bulk::{self, Action, Target};
    let (_, member) = member(&workspace_id, Permission::ConversationsReply).await?;
    let test = test.as_deref() == Some("1");
    let assignee = assignee_id.unwrap_or_default();
    let label = label_id.unwrap_or_default();
    let action = match action.as_str() {
        "assign" if assignee.is_empty() => Action::Assign(Assign::Unassign),
        "assign" => Action::Assign(Assign::To(&assignee)),
        "claim" => Action::Assign(Assign::Claim),
        "unassign" => Action::Assign(Assign::Unassign),
        "label" | "unlabel" if label.is_empty() => {
            return Err(AppError::invalid_field("label_id", "Choose a label."));
        }
        "label" => Action::Label {
            label_id: &label,
            on: true,
        },
        "unlabel" => Action::Label {
            label_id: &label,
            on: false,
        },
        "status" => Action::Status(status_change(
            status.as_deref().unwrap_or_default(),
            snooze_hours.as_deref(),
            None,
        )?),
        _ => {
            return Err(AppError::invalid_field(
                "action",
                "Choose assign, claim, unassign, label, unlabel or status.",
            ));
        }
    };
    let target = if everything.as_deref() == Some("1") {
        Target::Matching(list_query(&params, test, None)?)
    } else {
        Target::Chosen(
            selected
                .into_iter()
                .filter(|(_, on)| on == "1")
                .map(|(id, _)| id)
                .collect(),
        )
    };
    let outcome = bulk::apply(&messaging()?, &member, target, action).await?;
    let mut back = format!(
        "/w/{workspace_id}/conversations?bulk_done={}&bulk_failed={}",
        outcome.done,
        outcome.failed.len()
    );
    if test {
        back.push_str("&test=1");
    }
    back.push_str(&params.query_pairs());
    redirect(&back);
    Ok(BulkOutcome {
        done: outcome.done,
        failed: outcome.failed,
    })
}
