//! The member's notification centre.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::notification::NotificationList;

#[server(input = GetUrl, endpoint = "notifications/list")]
pub async fn list_notifications(workspace_id: String) -> Result<NotificationList, AppError> {
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::WorkspaceView).await?;
    Ok(msgbuddy_notifications::list(&crate::server::db()?, &member).await?)
}

/// Marks one notification read, or every one when `notification_id` is empty.
#[server(endpoint = "notifications/read")]
pub async fn mark_notifications_read(
    csrf_token: String,
    workspace_id: String,
    #[server(default)] notification_id: Option<String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::WorkspaceView).await?;
    let one = notification_id.as_deref().filter(|id| !id.is_empty());
    msgbuddy_notifications::mark_read(&crate::server::db()?, &member, one).await?;
    crate::server::redirect(&format!("/w/{}/notifications", member.workspace_id));
    Ok(())
}

/// The member's notification preferences, and what a browser needs to subscribe to push.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PreferencesView {
    pub preferences: Vec<msgbuddy_domain::notification::Preference>,
    /// The server's VAPID public key (base64url), the browser's `applicationServerKey`.
    pub vapid_public_key: String,
    /// How many browsers receive the member's pushes.
    pub browsers: i64,
}

#[server(input = GetUrl, endpoint = "notifications/preferences")]
pub async fn get_preferences(workspace_id: String) -> Result<PreferencesView, AppError> {
    use msgbuddy_domain::Permission;
    use msgbuddy_notifications::{preferences, push};
    let (user, member) = crate::server::member(&workspace_id, Permission::WorkspaceView).await?;
    let pusher = crate::server::pusher()?;
    Ok(PreferencesView {
        preferences: preferences::all(&pusher.db, &member).await?,
        vapid_public_key: push::public_key(&pusher).await?,
        browsers: push::subscriptions(&pusher.db, &user.id).await?,
    })
}

/// Saves which kinds the member hears of in the app (`in_app[kind]=1`) and by push
/// (`push[kind]=1`); a kind not ticked is off.
#[server(endpoint = "notifications/preferences/save")]
pub async fn save_preferences(
    csrf_token: String,
    workspace_id: String,
    #[server(default)] in_app: std::collections::HashMap<String, String>,
    #[server(default)] push: std::collections::HashMap<String, String>,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_domain::Permission;
    use msgbuddy_domain::notification::{NotificationKind, Preference};
    let (_, member) = crate::server::member(&workspace_id, Permission::WorkspaceView).await?;
    for kind in in_app.keys().chain(push.keys()) {
        if NotificationKind::parse(kind).is_none() {
            return Err(AppError::validation(format!(
                "There is no kind of notification called {kind}."
            )));
        }
    }
    let on = |map: &std::collections::HashMap<String, String>, kind: NotificationKind| {
        map.get(kind.as_str()).is_some_and(|v| v == "1")
    };
    let chosen: Vec<Preference> = NotificationKind::ALL
        .into_iter()
        .map(|kind| Preference {
            kind,
            in_app: on(&in_app, kind),
            push: on(&push, kind),
        })
        .collect();
    msgbuddy_notifications::preferences::save(&crate::server::db()?, &member, &chosen).await?;
    crate::server::redirect(&format!(
        "/w/{}/notifications/preferences?saved=1",
        member.workspace_id
    ));
    Ok(())
}

/// Keeps this browser's push subscription (what `PushSubscription.toJSON()` gives).
#[server(endpoint = "push/subscribe")]
pub async fn subscribe_push(
    csrf_token: String,
    endpoint: String,
    p256dh: String,
    auth: String,
) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    use msgbuddy_notifications::push::{self, Subscription};
    let user = crate::server::require_user().await?;
    let s = Subscription {
        endpoint,
        p256dh,
        auth,
    };
    push::subscribe(&crate::server::pusher()?, &user.id, &s).await?;
    Ok(())
}

/// Forgets this browser's push subscription.
#[server(endpoint = "push/unsubscribe")]
pub async fn unsubscribe_push(csrf_token: String, endpoint: String) -> Result<(), AppError> {
    crate::server::verify_csrf(&csrf_token).await?;
    let user = crate::server::require_user().await?;
    msgbuddy_notifications::push::unsubscribe(&crate::server::db()?, &user.id, &endpoint).await?;
    Ok(())
}
