//! Ordering and pages of lists, as Scaleway's `order_by`, `page` and `page_size` describe them.
//! Orders are an enum (no SQL text travels from a request), and versions sort as versions:
//! 1.35.10 comes after 1.35.9.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::model::{Cluster, Node, Pool};
use super::version::KubeVersion;
use super::DomainError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderField {
    CreatedAt,
    UpdatedAt,
    Name,
    Status,
    Version,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListOrder {
    pub field: OrderField,
    pub ascending: bool,
}

impl Default for ListOrder {
    fn default() -> Self {
        ListOrder {
            field: OrderField::CreatedAt,
            ascending: true,
        }
    }
}

impl ListOrder {
    /// `created_at_asc`, `name_desc`, …; anything else is refused.
    pub fn parse(text: &str) -> Result<ListOrder, DomainError> {
        const FIELDS: [(&str, OrderField); 5] = [
            ("created_at", OrderField::CreatedAt),
            ("updated_at", OrderField::UpdatedAt),
            ("name", OrderField::Name),
            ("status", OrderField::Status),
            ("version", OrderField::Version),
        ];
        for (name, field) in FIELDS {
            if text == format!("{name}_asc") {
                return Ok(ListOrder {
                    field,
                    ascending: true,
                });
            }
            if text == format!("{name}_desc") {
                return Ok(ListOrder {
                    field,
                    ascending: false,
                });
            }
        }
        Err(DomainError::invalid(
            "order_by",
            "constraint",
            format!(
                "unknown order `{}`: use e.g. created_at_asc or name_desc",
                super::input::shorten(text)
            ),
        ))
    }
}

/// What a listed object is ordered by.
pub trait Listed {
    fn id(&self) -> &str;
    fn name(&self) -> &str;
    fn status(&self) -> &str;
    fn version(&self) -> &str;
    fn created_at(&self) -> DateTime<Utc>;
    fn updated_at(&self) -> DateTime<Utc>;
}

macro_rules! listed {
    ($type:ty) => {
        impl Listed for $type {
            fn id(&self) -> &str {
                &self.id
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn status(&self) -> &str {
                self.status.as_str()
            }
            fn version(&self) -> &str {
                &self.version
            }
            fn created_at(&self) -> DateTime<Utc> {
                self.created_at
            }
            fn updated_at(&self) -> DateTime<Utc> {
                self.updated_at
            }
        }
    };
}

listed!(Cluster);
listed!(Pool);
listed!(Node);

fn compare<T: Listed>(a: &T, b: &T, field: OrderField) -> Ordering {
    match field {
        OrderField::CreatedAt => a.created_at().cmp(&b.created_at()),
        OrderField::UpdatedAt => a.updated_at().cmp(&b.updated_at()),
        OrderField::Name => a.name().cmp(b.name()),
        OrderField::Status => a.status().cmp(b.status()),
        OrderField::Version => a
            .version()
            .parse::<KubeVersion>()
            .ok()
            .cmp(&b.version().parse::<KubeVersion>().ok()),
    }
}

/// Sorts by the order, then by id so that pages are stable.
pub fn sort<T: Listed>(items: &mut [T], order: ListOrder) {
    items.sort_by(|a, b| {
        let by_field = compare(a, b, order.field);
        let by_field = if order.ascending {
            by_field
        } else {
            by_field.reverse()
        };
        by_field.then_with(|| a.id().cmp(b.id()))
    });
}

/// One page (from 1) of `page_size` items.
pub fn page<T: Clone>(items: &[T], page: i64, page_size: i64) -> Vec<T> {
    items
        .iter()
        .skip(((page.max(1) - 1) * page_size.max(0)) as usize)
        .take(page_size.max(0) as usize)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_parsed_and_unknown_ones_refused() {
        assert_eq!(
            ListOrder::parse("version_desc").ok(),
            Some(ListOrder {
                field: OrderField::Version,
                ascending: false
            })
        );
        assert!(ListOrder::parse("name;drop").is_err());
        assert!(ListOrder::parse("created_at").is_err());
    }
}
