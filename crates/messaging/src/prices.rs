//! Each workspace's price per message by channel kind, from which the API quotes a
//! message's `cost_estimate` (per SMS segment for SMS). Prices are decimals with up to six
//! places, kept as text and computed in millionths, so nothing is lost to floating point.

use crate::Messaging;
use msgbuddy_core::audit::{self, Entry};
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Result};
use msgbuddy_domain::message::ChannelKind;
use msgbuddy_domain::{AppError, Permission};
use sqlx::{AnyConnection, Row};

/// `"0.012"` as 12 000 millionths.
pub fn parse(raw: &str) -> Result<i64, AppError> {
    let bad =
        || AppError::invalid_field("price", "Use a price such as 0.012 (up to six decimals).");
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || whole.len() > 9
        || frac.len() > 6
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
    Ok(whole * 1_000_000 + frac)
}

/// Millionths as a decimal with at least three places: 12 000 is `"0.012"`.
pub fn format(micros: i64) -> String {
    let whole = micros / 1_000_000;
    let mut frac = format!("{:06}", micros % 1_000_000);
    while frac.len() > 3 && frac.ends_with('0') {
        frac.pop();
    }
    format!("{whole}.{frac}")
}

/// The price of one message (one SMS segment) on `kind`, in millionths; 0 when unset.
pub async fn of(conn: &mut AnyConnection, workspace_id: &str, kind: ChannelKind) -> Result<i64> {
    let row = sqlx::query("SELECT price FROM channel_prices WHERE workspace_id = $1 AND kind = $2")
        .bind(workspace_id)
        .bind(kind.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?
        .and_then(|p| parse(&p).ok())
        .unwrap_or(0))
}

/// Every kind's price, for the settings page.
pub async fn list(m: &Messaging, member: &Member) -> Result<Vec<(ChannelKind, String)>> {
    member.require(Permission::SettingsView)?;
    let mut conn = m.db().reader().acquire().await?;
    let mut out = Vec::new();
    for kind in ChannelKind::ALL {
        out.push((
            kind,
            format(of(&mut conn, &member.workspace_id, kind).await?),
        ));
    }
    Ok(out)
}

pub async fn set(
    m: &Messaging,
    member: &Member,
    actor: &Actor,
    kind: ChannelKind,
    price: &str,
) -> Result<()> {
    member.require(Permission::SettingsEdit)?;
    let micros = parse(price)?;
    let mut tx = m.db().begin_write().await?;
    let before = format(of(&mut tx, &member.workspace_id, kind).await?);
    sqlx::query(
        "INSERT INTO channel_prices (workspace_id, kind, price) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, kind) DO UPDATE SET price = excluded.price",
    )
    .bind(&member.workspace_id)
    .bind(kind.as_str())
    .bind(format(micros))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            workspace_id: Some(&member.workspace_id),
            action: "channel.price_changed",
            target_type: "channel_kind",
            target_id: Some(kind.as_str()),
            before: Some(serde_json::json!({ "price": before })),
            after: Some(serde_json::json!({ "price": format(micros) })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_and_format_without_rounding() {
        assert_eq!(parse("0.012"), Ok(12_000));
        assert_eq!(parse("1"), Ok(1_000_000));
        assert_eq!(parse("0.000001"), Ok(1));
        for bad in ["", "-1", "0.0000001", "1e3", "abc", ".5"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format(12_000), "0.012");
        assert_eq!(format(36_000), "0.036");
        assert_eq!(format(1), "0.000001");
        assert_eq!(format(2_500_000), "2.500");
        assert_eq!(format(0), "0.000");
    }
}
