//! CSV as people open it, in a spreadsheet: RFC 4180 records, and no cell that the
//! spreadsheet would run. A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is a formula there (CSV injection), so it gets a leading `'`. Contacts and
//! imported rows come from customers and uploaded files, so every cell is guarded.

/// `cell` as a spreadsheet shows it and never runs it.
pub fn guard_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// A cell as it was before [`guard_formula`]: msgbuddy's own exports import again as
/// they were (a phone number `'+44…` is `+44…`).
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// One record, quoted where a cell holds a comma, a quote or a line break.
pub fn record<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let cell = guard_formula(cell.as_ref());
        if cell.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&cell);
        }
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guarded_cell_reads_back_as_it_was() {
        for cell in ["+447911123456", "=1+1", "-2", "plain", "'quoted", "'"] {
            assert_eq!(unguard(&guard_formula(cell)), cell);
        }
    }

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        let line = record(&[
            "=HYPERLINK(\"http://x\")",
            "+1 555",
            "a,b",
            "plain",
            "-2",
            "@SUM(A1)",
        ]);
        assert_eq!(
            line,
            "\"'=HYPERLINK(\"\"http://x\"\")\",'+1 555,\"a,b\",plain,'-2,'@SUM(A1)\r\n"
        );
    }
}
