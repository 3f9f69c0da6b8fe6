//! What a form is about, as hidden fields (`routes::FormTo`): the cluster, the pool, the member.

use leptos::prelude::*;

use crate::routes::FormTo;

#[component]
pub fn HiddenFields(to: FormTo) -> impl IntoView {
    to.fields
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
        .collect_view()
}
