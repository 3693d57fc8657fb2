//! A label's colour as a small round swatch.

use leptos::prelude::*;

/// The colour is an SVG `fill`, not a `style`: the page's Content-Security-Policy allows
/// no inline styles, and a presentation attribute is not one. `colour` is a `#rrggbb`
/// the labels module checked when it was saved.
#[component]
pub fn ColourDot(colour: String) -> impl IntoView {
    view! {
        <svg class="inline-block h-3 w-3 shrink-0" viewBox="0 0 12 12" aria-hidden="true" data-testid="colour-dot">
            <circle cx="6" cy="6" r="6" fill=colour />
        </svg>
    }
}
