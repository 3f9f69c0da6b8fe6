//! The one typed site map: every console page (its address, title, who may see it and where it is
//! offered) and every console server route (forms, downloads, streams), the sign-in rule, and the
//! builders of concrete addresses. `App`'s routes (checked against it by a test), the main
//! navigation, the cluster tabs, the server's router, the sign-in middleware and the
//! authorization tests all read this list, so a route is written once.
//!
//! Patterns use axum's syntax (`/clusters/{region}/{id}`): the server routes them as they are, and
//! `leptos_axum::generate_route_list(App)` names `App`'s pages the same way. Nothing here is
//! server-only: the browser build links the same list.

use leptos::server_fn::ServerFn;

use crate::api;
use crate::components::icon::IconName;

/// Who may see a page or use a server route (each page and handler still checks access to the
/// object it names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in person: a signed-out browser is sent to the sign-in form first.
    SignedIn,
    /// The provider's operators (others are told the page does not exist).
    Operators,
}

/// Where a page is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Reached by links and forms only.
    Linked,
    /// An entry of the main navigation, with its icon.
    Navigation(IconName),
    /// One of a cluster's tabs (the tab's label is the page's title).
    ClusterTab(Tab),
}

/// A cluster's tabs, one URL each under `/clusters/{region}/{id}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Pools,
    Nodes,
    Storage,
    Upgrade,
    Maintenance,
    Alerts,
    Events,
    Access,
    Audit,
    Settings,
}

impl Tab {
    /// The page of this tab.
    pub const fn page(self) -> Page {
        match self {
            Tab::Overview => CLUSTER_OVERVIEW,
            Tab::Pools => CLUSTER_POOLS,
            Tab::Nodes => CLUSTER_NODES,
            Tab::Storage => CLUSTER_STORAGE,
            Tab::Upgrade => CLUSTER_UPGRADE,
            Tab::Maintenance => CLUSTER_MAINTENANCE,
            Tab::Alerts => CLUSTER_ALERTS,
            Tab::Events => CLUSTER_EVENTS,
            Tab::Access => CLUSTER_ACCESS,
            Tab::Audit => CLUSTER_AUDIT,
            Tab::Settings => CLUSTER_SETTINGS,
        }
    }
}

/// A console page: a route of `App`, rendered on the server for a GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Its address pattern, in axum's syntax.
    pub path: &'static str,
    /// What it is called: its `<Title>`, its navigation entry, its tab's label.
    pub title: &'static str,
    pub audience: Audience,
    pub placement: Placement,
}

impl Page {
    /// The address with its parameters filled in order (`/clusters/fr-par/…/pools`).
    pub fn url(&self, values: &[&str]) -> String {
        fill_in_order(self.path, values)
    }

    /// The address with each parameter filled by name.
    pub fn url_by_name(&self, value: impl FnMut(&str) -> String) -> String {
        fill_by_name(self.path, value)
    }

    /// Whether the address names an object (it has parameters).
    pub fn names_an_object(&self) -> bool {
        self.path.contains('{')
    }

    /// The first segment of its address (`/clusters` for every cluster page).
    fn section(&self) -> &'static str {
        section_of(self.path)
    }
}

/// How the browser reaches a server route, and what it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A POST from a plain form; the answer is `303 See Other` back to a page.
    Form,
    /// A GET of a file (kubeconfig, iCalendar).
    Download,
    /// A GET of Server-Sent Events (a live view's stream).
    Stream,
}

/// The HTTP method of a server route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A console route the server answers with its own handler (not a page): forms, downloads,
/// streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerRoute {
    /// Its address pattern, as the router takes it.
    pub axum_path: &'static str,
    pub kind: Kind,
    pub audience: Audience,
}

impl ServerRoute {
    pub const fn method(&self) -> Method {
        match self.kind {
            Kind::Form => Method::Post,
            Kind::Download | Kind::Stream => Method::Get,
        }
    }

    /// The address with its parameters filled in order.
    pub fn url(&self, values: &[&str]) -> String {
        fill_in_order(self.axum_path, values)
    }

