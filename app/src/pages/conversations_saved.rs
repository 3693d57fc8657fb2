//! The member's saved views beside the built-in ones, and the forms that keep the
//! current filters as a view or let one go. Plain forms: they work without JavaScript.

use crate::components::csrf::CsrfField;
use crate::serverfns::conversations::ListParams;
use crate::serverfns::saved_views::{DeleteView, SaveView, SavedViewLink};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Links to the saved views; the one whose query the page has is marked current.
#[component]
pub fn SavedViews(
    base: String,
    workspace_id: String,
    views: Vec<SavedViewLink>,
    /// The page's view, filters and sort.
    params: ListParams,
) -> impl IntoView {
    let current = params.query_pairs();
    let current = current.trim_start_matches('&').to_owned();
    let links = views
        .into_iter()
        .map(|v| {
            let active = v.query == current;
            let ws = workspace_id.clone();
            view! {
                <li class="flex items-center gap-1" data-testid="saved-view">
                    <a
                        href=format!("{base}?{}", v.query)
                        aria-current=active.then_some("page")
                        class=if active { "rounded-full bg-indigo-100 px-3 py-1 text-sm font-semibold text-indigo-900" } else { "rounded-full bg-slate-100 px-3 py-1 text-sm text-slate-800 hover:bg-slate-200" }
                    >
                        {v.name.clone()}
                    </a>
                    <form method="post" action=DeleteView::url()>
                        <CsrfField />
                        <input type="hidden" name="workspace_id" value=ws />
                        <input type="hidden" name="view_id" value=v.id />
                        <button type="submit" class="inline-flex h-6 w-6 items-center justify-center rounded text-sm text-slate-600 hover:text-rose-700" aria-label=format!("Delete the view {}", v.name) data-testid="saved-view-delete">"×"</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    let hidden = super::conversations_bulk::hidden_params(&params);
    view! {
        <div class="flex flex-wrap items-center gap-2" data-testid="saved-views">
            <ul class="flex flex-wrap items-center gap-2" aria-label="Your saved views">{links}</ul>
            <form method="post" action=SaveView::url() class="flex items-center gap-1" data-testid="save-view">
                <CsrfField />
                <input type="hidden" name="workspace_id" value=workspace_id />
                {hidden}
                <label for="save-view-name" class="sr-only">"Name for a view of these filters"</label>
                <input id="save-view-name" name="name" required maxlength="60" placeholder="Name these filters" class="rounded-md border border-slate-300 px-2 py-1 text-sm" data-testid="save-view-name" />
                <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-50" data-testid="save-view-submit">"Save view"</button>
            </form>
        </div>
    }
}
