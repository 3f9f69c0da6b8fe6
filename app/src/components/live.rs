//! Live status without reloading: one island per page listens to a Server-Sent Events stream
//! and patches the cells marked `data-live-*="{cluster id}"` (status word and colour, nodes
//! ready). Without JavaScript the page shows what it showed when rendered; a reload refreshes
//! it. The browser's EventSource reconnects by itself, after a server restart too, and the
//! server sends the current state first on every connection.

use leptos::prelude::*;

/// One line per cluster: `id|status|ready nodes|total nodes`.
pub fn encode_line(id: &str, status: &str, ready: usize, total: usize) -> String {
    format!("{id}|{status}|{ready}|{total}")
}

/// The fields of an [`encode_line`] line.
pub fn decode_line(line: &str) -> Option<(&str, &str, usize, usize)> {
    let mut parts = line.split('|');
    let id = parts.next()?;
    let status = parts.next()?;
    let ready = parts.next()?.parse().ok()?;
    let total = parts.next()?.parse().ok()?;
    Some((id, status, ready, total))
}

#[island]
pub fn LiveUpdates(
    /// The events stream to listen to.
    url: String,
) -> impl IntoView {
    let connected = RwSignal::new(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::listen(&url, connected);
        #[cfg(not(feature = "hydrate"))]
        let _ = &url;
    });
    view! {
        <span class="sr-only" data-testid="live-updates" data-connected=move || if connected.get() { "true" } else { "false" }>
            "Live updates"
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    use crate::components::status::status_classes;

    pub fn listen(url: &str, connected: RwSignal<bool>) {
        let Ok(source) = web_sys::EventSource::new(url) else {
            return;
        };
        let on_open = Closure::<dyn FnMut()>::new(move || connected.set(true));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        // The page keeps listening as long as it is open: the closures live as long.
        on_open.forget();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                if let Some(data) = event.data().as_string() {
                    apply(&data);
                }
            },
        );
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
    }

    fn apply(data: &str) {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        for line in data.lines() {
            let Some((id, status, ready, total)) = super::decode_line(line) else {
                continue;
            };
            if let Ok(Some(label)) =
                document.query_selector(&format!("[data-live-status=\"{id}\"]"))
            {
                label.set_text_content(Some(&status.replace('_', " ")));
            }
            if let Ok(Some(badge)) = document.query_selector(&format!("[data-live-badge=\"{id}\"]"))
            {
                badge.set_class_name(&status_classes(status));
            }
            if let Ok(Some(nodes)) = document.query_selector(&format!("[data-live-nodes=\"{id}\"]"))
            {
                nodes.set_text_content(Some(&format!("{ready} of {total}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_round_trip() {
        let line = super::encode_line("c1", "ready", 2, 3);
        assert_eq!(super::decode_line(&line), Some(("c1", "ready", 2, 3)));
        assert_eq!(super::decode_line("broken"), None);
    }
}
