//! A `WHERE` clause built a condition at a time, with its values bound in placeholder
//! order, for the list's and search's dynamic filters.

pub(crate) enum Value {
    Text(String),
    Int(i64),
}

/// A `WHERE` being built, with its values in placeholder order.
#[derive(Default)]
pub(crate) struct Conditions {
    pub sql: Vec<String>,
    pub values: Vec<Value>,
}

impl Conditions {
    /// The placeholder of a new value.
    pub fn value(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }
    pub fn text(&mut self, v: &str) -> String {
        self.value(Value::Text(v.to_owned()))
    }
    pub fn int(&mut self, v: i64) -> String {
        self.value(Value::Int(v))
    }
    pub fn and(&mut self, condition: String) {
        self.sql.push(condition);
    }
    /// A query of `sql` with every value bound.
    pub fn bind(
        &self,
        sql: String,
    ) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in &self.values {
            query = match value {
                Value::Text(t) => query.bind(t.clone()),
                Value::Int(i) => query.bind(*i),
            };
        }
        query
    }
}
