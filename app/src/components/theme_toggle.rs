//! The theme switch: an island, because it runs in the browser. Without JavaScript it is a plain
//! form that posts the next theme to the server, which sets the cookie and redirects back.

use leptos::prelude::*;

use super::icon::{Icon, IconName};
use crate::model::theme::Theme;

#[island]
pub fn ThemeToggle(initial: Theme) -> impl IntoView {
    let theme = RwSignal::new(initial);
    // Effects run only in the browser: this marks the island as live (tests wait for it).
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let next = theme.get_untracked().next();
        theme.set(next);
        #[cfg(feature = "hydrate")]
        browser::apply(next);
    };

    view! {
        <form method="post" action=crate::routes::SET_THEME.axum_path on:submit=on_submit>
            <input type="hidden" name="theme" value=move || theme.get().next().as_str() />
            <button
                type="submit"
                class="inline-flex size-11 items-center justify-center rounded-md text-muted hover:bg-subtle hover:text-ink focus-visible:outline-2 focus-visible:outline-accent"
                title=move || format!("{} (click to switch)", theme.get().label())
                aria-label=move || format!("{}: switch to {}", theme.get().label(), theme.get().next().label().to_lowercase())
                data-testid="theme-toggle"
                data-theme-choice=move || theme.get().as_str()
                data-hydrated=move || hydrated.get().then_some("true")
            >
                {move || {
                    let icon = match theme.get() {
                        Theme::System => IconName::Monitor,
                        Theme::Light => IconName::Sun,
                        Theme::Dark => IconName::Moon,
                    };
                    view! { <Icon name=icon /> }
                }}
            </button>
        </form>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::JsCast;

    use crate::model::theme::{Theme, THEME_COOKIE};

    /// Applies the theme to the page now and remembers it for the next server render.
    pub fn apply(theme: Theme) {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        if let Some(root) = document.document_element() {
            let _ = match theme.attribute() {
                Some(value) => root.set_attribute("data-theme", value),
                None => root.remove_attribute("data-theme"),
            };
        }
        if let Ok(html) = document.dyn_into::<web_sys::HtmlDocument>() {
            let cookie = format!(
                "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                theme.as_str()
            );
            let _ = html.set_cookie(&cookie);
        }
    }
}
