//! The create-cluster form: its choices (from the provider), what was typed, and the estimate.

use serde::{Deserialize, Serialize};

/// A provider's list prices, per hour, for the estimate, in millionths of the currency: whole
/// numbers, so the browser's estimate needs no floating-point parsing or formatting (which would
/// weigh on the wasm every console page loads).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceList {
    pub currency: String,
    /// What the list is, said plainly (e.g. "the sandbox provider's list, not Scaleway's").
    pub about: String,
    pub control_plane_per_hour: Vec<(String, u64)>,
    pub node_per_hour: Vec<(String, u64)>,
}

/// Hours in an average month, as cloud providers bill.
pub const HOURS_PER_MONTH: u64 = 730;

/// Millionths of the currency in one unit of it.
pub const MICROS: u64 = 1_000_000;

/// A price per hour as the list gives it, in millionths.
pub fn micros(price: f64) -> u64 {
    (price.max(0.0) * MICROS as f64).round() as u64
}

impl PriceList {
    fn price(list: &[(String, u64)], name: &str) -> Option<u64> {
        list.iter()
            .find(|(n, _)| n == name)
            .map(|(_, price)| *price)
    }

    /// The estimate of a control-plane type and the pools typed: every pool is counted.
    pub fn estimate(&self, cluster_type: &str, pools: &[TypedPool]) -> Estimate {
        let currency = &self.currency;
        let mut lines = Vec::new();
        let mut problem = None;
        match Self::price(&self.control_plane_per_hour, cluster_type) {
            Some(price) => lines.push(format!(
                "Control plane {cluster_type}: {} {currency}/h × {HOURS_PER_MONTH} h = {}",
                rate(price),
                money(price * HOURS_PER_MONTH, price * HOURS_PER_MONTH, currency)
            )),
            None => {
                problem = Some(format!(
                    "no list price for the control plane `{cluster_type}`"
                ))
            }
        }
        let mut counted = Vec::new();
        for (index, pool) in pools.iter().enumerate() {
            let number = index + 1;
            let shown = match pool.name.trim() {
                "" => format!("Pool {number}"),
                name => format!("Pool {number} ({name})"),
            };
            let Some(price) = Self::price(&self.node_per_hour, &pool.node_type) else {
                problem.get_or_insert(format!("no list price for node type `{}`", pool.node_type));
                continue;
            };
            let Some((least, most)) = pool.bounds() else {
                problem.get_or_insert(format!("{shown}: type whole numbers of nodes"));
                continue;
            };
            if least > most {
                problem.get_or_insert(format!(
                    "{shown}: set \"at least\" no higher than \"at most\""
                ));
                continue;
            }
            let nodes = if least == most {
                format!("{least}")
            } else {
                format!("{least} to {most}")
            };
            let monthly = price.saturating_mul(HOURS_PER_MONTH);
            lines.push(format!(
                "{shown}: {} {currency}/h × {HOURS_PER_MONTH} h × {nodes} {} = {}",
                rate(price),
                pool.node_type,
                money(
                    monthly.saturating_mul(least.unsigned_abs()),
                    monthly.saturating_mul(most.unsigned_abs()),
                    currency
                )
            ));
            counted.push((pool.node_type.clone(), least, most));
        }
        let total = match problem {
            Some(problem) => format!("No estimate yet: {problem}."),
            None => match self.monthly(cluster_type, &counted) {
                Some((low, high)) if cents(low) == cents(high) => {
                    format!("about {} {currency} per month", amount(low))
                }
                Some((low, high)) => {
                    format!("{} to {} {currency} per month", amount(low), amount(high))
                }
                None => "No estimate: no list price for this choice.".to_string(),
            },
        };
        Estimate { total, lines }
    }

    /// Monthly cost (lowest, highest) in millionths, for a control-plane type and pools of
    /// (node type, nodes at least, nodes at most); `None` if a price is unknown.
    pub fn monthly(&self, cluster_type: &str, pools: &[(String, i64, i64)]) -> Option<(u64, u64)> {
        let control = Self::price(&self.control_plane_per_hour, cluster_type)?;
        let mut low = control;
        let mut high = control;
        for (node_type, least, most) in pools {
            let node = Self::price(&self.node_per_hour, node_type)?;
            low = low.saturating_add(node.saturating_mul(least.unsigned_abs()));
            high = high.saturating_add(node.saturating_mul(most.unsigned_abs()));
        }
        Some((
            low.saturating_mul(HOURS_PER_MONTH),
            high.saturating_mul(HOURS_PER_MONTH),
        ))
    }
}

