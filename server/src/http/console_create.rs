//! POST /clusters/new: the create-cluster form. "Estimate" and refusals come back to the form
//! with everything typed (and the field at fault); "Create" goes to the new cluster's page.

use app::model::cluster::cluster_path;
use app::model::create::CREATE_PATH;
use app::model::identity::{SESSION_COOKIE, SIGN_IN_PATH};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::session::{cookie, see_other};
use super::AppState;
use crate::domain::model::Caller;
use crate::domain::requests::{NewCluster, NewPool};
use crate::domain::DomainError;
use crate::services::identity;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateForm {
    intent: String,
    project: String,
    region: String,
    name: String,
    version: String,
    cni: String,
    #[serde(rename = "type")]
    cluster_type: String,
    pool_name: String,
    node_type: String,
    size: String,
    autoscaling: Option<String>,
    min_size: String,
    max_size: String,
    autohealing: Option<String>,
    /// The pool's node lifespan in days; empty turns it off.
    lifespan: String,
}

impl CreateForm {
    /// The form again, with what was typed and, when refused, the field and the reason.
    fn back(&self, problem: Option<(&str, &str)>) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("project", &self.project),
            ("region", &self.region),
            ("name", &self.name),
            ("version", &self.version),
            ("cni", &self.cni),
            ("type", &self.cluster_type),
            ("pool_name", &self.pool_name),
            ("node_type", &self.node_type),
            ("size", &self.size),
            ("min_size", &self.min_size),
            ("max_size", &self.max_size),
            ("lifespan", &self.lifespan),
        ];
        if self.autoscaling.is_some() {
            pairs.push(("autoscaling", "yes"));
        }
        if self.autohealing.is_some() {
            pairs.push(("autohealing", "yes"));
        }
        if let Some((field, message)) = problem {
            pairs.push(("problem", "invalid"));
            pairs.push(("field", field));
            pairs.push(("message", message));
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
}

fn number(field: &'static str, text: &str) -> Result<i64, (&'static str, String)> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| (field, format!("`{text}` is not a whole number")))
}

pub async fn create_cluster(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return see_other(&format!("{SIGN_IN_PATH}?error=required"));
    };
    let user = match identity::session_user(&state.database, state.clock.as_ref(), &token).await {
        Ok(Some(user)) => user,
        Ok(None) => return see_other(&format!("{SIGN_IN_PATH}?error=required")),
        Err(error) => {
            tracing::error!(%error, "session lookup failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    if form.intent != "create" {
        return see_other(&form.back(None));
    }
    let Some(access) = user
        .projects
        .iter()
        .find(|access| access.project_id == form.project && access.role.can_change())
    else {
        return see_other(&form.back(Some((
            "project",
            "you may not create clusters in this project",
        ))));
    };
    let autoscaling = form.autoscaling.is_some();
    let sizes = (|| {
        let size = if autoscaling {
            number("min_size", &form.min_size)?
        } else {
            number("size", &form.size)?
        };
        let bounds = if autoscaling {
            (
                Some(number("min_size", &form.min_size)?),
                Some(number("max_size", &form.max_size)?),
            )
        } else {
            (None, None)
        };
        Ok::<_, (&'static str, String)>((size, bounds))
    })();
    let (size, (min_size, max_size)) = match sizes {
        Ok(sizes) => sizes,
        Err((field, message)) => return see_other(&form.back(Some((field, &message)))),
    };
    if let (Some(least), Some(most)) = (min_size, max_size) {
        if least > most {
            return see_other(&form.back(Some((
                "size",
                &format!("with autoscaling, \"at most\" ({most}) must be at least \"at least\" ({least})"),
            ))));
        }
    }
    let lifespan = match super::console_actions::lifespan_field(&form.lifespan) {
        Ok(lifespan) => lifespan,
        Err(reason) => return see_other(&form.back(Some(("lifespan", reason)))),
    };
    let spec = NewCluster {
        name: Some(form.name.trim().to_string()),
        version: Some(form.version.clone()),
        cni: Some(form.cni.clone()),
        cluster_type: Some(form.cluster_type.clone()),
        description: Some(String::new()),
        pools: Some(vec![NewPool {
            name: Some(form.pool_name.trim().to_string()),
            node_type: Some(form.node_type.clone()),
            size: Some(size),
            autoscaling: Some(autoscaling),
            min_size,
            max_size,
            autohealing: Some(form.autohealing.is_some()),
            ..NewPool::default()
        }]),
        ..NewCluster::default()
    };
    let caller = Caller {
        project_id: access.project_id.clone(),
        organization_id: access.organization_id.clone(),
        access_key: String::new(),
    };
    match state
        .service
        .create_cluster(&caller, &form.region, spec)
        .await
    {
        Ok(cluster) => {
            // Its pool's lifespan is Wheelhouse's, kept above the port.
            let id = crate::domain::ids::ClusterId::from(cluster.id.clone());
            if let Ok(pools) = state.service.list_pools(&caller, &form.region, &id).await {
                for pool in pools {
                    let pool_id = crate::domain::ids::PoolId::from(pool.id);
                    if let Err(error) = state
                        .freshness()
                        .set_lifespan(&caller, &form.region, &pool_id, lifespan)
                        .await
                    {
                        tracing::warn!(%error, "a new pool's lifespan was not kept");
                    }
                }
            }
            see_other(&cluster_path(&form.region, &cluster.id))
        }
        Err(DomainError::InvalidArguments(arguments)) => {
            let first = arguments.first();
            // `pools[0].size` is the size field; other pool fields are reported on the pool.
            let field = first
                .map(|a| match a.argument_name.as_str() {
                    name if name.starts_with("pools[0].size") => "size",
                    name if name.starts_with("pools[0].min_size")
                        || name.starts_with("pools[0].max_size") =>
                    {
                        "size"
                    }
                    name if name.starts_with("pools") => "pools",
                    name => name.split(['[', '.']).next().unwrap_or("name"),
                })
                .unwrap_or("name");
            let message = first.map(|a| a.help_message.clone()).unwrap_or_default();
            see_other(&form.back(Some((field, &message))))
        }
        Err(error) => {
            tracing::warn!(%error, "cluster creation refused");
            see_other(&form.back(Some((
                "name",
                "the provider refused to create the cluster; try again",
            ))))
        }
    }
}
