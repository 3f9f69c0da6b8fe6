//! Live pages without reloading. A page marks what follows the server with
//! `data-live-region="{key}"` (keys unique in the page; regions nest: the cluster's tab holds a
//! card per node). One island per page listens to a Server-Sent Events stream that rings when
//! something the page shows may have changed; on each ring (the first too, which covers what
//! changed between the render and the connection) it fetches the page's own address again and
//! puts in place each region that differs, so a node's status, the node list, events or an
//! upgrade's progress change where they are, with the scroll and everything else kept.
//!
//! A region someone is using is never replaced: while a field in it holds something typed or
//! chosen that differs from what the page rendered, a confirmation in it is open, or the focus
//! is in one of its fields. Its inner regions still follow (the other nodes keep moving while
//! one node's confirmation is open), and the page's `data-live-stale` notice offers the full
//! reload for the rest. Without JavaScript a page shows what it showed when rendered; a reload
//! refreshes it. The browser's EventSource reconnects by itself, after a server restart too,
//! and the server rings first on every connection; a stream the server ended (the session did)
//! rings once more, so the page says it is out of date.

use leptos::prelude::*;

#[island]
pub fn LiveUpdates(
    /// The stream that rings when the page's subject changed.
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

/// The notice a live page shows when a changed part could not be brought in (see the module).
#[component]
pub fn StaleNotice(
    /// What changed, e.g. "This cluster changed".
    what: &'static str,
) -> impl IntoView {
    // Sticky: on a phone the person may be far down the page, in the part left as it was.
    view! {
        <p hidden data-live-stale role="status" class="sticky top-2 z-10 mb-4 rounded-md border border-line bg-accent-soft p-3 text-sm shadow" data-testid="stale">
            {format!("{what}; part of it is not shown here, so as not to disturb what you are doing. ")}
            <a href="" class="inline-flex min-h-11 items-center font-medium underline">"Show the latest"</a>
            " (what you typed here is lost then)."
        </p>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Document, Element};

    const REGION: &str = "data-live-region";
    /// Query parameters of a one-off message (a notice, a refusal): not shown again on reload.
    const ONE_OFF: &[&str] = &["notice", "problem", "field", "message", "seal", "shown"];

    thread_local! {
        /// Each region's markup as last brought in, with its inner regions left empty.
        static SHELLS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
        /// 0: idle; 1: fetching the page; 2: fetching, and rung again meanwhile.
        static FETCHING: Cell<u8> = const { Cell::new(0) };
    }

    pub fn listen(url: &str, connected: RwSignal<bool>) {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        // The page as rendered is what later versions are compared with.
        for region in elements_in(&document.query_selector_all(&format!("[{REGION}]"))) {
            remember(&region);
        }
        let Ok(source) = web_sys::EventSource::new(url) else {
            return;
        };
        let on_open = Closure::<dyn FnMut()>::new(move || connected.set(true));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        // The page keeps listening as long as it is open: the closures live as long.
        on_open.forget();
        let on_message = Closure::<dyn FnMut()>::new(ring);
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        // Closed for good (the session ended, so the stream answered a sign-in page): one last
        // look shows the page is out of date. Otherwise the browser reconnects by itself.
        let watched = source.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            if watched.ready_state() == web_sys::EventSource::CLOSED {
                connected.set(false);
                ring();
            }
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
    }

    /// Fetches the page again, once at a time; a ring during a fetch fetches once more after it.
    fn ring() {
        if FETCHING.get() != 0 {
            FETCHING.set(2);
            return;
        }
        FETCHING.set(1);
        leptos::task::spawn_local(async {
            loop {
                if let Some(fresh) = fetch_page().await {
                    bring_in(&fresh);
                }
                if FETCHING.get() == 2 {
                    FETCHING.set(1);
                } else {
                    FETCHING.set(0);
                    break;
                }
            }
        });
    }

    async fn fetch_page() -> Option<Document> {
        let window = web_sys::window()?;
        let location = window.location();
        let address = format!("{}{}", location.pathname().ok()?, location.search().ok()?);
        let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&address))
            .await
            .ok()?
            .dyn_into()
            .ok()?;
        let text = JsFuture::from(response.text().ok()?)
            .await
            .ok()?
            .as_string()?;
        web_sys::DomParser::new()
            .ok()?
            .parse_from_string(&text, web_sys::SupportedType::TextHtml)
            .ok()
    }

    /// Brings every outermost region of the page up to the fetched one.
    fn bring_in(fresh: &Document) {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let mut all_in = true;
        let outermost = elements_in(&document.query_selector_all(&format!("[{REGION}]")))
            .into_iter()
            .filter(|region| enclosing_region(region).is_none());
        for current in outermost {
            let key = current.get_attribute(REGION).unwrap_or_default();
            let found = fresh
                .query_selector(&format!("[{REGION}=\"{key}\"]"))
                .ok()
                .flatten();
            all_in &= match found {
                Some(latest) => sync(&document, &current, &latest),
                // Gone from the page (the cluster was deleted, the session ended): say so.
                None => false,
            };
        }
        if !all_in {
            if let Ok(Some(notice)) = document.query_selector("[data-live-stale]") {
                let _ = notice.remove_attribute("hidden");
                if let Ok(Some(link)) = notice.query_selector("a") {
                    let _ = link.set_attribute("href", &without_one_offs());
                }
            }
        }
    }

    /// This page's address without its one-off messages (see [`ONE_OFF`]).
    fn without_one_offs() -> String {
        let location = web_sys::window().map(|window| window.location());
        let path = location
            .as_ref()
            .and_then(|location| location.pathname().ok())
            .unwrap_or_default();
        let search = location
            .and_then(|location| location.search().ok())
            .unwrap_or_default();
        let kept: Vec<&str> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|pair| {
                let key = pair.split('=').next().unwrap_or_default();
                !pair.is_empty() && !ONE_OFF.contains(&key)
            })
            .collect();
        if kept.is_empty() {
            path
        } else {
            format!("{path}?{}", kept.join("&"))
        }
    }

    /// Puts `latest` in place of `current` if it differs and is not in use, or else brings in
    /// its inner regions one by one. Whether everything that changed is now shown.
    fn sync(document: &Document, current: &Element, latest: &Element) -> bool {
        let key = current.get_attribute(REGION).unwrap_or_default();
        let frame_unchanged =
            SHELLS.with(|shells| shells.borrow().get(&key) == Some(&shell(latest)));
        if !frame_unchanged && !in_use(document, current, latest) {
            return replace(document, current, latest);
        }
        // Its frame is as it was, or in use: its inner regions follow one by one, by key (one
        // gone from or new in a frame in use waits for the reload).
        let latest_inner = inner_regions(latest);
        let mut all_in = frame_unchanged;
        for mine in inner_regions(current) {
            let mine_key = mine.get_attribute(REGION);
            let theirs = latest_inner
                .iter()
                .find(|theirs| theirs.get_attribute(REGION) == mine_key);
            all_in &= match theirs {
                Some(theirs) => sync(document, &mine, theirs),
                None => false,
            };
        }
        all_in
    }

    /// Puts `latest` in place of `current`; whether it could.
    fn replace(document: &Document, current: &Element, latest: &Element) -> bool {
        let Ok(imported) = document.import_node_with_deep(latest, true) else {
            return false;
        };
        let Ok(element) = imported.dyn_into::<Element>() else {
            return false;
        };
        if current.replace_with_with_node_1(&element).is_err() {
            return false;
        }
        remember(&element);
        true
    }

    /// Whether someone is using the region: a field in it holds something typed or chosen that
    /// differs from what the page rendered, more confirmations (`<details>`) are open in it than
    /// the latest version has, or the focus is in one of its fields.
    fn in_use(document: &Document, region: &Element, latest: &Element) -> bool {
        let open = |region: &Element| {
            region
                .query_selector_all("details[open]")
                .map(|list| list.length())
                .unwrap_or(0)
        };
        let typing = document.active_element().is_some_and(|active| {
            matches!(active.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                && region.contains(Some(&active))
        });
        typing
            || open(region) > open(latest)
            || elements_in(&region.query_selector_all("input, textarea, select"))
                .iter()
                .any(differs_from_rendered)
    }

    /// Whether a field's value (or check, or choice) is no longer the one it was rendered with.
    fn differs_from_rendered(field: &Element) -> bool {
        if let Some(input) = field.dyn_ref::<web_sys::HtmlInputElement>() {
            return match input.type_().as_str() {
                "checkbox" | "radio" => input.checked() != input.default_checked(),
                "hidden" | "submit" | "button" => false,
                _ => input.value() != input.default_value(),
            };
        }
        if let Some(area) = field.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            return Ok(area.value()) != area.default_value();
        }
        if let Some(select) = field.dyn_ref::<web_sys::HtmlSelectElement>() {
            // The rendered choice: the option marked `selected`, else the first.
            let options = elements_in(&select.query_selector_all("option"));
            let rendered = options
                .iter()
                .position(|option| option.has_attribute("selected"))
                .unwrap_or(0);
            return select.selected_index() != rendered as i32;
        }
        false
    }

    /// Records the shells of a region and of every region inside it.
    fn remember(region: &Element) {
        let mut all = vec![region.clone()];
        all.extend(elements_in(
            &region.query_selector_all(&format!("[{REGION}]")),
        ));
        SHELLS.with(|shells| {
            let mut shells = shells.borrow_mut();
            for region in all {
                let key = region.get_attribute(REGION).unwrap_or_default();
                shells.insert(key, shell(&region));
            }
        });
    }

    /// A region's markup with each inner region reduced to an empty tag carrying its key: what
    /// changes in it apart from them.
    fn shell(region: &Element) -> String {
        let Ok(copy) = region.clone_node_with_deep(true) else {
            return String::new();
        };
        let Ok(copy) = copy.dyn_into::<Element>() else {
            return String::new();
        };
        let document = region.owner_document();
        for inner in elements_in(&copy.query_selector_all(&format!("[{REGION}]"))) {
            let stand_in = document
                .as_ref()
                .and_then(|document| document.create_element("i").ok());
            if let (Some(stand_in), Some(key)) = (stand_in, inner.get_attribute(REGION)) {
                let _ = stand_in.set_attribute(REGION, &key);
                let _ = inner.replace_with_with_node_1(&stand_in);
            }
        }
        copy.outer_html()
    }

    /// The regions directly inside `region` (not those inside an inner one), in page order.
    fn inner_regions(region: &Element) -> Vec<Element> {
        elements_in(&region.query_selector_all(&format!("[{REGION}]")))
            .into_iter()
            .filter(|inner| enclosing_region(inner).as_ref() == Some(region))
            .collect()
    }

    fn enclosing_region(region: &Element) -> Option<Element> {
        region
            .parent_element()?
            .closest(&format!("[{REGION}]"))
            .ok()
            .flatten()
    }

    /// The elements a `query_selector_all` found (none if it failed).
    fn elements_in(found: &Result<web_sys::NodeList, wasm_bindgen::JsValue>) -> Vec<Element> {
        let Ok(list) = found else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|index| list.item(index))
            .filter_map(|node| node.dyn_into::<Element>().ok())
            .collect()
    }
}