    /// The address with each parameter filled by name (tests fill every route this way).
    pub fn url_by_name(&self, value: impl FnMut(&str) -> String) -> String {
        fill_by_name(self.axum_path, value)
    }
}

const fn page(
    path: &'static str,
    title: &'static str,
    audience: Audience,
    placement: Placement,
) -> Page {
    Page {
        path,
        title,
        audience,
        placement,
    }
}

const fn tab(path: &'static str, title: &'static str, tab: Tab) -> Page {
    page(path, title, Audience::SignedIn, Placement::ClusterTab(tab))
}

// The pages.
pub const OVERVIEW: Page = page(
    "/",
    "Overview",
    Audience::Public,
    Placement::Navigation(IconName::Overview),
);
pub const CLUSTERS: Page = page(
    "/clusters",
    "Clusters",
    Audience::SignedIn,
    Placement::Navigation(IconName::Clusters),
);
pub const NEW_CLUSTER: Page = page(
    "/clusters/new",
    "Create a cluster",
    Audience::SignedIn,
    Placement::Linked,
);
pub const CLUSTER_OVERVIEW: Page = tab("/clusters/{region}/{id}", "Overview", Tab::Overview);
pub const CLUSTER_POOLS: Page = tab("/clusters/{region}/{id}/pools", "Pools", Tab::Pools);
pub const CLUSTER_NODES: Page = tab("/clusters/{region}/{id}/nodes", "Nodes", Tab::Nodes);
pub const CLUSTER_STORAGE: Page = tab("/clusters/{region}/{id}/storage", "Storage", Tab::Storage);
pub const CLUSTER_UPGRADE: Page = tab("/clusters/{region}/{id}/upgrade", "Upgrade", Tab::Upgrade);
pub const CLUSTER_MAINTENANCE: Page = tab(
    "/clusters/{region}/{id}/maintenance",
    "Maintenance",
    Tab::Maintenance,
);
pub const CLUSTER_ALERTS: Page = tab("/clusters/{region}/{id}/alerts", "Alerts", Tab::Alerts);
pub const CLUSTER_EVENTS: Page = tab("/clusters/{region}/{id}/events", "Events", Tab::Events);
pub const CLUSTER_ACCESS: Page = tab("/clusters/{region}/{id}/access", "Access", Tab::Access);
pub const CLUSTER_AUDIT: Page = tab("/clusters/{region}/{id}/audit", "Audit", Tab::Audit);
pub const CLUSTER_SETTINGS: Page = tab(
    "/clusters/{region}/{id}/settings",
    "Settings",
    Tab::Settings,
);
pub const LOGIN: Page = page(
    crate::model::identity::SIGN_IN_PATH,
    "Sign in",
    Audience::Public,
    Placement::Linked,
);
pub const ALERTS: Page = page(
    "/alerts",
    "Alerts",
    Audience::SignedIn,
    Placement::Navigation(IconName::Alerts),
);
pub const AUDIT: Page = page(
    "/audit",
    "Audit log",
    Audience::SignedIn,
    Placement::Navigation(IconName::Audit),
);
pub const AUDIT_ENTRY: Page = page(
    "/audit/{organization}/{seq}",
    "Audit entry",
    Audience::SignedIn,
    Placement::Linked,
);
pub const SETTINGS: Page = page(
    "/settings",
    "Settings",
    Audience::SignedIn,
    Placement::Navigation(IconName::Settings),
);
pub const SYSTEM: Page = page(
    "/provider/system",
    "System",
    Audience::Operators,
    Placement::Navigation(IconName::System),
);

/// Every page, in the order of the navigation and of the cluster tabs.
pub const PAGES: &[Page] = &[
    OVERVIEW,
    CLUSTERS,
    NEW_CLUSTER,
    CLUSTER_OVERVIEW,
    CLUSTER_POOLS,
    CLUSTER_NODES,
    CLUSTER_STORAGE,
    CLUSTER_UPGRADE,
    CLUSTER_MAINTENANCE,
    CLUSTER_ALERTS,
    CLUSTER_EVENTS,
    CLUSTER_ACCESS,
    CLUSTER_AUDIT,
    CLUSTER_SETTINGS,
    LOGIN,
    ALERTS,
    AUDIT,
    AUDIT_ENTRY,
    SETTINGS,
    SYSTEM,
];

