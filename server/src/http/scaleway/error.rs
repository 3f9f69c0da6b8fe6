//! Scaleway's error bodies: `type` plus the fields each type carries, so the official SDKs
//! decode them into their typed errors. Internal failures are logged, never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::domain::DomainError;

#[derive(Debug)]
pub enum ApiError {
    Domain(DomainError),
    /// No token, or one that matches no API key.
    Authentication {
        reason: &'static str,
    },
    /// The body is larger than the API reads.
    BodyTooLarge,
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        ApiError::Domain(error)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Domain(DomainError::from(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Authentication { reason } => (
                StatusCode::UNAUTHORIZED,
                json!({ "type": "denied_authentication", "message": "authentication is denied", "method": "api_key", "reason": reason }),
            ),
            ApiError::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "type": "invalid_arguments", "message": "invalid argument(s)",
                        "details": [{ "argument_name": "body", "reason": "constraint",
                                      "help_message": format!("the request body is larger than {} KiB", super::MAX_BODY_BYTES / 1024) }] }),
            ),
            ApiError::Domain(error) => match error {
                DomainError::InvalidArguments(arguments) => (
                    StatusCode::BAD_REQUEST,
                    json!({ "type": "invalid_arguments", "message": "invalid argument(s)",
                            "details": arguments.iter().map(|a| json!({
                                "argument_name": a.argument_name, "reason": a.reason, "help_message": a.help_message,
                            })).collect::<Vec<_>>() }),
                ),
                DomainError::NotFound {
                    resource,
                    resource_id,
                } => (
                    StatusCode::NOT_FOUND,
                    json!({ "type": "not_found", "message": "resource is not found", "resource": resource, "resource_id": resource_id }),
                ),
                DomainError::TransientState {
                    resource,
                    resource_id,
                    current_state,
                } => (
                    StatusCode::CONFLICT,
                    json!({ "type": "transient_state", "message": "resource is in a transient state",
                            "resource": resource, "resource_id": resource_id, "current_state": current_state }),
                ),
                DomainError::PreconditionFailed {
                    precondition,
                    help_message,
                } => (
                    StatusCode::PRECONDITION_FAILED,
                    json!({ "type": "precondition_failed", "message": "precondition is not respected",
                            "precondition": precondition, "help_message": help_message }),
                ),
                DomainError::AlreadyExists { resource, name } => (
                    StatusCode::CONFLICT,
                    json!({ "type": "already_exists", "message": "resource already exists", "resource": resource, "resource_id": name }),
                ),
                DomainError::PermissionDenied(message) => (
                    StatusCode::FORBIDDEN,
                    json!({ "type": "permissions_denied", "message": "insufficient permissions",
                            "details": [{ "resource": "k8s", "action": "write" }], "help_message": message }),
                ),
                DomainError::Unauthenticated(_) => (
                    StatusCode::UNAUTHORIZED,
                    json!({ "type": "denied_authentication", "message": "authentication is denied", "method": "api_key", "reason": "not_found" }),
                ),
                DomainError::Provider(error) => {
                    tracing::error!(%error, "the provider behind the port failed");
                    (
                        StatusCode::BAD_GATEWAY,
                        json!({ "type": "internal", "message": "the provider failed, please retry" }),
                    )
                }
                DomainError::QuotaExceeded(message) => (
                    StatusCode::FORBIDDEN,
                    json!({ "type": "quotas_exceeded", "message": "quota(s) exceeded for this resource",
                            "details": [{ "resource": "k8s_nodes", "quota": 0, "current": 0 }], "help_message": message }),
                ),
                DomainError::Store(error) => {
                    tracing::error!(%error, "database error while serving the API");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        json!({ "type": "internal", "message": "internal error, please retry" }),
                    )
                }
            },
        };
        (status, Json(body)).into_response()
    }
}
