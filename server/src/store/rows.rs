//! Conversions between database columns and domain values: unix milliseconds, JSON text.

use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

pub fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub fn time(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .unwrap_or_default()
}

pub fn get_time(row: &AnyRow, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    Ok(time(row.try_get::<i64, _>(column)?))
}

pub fn get_optional_time(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(time))
}

/// A JSON column; a value that does not parse is a corrupted row, reported as a decode error.
pub fn get_json<T: DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|error| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(error),
    })
}

pub fn json<T: serde::Serialize>(value: &T) -> String {
    // Serialising plain lists and maps cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

/// A flag: BOOLEAN in PostgreSQL, INTEGER 0/1 in SQLite (sqlx's `Any` has no SQLite booleans).
pub fn get_bool(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(flag) => Ok(flag),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

/// Joins the fields of a packed read (see [`packed`]); no identifier, status, version, image or
/// time contains it, and the last field (a name) takes the rest of the text whatever it holds.
pub const PACK_SEPARATOR: &str = "\u{1f}";

/// A `SELECT` expression packing several columns into one text value, `packed`, joined by
/// `$1` (bind [`PACK_SEPARATOR`] first). For reads of many rows: sqlx's `Any` driver costs per
/// value read, so one value per row reads several times faster than a dozen. Put a
/// free-text field last; give non-text columns as `CAST(x AS TEXT)` and nullable ones as
/// `COALESCE(x, '')`.
pub fn packed(expressions: &[&str]) -> String {
    format!("{} AS packed", expressions.join(" || $1 || "))
}

/// The fields of one packed value, read in order.
pub struct Packed<'a> {
    fields: std::str::SplitN<'a, &'static str>,
    what: &'static str,
}

impl<'a> Packed<'a> {
    pub fn new(row: &'a str, fields: usize, what: &'static str) -> Packed<'a> {
        Packed {
            fields: row.splitn(fields, PACK_SEPARATOR),
            what,
        }
    }

    fn next(&mut self) -> Result<&'a str, sqlx::Error> {
        self.fields
            .next()
            .ok_or_else(|| sqlx::Error::Decode(format!("a {} summary is short", self.what).into()))
    }

    pub fn text(&mut self) -> Result<String, sqlx::Error> {
        Ok(self.next()?.to_string())
    }

    /// Empty is none.
    pub fn optional_text(&mut self) -> Result<Option<String>, sqlx::Error> {
        let text = self.next()?;
        Ok((!text.is_empty()).then(|| text.to_string()))
    }

    pub fn int(&mut self) -> Result<i64, sqlx::Error> {
        let text = self.next()?;
        text.parse().map_err(|_| {
            sqlx::Error::Decode(
                format!("`{text}` is not a number in a {} summary", self.what).into(),
            )
        })
    }

    /// `1`/`0` (SQLite) or `true`/`false` (PostgreSQL).
    pub fn flag(&mut self) -> Result<bool, sqlx::Error> {
        Ok(matches!(self.next()?, "1" | "true" | "t"))
    }

    pub fn time(&mut self) -> Result<DateTime<Utc>, sqlx::Error> {
        Ok(time(self.int()?))
    }
}

/// The rows of a packed read: `SELECT` the packed `expressions` `rest` (a `FROM … WHERE …`
/// whose placeholders start at `$2`, bound to `values`), each parsed by `parse`.
pub async fn read_packed<T>(
    conn: &mut AnyConnection,
    expressions: &[&str],
    rest: &str,
    values: &[&str],
    parse: fn(Packed<'_>) -> Result<T, sqlx::Error>,
    what: &'static str,
) -> Result<Vec<T>, sqlx::Error> {
    let sql = format!("SELECT {} {rest}", packed(expressions));
    let mut query = sqlx::query(&sql).bind(PACK_SEPARATOR);
    for value in values {
        query = query.bind(*value);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get("packed")?;
            parse(Packed::new(&text, expressions.len(), what))
        })
        .collect()
}

/// Runs `sql` (whose conditions end with `{cluster}`) for one cluster or, with `None`, for
/// every cluster; `first` is bound as `$1` when given. Two fixed statements per read, so each
/// is prepared once and the one-cluster form uses the `cluster_id` index.
pub async fn rows_of_clusters(
    database: &super::Database,
    sql: &str,
    first: Option<i64>,
    cluster: Option<&str>,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let position = if first.is_some() { 2 } else { 1 };
    let condition = match cluster {
        Some(_) => format!(" AND cluster_id = ${position}"),
        None => String::new(),
    };
    let sql = sql.replace("{cluster}", &condition);
    let mut query = sqlx::query(&sql);
    if let Some(value) = first {
        query = query.bind(value);
    }
    if let Some(id) = cluster {
        query = query.bind(id);
    }
    let mut conn = database.pool().acquire().await?;
    query.fetch_all(&mut *conn).await
}
