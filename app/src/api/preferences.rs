//! Preferences that work without JavaScript: the theme toggle posts here when its island is not
//! running; the choice goes into a cookie and the browser returns to the page it came from.

use leptos::prelude::*;

#[server(prefix = "/console", endpoint = "theme")]
pub async fn set_theme(theme: String) -> Result<(), ServerFnError> {
    use crate::model::theme::{Theme, THEME_COOKIE};
    use http::{header, HeaderValue, StatusCode};

    let response = expect_context::<leptos_axum::ResponseOptions>();
    let Some(theme) = Theme::parse(&theme) else {
        response.set_status(StatusCode::BAD_REQUEST);
        return Err(ServerFnError::new(format!(
            "unknown theme `{theme}`: expected system, light or dark"
        )));
    };
    // Not HttpOnly: the theme island writes this cookie too (it holds no secret).
    let cookie = format!(
        "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        theme.as_str()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.append_header(header::SET_COOKIE, value);
    }
    let back_to = use_context::<http::request::Parts>()
        .and_then(|parts| ssr::same_site_path(&parts.headers))
        .unwrap_or_else(|| "/".to_string());
    leptos_axum::redirect(&back_to);
    response.set_status(StatusCode::SEE_OTHER);
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use http::{header, HeaderMap};

    /// The path of the Referer when it points at this same host: never redirect elsewhere.
    pub fn same_site_path(headers: &HeaderMap) -> Option<String> {
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let referer: http::Uri = headers.get(header::REFERER)?.to_str().ok()?.parse().ok()?;
        if referer.authority()?.as_str() != host {
            return None;
        }
        Some(
            referer
                .path_and_query()
                .map(|path| path.as_str().to_string())
                .unwrap_or_else(|| "/".to_string()),
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use http::HeaderValue;

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
                same_site_path(&headers("127.0.0.1:3000", "http://evil.example/system")),
                None
            );
            assert_eq!(
                same_site_path(&headers("127.0.0.1:3000", "http://127.0.0.1:3000")),
                Some("/".into())
            );
        }
    }
}
