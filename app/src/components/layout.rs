//! The workspace frame: sidebar, top bar with workspace switcher and user menu.

use crate::components::csrf::CsrfField;
use crate::serverfns::assignment::SetAvailability;
use crate::serverfns::auth::LogOut;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use msgbuddy_domain::assignment::Availability;
use msgbuddy_domain::views::{User, WorkspaceSummary};
use msgbuddy_domain::{Permission, Role};

/// The current workspace, provided to every page inside it. `role` is live: an SSE
/// `member.role_changed` event updates it, and everything reading it re-renders.
#[derive(Debug, Clone)]
pub struct WorkspaceCtx {
    pub id: String,
    pub name: RwSignal<String>,
    pub role: RwSignal<Role>,
    pub user: User,
    pub workspaces: Vec<WorkspaceSummary>,
    /// The member's unread notifications, raised by live events.
    pub unread: RwSignal<i64>,
    /// Whether the member takes conversations now; `None` for roles that do not reply.
    pub availability: Option<Availability>,
}

impl WorkspaceCtx {
    pub fn can(&self, permission: Permission) -> Signal<bool> {
        let role = self.role;
        Signal::derive(move || role.get().can(permission))
    }
}

/// One entry of the sidebar. Modules add theirs (Inbox, Contacts, Templates, Campaigns,
/// Analytics) to [`sections`] when they land; an entry shows only if the role may see it.
struct Section {
    label: &'static str,
    testid: &'static str,
    path: &'static str,
    needs: Option<Permission>,
}

fn sections() -> [Section; 6] {
    [
        Section {
            label: "Overview",
            testid: "nav-overview",
            path: "",
            needs: None,
        },
        Section {
            label: "Conversations",
            testid: "nav-conversations",
            path: "/conversations",
            needs: Some(Permission::ConversationsView),
        },
        Section {
            label: "Contacts",
            testid: "nav-contacts",
            path: "/contacts",
            needs: Some(Permission::ContactsView),
        },
        Section {
            label: "Search",
            testid: "nav-search",
            path: "/search",
            needs: Some(Permission::ConversationsView),
        },
        Section {
            label: "Starred",
            testid: "nav-starred",
            path: "/starred",
            needs: Some(Permission::ConversationsView),
        },
        Section {
            label: "Settings",
            testid: "nav-settings",
            path: "/settings",
            needs: Some(Permission::SettingsView),
        },
    ]
}

#[component]
pub fn Sidebar(ctx: WorkspaceCtx) -> impl IntoView {
    let collapsed = RwSignal::new(false);
    let is_admin = ctx.user.is_platform_admin;
    let role = ctx.role;
    let links = sections()
        .into_iter()
        .map(|s| {
            let href = format!("/w/{}{}", ctx.id, s.path);
            let visible = move || s.needs.is_none_or(|p| role.get().can(p));
            view! {
                <Show when=visible>
                    <li>
                        <a
                            href=href.clone()
                            data-testid=s.testid
                            class="flex items-center rounded-md px-3 py-2 text-sm font-medium text-slate-200 hover:bg-slate-800"
                        >
                            {s.label}
                        </a>
                    </li>
                </Show>
            }
        })
        .collect_view();
    view! {
        <nav
            data-testid="sidebar"
            aria-label="Main"
            class=move || if collapsed.get() { "w-16 shrink-0 bg-slate-900 p-2" } else { "w-full shrink-0 bg-slate-900 p-3 md:w-60" }
        >
            <div class="mb-2 flex items-center justify-between md:mb-4">
                <a href="/" class="px-2 text-lg font-bold text-white" class:hidden=move || collapsed.get()>"msgbuddy"</a>
                <button
                    type="button"
                    data-testid="sidebar-toggle"
                    aria-label=move || if collapsed.get() { "Expand sidebar" } else { "Collapse sidebar" }
                    aria-expanded=move || (!collapsed.get()).to_string()
                    on:click=move |_| collapsed.update(|c| *c = !*c)
                    class="rounded p-1 text-slate-300 hover:bg-slate-800"
                >
                    {move || if collapsed.get() { "»" } else { "«" }}
                </button>
            </div>
            // A row of links at phone width, so the page starts near the top; a column beside
            // it on wider screens.
            <ul class="flex flex-wrap gap-1 md:flex-col" class:hidden=move || collapsed.get()>
                {links}
                {is_admin.then(|| view! {
                    <li>
                        <a href="/admin" data-testid="nav-admin" class="flex items-center rounded-md px-3 py-2 text-sm font-medium text-amber-300 hover:bg-slate-800">
                            "Admin"
                        </a>
                    </li>
                })}
            </ul>
        </nav>
    }
}