/// What the form offers, from the provider's catalog and the person's projects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateChoices {
    /// (project id, project name) where the person may create.
    pub projects: Vec<(String, String)>,
    pub regions: Vec<String>,
    /// Versions new clusters may use (not deprecated), newest first.
    pub versions: Vec<String>,
    pub cnis: Vec<String>,
    pub cluster_types: Vec<String>,
    pub node_types: Vec<String>,
    pub prices: Option<PriceList>,
}

/// `None` when nobody is signed in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CreatePage {
    Ready(Box<CreateChoices>),
    SignedOut,
}

/// The most pools the form takes at creation (the provider may take more; more can be added later).
pub const MAX_POOLS_AT_CREATION: usize = 10;

/// The name of a pool's field in the form and its query: `pool2_size` for pool 2's size.
/// Pools are numbered from 1, as the page shows them.
pub fn pool_field(number: usize, field: &str) -> String {
    format!("pool{number}_{field}")
}

/// One pool as typed in the form, kept as text so a refused form comes back as it was typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TypedPool {
    pub name: String,
    pub node_type: String,
    pub size: String,
    pub autoscaling: bool,
    pub min_size: String,
    pub max_size: String,
    pub autohealing: bool,
    /// Node lifespan in days; empty turns it off.
    pub lifespan: String,
}

impl TypedPool {
    /// A pool nobody has typed in yet: `taken` are the names of the pools already in the form,
    /// so a new one gets a name of its own. New pools get the recommended lifespan.
    pub fn fresh(taken: &[&str]) -> Self {
        let name = if taken.is_empty() {
            "default".to_string()
        } else {
            (2..)
                .map(|number| format!("pool-{number}"))
                .find(|name| !taken.contains(&name.as_str()))
                .unwrap_or_default()
        };
        TypedPool {
            name,
            node_type: "pro2_xs".into(),
            size: "3".into(),
            autoscaling: false,
            min_size: "1".into(),
            max_size: "5".into(),
            autohealing: true,
            lifespan: super::cluster::RECOMMENDED_LIFESPAN_DAYS.to_string(),
        }
    }

    /// Pool `number` of a form or a query (`get` reads one field; an unchecked box is absent).
    pub fn read(number: usize, get: &impl Fn(&str) -> Option<String>) -> Self {
        let text = |field: &str| get(&pool_field(number, field)).unwrap_or_default();
        TypedPool {
            name: text("name"),
            node_type: text("node_type"),
            size: text("size"),
            autoscaling: get(&pool_field(number, "autoscaling")).is_some(),
            min_size: text("min_size"),
            max_size: text("max_size"),
            autohealing: get(&pool_field(number, "autohealing")).is_some(),
            lifespan: text("lifespan"),
        }
    }

    /// The fields of pool `number` as a form would send them (checked boxes only).
    pub fn pairs(&self, number: usize) -> Vec<(String, String)> {
        let mut pairs = vec![
            (pool_field(number, "name"), self.name.clone()),
            (pool_field(number, "node_type"), self.node_type.clone()),
            (pool_field(number, "size"), self.size.clone()),
            (pool_field(number, "min_size"), self.min_size.clone()),
            (pool_field(number, "max_size"), self.max_size.clone()),
            (pool_field(number, "lifespan"), self.lifespan.clone()),
        ];
        if self.autoscaling {
            pairs.push((pool_field(number, "autoscaling"), "yes".into()));
        }
        if self.autohealing {
            pairs.push((pool_field(number, "autohealing"), "yes".into()));
        }
        pairs
    }

    /// Nodes at least and at most, as far as the text allows (for the estimate only).
    fn bounds(&self) -> Option<(i64, i64)> {
        let number = |text: &str| text.trim().parse::<i64>().ok().filter(|n| *n >= 0);
        if self.autoscaling {
            Some((number(&self.min_size)?, number(&self.max_size)?))
        } else {
            let size = number(&self.size)?;
            Some((size, size))
        }
    }
}

/// The pools of a form or a query: its `pools` count (1 when absent, at most
/// [`MAX_POOLS_AT_CREATION`]), each read with [`TypedPool::read`].
pub fn read_pools(get: &impl Fn(&str) -> Option<String>) -> Vec<TypedPool> {
    let count = get("pools")
        .and_then(|count| count.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_POOLS_AT_CREATION);
    (1..=count)
        .map(|number| TypedPool::read(number, get))
        .collect()
}

/// The monthly cost of what is typed, line by line, so the figure says how it is made.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// The total, or why there is none yet.
    pub total: String,
    /// "Control plane …" then one line per pool: price per hour × 730 h × nodes.
    pub lines: Vec<String>,
}

fn money(low: u64, high: u64, currency: &str) -> String {
    if cents(low) == cents(high) {
        format!("{} {currency}", amount(low))
    } else {
        format!("{} to {} {currency}", amount(low), amount(high))
    }
}

