//! The frame around every workspace page, and the workspace's overview page.

use crate::components::layout::{Sidebar, Topbar, WorkspaceCtx};
use crate::components::live::{LiveEvent, use_live_events};
use crate::components::states::{EmptyState, Loading};
use crate::components::toast::{ToastKind, show_toast};
use crate::serverfns::workspaces::{WorkspaceView, get_workspace_view};
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_params_map;
use msgbuddy_domain::Role;

#[component]
pub fn WorkspaceLayout() -> impl IntoView {
    let params = use_params_map();
    let ws_id = move || params.read().get("ws").unwrap_or_default();
    let data = Resource::new(ws_id, get_workspace_view);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        // A plain string outside the island: the title is written on the
                        // server, after the body has rendered.
                        <crate::components::head::PageTitle text=view.current.name.clone() />
                        <WorkspaceFrame view>
                            <Outlet />
                        </WorkspaceFrame>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}
        </Suspense>
    }
}

/// The frame around the page: an island, the part of a workspace page that runs in the
/// browser. It follows the workspace's live events (the role decides what the sidebar
/// shows, the name shows in the top bar) and owns the sidebar toggle. The page itself,
/// `children`, is server-rendered HTML that the browser does not re-render.
#[island]
fn WorkspaceFrame(view: WorkspaceView, children: Children) -> impl IntoView {
    let ctx = WorkspaceCtx {
        id: view.current.id.clone(),
        name: RwSignal::new(view.current.name.clone()),
        role: RwSignal::new(view.role),
        user: view.user.clone(),
        workspaces: view.workspaces.clone(),
        unread: RwSignal::new(view.unread_notifications),
        availability: view.availability,
    };
    let live = RwSignal::new(false);
    // The pages inside read the workspace and role from here while rendering on the server.
    provide_context(ctx.clone());
    let me = ctx.user.id.clone();
    let (role, name, unread) = (ctx.role, ctx.name, ctx.unread);
    use_live_events(ctx.id.clone(), view.event_seq, live, move |e: LiveEvent| {
        apply_event(&e, &me, role, name, unread);
        crate::components::live::publish(&e);
    });
    view! {
        <div class="flex min-h-full flex-col md:flex-row" data-testid="workspace-frame" data-role=move || role.get().as_str()>
            <Sidebar ctx=ctx.clone() />
            <div class="flex min-w-0 flex-1 flex-col">
                <Topbar ctx=ctx.clone() live />
                <main data-testid="main" class="flex-1 p-6">
                    {children()}
                </main>
                <crate::components::shortcuts::Shortcuts workspace_id=ctx.id.clone() />
            </div>
        </div>
    }
}

/// What a live event changes in the frame itself.
fn apply_event(
    e: &LiveEvent,
    me: &str,
    role: RwSignal<Role>,
    name: RwSignal<String>,
    unread: RwSignal<i64>,
) {
    let about_me = e.data.get("user_id").and_then(|v| v.as_str()) == Some(me);
    match e.name.as_str() {
        "member.role_changed" if about_me => {
            if let Some(to) = e
                .data
                .get("to")
                .and_then(|v| serde_json::from_value::<Role>(v.clone()).ok())
            {
                role.set(to);
                show_toast(
                    ToastKind::Success,
                    format!("Your role is now {}.", to.label()),
                );
            }
        }
        "member.removed" if about_me =>
        {
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href("/");
            }
        }
        // The server sends a member only their own notifications.
        "notification.created" if about_me => {
            unread.update(|n| *n += 1);
            if let Some(body) = e
                .data
                .get("notification")
                .and_then(|n| n.get("body"))
                .and_then(|v| v.as_str())
            {
                show_toast(ToastKind::Success, body.to_owned());
            }
        }
        "workspace.settings_changed" => {
            if let Some(n) = e.data.get("name").and_then(|v| v.as_str()) {
                name.set(n.to_owned());
            }
        }
        _ => {}
    }
}

#[component]
pub fn WorkspaceHome() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let role = ctx.role;
    view! {
        <section data-testid="overview" class="max-w-3xl space-y-4">
            <h1 class="text-2xl font-semibold">{move || ctx.name.get()}</h1>
            <p class="text-slate-600">
                "You are " <strong data-testid="my-role">{move || role.get().label()}</strong> " in this workspace."
            </p>
            <EmptyState
                title="No conversations yet"
                hint="Channels and the inbox arrive with the next modules. Invite your team meanwhile."
            />
        </section>
    }
}
