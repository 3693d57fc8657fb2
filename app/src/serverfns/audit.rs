//! Browsing the audit log.

use leptos::prelude::*;
// Reads are GET requests: safe, cacheable, and outside the CSRF check that guards writes.
use leptos::server_fn::codec::GetUrl;
use msgbuddy_domain::AppError;
use msgbuddy_domain::views::AuditRecord;

#[server(input = GetUrl, endpoint = "audit/list")]
pub async fn list_audit(
    workspace_id: String,
    action: Option<String>,
    actor_email: Option<String>,
    before_ms: Option<i64>,
) -> Result<Vec<AuditRecord>, AppError> {
    use msgbuddy_core::audit;
    use msgbuddy_domain::Permission;
    let (_, member) = crate::server::member(&workspace_id, Permission::AuditLogView).await?;
    let filter = msgbuddy_domain::views::AuditFilter {
        action,
        actor_email,
        before_ms,
        limit: Some(100),
    };
    Ok(audit::list(&crate::server::db()?, &member.workspace_id, &filter).await?)
}