/// A form: its server function's address (fixed; what it is about travels in its fields).
const fn form_of<F: ServerFn>(audience: Audience) -> ServerRoute {
    ServerRoute {
        axum_path: F::PATH,
        kind: Kind::Form,
        audience,
    }
}

const fn signed_in(axum_path: &'static str, kind: Kind) -> ServerRoute {
    ServerRoute {
        axum_path,
        kind,
        audience: Audience::SignedIn,
    }
}

// The console's forms: each posts to its server function (`crate::api`), whose address the
// function declares; the routes below name them for the navigation of tests and the sign-in rule.
pub const SET_THEME: ServerRoute = form_of::<api::preferences::SetTheme>(Audience::Public);
pub const SIGN_IN: ServerRoute = form_of::<api::session::SignIn>(Audience::Public);
pub const SIGN_OUT: ServerRoute = form_of::<api::session::SignOut>(Audience::Public);
// The settings page's forms.
pub const CREATE_API_KEY: ServerRoute = form_of::<api::settings::CreateApiKey>(Audience::SignedIn);
pub const REVOKE_API_KEY: ServerRoute = form_of::<api::settings::RevokeApiKey>(Audience::SignedIn);
pub const CHANGE_PASSWORD: ServerRoute =
    form_of::<api::settings::ChangePassword>(Audience::SignedIn);
pub const CREATE_PROJECT: ServerRoute = form_of::<api::settings::CreateProject>(Audience::SignedIn);
pub const ADD_MEMBER: ServerRoute = form_of::<api::settings::AddMember>(Audience::SignedIn);
pub const CHANGE_MEMBER_ROLE: ServerRoute =
    form_of::<api::settings::ChangeMemberRole>(Audience::SignedIn);
pub const REMOVE_MEMBER: ServerRoute = form_of::<api::settings::RemoveMember>(Audience::SignedIn);
pub const SET_AUDIT_VIEWERS: ServerRoute =
    form_of::<api::settings::SetAuditViewers>(Audience::SignedIn);
// Creating a cluster.
pub const CREATE_CLUSTER: ServerRoute = form_of::<api::create::CreateCluster>(Audience::SignedIn);
// A cluster's forms.
pub const NODE_ACTION: ServerRoute = form_of::<api::cluster::NodeAction>(Audience::SignedIn);
pub const ADD_POOL: ServerRoute = form_of::<api::cluster::AddPool>(Audience::SignedIn);
pub const POOL_ACTION: ServerRoute = form_of::<api::cluster::PoolAction>(Audience::SignedIn);
pub const SAVE_SETTINGS: ServerRoute = form_of::<api::cluster::SaveSettings>(Audience::SignedIn);
pub const DELETE_CLUSTER: ServerRoute = form_of::<api::cluster::DeleteCluster>(Audience::SignedIn);
pub const ADD_ACL_RULE: ServerRoute = form_of::<api::cluster::AddAclRule>(Audience::SignedIn);
pub const DELETE_ACL_RULE: ServerRoute = form_of::<api::cluster::DeleteAclRule>(Audience::SignedIn);
pub const RESET_ADMIN_TOKEN: ServerRoute =
    form_of::<api::cluster::ResetAdminToken>(Audience::SignedIn);
pub const START_UPGRADE: ServerRoute = form_of::<api::upgrade::StartUpgrade>(Audience::SignedIn);
pub const START_ROLLBACK: ServerRoute = form_of::<api::upgrade::StartRollback>(Audience::SignedIn);
pub const CONTROL_UPGRADE: ServerRoute =
    form_of::<api::upgrade::ControlUpgrade>(Audience::SignedIn);
pub const SAVE_WINDOW: ServerRoute = form_of::<api::maintenance::SaveWindow>(Audience::SignedIn);
pub const SAVE_LIFESPAN: ServerRoute =
    form_of::<api::maintenance::SaveLifespan>(Audience::SignedIn);
pub const ADD_EXCLUSION: ServerRoute =
    form_of::<api::maintenance::AddExclusion>(Audience::SignedIn);
