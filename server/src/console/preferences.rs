//! Preferences that work without JavaScript: the theme toggle posts here when the island is not
//! running; the choice goes into a cookie and the browser returns to the page it came from.

use app::model::theme::{Theme, THEME_COOKIE};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ThemeForm {
    theme: String,
}

pub async fn set_theme(headers: HeaderMap, Form(form): Form<ThemeForm>) -> Response {
    let Some(theme) = Theme::parse(&form.theme) else {
        return (
            StatusCode::BAD_REQUEST,
            format!(
                "unknown theme `{}`: expected system, light or dark",
                form.theme
            ),
        )
            .into_response();
    };
    let cookie = format!(
        // Not HttpOnly: the theme island writes this cookie too (it holds no secret).
        "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        theme.as_str()
    );
    let back_to = same_site_path(&headers).unwrap_or_else(|| "/".to_string());
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, back_to)]).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The path of the Referer when it points at this same host: never redirect elsewhere.
fn same_site_path(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let referer = url::Url::parse(headers.get(header::REFERER)?.to_str().ok()?).ok()?;
    let referer_host = match referer.port() {
        Some(port) => format!("{}:{port}", referer.host_str()?),
        None => referer.host_str()?.to_string(),
    };
    if referer_host != host {
        return None;
    }
    let mut path = referer.path().to_string();
    if let Some(query) = referer.query() {
        path.push('?');
        path.push_str(query);
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: &str, referer: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).expect("host"));
        headers.insert(
            header::REFERER,
            HeaderValue::from_str(referer).expect("referer"),
        );
        headers
    }

    #[test]
    fn returns_to_a_same_host_referer_only() {
        assert_eq!(
            same_site_path(&headers(
                "127.0.0.1:3000",
                "http://127.0.0.1:3000/system?x=1"
            )),
            Some("/system?x=1".into())
        );
        assert_eq!(
            same_site_path(&headers("127.0.0.1:3000", "https://evil.example/")),
            None
        );
    }
}
