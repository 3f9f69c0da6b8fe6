//! Status badges: colour always comes with a word, never colour alone.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warning,
    Critical,
    Neutral,
}

impl Tone {
    fn classes(self) -> &'static str {
        match self {
            Tone::Good => "bg-good-soft text-good",
            Tone::Warning => "bg-warn-soft text-warn",
            Tone::Critical => "bg-bad-soft text-bad",
            Tone::Neutral => "bg-subtle text-muted",
        }
    }
}

/// The tone of a cluster, pool or node status word (one mapping for every page).
pub fn status_tone(status: &str) -> Tone {
    match status {
        "ready" => Tone::Good,
        "creating" | "updating" | "deleting" | "scaling" | "upgrading" | "rebooting"
        | "starting" | "registering" => Tone::Warning,
        "creation_error" | "not_ready" | "warning" | "locked" | "pool_required" => Tone::Critical,
        _ => Tone::Neutral,
    }
}

fn badge_classes(tone: Tone) -> String {
    format!(
        "inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-medium {}",
        tone.classes()
    )
}

/// A word with its colour.
#[component]
pub fn StatusBadge(tone: Tone, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <span class=badge_classes(tone)>
            <span class="size-1.5 rounded-full bg-current" aria-hidden="true"></span>
            <span>{label}</span>
        </span>
    }
}
