//! Segments: saved audiences, and a builder that works as a plain GET form. "Count"
//! shows how many contacts match right now and the first of them; "Add a condition"
//! brings one more row; "Save" keeps it. The conditions travel in the query string
//! (`c0_field`, `c0_op`, `c0_value`, ...), so a half-built segment is a link.

use crate::components::csrf::CsrfField;
use crate::components::layout::WorkspaceCtx;
use crate::components::states::{EmptyState, ErrorBanner, Loading};
use crate::serverfns::segments::{DeleteSegment, SaveSegment, SegmentsView, load_segments};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use msgbuddy_domain::segment::{
    BUILT_IN_SUBJECTS, Condition, FIELD_PREFIX, MAX_CONDITIONS, Segment, SubjectKind, operators_for,
};

const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-sm";
const LABEL: &str = "flex flex-col gap-1 text-xs font-medium text-slate-700";

/// The segment the query string describes, if it names any condition.
fn built(q: &ParamsMap) -> Option<Segment> {
    let conditions: Vec<Condition> = (0..MAX_CONDITIONS)
        .filter_map(|i| {
            let field = q.get(&format!("c{i}_field")).filter(|f| !f.is_empty())?;
            Some(Condition {
                field,
                op: q.get(&format!("c{i}_op")).unwrap_or_default(),
                value: q.get(&format!("c{i}_value")).unwrap_or_default(),
            })
        })
        .collect();
    (!conditions.is_empty()).then(|| Segment {
        id: q.get("edit").unwrap_or_default(),
        name: q.get("name").unwrap_or_default(),
        match_all: q.get("match").as_deref() != Some("any"),
        conditions,
    })
}

