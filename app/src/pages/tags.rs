//! Settings > Tags and opt-outs: the workspace's contact tags, and the keywords with which
//! customers opt out (STOP) and back in (START), with the answers they get.

use super::settings::SettingsNav;
use crate::components::colour_dot::ColourDot;
use crate::components::csrf::CsrfField;
use crate::components::forms::textarea_text;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::contact_settings::{
    ContactSettingsView, CreateTag, DeleteTag, SaveOptOutKeywords, get_contact_settings,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const LABEL: &str = "flex flex-col gap-1 text-xs font-medium text-slate-700";

#[component]
pub fn TagsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| get_contact_settings(ws.clone()));
    let create = ServerAction::<CreateTag>::new();
    let delete = ServerAction::<DeleteTag>::new();
    let keywords = ServerAction::<SaveOptOutKeywords>::new();
    let error = move || {
        create
            .value()
            .get()
            .or_else(|| delete.value().get())
            .or_else(|| keywords.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Tags and opt-outs" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="tags-page" class="max-w-4xl space-y-6">
                            <h1 class="mb-4 text-2xl font-semibold">"Settings"</h1>
                            <SettingsNav current="tags" />
                            {error}
                            <Tags view=view.clone() workspace_id=ws_id.clone() />
                            <Keywords view workspace_id=ws_id.clone() />
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn Tags(view: ContactSettingsView, workspace_id: String) -> impl IntoView {
    let can_edit = view.can_edit;
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Tags"</h2>
            {can_edit.then(|| view! {
                <form method="post" action=CreateTag::url() class="flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="tag-form">
                    <CsrfField />
                    <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                    <label class=LABEL>"Name" <input name="name" required maxlength="40" class=INPUT data-testid="tag-name" /></label>
                    <label class=LABEL>"Colour" <input name="colour" type="color" value="#4f46e5" class="h-8 w-16" data-testid="tag-colour" /></label>
                    <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="tag-create">"Add tag"</button>
                </form>
            })}
            {if view.tags.is_empty() {
                view! { <EmptyState title="No tags yet" hint="Tags sort contacts into audiences: vip, wholesale, newsletter..." /> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="tag-list">
                        {view.tags.iter().map(|t| view! {
                            <li class="flex items-center justify-between px-4 py-2" data-testid="tag-row">
                                <span class="inline-flex items-center gap-2"><ColourDot colour=t.colour.clone() />{t.name.clone()}</span>
                                {can_edit.then(|| view! {
                                    <form method="post" action=DeleteTag::url()>
                                        <CsrfField />
                                        <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                                        <input type="hidden" name="tag_id" value=t.id.clone() />
                                        <button type="submit" class="text-sm text-red-700 underline" aria-label=format!("Delete the tag {}", t.name)>"Delete"</button>
                                    </form>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Keywords(view: ContactSettingsView, workspace_id: String) -> impl IntoView {
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Opt-out keywords"</h2>
            <p class="text-sm text-slate-700">
                "A customer who writes only one of these words is opted out of (or back in to) that channel and gets the answer below. "
                "On SMS, Twilio answers the standard words itself, so msgbuddy records the change and sends no second answer."
            </p>
            <form method="post" action=SaveOptOutKeywords::url() class="grid gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="keywords-form">
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id />
                <fieldset class="contents" disabled=!view.can_edit>
                    <label class=LABEL>"Opt-out words" <input name="stop_keywords" value=view.stop_keywords.clone() class=INPUT data-testid="keywords-stop" /></label>
                    <label class=LABEL>"Answer to an opt-out" <textarea name="stop_reply" rows="2" class=INPUT data-testid="keywords-stop-reply">{textarea_text(&view.stop_reply)}</textarea></label>
                    <label class=LABEL>"Opt-in words" <input name="start_keywords" value=view.start_keywords.clone() class=INPUT data-testid="keywords-start" /></label>
                    <label class=LABEL>"Answer to an opt-in" <textarea name="start_reply" rows="2" class=INPUT data-testid="keywords-start-reply">{textarea_text(&view.start_reply)}</textarea></label>
                </fieldset>
                {view.can_edit.then(|| view! {
                    <div><button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm" data-testid="keywords-save">"Save keywords"</button></div>
                })}
            </form>
        </section>
    }
}