pub const REMOVE_EXCLUSION: ServerRoute =
    form_of::<api::maintenance::RemoveExclusion>(Audience::SignedIn);
pub const SAVE_AUTO_UPGRADE: ServerRoute =
    form_of::<api::maintenance::SaveAutoUpgrade>(Audience::SignedIn);
pub const SAVE_AUTOHEALING: ServerRoute =
    form_of::<api::maintenance::SaveAutohealing>(Audience::SignedIn);
// Alerts'.
pub const ACKNOWLEDGE_ALERT: ServerRoute =
    form_of::<api::alerts::AcknowledgeAlert>(Audience::SignedIn);
pub const SILENCE_ALERTS: ServerRoute = form_of::<api::alerts::SilenceAlerts>(Audience::SignedIn);
pub const END_SILENCE: ServerRoute = form_of::<api::alerts::EndSilence>(Audience::SignedIn);
pub const CHECK_ALERTS: ServerRoute = form_of::<api::alerts::CheckAlerts>(Audience::SignedIn);
// The audit log's.
pub const SIGN_CHECKPOINT: ServerRoute = form_of::<api::audit::SignCheckpoint>(Audience::SignedIn);

// The console's downloads and live streams, served by the server's own handlers.
pub const CLUSTERS_LIVE: ServerRoute = signed_in("/clusters/events", Kind::Stream);
pub const KUBECONFIG: ServerRoute = signed_in("/clusters/{region}/{id}/kubeconfig", Kind::Download);
pub const MAINTENANCE_ICS: ServerRoute =
    signed_in("/clusters/{region}/{id}/maintenance.ics", Kind::Download);
pub const CLUSTER_LIVE: ServerRoute = signed_in("/clusters/{region}/{id}/live", Kind::Stream);
/// An organization's log as the person may read it (`?format=jsonl|csv` and the filters).
pub const AUDIT_EXPORT: ServerRoute = signed_in("/audit/{organization}/export", Kind::Download);
/// The installation's key that signs every checkpoint (PEM).
pub const AUDIT_PUBLIC_KEY: ServerRoute = signed_in("/audit/public-key.pem", Kind::Download);

/// Every server route of the console.
pub const SERVER_ROUTES: &[ServerRoute] = &[
    SET_THEME,
    SIGN_IN,
    SIGN_OUT,
    CLUSTERS_LIVE,
    CREATE_API_KEY,
    REVOKE_API_KEY,
    CHANGE_PASSWORD,
    CREATE_PROJECT,
    ADD_MEMBER,
    CHANGE_MEMBER_ROLE,
    REMOVE_MEMBER,
    CREATE_CLUSTER,
    KUBECONFIG,
    NODE_ACTION,
    ADD_POOL,
    POOL_ACTION,
    SAVE_SETTINGS,
    START_UPGRADE,
    SAVE_WINDOW,
    SAVE_LIFESPAN,
    ADD_EXCLUSION,
    SAVE_AUTO_UPGRADE,
    SAVE_AUTOHEALING,
    MAINTENANCE_ICS,
    REMOVE_EXCLUSION,
    START_ROLLBACK,
    CONTROL_UPGRADE,
    CLUSTER_LIVE,
    DELETE_CLUSTER,
    ADD_ACL_RULE,
    DELETE_ACL_RULE,
    RESET_ADMIN_TOKEN,
    SIGN_CHECKPOINT,
    SET_AUDIT_VIEWERS,
    ACKNOWLEDGE_ALERT,
    SILENCE_ALERTS,
    END_SILENCE,
    CHECK_ALERTS,
    AUDIT_EXPORT,
    AUDIT_PUBLIC_KEY,
];

/// The main navigation's entries, in order, with their icons.
pub fn navigation() -> impl Iterator<Item = (Page, IconName)> {
    PAGES.iter().filter_map(|page| match page.placement {
        Placement::Navigation(icon) => Some((*page, icon)),
        _ => None,
    })
}

/// A cluster's tabs, in order.
pub fn cluster_tabs() -> impl Iterator<Item = (Page, Tab)> {
    PAGES.iter().filter_map(|page| match page.placement {
        Placement::ClusterTab(tab) => Some((*page, tab)),
        _ => None,
    })
}

