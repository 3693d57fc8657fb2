//! Form building blocks with labels, so every input has an accessible name.

use leptos::prelude::*;

#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(default = false)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                data-testid=format!("input-{name}")
                class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500"
            />
            {hint.map(|h| view! { <p class="text-xs text-slate-500">{h}</p> })}
        </div>
    }
}

#[component]
pub fn SubmitButton(label: &'static str, testid: &'static str) -> impl IntoView {
    view! {
        <button
            type="submit"
            data-testid=testid
            class="inline-flex justify-center rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2"
        >
            {label}
        </button>
    }
}

/// Text to put inside a `<textarea>` on a server-rendered page. Leptos writes a
/// textarea's children as they are (as it does a `<script>`'s), but the browser reads
/// them as text with character references: unescaped, a `</textarea>` in the text would
/// end the element and the rest would be markup. Escaped, the browser shows the text
/// exactly. Only for pages rendered on the server (islands set a textarea's value).
pub fn textarea_text(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod textarea_tests {
    use super::textarea_text;

    #[test]
    fn a_closing_tag_in_the_text_stays_text() {
        assert_eq!(
            textarea_text("a </textarea><script>x</script> & b"),
            "a &lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt; &amp; b"
        );
    }
}