#[component]
pub fn Topbar(ctx: WorkspaceCtx, #[prop(into)] live: Signal<bool>) -> impl IntoView {
    let current = ctx.id.clone();
    let name = ctx.name;
    let others = ctx
        .workspaces
        .iter()
        .map(|w| {
            let selected = w.id == current;
            view! {
                <li>
                    <a
                        href=format!("/w/{}", w.id)
                        aria-current=selected.then_some("page")
                        class="block px-3 py-2 text-sm hover:bg-slate-100"
                        data-testid="workspace-option"
                    >
                        {w.name.clone()}
                        <span class="ml-2 text-xs text-slate-500">{w.role.label()}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <header data-testid="topbar" class="flex items-center justify-between border-b border-slate-200 bg-white px-4 py-2">
            <details class="relative" data-testid="workspace-switcher">
                // The accessible name starts with the visible text (WCAG 2.5.3, label in name).
                <summary class="cursor-pointer list-none rounded-md px-2 py-1 font-semibold hover:bg-slate-100">
                    <span data-testid="current-workspace">{move || name.get()}</span>
                    <span class="sr-only">", switch workspace"</span>
                    <span aria-hidden="true">" ▾"</span>
                </summary>
                <ul class="absolute z-10 mt-1 w-64 rounded-md border border-slate-200 bg-white py-1 shadow">
                    {others}
                    <li class="border-t border-slate-100">
                        <a href="/workspaces/new" data-testid="new-workspace-link" class="block px-3 py-2 text-sm text-indigo-600 hover:bg-slate-100">
                            "+ New workspace"
                        </a>
                    </li>
                </ul>
            </details>
            <div class="flex items-center gap-3">
                <span
                    data-testid="live-status"
                    class=move || if live.get() { "text-xs text-emerald-700" } else { "text-xs text-slate-600" }
                >
                    {move || if live.get() { "● Live" } else { "○ Not live" }}
                </span>
                {ctx.availability.map(|current| view! { <AvailabilityMenu workspace_id=ctx.id.clone() current /> })}
                <Bell workspace_id=ctx.id.clone() unread=ctx.unread />
                <UserMenu user=ctx.user.clone() />
            </div>
        </header>
    }
}

/// The notification centre's link, with the unread count.
#[component]
fn Bell(workspace_id: String, unread: RwSignal<i64>) -> impl IntoView {
    view! {
        <a
            href=format!("/w/{workspace_id}/notifications")
            data-testid="bell"
            class="relative flex items-center gap-1 rounded-md px-2 py-1 text-sm text-slate-700 hover:bg-slate-100"
        >
            <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
                <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
                <path d="M13.7 21a2 2 0 0 1-3.4 0" />
            </svg>
            <span class="sr-only">"Notifications"</span>
            <Show when=move || { unread.get() > 0 }>
                <span class="rounded-full bg-red-700 px-1.5 text-xs font-semibold text-white" data-testid="bell-count">
                    {move || unread.get()}
                    <span class="sr-only">" unread"</span>
                </span>
            </Show>
        </a>
    }
}

/// The member's own availability: auto-assignment gives conversations only to members who
/// are online. A plain form, so it works without JavaScript; it comes back to this page.
#[component]
fn AvailabilityMenu(workspace_id: String, current: Availability) -> impl IntoView {
    let dot = match current {
        Availability::Online => "bg-emerald-500",
        Availability::Away => "bg-amber-500",
        Availability::Offline => "bg-slate-400",
    };
    let choices = Availability::ALL
        .into_iter()
        .map(|a| {
            view! {
                <button
                    type="submit"
                    name="availability"
                    value=a.as_str()
                    aria-pressed=(a == current).to_string()
                    data-testid=format!("availability-{}", a.as_str())
                    class="block w-full px-3 py-2 text-left text-sm hover:bg-slate-100"
                >
                    {a.label()}
                </button>
            }
        })
        .collect_view();
    view! {
        <details class="relative" data-testid="availability">
            <summary class="flex cursor-pointer list-none items-center gap-1 rounded-md px-2 py-1 text-sm hover:bg-slate-100">
                <span aria-hidden="true" class=format!("inline-block h-2 w-2 rounded-full {dot}")></span>
                <span data-testid="availability-current">{current.label()}</span>
                <span class="sr-only">", change your availability"</span>
            </summary>
            <form method="post" action=SetAvailability::url() class="absolute right-0 z-10 mt-1 w-40 rounded-md border border-slate-200 bg-white py-1 shadow">
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id />
                {choices}
            </form>
        </details>
    }
}

#[component]
pub fn UserMenu(user: User) -> impl IntoView {
    view! {
        <details class="relative" data-testid="user-menu">
            <summary class="cursor-pointer list-none rounded-md px-2 py-1 text-sm hover:bg-slate-100">
                {user.name.clone()}
                <span class="sr-only">", account menu"</span>
            </summary>
            <div class="absolute right-0 z-10 mt-1 w-56 rounded-md border border-slate-200 bg-white py-1 shadow">
                <p class="px-3 py-2 text-xs text-slate-500" data-testid="user-email">{user.email.clone()}</p>
                <a href="/account" class="block px-3 py-2 text-sm hover:bg-slate-100">"Account"</a>
                <form method="post" action=LogOut::url()>
                    <CsrfField />
                    <button type="submit" data-testid="logout" class="block w-full px-3 py-2 text-left text-sm hover:bg-slate-100">
                        "Log out"
                    </button>
                </form>
            </div>
        </details>
    }
}
