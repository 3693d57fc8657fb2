//! Each member's say in how they hear of each kind of notification: in the app, by
//! browser push, both or neither. Kinds a member never set are on.

use msgbuddy_core::Db;
use msgbuddy_core::Result;
use msgbuddy_core::workspaces::Member;
use msgbuddy_domain::notification::{NotificationKind, Preference};
use sqlx::{AnyConnection, Row};

/// The member's preference for every kind, in [`NotificationKind::ALL`]'s order.
pub async fn all(db: &Db, member: &Member) -> Result<Vec<Preference>> {
    let rows = sqlx::query(
        "SELECT kind, in_app, push FROM notification_preferences WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(&member.workspace_id)
    .bind(&member.user_id)
    .fetch_all(db.reader())
    .await?;
    let mut out: Vec<Preference> = NotificationKind::ALL
        .into_iter()
        .map(Preference::default_for)
        .collect();
    for row in &rows {
        let kind: String = row.try_get(0)?;
        if let Some(p) = out.iter_mut().find(|p| p.kind.as_str() == kind) {
            p.in_app = row.try_get::<i64, _>(1)? != 0;
            p.push = row.try_get::<i64, _>(2)? != 0;
        }
    }
    Ok(out)
}

/// Keeps the member's preferences: every kind, as given (a kind left out is off both
/// ways, as an unticked form field is).
pub async fn save(db: &Db, member: &Member, preferences: &[Preference]) -> Result<()> {
    let mut tx = db.begin_write().await?;
    for kind in NotificationKind::ALL {
        let p = preferences
            .iter()
            .find(|p| p.kind == kind)
            .copied()
            .unwrap_or(Preference {
                kind,
                in_app: false,
                push: false,
            });
        sqlx::query(
            "INSERT INTO notification_preferences (workspace_id, user_id, kind, in_app, push) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (workspace_id, user_id, kind) DO UPDATE SET in_app = excluded.in_app, push = excluded.push",
        )
        .bind(&member.workspace_id)
        .bind(&member.user_id)
        .bind(kind.as_str())
        .bind(i64::from(p.in_app))
        .bind(i64::from(p.push))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One member's preference for one kind, read in the caller's transaction.
pub(crate) async fn of(
    conn: &mut AnyConnection,
    workspace_id: &str,
    user_id: &str,
    kind: NotificationKind,
) -> Result<Preference> {
    let row = sqlx::query(
        "SELECT in_app, push FROM notification_preferences WHERE workspace_id = $1 AND user_id = $2 AND kind = $3",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => Preference {
            kind,
            in_app: r.try_get::<i64, _>(0)? != 0,
            push: r.try_get::<i64, _>(1)? != 0,
        },
        None => Preference::default_for(kind),
    })
}
