//! What can go wrong in the domain, in terms a client can act on. The HTTP layer maps each
//! variant to one status code and Scaleway's error body.

use crate::store::StoreError;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidArgument {
    pub argument_name: String,
    /// Scaleway's reasons: "required", "constraint", "unknown".
    pub reason: &'static str,
    pub help_message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("invalid argument(s): {}", describe(.0))]
    InvalidArguments(Vec<InvalidArgument>),
    #[error("{resource} {resource_id} was not found")]
    NotFound {
        resource: &'static str,
        resource_id: String,
    },
    #[error("{resource} {resource_id} is in a transient state ({current_state})")]
    TransientState {
        resource: &'static str,
        resource_id: String,
        current_state: String,
    },
    #[error("{help_message}")]
    PreconditionFailed {
        precondition: String,
        help_message: String,
    },
    #[error("{resource} named `{name}` already exists")]
    AlreadyExists {
        resource: &'static str,
        name: String,
    },
    #[error("authentication is denied: {0}")]
    Unauthenticated(String),
    /// The provider behind the port failed or could not be reached.
    #[error("the provider failed: {0}")]
    Provider(String),
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DomainError {
    fn from(error: sqlx::Error) -> Self {
        DomainError::Store(StoreError::Sql(error))
    }
}

impl DomainError {
    pub fn invalid(argument_name: &str, reason: &'static str, help: impl Into<String>) -> Self {
        DomainError::InvalidArguments(vec![InvalidArgument {
            argument_name: argument_name.to_string(),
            reason,
            help_message: help.into(),
        }])
    }

    pub fn not_found(resource: &'static str, id: impl Into<String>) -> Self {
        DomainError::NotFound {
            resource,
            resource_id: id.into(),
        }
    }

    pub fn precondition(precondition: &'static str, help: impl Into<String>) -> Self {
        DomainError::PreconditionFailed {
            precondition: precondition.to_string(),
            help_message: help.into(),
        }
    }
}

fn describe(arguments: &[InvalidArgument]) -> String {
    arguments
        .iter()
        .map(|argument| format!("{}: {}", argument.argument_name, argument.help_message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Collects invalid arguments so a request reports all its mistakes at once.
#[derive(Debug, Default)]
pub struct Validation {
    problems: Vec<InvalidArgument>,
}

impl Validation {
    pub fn check(
        &mut self,
        ok: bool,
        argument: &str,
        reason: &'static str,
        help: impl Into<String>,
    ) {
        if !ok {
            self.problems.push(InvalidArgument {
                argument_name: argument.to_string(),
                reason,
                help_message: help.into(),
            });
        }
    }

    pub fn finish(self) -> Result<(), DomainError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(DomainError::InvalidArguments(self.problems))
        }
    }
}
