//! The create-cluster form (`app::api::create`) with one or more pools. "Update the estimate",
//! "Add a pool", "Remove pool N" and refusals come back to the form with everything typed (and
//! the field at fault, e.g. `pool2_size`); "Create" goes to the new cluster's page.

use app::model::create::{pool_field, read_pools, TypedPool, MAX_POOLS_AT_CREATION};
use app::routes::{cluster_path, CREATE_PATH};
use std::collections::HashMap;

use app::api::create::ssr::CreateConsole;
use app::model::create::{CreateChoices, CreatePage, PriceList};

use super::port::person;
use super::request::ConsoleRequest;
use super::session::signed_in;
use super::{Console, ConsoleCaller, ConsoleError, Done};
use crate::domain::model::KubeVersionEntry;
use crate::domain::requests::{NewCluster, NewPool};
use crate::domain::DomainError;
use crate::state::AppState;

/// The form as posted: the cluster's fields and its pools (`pools` = how many, then
/// `pool1_name`, `pool1_size`, … as [`pool_field`] names them).
#[derive(Debug, Default)]
pub struct CreateForm {
    intent: String,
    project: String,
    region: String,
    name: String,
    version: String,
    cni: String,
    cluster_type: String,
    pools: Vec<TypedPool>,
}

/// A field of the form at fault and the reason, for the person.
type Refusal = (String, String);

impl CreateForm {
    fn read(fields: &[(String, String)]) -> Self {
        let get = |key: &str| {
            fields
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        };
        let text = |key: &str| get(key).unwrap_or_default();
        CreateForm {
            intent: text("intent"),
            project: text("project"),
            region: text("region"),
            name: text("name"),
            version: text("version"),
            cni: text("cni"),
            cluster_type: text("type"),
            pools: read_pools(&get),
        }
    }

