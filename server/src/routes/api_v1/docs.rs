//! The API's description: the OpenAPI document generated from the handlers and types
//! (`/api/v1/openapi.json`), and a documentation page made from it (`/api/docs`), plain
//! HTML that needs no script and nothing from outside msgbuddy.

use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use msgbuddy_contacts::api::{
    ApiCondition, ApiContact, ApiGroup, ApiImport, ApiSegment, ApiTag, Changed, ContactInput,
    ContactPage, GroupContacts, GroupInput, SegmentInput, TagRequest,
};
use msgbuddy_messaging::api::{
    ApiError, ApiMedia, ApiMessage, MediaRequest, MessagePage, Queued, SendRequest,
};
use serde_json::Value;
use std::fmt::Write;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Every error: `{"error":{"code","message","details"}}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// `validation`, `unauthenticated`, `forbidden`, `not_found`, `conflict`,
    /// `payload_too_large`, `rate_limited`, `unavailable` or `internal`.
    #[schema(example = "validation")]
    code: String,
    /// For people.
    message: String,
    /// The field, the rule or the wait (`retry_after_secs`), when there is one.
    #[schema(value_type = Object)]
    details: Option<Value>,
}

struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "api_key",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("ak_live_… or ak_test_…")
                        .description(Some(
                            "An API key from Settings > API keys. `ak_test_` keys act on the workspace's test-mode data, served by the Sandbox.",
                        ))
                        .build(),
                ),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "msgbuddy partner API",
        version = "1.0.0",
        description = "Send and read messages on any channel of a workspace, and keep its contacts, tags, segments and groups. Authenticate with `Authorization: Bearer <API key>`. Every mutating call takes an `Idempotency-Key`. Each key has a rate limit per minute, reported in `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; over it, 429 with `Retry-After`. Errors are `{\"error\":{\"code\",\"message\",\"details\"}}`."
    ),
    paths(
        super::messages::create, super::messages::get_one, super::messages::list,
        super::media::upload, super::media::download,
        super::contacts::create, super::contacts::get_one, super::contacts::update, super::contacts::delete,
        super::contacts::list, super::contacts::import, super::contacts::get_import, super::contacts::import_errors,
        super::audiences::list_tags, super::audiences::tag_contact, super::audiences::untag_contact,
        super::audiences::list_segments, super::audiences::get_segment, super::audiences::create_segment,
        super::audiences::delete_segment, super::audiences::list_groups, super::audiences::get_group,
        super::audiences::create_group, super::audiences::delete_group, super::audiences::add_to_group,
        super::audiences::remove_from_group,
    ),
    components(schemas(
        SendRequest, MediaRequest, Queued, ApiMessage, ApiError, MessagePage, ApiMedia, ErrorEnvelope, ErrorBody,
        ApiContact, ContactInput, ContactPage, ApiImport, ApiTag, TagRequest, ApiSegment, ApiCondition,
        SegmentInput, ApiGroup, GroupInput, GroupContacts, Changed,
    )),
    modifiers(&BearerKeys),
    tags(
        (name = "messages", description = "Messages on the workspace's channels"),
        (name = "media", description = "Files to send: upload one, then send it by its id"),
        (name = "contacts", description = "The workspace's contacts, one at a time or imported in bulk"),
        (name = "tags", description = "Tags on contacts (made in the workspace's settings)"),
        (name = "segments", description = "Saved audiences described by conditions, counted when used"),
        (name = "groups", description = "Hand-picked lists of contacts")
    )
)]
pub struct ApiDoc;

pub async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

fn esc(s: &str) -> String {
    app::components::head::escape_html(s)
}

fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_name(items));
    }
    if let Some(one) = schema["oneOf"].as_array() {
        return one.iter().map(schema_name).collect::<Vec<_>>().join(" or ");
    }
    match &schema["type"] {
        Value::String(t) => esc(t),
        Value::Array(ts) => esc(&ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or ")),
        _ => "object".to_owned(),
    }
}

