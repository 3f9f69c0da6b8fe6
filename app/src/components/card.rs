//! A titled panel: the basic building block of console pages.

use leptos::prelude::*;

#[component]
pub fn Card(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-line bg-surface p-4 shadow-sm md:p-5">
            <h2 class="mb-3 text-base font-semibold">{title}</h2>
            {children()}
        </section>
    }
}