    /// The form again, with what was typed and, when refused, the field and the reason.
    fn back(&self, problem: Option<(&str, &str)>) -> String {
        let mut pairs: Vec<(String, String)> = [
            ("project", &self.project),
            ("region", &self.region),
            ("name", &self.name),
            ("version", &self.version),
            ("cni", &self.cni),
            ("type", &self.cluster_type),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value.clone()))
        .collect();
        pairs.push(("pools".into(), self.pools.len().to_string()));
        for (index, pool) in self.pools.iter().enumerate() {
            pairs.extend(pool.pairs(index + 1));
        }
        if let Some((field, message)) = problem {
            pairs.push(("problem".into(), "invalid".into()));
            pairs.push(("field".into(), field.into()));
            pairs.push(("message".into(), message.into()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(key, value)| {
                format!(
                    "{key}={}",
                    url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
                )
            })
            .collect();
        format!("{CREATE_PATH}?{}", query.join("&"))
    }

    fn refused(&self, (field, message): Refusal) -> ConsoleError {
        ConsoleError::Back(self.back(Some((&field, &message))))
    }

    /// "Add a pool": one more fieldset, pre-filled, up to the limit.
    fn add_pool(&mut self) -> Result<(), Refusal> {
        if self.pools.len() >= MAX_POOLS_AT_CREATION {
            return Err((
                "pools".into(),
                format!(
                    "a new cluster takes at most {MAX_POOLS_AT_CREATION} pools; add more from its pools tab once it exists"
                ),
            ));
        }
        let taken: Vec<&str> = self.pools.iter().map(|pool| pool.name.trim()).collect();
        let fresh = TypedPool::fresh(&taken);
        self.pools.push(fresh);
        Ok(())
    }

    /// "Remove pool N" (numbered from 1), unless it is the last one.
    fn remove_pool(&mut self, number: &str) -> Result<(), Refusal> {
        let index = number
            .parse::<usize>()
            .ok()
            .filter(|number| (1..=self.pools.len()).contains(number))
            .map(|number| number - 1)
            .ok_or_else(|| ("pools".to_string(), format!("there is no pool {number}")))?;
        if self.pools.len() == 1 {
            return Err((
                "pools".into(),
                "a cluster needs at least one pool".to_string(),
            ));
        }
        self.pools.remove(index);
        Ok(())
    }

    /// The pools to ask the provider for, with each one's lifespan, or the first field at
    /// fault. The provider checks the rest (node types, size limits, names) on its own.
    fn new_pools(&self) -> Result<Vec<(NewPool, Option<u32>)>, Refusal> {
        let mut seen: Vec<&str> = Vec::new();
        let mut pools = Vec::new();
        for (index, typed) in self.pools.iter().enumerate() {
            let number = index + 1;
            let field = |name: &str| pool_field(number, name);
            let name = typed.name.trim();
            if !name.is_empty() && seen.contains(&name) {
                return Err((
                    field("name"),
                    format!(
                        "another pool is already named `{name}`: each pool needs a name of its own"
                    ),
                ));
            }
            seen.push(name);
            let whole = |name: &str, text: &str| {
                text.trim().parse::<i64>().map_err(|_| {
                    let message = if text.trim().is_empty() {
                        "enter a number of nodes, 0 to 500".to_string()
                    } else {
                        format!("`{text}` is not a whole number")
                    };
                    (field(name), message)
                })
            };
            let (size, min_size, max_size) = if typed.autoscaling {
                let least = whole("min_size", &typed.min_size)?;
                let most = whole("max_size", &typed.max_size)?;
                if least > most {
                    return Err((
                        field("max_size"),
                        format!("with autoscaling, \"at most\" ({most}) must be at least \"at least\" ({least})"),
                    ));
                }
                (least, Some(least), Some(most))
            } else {
                (whole("size", &typed.size)?, None, None)
            };
            let lifespan = super::cluster::lifespan_field(&typed.lifespan)
                .map_err(|reason| (field("lifespan"), reason.to_string()))?;
            pools.push((
                NewPool {
                    name: Some(name.to_string()),
                    node_type: Some(typed.node_type.clone()),
                    size: Some(size),
                    autoscaling: Some(typed.autoscaling),
                    min_size,
                    max_size,
                    autohealing: Some(typed.autohealing),
                    ..NewPool::default()
                },
                lifespan,
            ));
        }
        Ok(pools)
    }
}

/// The form's field for an argument the provider refused: `pools[1].size` is `pool2_size`.
fn field_of_argument(argument: &str) -> String {
    if let Some(rest) = argument.strip_prefix("pools[") {
        let Some((index, field)) = rest.split_once(']') else {
            return "pools".into();
        };
        let Ok(index) = index.parse::<usize>() else {
            return "pools".into();
        };
        let field = field.trim_start_matches('.');
        let shown = match field.split(['.', '[']).next().unwrap_or_default() {
            known @ ("name" | "node_type" | "size" | "min_size" | "max_size") => known,
            "autoscaling" => "max_size",
            // Settings the form does not show are reported on the pool's name.
            _ => "name",
        };
        return pool_field(index + 1, shown);
    }
    match argument.split(['[', '.']).next().unwrap_or_default() {
        "pools" => "pools".into(),
        field @ ("name" | "version" | "cni" | "type" | "project") => field.into(),
        _ => "name".into(),
    }
}

pub async fn create_cluster(
    state: &AppState,
    headers: &ConsoleRequest,
    fields: HashMap<String, String>,
) -> Result<Done, ConsoleError> {
    let (_, user) = signed_in(state, headers).await?;
    let fields: Vec<(String, String)> = fields.into_iter().collect();
    let mut form = CreateForm::read(&fields);
    let intent = form.intent.clone();
    match intent.as_str() {
        "create" => {}
        "add-pool" => {
            return match form.add_pool() {
                // Straight to the new pool's fieldset.
                Ok(()) => Ok(Done::to(format!(
                    "{}#pool-{}",
                    form.back(None),
                    form.pools.len()
                ))),
                Err(refusal) => Err(form.refused(refusal)),
            };
        }
        other => {
            return match other.strip_prefix("remove-pool-") {
                Some(number) => match form.remove_pool(number) {
                    Ok(()) => Ok(Done::to(form.back(None))),
                    Err(refusal) => Err(form.refused(refusal)),
                },
                // "Update the estimate" (and Enter in a field): the form again, with figures.
                None => Ok(Done::to(form.back(None))),
            };
        }
    }
    let Some(access) = user
        .projects
        .iter()
        .find(|access| access.project_id == form.project && access.role.can_change())
    else {
        return Err(form.refused((
            "project".into(),
            "you may not create clusters in this project".into(),
        )));
    };
    let pools = form.new_pools().map_err(|refusal| form.refused(refusal))?;
    let lifespans: Vec<(String, Option<u32>)> = pools
        .iter()
        .map(|(pool, lifespan)| (pool.name.clone().unwrap_or_default(), *lifespan))
        .collect();
    let spec = NewCluster {
        name: Some(form.name.trim().to_string()),
        version: Some(form.version.clone()),
        cni: Some(form.cni.clone()),
        cluster_type: Some(form.cluster_type.clone()),
        description: Some(String::new()),
        pools: Some(pools.into_iter().map(|(pool, _)| pool).collect()),
        ..NewCluster::default()
    };
    let caller = access.caller().from_source(headers.source.clone());
    match state
        .service
        .create_cluster(&caller, &form.region, spec)
        .await
    {
        Ok(cluster) => {
            // Each pool's lifespan is Wheelhouse's, kept above the port: matched by name
            // (names are unique within a cluster).
            let id = crate::domain::ids::ClusterId::from(cluster.id.clone());
            match state.service.list_pools(&caller, &form.region, &id).await {
                Ok(made) => {
                    for pool in made {
                        let Some((_, lifespan)) =
                            lifespans.iter().find(|(name, _)| *name == pool.name)
                        else {
                            continue;
                        };
                        let pool_id = crate::domain::ids::PoolId::from(pool.id);
                        if let Err(error) = state
                            .freshness()
                            .set_lifespan(&caller, &form.region, &pool_id, *lifespan)
                            .await
                        {
                            tracing::warn!(%error, "a new pool's lifespan was not kept");
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "the new cluster's pools were not listed for their lifespans");
                }
            }
            Ok(Done::to(cluster_path(&form.region, &cluster.id)))
        }
        Err(DomainError::InvalidArguments(arguments)) => {
            let first = arguments.first();
            let field = first
                .map(|argument| field_of_argument(&argument.argument_name))
                .unwrap_or_else(|| "name".into());
            let message = first.map(|a| a.help_message.clone()).unwrap_or_default();
            Err(form.refused((field, message)))
        }
        Err(DomainError::QuotaExceeded(reason)) => Err(form.refused(("pools".into(), reason))),
        Err(DomainError::AlreadyExists { .. }) => Err(form.refused((
            "name".into(),
            "a cluster of this project already has this name".into(),
        ))),
        Err(error) => {
            tracing::warn!(%error, "cluster creation refused");
            Err(form.refused((
                "name".into(),
                "the provider refused to create the cluster; try again".into(),
            )))
        }
    }
}

#[async_trait::async_trait]
impl CreateConsole for Console {
    async fn create_choices(&self, caller: &ConsoleCaller) -> Result<CreatePage, ConsoleError> {
        self.load_create_choices(&ConsoleRequest::of(caller))
            .await
            .map_err(ConsoleError::Failed)
    }

    async fn create_cluster(
        &self,
        caller: &ConsoleCaller,
        fields: HashMap<String, String>,
    ) -> Result<Done, ConsoleError> {
        create_cluster(&self.state, &ConsoleRequest::of(caller), fields).await
    }
}

/// The page's read, for the request's person.
impl Console {
    pub(super) async fn load_create_choices(
        &self,
        request: &ConsoleRequest,
    ) -> Result<CreatePage, String> {
        let state = &self.state;
        let failed = |error: &dyn std::fmt::Display| {
            tracing::error!(%error, "the create form could not be loaded");
            "the form could not be loaded; try again in a moment".to_string()
        };
        let Some((_, user)) = person(state, request)
            .await
            .map_err(|()| failed(&"the session could not be looked up"))?
        else {
            return Ok(CreatePage::SignedOut);
        };
        let now = state.clock.now();
        let versions = state
            .service
            .list_versions(self.state.service.regions()[0])
            .await
            .map_err(|e| failed(&e))?;
        let offered: Vec<&KubeVersionEntry> = versions
            .iter()
            .filter(|v| !v.is_deprecated_at(now) && !v.is_end_of_life_at(now))
            .collect();
        let mut cnis: Vec<String> = Vec::new();
        for version in &offered {
            for cni in &version.available_cnis {
                if !cnis.contains(cni) {
                    cnis.push(cni.clone());
                }
            }
        }
        let types = state
            .service
            .list_cluster_types(self.state.service.regions()[0])
            .await
            .map_err(|e| failed(&e))?;
        let prices = state.service.price_list();
        Ok(CreatePage::Ready(Box::new(CreateChoices {
            projects: user
                .projects
                .iter()
                .filter(|access| access.role.can_change())
                .map(|access| (access.project_id.clone(), access.project_name.clone()))
                .collect(),
            regions: self
                .state
                .service
                .regions()
                .iter()
                .map(|r| r.to_string())
                .collect(),
            versions: offered.iter().map(|v| v.name.clone()).collect(),
            cnis,
            cluster_types: types.iter().map(|t| t.name.clone()).collect(),
            node_types: self
                .state
                .service
                .node_types()
                .iter()
                .map(|n| n.to_string())
                .collect(),
            prices: prices.map(|p| PriceList {
                currency: p.currency,
                about: p.about,
                control_plane_per_hour: per_hour_in_micros(p.control_plane_per_hour),
                node_per_hour: per_hour_in_micros(p.node_per_hour),
            }),
        })))
    }
}

/// A price list's figures in millionths (the console's estimate counts in whole numbers).
fn per_hour_in_micros(prices: Vec<(String, f64)>) -> Vec<(String, u64)> {
    prices
        .into_iter()
        .map(|(name, price)| (name, app::model::create::micros(price)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_arguments_land_beside_the_pool_at_fault() {
        assert_eq!(field_of_argument("pools[1].size"), "pool2_size");
        assert_eq!(field_of_argument("pools[0].node_type"), "pool1_node_type");
        assert_eq!(field_of_argument("pools[2].max_size"), "pool3_max_size");
        assert_eq!(field_of_argument("pools[0].labels.a"), "pool1_name");
        assert_eq!(field_of_argument("pools"), "pools");
        assert_eq!(field_of_argument("version"), "version");
        assert_eq!(field_of_argument("feature_gates[0]"), "name");
    }

    fn form(pools: &[(&str, &str)]) -> CreateForm {
        let mut fields = vec![("pools".to_string(), pools.len().to_string())];
        for (index, (name, size)) in pools.iter().enumerate() {
            let mut pool = TypedPool::fresh(&[]);
            pool.name = name.to_string();
            pool.size = size.to_string();
            fields.extend(pool.pairs(index + 1));
        }
        CreateForm::read(&fields)
    }

    #[test]
    fn the_first_field_at_fault_is_named_by_its_pool() {
        let refusal = form(&[("a", "1"), ("a", "1")]).new_pools().unwrap_err();
        assert_eq!(refusal.0, "pool2_name");
        let refusal = form(&[("a", "1"), ("b", "two")]).new_pools().unwrap_err();
        assert_eq!(refusal.0, "pool2_size");
        assert!(refusal.1.contains("`two`"), "{refusal:?}");
        let refusal = form(&[("a", "1"), ("b", " ")]).new_pools().unwrap_err();
        assert_eq!(
            refusal,
            (
                "pool2_size".to_string(),
                "enter a number of nodes, 0 to 500".to_string()
            )
        );
        let pools = form(&[("a", "1"), ("b", "2")]).new_pools().expect("valid");
        assert_eq!(pools.len(), 2);
        assert_eq!(pools[1].0.size, Some(2));
        assert_eq!(pools[1].1, Some(30), "the recommended lifespan comes along");
    }

    #[test]
    fn pools_are_added_up_to_the_limit_and_removed_down_to_one() {
        let mut form = form(&[("default", "1")]);
        form.add_pool().expect("a second");
        assert_eq!(form.pools[1].name, "pool-2");
        while form.pools.len() < MAX_POOLS_AT_CREATION {
            form.add_pool().expect("up to the limit");
        }
        assert_eq!(form.add_pool().unwrap_err().0, "pools");
        form.remove_pool("2").expect("removed");
        assert_eq!(form.pools.len(), MAX_POOLS_AT_CREATION - 1);
        assert!(form.pools.iter().all(|pool| pool.name != "pool-2"));
        assert!(form.remove_pool("99").is_err());
        while form.pools.len() > 1 {
            form.remove_pool("1").expect("removed");
        }
        assert_eq!(form.remove_pool("1").unwrap_err().0, "pools");
    }
}