/// The documentation page: every operation with its parameters, body and answers, then
/// every schema.
pub async fn page() -> Response {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut html = String::new();
    let info = &doc["info"];
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>API · msgbuddy</title><link rel=\"stylesheet\" href=\"/pkg/msgbuddy.css\"></head>\
         <body class=\"bg-slate-50 text-slate-900\"><main class=\"mx-auto max-w-4xl space-y-8 p-6\" data-testid=\"api-docs\">\
         <header><h1 class=\"text-3xl font-bold\">{}</h1><p class=\"mt-2\">{}</p>\
         <p class=\"mt-2 text-sm\">The machine-readable description: <a class=\"text-indigo-700 underline\" href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI {}).</p></header>",
        esc(info["title"].as_str().unwrap_or("API")),
        esc(info["description"].as_str().unwrap_or("")),
        esc(doc["openapi"].as_str().unwrap_or("3.1")),
    );
    html.push_str("<section><h2 class=\"text-2xl font-semibold\">Operations</h2>");
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            for (method, op) in ops.as_object().into_iter().flatten() {
                let _ = write!(
                    html,
                    "<article class=\"mt-4 rounded-lg bg-white p-4 shadow-sm\" data-testid=\"api-operation\"><h3 class=\"font-mono text-lg\"><span class=\"font-bold uppercase\">{}</span> {}</h3><p class=\"mt-1\">{}</p>",
                    esc(method),
                    esc(path),
                    esc(op["summary"]
                        .as_str()
                        .or(op["description"].as_str())
                        .unwrap_or("")),
                );
                if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
                    html.push_str("<h4 class=\"mt-3 font-medium\">Parameters</h4><table class=\"w-full text-left text-sm\"><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>");
                    for p in params {
                        let _ = write!(
                            html,
                            "<tr class=\"border-t border-slate-200\"><td class=\"font-mono\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(p["name"].as_str().unwrap_or("")),
                            esc(p["in"].as_str().unwrap_or("")),
                            schema_name(&p["schema"]),
                            esc(p["description"].as_str().unwrap_or("")),
                        );
                    }
                    html.push_str("</tbody></table>");
                }
                if let Some(body) =
                    op["requestBody"]["content"]["application/json"]["schema"].as_object()
                {
                    let _ = write!(
                        html,
                        "<p class=\"mt-3 text-sm\"><span class=\"font-medium\">Body:</span> {}</p>",
                        schema_name(&Value::Object(body.clone()))
                    );
                }
                html.push_str("<h4 class=\"mt-3 font-medium\">Answers</h4><ul class=\"text-sm\">");
                for (status, res) in op["responses"].as_object().into_iter().flatten() {
                    let schema = &res["content"]["application/json"]["schema"];
                    let _ = write!(
                        html,
                        "<li><span class=\"font-mono\">{}</span> {}{}</li>",
                        esc(status),
                        esc(res["description"].as_str().unwrap_or("")),
                        if schema.is_null() {
                            String::new()
                        } else {
                            format!(": {}", schema_name(schema))
                        },
                    );
                }
                html.push_str("</ul></article>");
            }
        }
    }
    html.push_str("</section><section><h2 class=\"text-2xl font-semibold\">Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                html,
                "<article class=\"mt-4 rounded-lg bg-white p-4 shadow-sm\" id=\"schema-{0}\"><h3 class=\"font-mono text-lg\">{0}</h3><p>{1}</p>",
                esc(name),
                esc(schema["description"].as_str().unwrap_or("")),
            );
            if let Some(props) = schema["properties"].as_object() {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                html.push_str("<table class=\"mt-2 w-full text-left text-sm\"><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>");
                for (field, p) in props {
                    let _ = write!(
                        html,
                        "<tr class=\"border-t border-slate-200\"><td class=\"font-mono\">{}{}</td><td>{}</td><td>{}</td></tr>",
                        esc(field),
                        if required.contains(&field.as_str()) {
                            " (required)"
                        } else {
                            ""
                        },
                        schema_name(p),
                        esc(p["description"].as_str().unwrap_or("")),
                    );
                }
                html.push_str("</tbody></table>");
            }
            html.push_str("</article>");
        }
    }
    html.push_str("</section></main></body></html>");
    Html(html).into_response()
}
