//! An import's progress bar: an island that moves with each `contact_import.progress`
//! event the worker raises after a chunk of rows, so the page follows the import without
//! reloading. Without JavaScript it shows where the import was when the page was made,
//! and the page's Refresh link brings it up to date.

use crate::components::live::{LiveEvent, on_live_event};
use leptos::prelude::*;

/// The counts an event or the page gives.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Counts {
    total: i64,
    processed: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    refused: i64,
}

#[island]
#[allow(clippy::too_many_arguments)]
pub fn ImportProgressBar(
    import_id: String,
    status: String,
    dry_run: bool,
    total: i64,
    processed: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    refused: i64,
) -> impl IntoView {
    let counts = RwSignal::new(Counts {
        total,
        processed,
        created,
        updated,
        skipped,
        refused,
    });
    let status = RwSignal::new(status);
    on_live_event(move |e: &LiveEvent| {
        let import = &e.data["import"];
        if e.name != "contact_import.progress" || import["id"].as_str() != Some(import_id.as_str())
        {
            return;
        }
        let n = |k: &str| import[k].as_i64().unwrap_or_default();
        counts.set(Counts {
            total: n("total_rows"),
            processed: n("processed_rows"),
            created: n("created_rows"),
            updated: n("updated_rows"),
            skipped: n("skipped_rows"),
            refused: n("error_rows"),
        });
        if let Some(s) = import["status"].as_str() {
            status.set(s.to_owned());
        }
    });
    let what = if dry_run { "Dry run" } else { "Import" };
    let line = move || {
        let c = counts.get();
        let state = match status.get().as_str() {
            "queued" => "waiting to start",
            "running" => "running",
            "done" => "done",
            "failed" => "stopped",
            _ => "",
        };
        format!(
            "{what} {state}: {} of {} rows · {} new, {} updated, {} skipped, {} refused",
            c.processed, c.total, c.created, c.updated, c.skipped, c.refused
        )
    };
    view! {
        <div class="flex flex-col gap-1" data-testid="import-progress" data-status=move || status.get()>
            <progress
                class="h-3 w-full"
                max=move || counts.get().total.max(1).to_string()
                value=move || counts.get().processed.to_string()
                aria-label="Rows imported"
                data-testid="import-progress-bar"
            ></progress>
            <p class="text-sm text-slate-800" role="status" data-testid="import-progress-text">{line}</p>
        </div>
    }
}
