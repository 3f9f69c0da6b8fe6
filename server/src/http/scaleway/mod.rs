//! The Scaleway-compatible Kubernetes API (`/k8s/v1/regions/{region}/…`): same paths, verbs,
//! JSON fields, enums, pagination and errors as Scaleway's k8s v1, so its SDKs work unchanged.
//! One module per resource; handlers are thin: parse, call the provisioning service (which
//! keeps tenancy and calls the port), render the view. Everything under `/k8s/` first passes
//! [`guard`]: authentication, then a bounded body that must be a JSON object.

pub mod alerts;
pub mod audit;
mod catalog;
mod clusters;
mod error;
pub mod extension;
mod kosmos;
mod nodes;
mod pools;
mod restore;
mod views;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

pub use error::ApiError;

use crate::domain::input;
use crate::domain::listing::{self, ListOrder, Listed};
use crate::domain::model::Caller;
use crate::domain::DomainError;
use crate::state::AppState;
use crate::store::projects;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(clusters::routes())
        .merge(pools::routes())
        .merge(nodes::routes())
        .merge(kosmos::routes())
        .merge(catalog::routes())
        .merge(extension::routes())
        .merge(audit::routes())
        .merge(alerts::routes())
        .merge(restore::routes())
        // API clients get JSON errors, never the console's HTML 404 page.
        .route("/k8s/{*rest}", axum::routing::any(unknown_endpoint))
        .route("/api/v1/{*rest}", axum::routing::any(unknown_endpoint))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state, guard))
}

async fn unknown_endpoint(uri: axum::http::Uri) -> Response {
    let body = json!({
        "type": "not_found",
        "message": format!("no endpoint at {}", uri.path()),
        "resource": "endpoint",
        "resource_id": uri.path(),
    });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let body = json!({
        "type": "invalid_request_error",
        "message": format!("{method} is not allowed on {}", uri.path()),
    });
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

pub use crate::domain::ids::secret_hash;

/// The authenticated caller: `X-Auth-Token` is an API key's secret, checked by [`guard`].
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(caller) => Ok(ApiCaller(caller.clone())),
            None => authenticate(parts, state).await.map(ApiCaller),
        }
    }
}

/// A JSON body; an empty body is `{}` (several Scaleway endpoints take none).
pub(super) struct Body<T>(pub T);

impl<T: DeserializeOwned> Body<T> {
    pub(super) fn parse(bytes: &Bytes) -> Result<Body<T>, ApiError> {
        Ok(Body(input::parse_body(bytes)?))
    }
}

/// The largest request body the API reads; Scaleway's requests are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Every request under `/k8s/` passes here before routing: the caller is authenticated first
/// (so a stranger learns nothing, not even which paths exist), then the body is read up to
/// [`MAX_BODY_BYTES`] and, when there is one, must be a JSON object. Handlers find the caller
/// in the request's extensions.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    // node-metadata is called by external nodes with their node secret, not an API key; its
    // handler authenticates that secret.
    let caller = if parts.uri.path().ends_with(kosmos::NODE_METADATA_SUFFIX) {
        None
    } else {
        match authenticate(&parts, &state).await {
            Ok(caller) => Some(caller),
            Err(error) => return error.into_response(),
        }
    };
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES) {
        return ApiError::BodyTooLarge.into_response();
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::BodyTooLarge.into_response();
    };
    if let Err(error) = input::parse_body::<serde_json::Map<String, Value>>(&bytes) {
        return ApiError::from(error).into_response();
    }
    if let Some(caller) = caller {
        parts.extensions.insert(caller);
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let token = parts
        .headers
        .get("x-auth-token")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Authentication {
            reason: "invalid_argument",
        })?;
    let mut conn = state.database.pool().acquire().await?;
    let caller = projects::caller_by_secret_hash(&mut conn, &secret_hash(token)).await?;
    let source = crate::http::source::request_source(
        parts,
        crate::http::source::api_interface(parts.uri.path()),
    );
    caller
        .map(|caller| caller.from_source(source))
        .ok_or(ApiError::Authentication {
            reason: "not_found",
        })
}

pub(super) type Params = Query<HashMap<String, String>>;
pub(super) type ApiResult = Result<Response, ApiError>;

pub(super) fn ok(value: Value) -> ApiResult {
    Ok(Json(value).into_response())
}

/// `page` (from 1) and `page_size` (1 to 100, default 50).
pub(super) fn pagination(params: &HashMap<String, String>) -> Result<(i64, i64), DomainError> {
    let read = |name: &str,
                default: i64,
                range: std::ops::RangeInclusive<i64>|
     -> Result<i64, DomainError> {
        match params.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    DomainError::invalid(
                        name,
                        "constraint",
                        format!(
                            "`{text}` is not a valid {name}: use {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                }),
        }
    };
    Ok((
        read("page", 1, 1..=1_000_000)?,
        read("page_size", 50, 1..=100)?,
    ))
}

/// `order_by` (default `created_at_asc`) as a typed order.
pub(super) fn list_order(params: &HashMap<String, String>) -> Result<ListOrder, DomainError> {
    match params.get("order_by").map(String::as_str) {
        None | Some("") => Ok(ListOrder::default()),
        Some(text) => ListOrder::parse(text),
    }
}

/// Sorts and pages a list the provider returned whole (pools, nodes, rules).
pub(super) fn sorted_page<T: Listed + Clone>(
    mut items: Vec<T>,
    params: &HashMap<String, String>,
) -> Result<(Vec<T>, usize), DomainError> {
    let (page, page_size) = pagination(params)?;
    listing::sort(&mut items, list_order(params)?);
    Ok((listing::page(&items, page, page_size), items.len()))
}

/// A boolean in the query string, in every spelling the SDKs send: `true`/`false` (JavaScript),
/// `True`/`False` (Python), `1`/`0`.
pub(super) fn bool_param(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<bool, DomainError> {
    match params.get(name).map(String::as_str) {
        None => Ok(false),
        Some(text) if text.eq_ignore_ascii_case("false") || text == "0" => Ok(false),
        Some(text) if text.eq_ignore_ascii_case("true") || text == "1" => Ok(true),
        Some(other) => Err(DomainError::invalid(
            name,
            "constraint",
            format!(
                "`{}` is not a boolean: use true or false",
                input::shorten(other)
            ),
        )),
    }
}

/// The `status` filter of a list: `unknown` (or none) means any; `deleted` is a valid status
/// that nothing listed has; anything else must be a status of the resource.
pub(super) fn status_filter(
    params: &HashMap<String, String>,
    is_status: impl Fn(&str) -> bool,
) -> Result<Option<String>, DomainError> {
    match params.get("status").map(String::as_str) {
        None | Some("") | Some("unknown") => Ok(None),
        Some(text) if text == "deleted" || is_status(text) => Ok(Some(text.to_string())),
        Some(other) => Err(DomainError::invalid(
            "status",
            "constraint",
            format!("unknown status `{}`", input::shorten(other)),
        )),
    }
}

/// Scaleway's file object `{name, content_type, content (base64)}`, or the file with `dl=1`.
pub(super) fn file_response(
    name: &str,
    content_type: &str,
    content: String,
    download: bool,
) -> ApiResult {
    if download {
        return Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            content,
        )
            .into_response());
    }
    ok(json!({ "name": name, "content_type": content_type,
               "content": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, content.as_bytes()) }))
}
