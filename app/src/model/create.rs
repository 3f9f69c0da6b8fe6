//! The create-cluster form: its choices (from the provider), what was typed, and the estimate.

use serde::{Deserialize, Serialize};

/// A provider's list prices, per hour, for the estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceList {
    pub currency: String,
    /// What the list is, said plainly (e.g. "the sandbox provider's list, not Scaleway's").
    pub about: String,
    pub control_plane_per_hour: Vec<(String, f64)>,
    pub node_per_hour: Vec<(String, f64)>,
}

/// Hours in an average month, as cloud providers bill.
pub const HOURS_PER_MONTH: f64 = 730.0;

impl PriceList {
    fn price(list: &[(String, f64)], name: &str) -> Option<f64> {
        list.iter()
            .find(|(n, _)| n == name)
            .map(|(_, price)| *price)
    }

    /// Monthly cost (lowest, highest) for a control-plane type and pools of
    /// (node type, nodes at least, nodes at most); `None` if a price is unknown.
    pub fn monthly(&self, cluster_type: &str, pools: &[(String, i64, i64)]) -> Option<(f64, f64)> {
        let control = Self::price(&self.control_plane_per_hour, cluster_type)?;
        let mut low = control;
        let mut high = control;
        for (node_type, least, most) in pools {
            let node = Self::price(&self.node_per_hour, node_type)?;
            low += node * (*least as f64);
            high += node * (*most as f64);
        }
        Some((low * HOURS_PER_MONTH, high * HOURS_PER_MONTH))
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

/// Scaleway's instance types a pool may use (the same list as the server's).
pub const NODE_TYPE_NAMES: &[&str] = &[
    "dev1_m",
    "dev1_l",
    "dev1_xl",
    "gp1_xs",
    "gp1_s",
    "gp1_m",
    "pro2_xxs",
    "pro2_xs",
    "pro2_s",
    "pro2_m",
    "pop2_2c_8g",
    "pop2_4c_16g",
    "pop2_8c_32g",
    "pop2_hm_4c_32g",
];

/// Where the form is and posts.
pub const CREATE_PATH: &str = "/clusters/new";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_adds_control_plane_and_nodes_per_month() {
        let prices = PriceList {
            currency: "EUR".into(),
            about: String::new(),
            control_plane_per_hour: vec![("kapsule".into(), 0.0), ("dedicated".into(), 0.1)],
            node_per_hour: vec![("small".into(), 0.1)],
        };
        let (low, high) = prices
            .monthly("dedicated", &[("small".into(), 2, 4)])
            .expect("known");
        assert!((low - 0.3 * 730.0).abs() < 1e-9);
        assert!((high - 0.5 * 730.0).abs() < 1e-9);
        assert_eq!(prices.monthly("kapsule", &[("huge".into(), 1, 1)]), None);
    }
}
