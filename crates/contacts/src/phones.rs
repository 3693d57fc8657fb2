//! A contact's other phone numbers, beside the main one: each in E.164, at most
//! [`MAX_OTHER_PHONES`], and each one belonging to one contact of the workspace and mode,
//! whether as its main number or another. Messages from any of them reach the contact.

use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Error, Result};
use msgbuddy_domain::AppError;
use sqlx::{AnyConnection, Row};

/// The most other numbers a contact keeps.
pub const MAX_OTHER_PHONES: usize = 5;

/// The numbers as given, normalised, without repeats or the main number.
pub fn check(raw: &[String], main: Option<&str>) -> std::result::Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for given in raw.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let phone = crate::phone::normalise(given, None)
            .map_err(|m| AppError::invalid_field("phones", format!("{given}: {m}")))?;
        if Some(phone.as_str()) != main && !out.contains(&phone) {
            out.push(phone);
        }
    }
    if out.len() > MAX_OTHER_PHONES {
        return Err(AppError::invalid_field(
            "phones",
            format!("A contact keeps at most {MAX_OTHER_PHONES} other numbers."),
        ));
    }
    Ok(out)
}

/// Refuses `phone` as a number of `contact_id` when another contact of the workspace and
/// mode has it as one of its other numbers (`field` names the input).
pub async fn check_free_as_main(
    conn: &mut AnyConnection,
    member: &Member,
    contact_id: &str,
    phone: &str,
    field: &str,
) -> Result<()> {
    let taken = sqlx::query(
        "SELECT 1 FROM contact_phones WHERE workspace_id = $1 AND is_test = $2 AND phone = $3 AND contact_id <> $4",
    )
    .bind(&member.workspace_id)
    .bind(member.test_flag())
    .bind(phone)
    .bind(contact_id)
    .fetch_optional(&mut *conn)
    .await?;
    match taken {
        Some(_) => {
            Err(AppError::invalid_field(field, "Another contact has this phone number.").into())
        }
        None => Ok(()),
    }
}

/// Makes the contact's other numbers exactly `phones` (from [`check`]).
pub async fn set(
    conn: &mut AnyConnection,
    member: &Member,
    contact_id: &str,
    phones: &[String],
) -> Result<()> {
    for phone in phones {
        check_free_as_main(conn, member, contact_id, phone, "phones").await?;
        let main = sqlx::query(
            "SELECT 1 FROM contacts WHERE workspace_id = $1 AND is_test = $2 AND phone = $3 AND id <> $4",
        )
        .bind(&member.workspace_id)
        .bind(member.test_flag())
        .bind(phone)
        .bind(contact_id)
        .fetch_optional(&mut *conn)
        .await?;
        if main.is_some() {
            return Err(AppError::invalid_field(
                "phones",
                format!("Another contact has the number {phone}."),
            )
            .into());
        }
    }
    sqlx::query("DELETE FROM contact_phones WHERE contact_id = $1")
        .bind(contact_id)
        .execute(&mut *conn)
        .await?;
    for (position, phone) in phones.iter().enumerate() {
        sqlx::query(
            "INSERT INTO contact_phones (contact_id, workspace_id, is_test, phone, position) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(contact_id)
        .bind(&member.workspace_id)
        .bind(member.test_flag())
        .bind(phone)
        .bind(i64::try_from(position).unwrap_or_default())
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            let e = Error::from(e);
            if e.is_unique_violation("contact_phones_phone_key", "contact_phones.phone") {
                AppError::invalid_field("phones", format!("Another contact has the number {phone}."))
                    .into()
            } else {
                e
            }
        })?;
    }
    Ok(())
}

/// The contact's other numbers, in the order given.
pub async fn of(conn: &mut AnyConnection, contact_id: &str) -> Result<Vec<String>> {
    let rows =
        sqlx::query("SELECT phone FROM contact_phones WHERE contact_id = $1 ORDER BY position")
            .bind(contact_id)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_numbers_are_normalised_once_each_and_bounded() {
        let given = ["+91 98765 43210", "+919876543210", " ", "+1 415 555 0100"].map(String::from);
        assert_eq!(
            check(&given, Some("+14155550100")).expect("valid"),
            ["+919876543210"]
        );
        let bad = check(&["12".to_owned()], None).expect_err("refused");
        assert_eq!(bad.field(), Some("phones"));
        let many: Vec<String> = (0..6).map(|i| format!("+1415555010{i}")).collect();
        assert!(check(&many, None).is_err());
    }
}