#[component]
pub fn SegmentsPage() -> impl IntoView {
    let ctx = expect_context::<WorkspaceCtx>();
    let query = use_query_map();
    let ws = ctx.id.clone();
    let data = Resource::new(
        move || (query.read().get("edit"), built(&query.read())),
        move |(edit, build)| load_segments(ws.clone(), edit, build),
    );
    let save = ServerAction::<SaveSegment>::new();
    let delete = ServerAction::<DeleteSegment>::new();
    let error = move || {
        save.value()
            .get()
            .or_else(|| delete.value().get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    let ws_id = ctx.id.clone();
    view! {
        <crate::components::head::PageTitle text="Segments" />
        <Suspense fallback=Loading>
            {move || { let ws_id = ws_id.clone(); Suspend::new(async move {
                let q = query.read_untracked().clone();
                let rows: usize = q.get("rows").and_then(|r| r.parse().ok()).unwrap_or(1).clamp(1, MAX_CONDITIONS);
                match data.await {
                    Ok(view) => {
                        let segment = built(&q).or_else(|| view.editing.clone()).unwrap_or_else(|| Segment {
                            id: String::new(),
                            name: String::new(),
                            match_all: true,
                            conditions: Vec::new(),
                        });
                        let rows = rows.max(segment.conditions.len()).max(1);
                        view! {
                            <section data-testid="segments-page" class="flex max-w-4xl flex-col gap-4">
                                <a href=format!("/w/{ws_id}/contacts") class="text-sm text-indigo-700 underline">"← All contacts"</a>
                                <h1 class="text-2xl font-semibold">"Segments"</h1>
                                {error}
                                <Builder workspace_id=ws_id.clone() view=view.clone() segment rows />
                                <Saved workspace_id=ws_id.clone() view />
                            </section>
                        }.into_any()
                    }
                    Err(e) => super::error_view(e),
                }
            })}}
        </Suspense>
    }
}

/// Every subject a condition can name: the built-in ones and the workspace's fields.
fn subjects(view: &SegmentsView) -> Vec<(String, String)> {
    BUILT_IN_SUBJECTS
        .iter()
        .map(|b| (b.field.to_owned(), b.label.to_owned()))
        .chain(view.fields.iter().map(|f| {
            (
                format!("{FIELD_PREFIX}{}", f.key),
                format!("Field: {}", f.label),
            )
        }))
        .collect()
}

/// Every operator once, worded as the first kind that offers it words it.
fn operators() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for kind in [
        SubjectKind::Text,
        SubjectKind::Number,
        SubjectKind::DateTime,
        SubjectKind::MultiSelect,
        SubjectKind::Tag,
        SubjectKind::Group,
        SubjectKind::Channel,
        SubjectKind::Boolean,
    ] {
        for op in operators_for(kind) {
            if !out.iter().any(|(code, _)| *code == op.0) {
                out.push(*op);
            }
        }
    }
    out.push(("more_than_days_ago", "is more than … days ago"));
    out
}

#[component]
fn Builder(
    workspace_id: String,
    view: SegmentsView,
    segment: Segment,
    rows: usize,
) -> impl IntoView {
    let base = format!("/w/{workspace_id}/contacts/segments");
    let subjects = subjects(&view);
    let ops = operators();
    let condition_rows = (0..rows)
        .map(|i| {
            let c = segment.conditions.get(i).cloned().unwrap_or(Condition {
                field: String::new(),
                op: String::new(),
                value: String::new(),
            });
            let options = subjects.iter().map(|(value, label)| {
                let selected = *value == c.field;
                view! { <option value=value.clone() selected=selected>{label.clone()}</option> }
            }).collect_view();
            let op_options = ops.iter().map(|(code, label)| {
                let selected = *code == c.op;
                view! { <option value=*code selected=selected>{*label}</option> }
            }).collect_view();
            view! {
                <div class="flex flex-wrap items-end gap-2" data-testid="segment-condition">
                    <label class=LABEL>"Where" <select name=format!("c{i}_field") class=INPUT data-testid="segment-field"><option value="">"—"</option>{options}</select></label>
                    <label class=LABEL>"Test" <select name=format!("c{i}_op") class=INPUT data-testid="segment-op">{op_options}</select></label>
                    <label class=LABEL>"Value" <input name=format!("c{i}_value") value=c.value.clone() list="segment-values" class=INPUT data-testid="segment-value" /></label>
                </div>
            }
        })
        .collect_view();
    let tag_names = view
        .tags
        .iter()
        .map(|t| t.name.clone())
        .chain(view.groups.iter().map(|g| g.name.clone()))
        .map(|name| view! { <option value=name></option> })
        .collect_view();
    view! {
        <form method="get" action=base.clone() class="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="segment-builder">
            {(!segment.id.is_empty()).then(|| view! { <input type="hidden" name="edit" value=segment.id.clone() /> })}
            <datalist id="segment-values">{tag_names}</datalist>
            <div class="flex flex-wrap items-end gap-3">
                <label class=LABEL>"Name" <input name="name" value=segment.name.clone() maxlength="80" class=INPUT data-testid="segment-name" /></label>
                <label class=LABEL>
                    "Contacts who match"
                    <select name="match" class=INPUT data-testid="segment-match">
                        <option value="all" selected=segment.match_all>"all of these"</option>
                        <option value="any" selected=!segment.match_all>"any of these"</option>
                    </select>
                </label>
            </div>
            {condition_rows}
            <div class="flex flex-wrap gap-2">
                <button type="submit" name="rows" value=rows.to_string() class="rounded-md border border-slate-300 px-3 py-1 text-sm" data-testid="segment-count">"Count"</button>
                {(rows < MAX_CONDITIONS).then(|| view! {
                    <button type="submit" name="rows" value=(rows + 1).to_string() class="rounded-md border border-slate-300 px-3 py-1 text-sm" data-testid="segment-add">"Add a condition"</button>
                })}
            </div>
        </form>
        {view.count.clone().map(|counted| match counted {
            Ok((n, preview)) => view! {
                <div class="rounded-lg bg-white p-4 shadow-sm" data-testid="segment-result">
                    <p class="font-medium" data-testid="segment-total">{format!("{n} contact{} match", if n == 1 { "" } else { "s" })}</p>
                    <ul class="mt-2 text-sm" data-testid="segment-preview">
                        {preview.into_iter().map(|r| view! { <li data-testid="segment-preview-row">{r.name} " " <span class="text-xs text-slate-600">{r.phone.or(r.email).unwrap_or_default()}</span></li> }).collect_view()}
                    </ul>
                    {view.can_edit.then(|| view! { <SaveForm workspace_id=workspace_id.clone() segment=segment.clone() /> })}
                </div>
            }.into_any(),
            Err(e) => view! { <ErrorBanner message=e.message /> }.into_any(),
        })}
    }
}

/// Saves the counted segment: its conditions as hidden fields.
#[component]
fn SaveForm(workspace_id: String, segment: Segment) -> impl IntoView {
    view! {
        <form method="post" action=SaveSegment::url() class="mt-3 flex flex-wrap items-end gap-2" data-testid="segment-save-form">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="segment_id" value=segment.id.clone() />
            <input type="hidden" name="name" value=segment.name.clone() />
            <input type="hidden" name="match_all" value=if segment.match_all { "all" } else { "any" } />
            {segment.conditions.iter().enumerate().map(|(i, c)| view! {
                <input type="hidden" name=format!("conditions[{i}][field]") value=c.field.clone() />
                <input type="hidden" name=format!("conditions[{i}][op]") value=c.op.clone() />
                <input type="hidden" name=format!("conditions[{i}][value]") value=c.value.clone() />
            }).collect_view()}
            <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="segment-save">
                {if segment.id.is_empty() { "Save segment" } else { "Save changes" }}
            </button>
        </form>
    }
}

#[component]
fn Saved(workspace_id: String, view: SegmentsView) -> impl IntoView {
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">"Saved segments"</h2>
            {if view.segments.is_empty() {
                view! { <EmptyState title="No segments yet" hint="Build one above: tag is vip and city is Pune, say." /> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-200 rounded-lg bg-white shadow-sm" data-testid="segment-list">
                        {view.segments.iter().map(|s| view! {
                            <li class="flex flex-wrap items-center justify-between gap-2 px-4 py-2" data-testid="segment-row">
                                <a href=format!("/w/{workspace_id}/contacts?segment={}", s.id) class="font-medium text-indigo-700 underline">{s.name.clone()}</a>
                                <span class="flex items-center gap-3 text-sm">
                                    <a href=format!("/w/{workspace_id}/contacts/segments?edit={}", s.id) class="text-indigo-700 underline">"Edit"</a>
                                    {view.can_edit.then(|| view! {
                                        <form method="post" action=DeleteSegment::url()>
                                            <CsrfField />
                                            <input type="hidden" name="workspace_id" value=workspace_id.clone() />
                                            <input type="hidden" name="segment_id" value=s.id.clone() />
                                            <button type="submit" class="text-red-700 underline" aria-label=format!("Delete the segment {}", s.name)>"Delete"</button>
                                        </form>
                                    })}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