/// The sign-in rule: whether a GET of `path` needs a signed-in person. It does in every section
/// (first path segment) that holds a page for signed-in people or operators, so that section's
/// downloads and streams, and addresses that do not exist, are not told apart from its pages
/// before signing in.
pub fn needs_sign_in(path: &str) -> bool {
    PAGES
        .iter()
        .filter(|page| page.audience != Audience::Public)
        .map(Page::section)
        .any(|section| {
            path.strip_prefix(section)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
}

// Builders of concrete addresses.

/// The sign-in form's page (where a signed-out browser is sent).
pub use crate::model::identity::SIGN_IN_PATH;
/// The create-cluster form's page.
pub const CREATE_PATH: &str = NEW_CLUSTER.path;
/// The settings page, where its forms send the browser back.
pub const SETTINGS_PATH: &str = SETTINGS.path;

/// A cluster's page (its overview tab).
pub fn cluster_path(region: &str, id: &str) -> String {
    cluster(region, id)
}

/// A cluster's upgrade wizard (its tab).
pub fn upgrade_path(region: &str, id: &str) -> String {
    cluster_tab(region, id, Tab::Upgrade)
}

/// A cluster's own page (its overview tab).
pub fn cluster(region: &str, id: &str) -> String {
    cluster_tab(region, id, Tab::Overview)
}

/// One tab of a cluster.
pub fn cluster_tab(region: &str, id: &str, tab: Tab) -> String {
    tab.page().url(&[region, id])
}

/// Where a form posts and the hidden fields that say what it is about (its server function's
/// address is fixed: the cluster, pool or member travels in the form, not the address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormTo {
    pub action: &'static str,
    pub fields: Vec<(&'static str, String)>,
}

impl FormTo {
    /// One more hidden field.
    pub fn with(mut self, name: &'static str, value: &str) -> FormTo {
        self.fields.push((name, value.to_string()));
        self
    }
}

/// A form with nothing hidden (the signed-in person's own settings).
pub fn form_to(route: ServerRoute) -> FormTo {
    debug_assert_eq!(route.kind, Kind::Form, "{route:?} is not a form");
    FormTo {
        action: route.axum_path,
        fields: Vec::new(),
    }
}

/// A form about one cluster (`region` and `cluster` hidden).
pub fn cluster_form(region: &str, id: &str, route: ServerRoute) -> FormTo {
    form_to(route).with("region", region).with("cluster", id)
}

/// A download or stream of one cluster (`KUBECONFIG`, `MAINTENANCE_ICS`, `CLUSTER_LIVE`).
pub fn cluster_route(region: &str, id: &str, route: ServerRoute) -> String {
    debug_assert_ne!(route.kind, Kind::Form, "a form's target is `cluster_form`");
    route.url(&[region, id])
}

fn section_of(pattern: &'static str) -> &'static str {
    match pattern.get(1..).and_then(|rest| rest.find('/')) {
        Some(end) => &pattern[..end + 1],
        None => pattern,
    }
}

fn fill_by_name(pattern: &str, mut value: impl FnMut(&str) -> String) -> String {
    pattern
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => value(name),
                None => segment.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn fill_in_order(pattern: &str, values: &[&str]) -> String {
    let mut taken = 0;
    let url = fill_by_name(pattern, |_| {
        taken += 1;
        values
            .get(taken - 1)
            .map(|value| value.to_string())
            .unwrap_or_default()
    });
    // A builder given the wrong route is a programming error: say so in debug builds.
    debug_assert_eq!(
        taken,
        values.len(),
        "{pattern} takes other values than {values:?}"
    );
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_and_server_route_is_listed_once() {
        for (index, page) in PAGES.iter().enumerate() {
            assert!(page.path.starts_with('/'), "{page:?}");
            assert!(
                PAGES[index + 1..]
                    .iter()
                    .all(|other| other.path != page.path),
                "{} is listed twice",
                page.path
            );
        }
        for (index, route) in SERVER_ROUTES.iter().enumerate() {
            assert!(route.axum_path.starts_with('/'), "{route:?}");
            assert!(
                SERVER_ROUTES[index + 1..]
                    .iter()
                    .all(|other| other.axum_path != route.axum_path
                        || other.method() != route.method()),
                "{} {} is listed twice",
                route.method().as_str(),
                route.axum_path
            );
        }
    }

    #[test]
    fn each_tab_has_one_page_in_order() {
        let tabs: Vec<Tab> = cluster_tabs().map(|(_, tab)| tab).collect();
        assert_eq!(
            tabs,
            [
                Tab::Overview,
                Tab::Pools,
                Tab::Nodes,
                Tab::Storage,
                Tab::Upgrade,
                Tab::Maintenance,
                Tab::Alerts,
                Tab::Events,
                Tab::Access,
                Tab::Audit,
                Tab::Settings
            ]
        );
        for (page, tab) in cluster_tabs() {
            assert_eq!(tab.page(), page, "{tab:?}");
            assert!(page.path.starts_with(CLUSTER_OVERVIEW.path), "{page:?}");
        }
    }

    #[test]
    fn the_navigation_offers_the_sections_in_order() {
        let entries: Vec<(&str, &str)> = navigation()
            .map(|(page, _)| (page.path, page.title))
            .collect();
        assert_eq!(
            entries,
            [
                ("/", "Overview"),
                ("/clusters", "Clusters"),
                ("/alerts", "Alerts"),
                ("/audit", "Audit log"),
                ("/settings", "Settings"),
                ("/provider/system", "System")
            ]
        );
    }

    #[test]
    fn builders_make_the_addresses_bookmarks_know() {
        assert_eq!(OVERVIEW.url(&[]), "/");
        assert_eq!(cluster("fr-par", "c1"), "/clusters/fr-par/c1");
        assert_eq!(
            cluster_tab("fr-par", "c1", Tab::Pools),
            "/clusters/fr-par/c1/pools"
        );
        assert_eq!(
            cluster_tab("fr-par", "c1", Tab::Upgrade),
            "/clusters/fr-par/c1/upgrade"
        );
        assert_eq!(
            cluster_route("fr-par", "c1", MAINTENANCE_ICS),
            "/clusters/fr-par/c1/maintenance.ics"
        );
        assert_eq!(
            cluster_route("fr-par", "c1", CLUSTER_LIVE),
            "/clusters/fr-par/c1/live"
        );
        // Forms post to their server function, under one prefix, with what they are about in
        // their fields.
        assert_eq!(NODE_ACTION.axum_path, "/console/nodes/act");
        assert_eq!(SIGN_IN.axum_path, "/console/sign-in");
        for route in SERVER_ROUTES
            .iter()
            .filter(|route| route.kind == Kind::Form)
        {
            assert!(
                route.axum_path.starts_with(crate::api::FORMS_PREFIX)
                    && !route.axum_path.contains('{'),
                "{route:?}"
            );
        }
        assert_eq!(
            KUBECONFIG.url_by_name(|name| name.to_uppercase()),
            "/clusters/REGION/ID/kubeconfig"
        );
    }

    #[test]
    fn signing_in_is_needed_in_the_signed_in_pages_sections_only() {
        for path in [
            "/clusters",
            "/clusters/new",
            "/clusters/events",
            "/clusters/fr-par/c1/pools",
            "/clusters/fr-par/c1/kubeconfig",
            "/settings",
            "/settings/api-keys",
            "/provider/system",
            "/provider/anything",
        ] {
            assert!(needs_sign_in(path), "{path}");
        }
        for path in [
            "/",
            "/login",
            "/logout",
            "/preferences/theme",
            "/clustersx",
            "/healthz",
            "/api/v1/regions/fr-par/clusters",
            "/pkg/wheelhouse.css",
        ] {
            assert!(!needs_sign_in(path), "{path}");
        }
        for page in PAGES {
            let example = page.url_by_name(|name| format!("some-{name}"));
            assert_eq!(
                needs_sign_in(&example),
                page.audience != Audience::Public,
                "{page:?}: a public page must not share a section with signed-in pages"
            );
        }
    }
}
