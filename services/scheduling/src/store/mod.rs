//! SQL, and nothing else: portable statements over [`sqlx::Any`] for PostgreSQL and SQLite.
//! Instants are stored as microseconds, booleans as 0/1, local dates as `YYYY-MM-DD` text
//! (which sorts like the dates).

pub mod appointments;
pub mod branches;
pub mod catalogue;
pub mod slots;
pub mod visits;

use jiff::{Timestamp, civil::Date};
use service_kit::{
    auth::OrgScope,
    clock::{from_micros, to_micros},
};
use sqlx::{Row, any::AnyRow};

/// A `WHERE` clause made of only the filters actually given. PostgreSQL then plans each
/// combination with its indexes; a catch-all `($1 = '' OR col = $1)` can end up with a
/// cached generic plan that ignores them. Every bound value is text; columns come from our
/// own code, never from input.
#[derive(Debug, Default)]
pub(crate) struct Where {
    conditions: Vec<String>,
    binds: Vec<String>,
}

impl Where {
    fn param(&mut self, value: &str) -> String {
        self.binds.push(value.to_owned());
        format!("${}", self.binds.len())
    }

    /// `column = value`, unless `value` is empty.
    pub(crate) fn eq(&mut self, column: &str, value: &str) -> &mut Self {
        if !value.is_empty() {
            let p = self.param(value);
            self.conditions.push(format!("{column} = {p}"));
        }
        self
    }

    /// `column > value` (keyset paging), unless `value` is empty.
    pub(crate) fn after(&mut self, column: &str, value: &str) -> &mut Self {
        if !value.is_empty() {
            let p = self.param(value);
            self.conditions.push(format!("{column} > {p}"));
        }
        self
    }

    /// The region path `path` or below it, unless `path` is empty. Paths are validated
    /// slugs, so `LIKE` sees no wildcard but ours.
    pub(crate) fn under_region(&mut self, column: &str, path: &str) -> &mut Self {
        if !path.is_empty() {
            let p = self.param(path);
            self.conditions
                .push(format!("({column} = {p} OR {column} LIKE {p} || '/%')"));
        }
        self
    }

    /// Only what `scope` covers.
    pub(crate) fn in_scope(
        &mut self,
        branch_column: &str,
        region_column: &str,
        scope: &OrgScope,
    ) -> &mut Self {
        match scope {
            OrgScope::Group => self,
            OrgScope::Region(path) => self.under_region(region_column, path),
            OrgScope::Branch(id) => self.eq(branch_column, id),
        }
    }

    /// `WHERE …` (or nothing), then `tail` with `{limit}` replaced by the next parameter.
    pub(crate) fn finish(&self, select: &str, tail: &str) -> (String, &[String]) {
        let mut sql = select.to_owned();
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
        sql.push(' ');
        sql.push_str(&tail.replace("{limit}", &format!("${}", self.binds.len() + 1)));
        (sql, &self.binds)
    }
}

pub(crate) fn micros(ts: Timestamp) -> i64 {
    to_micros(ts)
}

pub(crate) fn opt_micros(ts: Option<Timestamp>) -> Option<i64> {
    ts.map(to_micros)
}

pub(crate) fn ts(row: &AnyRow, col: &str) -> sqlx::Result<Timestamp> {
    Ok(from_micros(row.try_get(col)?))
}

pub(crate) fn opt_ts(row: &AnyRow, col: &str) -> sqlx::Result<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_micros))
}

pub(crate) fn date_text(d: Date) -> String {
    d.to_string()
}

pub(crate) fn parse_date(row: &AnyRow, col: &str) -> sqlx::Result<Date> {
    let text: String = row.try_get(col)?;
    text.parse()
        .map_err(|e: jiff::Error| sqlx::Error::ColumnDecode {
            index: col.to_owned(),
            source: e.into(),
        })
}

pub(crate) fn corrupt(col: &str, what: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_owned(),
        source: format!("unexpected stored value for {what}").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_given_filters_reach_the_sql() {
        let mut w = Where::default();
        w.in_scope("b", "r", &OrgScope::Region("guangdong".into()))
            .eq("x", "")
            .eq("y", "1")
            .after("id", "");
        let (sql, binds) = w.finish("SELECT * FROM t", "ORDER BY id LIMIT {limit}");
        assert_eq!(
            sql,
            "SELECT * FROM t WHERE (r = $1 OR r LIKE $1 || '/%') AND y = $2 ORDER BY id LIMIT $3"
        );
        assert_eq!(binds, ["guangdong", "1"]);
        let none = Where::default();
        let (sql, binds) = none.finish("SELECT 1", "LIMIT {limit}");
        assert_eq!((sql.as_str(), binds.len()), ("SELECT 1 LIMIT $1", 0));
    }
}
