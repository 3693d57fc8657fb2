//! Contact imports: the upload form (a plain multipart post, so it works without
//! JavaScript), the recent imports, and one import's page: the columns mapped to contact
//! fields with a preview of the first rows, then its progress (live with JavaScript) and
//! the report of refused rows.

use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::imports::{ImportPage, StartImport, get_import, list_imports};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use msgbuddy_domain::contact_import::{
    BUILT_IN_TARGETS, FIELD_TARGET_PREFIX, ImportStatus, ImportView,
};

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";

#[component]
pub fn ImportsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let ws = ctx.id.clone();
    let data = Resource::new(|| (), move |_| list_imports(ws.clone()));
    let ws_id = ctx.id.clone();
    // Rendered on the server only (this page is not an island), where the key is.
    #[cfg(feature = "ssr")]
    let notice = leptos_router::hooks::use_query_map()
        .with_untracked(|q| crate::server::signed_notice(&q.get("notice")?, &q.get("notice_sig")?));
    #[cfg(not(feature = "ssr"))]
    let notice: Option<String> = None;
    view! {
        <crate::components::head::PageTitle text="Import contacts" />
        <Suspense fallback=Loading>
            {move || { let (ws_id, notice) = (ws_id.clone(), notice.clone()); Suspend::new(async move {
                match data.await {
                    Ok(view) => view! {
                        <section data-testid="imports-page" class="flex max-w-4xl flex-col gap-4">
                            <a href=format!("/w/{ws_id}/contacts") class="text-sm text-indigo-700 underline">"← All contacts"</a>
                            <h1 class="text-2xl font-semibold">"Import contacts"</h1>
                            {notice.map(|message| view! { <ErrorBanner message /> })}
                            {view.can_edit.then(|| view! {
                                <form method="post" action=format!("/w/{ws_id}/contacts/imports") enctype="multipart/form-data" class="flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="import-upload">
                                    <CsrfField />
                                    <label class="flex flex-col gap-1 text-xs font-medium text-slate-700">
                                        "A CSV file with a header row, or a JSON array of objects (up to 50 MB)"
                                        <input type="file" name="file" required accept=".csv,.json,text/csv,application/json" class="text-sm" data-testid="import-file" />
                                    </label>
                                    <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="import-upload-submit">"Upload and map columns"</button>
                                </form>
                            })}
                            <h2 class="text-lg font-semibold">"Recent imports"</h2>
                            {if view.imports.is_empty() {
                                view! { <EmptyState title="No imports yet" hint="Upload a file above; you choose what each column fills before anything is written." /> }.into_any()
                            } else {
                                view! {
                                    <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="import-list">
                                        {view.imports.into_iter().map(|i| view! {
                                            <li class="flex flex-wrap justify-between gap-2 px-4 py-2 text-sm">
                                                <a href=format!("/w/{ws_id}/contacts/imports/{}", i.id) class="font-medium text-indigo-700 underline">{i.file_name.clone()}</a>
                                                <span class="text-slate-600">{summary(&i)}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

/// Where an import is, in a line.
fn summary(i: &ImportView) -> String {
    let what = if i.dry_run { "Dry run" } else { "Import" };
    match i.status {
        ImportStatus::Uploaded => format!(
            "{} rows, waiting for its columns to be mapped",
            i.total_rows
        ),
        ImportStatus::Queued => format!("{what} queued"),
        ImportStatus::Running => format!("{what}: {} of {} rows", i.processed_rows, i.total_rows),
        ImportStatus::Done => format!(
            "{what} done: {} new, {} updated, {} skipped, {} refused",
            i.created_rows, i.updated_rows, i.skipped_rows, i.error_rows
        ),
        ImportStatus::Failed => format!("{what} failed: {}", i.error.clone().unwrap_or_default()),
    }
}

#[component]
pub fn ImportPageView() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let params = use_params_map();
    let ws = ctx.id.clone();
    let data = Resource::new(
        move || params.read().get("import").unwrap_or_default(),
        move |id| get_import(ws.clone(), id),
    );
    let start = ServerAction::<StartImport>::new();
    let error = move || {
        start
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Import contacts" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                match data.await {
                    Ok(page) => view! {
                        <section data-testid="import-page" class="flex max-w-5xl flex-col gap-4">
                            <a href=format!("/w/{ws_id}/contacts/imports") class="text-sm text-indigo-700 underline">"← Imports"</a>
                            <h1 class="text-2xl font-semibold">{page.import.file_name.clone()}</h1>
                            {error}
                            <Progress workspace_id=ws_id.clone() import=page.import.clone() />
                            {(page.can_edit && matches!(page.import.status, ImportStatus::Uploaded | ImportStatus::Done) && (page.import.status == ImportStatus::Uploaded || page.import.dry_run)).then(|| view! {
                                <Mapping workspace_id=ws_id.clone() page=page.clone() />
                            })}
                        </section>
                    }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn Progress(workspace_id: String, import: ImportView) -> impl IntoView {
    let errors = format!(
        "/w/{workspace_id}/contacts/imports/{}/errors.csv",
        import.id
    );
    let here = format!("/w/{workspace_id}/contacts/imports/{}", import.id);
    let started = import.status != ImportStatus::Uploaded;
    started.then(|| view! {
        <div class="flex flex-col gap-2 rounded-lg bg-white p-4 shadow-sm">
            <super::import_progress::ImportProgressBar
                import_id=import.id.clone()
                status=import.status.as_str().to_owned()
                dry_run=import.dry_run
                total=import.total_rows
                processed=import.processed_rows
                created=import.created_rows
                updated=import.updated_rows
                skipped=import.skipped_rows
                refused=import.error_rows
            />
            {import.error.clone().map(|message| view! { <ErrorBanner message /> })}
            <p class="flex flex-wrap gap-4 text-sm">
                {(!import.status.is_finished()).then(|| view! { <a href=here.clone() class="text-indigo-700 underline" data-testid="import-refresh">"Refresh"</a> })}
                <a href=errors class="text-indigo-700 underline" data-testid="import-errors" download>"Download the refused rows (CSV)"</a>
            </p>
        </div>
    })
}

#[component]
fn Mapping(workspace_id: String, page: ImportPage) -> impl IntoView {
    let import = page.import;
    let targets: Vec<(String, String)> = BUILT_IN_TARGETS
        .iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .chain(page.fields.iter().map(|f| {
            (
                format!("{FIELD_TARGET_PREFIX}{}", f.key),
                format!("Field: {}", f.label),
            )
        }))
        .collect();
    let columns = import.headers.iter().enumerate().map(|(i, header)| {
        let current = import.mapping.get(i).cloned().unwrap_or_default();
        let id = format!("map-{i}");
        let for_id = id.clone();
        let options = targets.iter().map(|(value, label)| {
            let selected = *value == current;
            view! { <option value=value.clone() selected=selected>{label.clone()}</option> }
        }).collect_view();
        view! {
            <th scope="col" class="px-2 py-1 align-bottom">
                <label for=for_id class="block text-xs font-semibold text-slate-800">{header.clone()}</label>
                <select id=id name=format!("mapping[{i}]") class=INPUT data-testid="import-map">
                    <option value="" selected=current.is_empty()>"Ignore"</option>
                    {options}
                </select>
            </th>
        }
    }).collect_view();
    view! {
        <form method="post" action=StartImport::url() class="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="import-mapping">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="import_id" value=import.id.clone() />
            <p class="text-sm text-slate-700">{format!("{} rows. Choose what each column fills; the first rows are shown below.", import.total_rows)}</p>
            <div class="overflow-x-auto">
                <table class="text-sm" data-testid="import-preview">
                    <thead><tr>{columns}</tr></thead>
                    <tbody>
                        {import.preview.iter().map(|row| view! {
                            <tr class="border-t border-slate-100">{row.iter().map(|cell| view! { <td class="px-2 py-1">{cell.clone()}</td> }).collect_view()}</tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <fieldset class="flex flex-wrap gap-4 text-sm">
                <legend class="mb-1 text-sm font-semibold text-slate-800">"A row for a contact who is already here"</legend>
                <label class="inline-flex min-h-6 items-center gap-2"><input type="radio" name="on_duplicate" value="update" checked=true class="h-5 w-5" data-testid="import-update" />"updates them"</label>
                <label class="inline-flex min-h-6 items-center gap-2"><input type="radio" name="on_duplicate" value="skip" class="h-5 w-5" data-testid="import-skip" />"is skipped"</label>
            </fieldset>
            <div class="flex flex-wrap gap-2">
                <button type="submit" name="dry_run" value="1" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm" data-testid="import-dry-run">"Dry run (check, write nothing)"</button>
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="import-start">"Import"</button>
            </div>
        </form>
    }
}
