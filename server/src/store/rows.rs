//! Conversions between database columns and domain values: unix milliseconds, JSON text.

use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;

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
