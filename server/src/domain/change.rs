//! The one path every change takes: who acts ([`Actor`]), from where ([`Source`]), what action on
//! which [`Target`], the fields before and after, and the outcome. Every caller of a service
//! carries its actor and source (on [`Caller`](super::model::Caller) for the provider's
//! objects, on [`ChangeContext`] for Wheelhouse's own: people, keys, projects); every service
//! mutation reports a [`Change`] to its [`ChangeSink`](crate::services::changes::ChangeSink),
//! refusals included. Secrets never travel here: a reset says "reset", not the token.

use serde::Serialize;
use serde_json::Value;

/// Who acts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A person signed in to the console.
    Person { user_id: String, email: String },
    /// A program holding a project's API key (its public access key, never the secret).
    ApiKey { access_key: String },
    /// One of the provider's operators, acting as such (the CLI's admin commands, the
    /// provider's pages).
    Operator { name: String },
    /// A named background job of Wheelhouse (`lifespan`, `autohealing`, `auto-upgrade`,
    /// `demo-seed`, …).
    System { job: String },
}

impl Actor {
    pub fn system(job: &str) -> Actor {
        Actor::System {
            job: job.to_string(),
        }
    }

    /// How the actor is named in records: an email, "api-key SCW…", "operator …", "system …".
    pub fn name(&self) -> String {
        match self {
            Actor::Person { email, .. } => email.clone(),
            Actor::ApiKey { access_key } => format!("api-key {access_key}"),
            Actor::Operator { name } => format!("operator {name}"),
            Actor::System { job } => format!("system {job}"),
        }
    }
}

/// Which interface a change came through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interface {
    /// The console's pages and forms.
    Console,
    /// Scaleway's k8s v1 REST API.
    ScalewayApi,
    /// Wheelhouse's extension API (/api/v1).
    ExtensionApi,
    /// The `wheelhouse` command line.
    Cli,
    /// A background job of this server.
    #[default]
    Job,
}

/// From where a change came: the interface and, for requests, the peer's address, its user
/// agent and the request id every log line of the request carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    pub interface: Interface,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Source {
    pub fn of(interface: Interface) -> Source {
        Source {
            interface,
            ..Source::default()
        }
    }
}

/// Who acts and from where, for changes to Wheelhouse's own objects (people, memberships,
/// API keys, projects) that no project's [`Caller`](super::model::Caller) makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeContext {
    pub actor: Actor,
    pub source: Source,
}

impl ChangeContext {
    pub fn new(actor: Actor, source: Source) -> ChangeContext {
        ChangeContext { actor, source }
    }

    /// A background job of this server.
    pub fn job(job: &str) -> ChangeContext {
        ChangeContext::new(Actor::system(job), Source::of(Interface::Job))
    }
}

/// What a change acts on. The organization is always known (one log per organization).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Target {
    pub organization_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// `cluster`, `pool`, `node`, `acl_rule`, `api_key`, `member`, `project`, `user`, …
    pub kind: &'static str,
    /// The object's id (an access key for API keys, an email for people); empty for a
    /// creation that was refused before the object existed.
    pub id: String,
    /// The cluster the object belongs to, when it belongs to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
}

/// How a change ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Done,
    /// Refused (authorization, validation, a precondition): nothing changed.
    Refused {
        reason: String,
    },
}

/// One change, as it reaches the one path.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub actor: Actor,
    pub source: Source,
    /// `cluster.create`, `pool.update`, `node.reboot`, `api_key.create`, … (see [`ACTIONS`]).
    pub action: &'static str,
    pub target: Target,
    /// The fields the change touches, as they were (absent for a creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The fields the change touches, as they are now (absent for a refusal, and where nothing
    /// of the object is left to show).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    #[serde(flatten)]
    pub outcome: Outcome,
}
