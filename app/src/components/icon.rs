//! A small set of inline SVG icons (24×24, stroke = currentColor), so no icon font is downloaded.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    Overview,
    Clusters,
    Settings,
    System,
    Audit,
    Alerts,
    Wheel,
    Sun,
    Moon,
    Monitor,
}

impl IconName {
    fn path(self) -> &'static str {
        match self {
            IconName::Overview => "M3 12l9-8 9 8M5 10v10h5v-6h4v6h5V10",
            IconName::Clusters => "M12 3l8 4.5v9L12 21l-8-4.5v-9zM12 12l8-4.5M12 12v9M12 12L4 7.5",
            IconName::Settings => "M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6M4 12h2M18 12h2M12 4v2M12 18v2M6.3 6.3l1.4 1.4M16.3 16.3l1.4 1.4M6.3 17.7l1.4-1.4M16.3 7.7l1.4-1.4",
            IconName::System => "M4 5h16v10H4zM8 19h8M12 15v4",
            IconName::Audit => "M6 3h9l3 3v15H6zM9 13l2 2l4-4",
            IconName::Alerts => "M6 17V11a6 6 0 0 1 12 0v6l2 2H4zM10 21h4",
            IconName::Wheel => {
                "M12 3v4M12 17v4M3 12h4M17 12h4M5.6 5.6l2.9 2.9M15.5 15.5l2.9 2.9M5.6 18.4l2.9-2.9M15.5 8.5l2.9-2.9M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6"
            }
            IconName::Sun => {
                "M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8M12 2v2M12 20v2M2 12h2M20 12h2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"
            }
            IconName::Moon => "M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z",
            IconName::Monitor => "M3 4h18v12H3zM8 20h8M12 16v4",
        }
    }
}

#[component]
pub fn Icon(name: IconName, #[prop(default = "size-5")] class: &'static str) -> impl IntoView {
    view! {
        <svg
            class=class
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.8"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            <path d=name.path() />
        </svg>
    }
}
