//! The CSRF token every state-changing form carries.
//!
//! The server puts the session's token into the request (see the server's CSRF layer) and
//! the page head (`<meta name="csrf-token">`); in the browser it is read back from there, so
//! server-rendered and hydrated forms carry the same value.

use leptos::prelude::*;

/// The form field (and header `x-csrf-token`) the server checks.
pub const FIELD: &str = "csrf_token";

/// The session's CSRF token, placed in request extensions by the server's CSRF layer.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

pub fn csrf_token() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<CsrfToken>().map(|t| t.0.clone()))
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("meta[name=csrf-token]").ok().flatten())
            .and_then(|m| m.get_attribute("content"))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

/// The hidden input that carries the token in a form.
#[component]
pub fn CsrfField() -> impl IntoView {
    view! { <input type="hidden" name=FIELD value=csrf_token() /> }
}
