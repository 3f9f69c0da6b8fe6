//! The colour theme choice. "System" follows `prefers-color-scheme`; an explicit choice is kept in
//! a cookie so the server renders the right theme on the first paint, with or without JavaScript.

use serde::{Deserialize, Serialize};

pub const THEME_COOKIE: &str = "wh_theme";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(value: &str) -> Option<Theme> {
        match value {
            "system" => Some(Theme::System),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The value of `<html data-theme>`; absent for "System" so the media query decides.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            other => Some(other.as_str()),
        }
    }

    /// The toggle cycles System → Light → Dark → System.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System theme",
            Theme::Light => "Light theme",
            Theme::Dark => "Dark theme",
        }
    }

    /// Reads the theme cookie from a `Cookie` header value.
    pub fn from_cookie_header(header: &str) -> Theme {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == THEME_COOKIE)
            .and_then(|(_, value)| Theme::parse(value.trim()))
            .unwrap_or_default()
    }

    /// The theme of the request being rendered (server side); the browser never renders pages.
    pub fn from_request() -> Theme {
        #[cfg(feature = "ssr")]
        {
            leptos::prelude::use_context::<http::request::Parts>()
                .and_then(|parts| {
                    parts
                        .headers
                        .get(http::header::COOKIE)
                        .and_then(|value| value.to_str().ok())
                        .map(Theme::from_cookie_header)
                })
                .unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            Theme::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Theme;

    #[test]
    fn cycling_visits_every_theme_and_returns() {
        let mut theme = Theme::System;
        let mut seen = vec![];
        for _ in 0..3 {
            seen.push(theme);
            theme = theme.next();
        }
        assert_eq!(theme, Theme::System);
        assert_eq!(seen, [Theme::System, Theme::Light, Theme::Dark]);
    }

    #[test]
    fn cookie_header_is_parsed_and_bad_values_fall_back_to_system() {
        assert_eq!(
            Theme::from_cookie_header("a=1; wh_theme=dark; b=2"),
            Theme::Dark
        );
        assert_eq!(Theme::from_cookie_header("wh_theme=light"), Theme::Light);
        assert_eq!(Theme::from_cookie_header("wh_theme=purple"), Theme::System);
        assert_eq!(
            Theme::from_cookie_header("other_wh_theme=dark"),
            Theme::System
        );
        assert_eq!(Theme::from_cookie_header(""), Theme::System);
    }

    #[test]
    fn system_has_no_attribute_so_the_media_query_decides() {
        assert_eq!(Theme::System.attribute(), None);
        assert_eq!(Theme::Dark.attribute(), Some("dark"));
    }
}
