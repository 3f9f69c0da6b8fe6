//! Live status without reloading: one island per page listens to a Server-Sent Events stream
//! and patches the cells marked `data-live-*="{cluster id}"` (status word and colour, nodes
//! ready); a cluster page reloads when its cluster changes, and the list when clusters come
//! or go, unless something was typed or chosen in the page (then it says what changed and
//! offers the reload). Without JavaScript the page
//! shows what it showed when rendered; a reload refreshes it. The browser's EventSource
//! reconnects by itself, after a server restart too, and the server sends the current state
//! first on every connection.

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
        // A refresh must never throw away what someone is typing: once anything was typed or
        // chosen in the page, a change is announced instead (see `apply`).
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            let on_input = Closure::<dyn FnMut()>::new(|| EDITED.with(|edited| edited.set(true)));
            let _ = document
                .add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref());
            on_input.forget();
        }
    }

    thread_local! {
        /// The last line seen per watched cluster (a cluster page refreshes when it changes).
        static WATCHED: std::cell::RefCell<std::collections::HashMap<String, String>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
        /// Whether the person typed or chose something in the page since it was shown.
        static EDITED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Reloads, unless something was typed or chosen in the page: then it shows the page's
    /// "this changed" notice (`data-live-stale`), whose link reloads when the person is ready.
    fn refresh_unless_edited(document: &web_sys::Document) {
        if !EDITED.with(std::cell::Cell::get) {
            refresh();
        } else if let Ok(Some(notice)) = document.query_selector("[data-live-stale]") {
            let _ = notice.remove_attribute("hidden");
        }
    }

    /// Reloads the page without its query (a notice shown once is not shown again).
    fn refresh() {
        if let Some(window) = web_sys::window() {
            let location = window.location();
            if let Ok(path) = location.pathname() {
                let _ = location.assign(&path);
            }
        }
    }

    fn apply(data: &str) {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let lines: Vec<_> = data.lines().filter_map(super::decode_line).collect();
        // A cluster made or gone elsewhere changes the list itself: show the new list.
        if let Ok(rows) = document.query_selector_all("[data-live-nodes]") {
            let shown: std::collections::HashSet<String> = (0..rows.length())
                .filter_map(|index| rows.item(index))
                .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
                .filter_map(|element| element.get_attribute("data-live-nodes"))
                .collect();
            let streamed: std::collections::HashSet<String> =
                lines.iter().map(|(id, ..)| id.to_string()).collect();
            let on_one_page = document
                .query_selector("[data-testid=pages]")
                .ok()
                .flatten()
                .is_none()
                && document
                    .query_selector("[data-testid=filters] option[selected][value]:not([value=''])")
                    .ok()
                    .flatten()
                    .is_none();
            if on_one_page && !shown.is_empty() && shown != streamed {
                refresh_unless_edited(&document);
                return;
            }
        }
        for (id, status, ready, total) in lines {
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
            if let Ok(Some(_)) = document.query_selector(&format!("[data-live-watch=\"{id}\"]")) {
                let line = super::encode_line(id, status, ready, total);
                let changed = WATCHED.with(|seen| {
                    let mut seen = seen.borrow_mut();
                    let before = seen.insert(id.to_string(), line.clone());
                    before.is_some_and(|before| before != line)
                });
                if changed {
                    refresh_unless_edited(&document);
                    return;
                }
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
