//! A page's data in its three states, said the same way on every page: the page's loading words
//! while the server function runs, the error box when it fails, the content once it answers;
//! and the dashed box a list shows when there is nothing in it.

use std::fmt::Display;

use leptos::prelude::*;

/// `resource` loaded: `children` renders its value; a failed load shows [`LoadError`] with
/// `what` (the rest of the page stays usable); until then, `loading`.
#[component]
pub fn Loaded<T, E, F, V>(
    resource: Resource<Result<T, E>>,
    /// What the page loads, as the error box says it: "Could not load {what}."
    #[prop(into)]
    what: String,
    /// The words while it loads.
    #[prop(default = "Loading…")]
    loading: &'static str,
    /// The content, from the loaded value.
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    E: Clone + Display + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=move || view! { <p class="text-sm text-muted">{loading}</p> }>
            {move || {
                let (children, what) = (children.clone(), what.clone());
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => children(value).into_any(),
                        Err(error) => view! { <LoadError what error=error.to_string() /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// A failed load, said plainly; the rest of the page stays usable.
#[component]
pub fn LoadError(#[prop(into)] what: String, #[prop(into)] error: String) -> impl IntoView {
    view! {
        <div role="alert" class="rounded-lg border border-bad bg-bad-soft p-4 text-sm text-bad">
            <p class="font-medium">{format!("Could not load {what}.")}</p>
            <p class="mt-1">{error}</p>
        </div>
    }
}

/// A list with nothing in it yet: what that means, in a dashed box.
#[component]
pub fn Empty(
    /// How tests find it (`no-nodes`, `no-pools`, …).
    testid: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <p class="rounded-lg border border-dashed border-line p-6 text-sm text-muted" data-testid=testid>
            {children()}
        </p>
    }
}
