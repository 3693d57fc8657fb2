//! The rows an import refused, as a CSV a person opens in a spreadsheet: the line, why,
//! and the row as the file had it. Cells come from uploaded files, so none may start a
//! formula when the report is opened.

use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Db, Error, Result};
use msgbuddy_domain::{AppError, Permission};
use sqlx::Row;

pub use crate::spreadsheet::guard_formula;
use crate::spreadsheet::record;

/// Errors read per query while the report is written.
const PAGE: i64 = 5_000;

/// The refused rows of an import of the member's workspace, in line order, as one text.
pub async fn errors_csv(db: &Db, member: &Member, import_id: &str) -> Result<String> {
    let mut report = errors_report(db, member, import_id).await?;
    let mut out = String::new();
    while let Some(part) = report.next_chunk().await? {
        out.push_str(&part);
    }
    Ok(out)
}

/// The same report a page of rows at a time, for a download that starts at once however
/// many rows were refused.
pub async fn errors_report(db: &Db, member: &Member, import_id: &str) -> Result<ErrorReport> {
    member.require(Permission::ContactsView)?;
    sqlx::query(
        "SELECT 1 FROM contact_imports WHERE id = $1 AND workspace_id = $2 AND is_test = $3",
    )
    .bind(import_id)
    .bind(&member.workspace_id)
    .bind(member.test_flag())
    .fetch_optional(db.reader())
    .await?
    .ok_or_else(|| Error::App(AppError::not_found()))?;
    Ok(ErrorReport {
        db: db.clone(),
        import_id: import_id.to_owned(),
        after: None,
        done: false,
    })
}

/// An errors report being written.
pub struct ErrorReport {
    db: Db,
    import_id: String,
    /// The last line written; `None` before the header.
    after: Option<i64>,
    done: bool,
}

impl ErrorReport {
    /// The next part of the CSV, `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        if self.done {
            return Ok(None);
        }
        let Some(after) = self.after else {
            self.after = Some(0);
            return Ok(Some(record(&["line", "reason", "row"])));
        };
        let rows = sqlx::query(
            "SELECT line, reason, raw FROM contact_import_errors WHERE import_id = $1 AND line > $2 \
             ORDER BY line LIMIT $3",
        )
        .bind(&self.import_id)
        .bind(after)
        .bind(PAGE)
        .fetch_all(self.db.reader())
        .await?;
        if i64::try_from(rows.len()).unwrap_or(0) < PAGE {
            self.done = true;
        }
        if rows.is_empty() {
            return Ok(None);
        }
        let mut out = String::new();
        for row in &rows {
            let line: i64 = row.try_get(0)?;
            let reason: String = row.try_get(1)?;
            let raw: String = row.try_get(2)?;
            out.push_str(&record(&[&line.to_string(), &reason, &raw]));
            self.after = Some(line);
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_cells_quoted() {
        for (cell, shown) in [
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
            ),
            ("+1+2", "'+1+2"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Ana", "Ana"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(guard_formula(cell), shown, "{cell:?}");
        }
        assert_eq!(
            record(&["2", "Name: bad", "=cmd|' /C calc'!A0,\"x\"\nnext"]),
            "2,Name: bad,\"'=cmd|' /C calc'!A0,\"\"x\"\"\nnext\"\r\n"
        );
        assert_eq!(record(&["line", "reason", "row"]), "line,reason,row\r\n");
    }
}
