//! Building list queries from optional filters, and reading rows back the same way in
//! every store: instants as microseconds since the epoch, local dates as `YYYY-MM-DD`
//! text (which sorts like the dates), enums by name.

use jiff::{Timestamp, civil::Date};
use sqlx::{Row, any::AnyRow};

use crate::{
    auth::OrgScope,
    clock::{from_micros, to_micros},
};

/// An optional instant as stored.
pub fn opt_micros(ts: Option<Timestamp>) -> Option<i64> {
    ts.map(to_micros)
}

/// The instant in column `col`.
pub fn ts(row: &AnyRow, col: &str) -> sqlx::Result<Timestamp> {
    Ok(from_micros(row.try_get(col)?))
}

/// The optional instant in column `col`.
pub fn opt_ts(row: &AnyRow, col: &str) -> sqlx::Result<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_micros))
}

/// The local date stored as text in column `col`.
pub fn date(row: &AnyRow, col: &str) -> sqlx::Result<Date> {
    let text: String = row.try_get(col)?;
    text.parse()
        .map_err(|e: jiff::Error| sqlx::Error::ColumnDecode {
            index: col.to_owned(),
            source: e.into(),
        })
}

/// The enum stored by name in column `col`, read back with `parse`.
pub fn parsed<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> sqlx::Result<T> {
    let text: String = row.try_get(col)?;
    parse(&text).ok_or_else(|| corrupt(col, &format!("{text:?}")))
}

/// A stored value this code cannot read: a bug or a hand-edited row, never the caller's.
pub fn corrupt(col: &str, what: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_owned(),
        source: format!("unexpected stored value {what}").into(),
    }
}

/// A `WHERE` clause made of only the filters actually given. PostgreSQL then plans each
/// combination with its indexes; a catch-all `($1 = '' OR col = $1)` can end up with a
/// cached generic plan that ignores them. Every bound value is text; columns and fixed
/// conditions come from the service's own code, never from input.
#[derive(Debug, Default)]
pub struct Where {
    conditions: Vec<String>,
    binds: Vec<String>,
}

impl Where {
    fn param(&mut self, value: &str) -> String {
        self.binds.push(value.to_owned());
        format!("${}", self.binds.len())
    }

    /// `column = value`, unless `value` is empty.
    pub fn eq(&mut self, column: &str, value: &str) -> &mut Self {
        if !value.is_empty() {
            let p = self.param(value);
            self.conditions.push(format!("{column} = {p}"));
        }
        self
    }

    /// `column > value` (keyset paging, ascending), unless `value` is empty.
    pub fn after(&mut self, column: &str, value: &str) -> &mut Self {
        if !value.is_empty() {
            let p = self.param(value);
            self.conditions.push(format!("{column} > {p}"));
        }
        self
    }

    /// `column < value` (keyset paging, descending), unless `value` is empty.
    pub fn before(&mut self, column: &str, value: &str) -> &mut Self {
        if !value.is_empty() {
            let p = self.param(value);
            self.conditions.push(format!("{column} < {p}"));
        }
        self
    }

    /// A fixed condition written by the caller (no input in it).
    pub fn raw(&mut self, condition: &str) -> &mut Self {
        self.conditions.push(condition.to_owned());
        self
    }

    /// The region path `path` or below it, unless `path` is empty. Paths are validated
    /// slugs ([`crate::auth::is_region_path`]), so `LIKE` sees no wildcard but ours.
    pub fn under_region(&mut self, column: &str, path: &str) -> &mut Self {
        if !path.is_empty() {
            let p = self.param(path);
            self.conditions
                .push(format!("({column} = {p} OR {column} LIKE {p} || '/%')"));
        }
        self
    }

    /// Only what `scope` covers.
    pub fn in_scope(
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

    /// The values bound so far, in parameter order.
    pub fn binds(&self) -> &[String] {
        &self.binds
    }

    /// `select`, then ` WHERE …` (or nothing), then `tail` with `{limit}` replaced by the
    /// next parameter.
    pub fn finish(&self, select: &str, tail: &str) -> (String, &[String]) {
        let mut sql = select.to_owned();
        if !self.conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.conditions.join(" AND "));
        }
        sql.push(' ');
        sql.push_str(&tail.replace("{limit}", &format!("${}", self.binds.len() + 1)));
        (sql, &self.binds)
    }

    /// [`finish`](Self::finish) as a query with the filters' values bound; the caller binds
    /// whatever `tail` adds (the `{limit}`) after them.
    pub fn query(
        &self,
        select: &str,
        tail: &str,
    ) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let (sql, binds) = self.finish(select, tail);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b.as_str());
        }
        q
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
            .after("id", "")
            .raw("z IS NULL");
        let (sql, binds) = w.finish("SELECT * FROM t", "ORDER BY id LIMIT {limit}");
        assert_eq!(
            sql,
            "SELECT * FROM t WHERE (r = $1 OR r LIKE $1 || '/%') AND y = $2 AND z IS NULL \
             ORDER BY id LIMIT $3"
        );
        assert_eq!(binds, ["guangdong", "1"]);
        let none = Where::default();
        let (sql, binds) = none.finish("SELECT 1", "LIMIT {limit}");
        assert_eq!((sql.as_str(), binds.len()), ("SELECT 1 LIMIT $1", 0));
    }
}
