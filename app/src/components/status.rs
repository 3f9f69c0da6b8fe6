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

#[component]
pub fn StatusBadge(tone: Tone, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <span class=format!(
            "inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-medium {}",
            tone.classes(),
        )>
            <span class="size-1.5 rounded-full bg-current" aria-hidden="true"></span>
            {label}
        </span>
    }
}
