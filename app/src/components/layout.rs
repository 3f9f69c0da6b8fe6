//! The console frame: a header, the navigation (a side bar on wide screens, a bottom bar on
//! phones) and the content area.

use leptos::prelude::*;
use leptos_router::components::A;

use super::icon::{Icon, IconName};
use super::theme_toggle::ThemeToggle;
use crate::model::theme::Theme;
use crate::routes::{self, Audience};

/// Whether the person signed in is one of the provider's operators.
fn viewer_is_operator() -> bool {
    #[cfg(feature = "ssr")]
    {
        crate::model::identity::viewer().is_some_and(|viewer| viewer.is_operator)
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// Whether the request carries a session cookie (the header then offers to sign out; whether
/// the session is still valid is for the pages to check).
fn has_session() -> bool {
    #[cfg(feature = "ssr")]
    {
        crate::api::ssr::session_token().is_some()
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

#[component]
pub fn ConsoleLayout(theme: Theme, children: Children) -> impl IntoView {
    view! {
        <a
            href="#content"
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-surface focus:px-3 focus:py-2"
        >
            "Skip to content"
        </a>
        <header class="sticky top-0 z-30 border-b border-line bg-surface/95 backdrop-blur">
            <div class="flex h-14 items-center justify-between px-4 md:px-6">
                <a href=routes::OVERVIEW.path class="flex min-h-11 items-center gap-2 font-semibold tracking-tight">
                    <Icon name=IconName::Wheel class="size-6 text-accent" />
                    <span>"Wheelhouse"</span>
                </a>
                <div class="flex items-center gap-2">
                    {if has_session() {
                        view! {
                            <form method="post" action=routes::SIGN_OUT.axum_path>
                                <button type="submit" class="inline-flex min-h-11 items-center rounded-md px-3 text-sm text-muted hover:bg-subtle hover:text-ink" data-testid="header-sign-out">"Sign out"</button>
                            </form>
                        }.into_any()
                    } else {
                        view! {
                            <a href=routes::LOGIN.path class="inline-flex min-h-11 items-center rounded-md px-3 text-sm text-accent hover:bg-subtle" data-testid="header-sign-in">"Sign in"</a>
                        }.into_any()
                    }}
                    <ThemeToggle initial=theme />
                </div>
            </div>
        </header>
        <div class="md:flex">
            <nav
                aria-label="Main"
                class="fixed inset-x-0 bottom-0 z-30 border-t border-line bg-surface md:sticky md:top-14 md:h-[calc(100vh-3.5rem)] md:w-56 md:shrink-0 md:border-r md:border-t-0"
                data-testid="main-nav"
            >
                <ul class="flex justify-around md:flex-col md:justify-start md:gap-1 md:p-3">
                    // Signed-in people's entries are offered to everyone (their pages ask to
                    // sign in first); operators' only to operators (the page checks too).
                    {routes::navigation()
                        .filter(|(page, _)| page.audience != Audience::Operators || viewer_is_operator())
                        .map(|(page, icon)| {
                            view! {
                                <li class="flex-1 md:flex-none">
                                    <A
                                        href=page.path
                                        exact=true
                                        attr:class="flex min-h-14 flex-col items-center justify-center gap-0.5 rounded-md px-2 text-xs text-muted hover:bg-subtle hover:text-ink aria-[current=page]:text-accent md:min-h-10 md:flex-row md:justify-start md:gap-3 md:px-3 md:text-sm md:aria-[current=page]:bg-accent-soft"
                                    >
                                        <Icon name=icon />
                                        <span>{page.title}</span>
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <main id="content" class="min-w-0 flex-1 px-4 pb-24 pt-5 md:px-8 md:pb-10 md:pt-8">
                {children()}
            </main>
        </div>
    }
}
