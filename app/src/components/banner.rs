//! A form's outcome at the top of its page. The handler of a form post answers with the page's
//! address and a code (`?notice=…` when it was done, `?problem=…` when it was refused), which
//! each page words from its own table; the page shows it in a status or an alert banner.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The page's words (`words`) for the code the address carries under `key` (`notice` or
/// `problem`); none without a code, or for a code the page does not know (a crafted link).
pub fn outcome_in_query(
    key: &str,
    words: impl Fn(&str) -> Option<&'static str>,
) -> Option<&'static str> {
    use_query_map()
        .read_untracked()
        .get(key)
        .and_then(|code| words(&code))
}

/// What the form did: a status banner (read out politely, not as an alarm).
#[component]
pub fn NoticeBanner(children: Children) -> impl IntoView {
    view! {
        <p role="status" class="mb-4 rounded-md border border-line bg-good-soft p-3 text-sm text-good" data-testid="notice">
            {children()}
        </p>
    }
}

/// Why nothing was done: an alert banner.
#[component]
pub fn ProblemBanner(
    /// Its space below (`mb-4`); in a grid with gaps of its own, none.
    #[prop(default = "mb-4")]
    spacing: &'static str,
    /// How tests find it (`problem` unless the page says otherwise).
    #[prop(default = "problem")]
    testid: &'static str,
    children: Children,
) -> impl IntoView {
    let class = format!("{spacing} rounded-md border border-bad bg-bad-soft p-3 text-sm text-bad");
    view! {
        <p role="alert" class=class.trim_start().to_string() data-testid=testid>
            {children()}
        </p>
    }
}
