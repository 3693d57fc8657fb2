//! SQL put together from the list's filters and a segment's conditions. Only fixed text
//! written here enters the statement; every value a user gives is a bound parameter
//! (peers have had SQL injection in exactly this kind of filter builder).

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

/// An optional number as text for `CAST($n AS DOUBLE PRECISION)`. sqlx's Any driver
/// binds a missing `f64` to PostgreSQL as a `float4` NULL, and a statement it prepared
/// that way then refuses the next row's real 8-byte number; a text parameter has one type
/// whatever it holds. Rust writes the shortest text that reads back as the same number.
pub fn real_text(number: Option<f64>) -> Option<String> {
    number.map(|n| n.to_string())
}

/// A value to bind.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Real(f64),
}

/// A statement and its parameters, numbered as they are pushed.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    pub(crate) values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    /// Appends fixed SQL. Never pass it anything a user wrote.
    pub fn push(&mut self, fixed: &str) -> &mut Self {
        self.text.push_str(fixed);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Value) -> &mut Self {
        self.values.push(value);
        self.text.push('$');
        self.text.push_str(&self.values.len().to_string());
        self
    }

    pub fn bind_text(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Value::Text(value.into()))
    }

    pub fn bind_int(&mut self, value: i64) -> &mut Self {
        self.bind(Value::Int(value))
    }

    /// Appends another statement part, its placeholders renumbered after these.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        let offset = self.values.len();
        let mut chars = other.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '$' {
                self.text.push(c);
                continue;
            }
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n * 10 + d as usize;
                chars.next();
            }
            self.text.push('$');
            self.text.push_str(&(n + offset).to_string());
        }
        self.values.extend(other.values);
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The statement with its values bound, ready to run.
    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.text.clone()));
        for v in &self.values {
            query = match v {
                Value::Text(s) => query.bind(s.clone()),
                Value::Int(n) => query.bind(*n),
                Value::Real(x) => query.bind(*x),
            };
        }
        query
    }

    pub async fn fetch_all(&self, conn: &mut AnyConnection) -> msgbuddy_core::Result<Vec<AnyRow>> {
        Ok(self.query().fetch_all(conn).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_numbered_in_order_and_parts_renumbered() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind_text("x").push(" AND b = ").bind_int(2);
        let mut part = Sql::new("c = ");
        part.bind_text("'; DROP TABLE contacts; --");
        sql.push(" AND ").append(part);
        assert_eq!(sql.text(), "SELECT 1 WHERE a = $1 AND b = $2 AND c = $3");
        assert_eq!(
            sql.values[2],
            Value::Text("'; DROP TABLE contacts; --".into())
        );
    }
}
