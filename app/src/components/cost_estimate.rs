//! The create form's monthly cost estimate: every pool's price per hour × 730 h × its nodes,
//! plus the control plane, line by line. Rendered on the server from what was typed (so it is
//! there without JavaScript, after "Update the estimate", "Add a pool" or a refusal); in the
//! browser the island reads the form on each change and recomputes it at once.

use leptos::prelude::*;

use crate::model::create::{PriceList, TypedPool};

#[island]
pub fn CostEstimate(
    /// The provider's list prices (a few dozen figures).
    prices: PriceList,
    /// The control-plane type and the pools as typed when the page was rendered.
    cluster_type: String,
    pools: Vec<TypedPool>,
) -> impl IntoView {
    let typed = RwSignal::new((cluster_type, pools));
    // Effects run only in the browser: this marks the island as live (tests wait for it).
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::follow_the_form(typed);
        hydrated.set(true);
    });
    let about = prices.about.clone();
    let estimate = Memo::new(move |_| {
        typed.with(|(cluster_type, pools)| prices.estimate(cluster_type, pools))
    });
    view! {
        <section class="rounded-lg border border-line bg-surface p-4" aria-labelledby="estimate-title"
            data-testid="estimate-card" data-hydrated=move || hydrated.get().then_some("true")>
            <h2 id="estimate-title" class="text-base font-semibold">"Estimated cost"</h2>
            <p class="mt-1 text-lg" data-testid="estimate" aria-live="polite">{move || estimate.with(|e| e.total.clone())}</p>
            <ul class="mt-2 grid gap-1 break-words text-sm" data-testid="estimate-lines">
                {move || {
                    estimate
                        .with(|e| e.lines.clone())
                        .into_iter()
                        .map(|line| view! { <li>{line}</li> })
                        .collect_view()
                }}
            </ul>
            <p class="mt-2 text-xs text-muted">{about}</p>
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    use crate::model::create::{read_pools, TypedPool};

    /// Recomputes from the form's fields (the same names the server reads) on every change.
    pub fn follow_the_form(typed: RwSignal<(String, Vec<TypedPool>)>) {
        let Some(form) = web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| {
                document
                    .query_selector("form[data-testid=create-form]")
                    .ok()
                    .flatten()
            })
            .and_then(|element| element.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let read_from = form.clone();
        let on_change = Closure::<dyn FnMut()>::new(move || {
            let Ok(data) = web_sys::FormData::new_with_form(&read_from) else {
                return;
            };
            let get = |key: &str| data.get(key).as_string();
            typed.set((get("type").unwrap_or_default(), read_pools(&get)));
        });
        for event in ["input", "change"] {
            let _ =
                form.add_event_listener_with_callback(event, on_change.as_ref().unchecked_ref());
        }
        // The form lives as long as the page: so does its listener.
        on_change.forget();
    }
}
