//! msgbuddy's web UI: routes, pages and components, and the server functions they call.
//! Pages render on the server and work without JavaScript. The browser hydrates only the
//! islands (`#[island]`): the workspace frame, which follows live events, and the toasts.
//! Everything else is plain HTML with forms that post, so the WASM bundle stays small.
#![forbid(unsafe_code)]
// Leptos view types nest deeply; computing their layout needs more than the default 128.
#![recursion_limit = "256"]

pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod serverfns;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::pages::{
    account::AccountPage,
    admin::AdminPage,
    api_keys::ApiKeysPage,
    assignment::AssignmentPage,
    audit::AuditPage,
    auth::LoginPage,
    auth::SignupPage,
    channels::{ChannelPage, ChannelsPage},
    contact::ContactPage,
    contact_duplicates::DuplicatesPage,
    contact_fields::ContactFieldsPage,
    contacts::ContactsPage,
    conversations::ConversationsPage,
    groups::GroupsPage,
    home::HomeRedirect,
    imports::{ImportPageView, ImportsPage},
    invitations::InvitationsPage,
    invite_accept::InviteAcceptPage,
    labels::LabelsPage,
    members::MembersPage,
    not_found::NotFound,
    notification_preferences::NotificationPreferencesPage,
    notifications::NotificationsPage,
    quick_replies::QuickRepliesPage,
    search::SearchPage,
    segments::SegmentsPage,
    settings::SettingsPage,
    starred::StarredPage,
    tags::TagsPage,
    thread::ThreadPage,
    workspace::{WorkspaceHome, WorkspaceLayout},
    workspace_new::NewWorkspacePage,
};

/// The HTML document around the app, rendered once per page on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    server::provide_page_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body class="h-full text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// Starts the browser side: hydrates every island on the page.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/msgbuddy.css" />
        <Link rel="manifest" href="/manifest.webmanifest" />
        <Link rel="icon" href="/icons/icon-192.png" />
        <Meta name="theme-color" content="#4f46e5" />
        <Meta name="csrf-token" content=components::csrf::csrf_token() />
        <Title formatter=|t: String| if t.is_empty() { "msgbuddy".to_owned() } else { format!("{t} · msgbuddy") } />
        <script src="/register-sw.js" defer nonce=leptos::nonce::use_nonce()></script>
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/") view=HomeRedirect ssr=SsrMode::Async />
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                <Route path=path!("/workspaces/new") view=NewWorkspacePage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=InviteAcceptPage ssr=SsrMode::Async />
                <ParentRoute path=path!("/w/:ws") view=WorkspaceLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=WorkspaceHome />
                    <Route path=path!("settings") view=SettingsPage />
                    <Route path=path!("settings/members") view=MembersPage />
                    <Route path=path!("settings/invitations") view=InvitationsPage />
                    <Route path=path!("settings/audit") view=AuditPage />
                    <Route path=path!("settings/channels") view=ChannelsPage />
                    <Route path=path!("settings/api-keys") view=ApiKeysPage />
                    <Route path=path!("settings/labels") view=LabelsPage />
                    <Route path=path!("settings/quick-replies") view=QuickRepliesPage />
                    <Route path=path!("settings/contact-fields") view=ContactFieldsPage />
                    <Route path=path!("settings/tags") view=TagsPage />
                    <Route path=path!("contacts") view=ContactsPage />
                    <Route path=path!("contacts/duplicates") view=DuplicatesPage />
                    <Route path=path!("contacts/segments") view=SegmentsPage />
                    <Route path=path!("contacts/groups") view=GroupsPage />
                    <Route path=path!("contacts/imports") view=ImportsPage />
                    <Route path=path!("contacts/imports/:import") view=ImportPageView />
                    <Route path=path!("contacts/:contact") view=ContactPage />
                    <Route path=path!("settings/assignment") view=AssignmentPage />
                    <Route path=path!("settings/channels/:channel") view=ChannelPage />
                    <Route path=path!("conversations") view=ConversationsPage />
                    <Route path=path!("search") view=SearchPage />
                    <Route path=path!("starred") view=StarredPage />
                    <Route path=path!("notifications") view=NotificationsPage />
                    <Route path=path!("notifications/preferences") view=NotificationPreferencesPage />
                    <Route path=path!("conversations/:conversation") view=ThreadPage />
                </ParentRoute>
            </Routes>
        </Router>
        // Last in the page, so it hydrates after every other island: its
        // `data-hydrated="true"` then means the whole page is interactive.
        <components::toast::Toasts />
    }
}