/// Millionths rounded to the nearest cent.
fn cents(micros: u64) -> u64 {
    micros.saturating_add(5_000) / 10_000
}

/// An amount to the cent: `219.00`.
fn amount(micros: u64) -> String {
    let cents = cents(micros);
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A price per hour with the decimals it has: `0.1`, `0.0425`, `2`.
fn rate(micros: u64) -> String {
    let fraction = micros % MICROS;
    if fraction == 0 {
        return (micros / MICROS).to_string();
    }
    let digits = format!("{fraction:06}");
    format!("{}.{}", micros / MICROS, digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_adds_control_plane_and_nodes_per_month() {
        let prices = PriceList {
            currency: "EUR".into(),
            about: String::new(),
            control_plane_per_hour: vec![("kapsule".into(), 0), ("dedicated".into(), micros(0.1))],
            node_per_hour: vec![("small".into(), micros(0.1))],
        };
        let (low, high) = prices
            .monthly("dedicated", &[("small".into(), 2, 4)])
            .expect("known");
        assert_eq!((low, high), (219 * MICROS, 365 * MICROS));
        assert_eq!(
            (amount(low), amount(high)),
            ("219.00".into(), "365.00".into())
        );
        assert_eq!(prices.monthly("kapsule", &[("huge".into(), 1, 1)]), None);
    }

    #[test]
    fn the_estimate_counts_every_pool_and_says_how() {
        let prices = PriceList {
            currency: "EUR".into(),
            about: String::new(),
            control_plane_per_hour: vec![("dedicated".into(), micros(0.1))],
            node_per_hour: vec![("small".into(), micros(0.1)), ("big".into(), micros(0.4))],
        };
        let first = TypedPool {
            node_type: "small".into(),
            size: "2".into(),
            ..TypedPool::fresh(&[])
        };
        let second = TypedPool {
            node_type: "big".into(),
            autoscaling: true,
            min_size: "1".into(),
            max_size: "3".into(),
            ..TypedPool::fresh(&["default"])
        };
        let estimate = prices.estimate("dedicated", &[first.clone(), second.clone()]);
        // (0.1 + 0.1 × 2 + 0.4) × 730 and (0.1 + 0.1 × 2 + 0.4 × 3) × 730.
        assert_eq!(estimate.total, "511.00 to 1095.00 EUR per month");
        assert_eq!(estimate.lines.len(), 3, "{estimate:?}");
        assert!(
            estimate.lines[2].starts_with("Pool 2 (pool-2): 0.4 EUR/h × 730 h × 1 to 3 big"),
            "{estimate:?}"
        );

        let unpriced = TypedPool {
            node_type: "huge".into(),
            ..second.clone()
        };
        assert!(prices
            .estimate("dedicated", &[first.clone(), unpriced])
            .total
            .contains("no list price for node type `huge`"));
        let upside_down = TypedPool {
            min_size: "4".into(),
            ..second
        };
        assert!(prices
            .estimate("dedicated", &[first, upside_down])
            .total
            .starts_with("No estimate yet: Pool 2"));
    }

    #[test]
    fn prices_and_amounts_print_without_floating_point() {
        assert_eq!(rate(micros(0.0425)), "0.0425");
        assert_eq!(rate(micros(2.0)), "2");
        assert_eq!(rate(micros(0.09)), "0.09");
        assert_eq!(amount(micros(65.7)), "65.70");
        assert_eq!(amount(micros(0.004_999)), "0.00");
        assert_eq!(amount(micros(0.005)), "0.01");
        assert_eq!(
            amount(u64::MAX),
            format!(
                "{}.{:02}",
                (u64::MAX / 10_000) / 100,
                (u64::MAX / 10_000) % 100
            )
        );
    }

    #[test]
    fn typed_pools_round_trip_through_a_query() {
        let pools = [
            TypedPool::fresh(&[]),
            TypedPool {
                autoscaling: true,
                autohealing: false,
                lifespan: String::new(),
                ..TypedPool::fresh(&["default"])
            },
        ];
        let mut pairs = vec![("pools".to_string(), "2".to_string())];
        for (index, pool) in pools.iter().enumerate() {
            pairs.extend(pool.pairs(index + 1));
        }
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        assert_eq!(read_pools(&get), pools.to_vec());
        assert_eq!(pools[1].name, "pool-2");
        assert_eq!(
            pools[0].lifespan, "30",
            "new pools get the recommended lifespan"
        );
        let many = |key: &str| (key == "pools").then(|| "500".to_string());
        assert_eq!(read_pools(&many).len(), MAX_POOLS_AT_CREATION);
        assert_eq!(read_pools(&|_: &str| None).len(), 1);
        assert_eq!(
            TypedPool::fresh(&["default", "pool-2"]).name,
            "pool-3",
            "a fresh name is one no pool has"
        );
    }
}
