//! The one door for user text into raw HTML.
//!
//! Leptos escapes text and attributes it renders, but `leptos_meta` writes `<Title>` text
//! into the head as it is, so a workspace named `</title><script>…` would run as script.
//! Every page title goes through [`PageTitle`], and any other string written into HTML by
//! hand goes through [`escape_html`]; a test keeps `leptos_meta::Title` out of the pages.

use leptos::prelude::*;

/// Escapes the five characters that can end or open markup or an attribute.
pub fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's `<title>`, escaped. In the browser a title is set as text, not parsed, so it
/// is escaped only when rendered on the server.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    let text = if cfg!(feature = "ssr") {
        escape_html(&text)
    } else {
        text
    };
    view! { <leptos_meta::Title text /> }
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"</title><img src=x onerror="alert('1')">&"#),
            "&lt;/title&gt;&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(escape_html("Acme · Support"), "Acme · Support");
    }

    /// Pages set their titles through `PageTitle` only; `leptos_meta::Title` writes raw.
    #[test]
    fn no_page_writes_a_title_around_the_escaping() {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut stack = vec![std::path::PathBuf::from(src)];
        let mut offenders = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("source folder").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("components/head.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("source file");
                    // The shell's formatter only appends to the escaped text.
                    let text = text.replace("<Title formatter=", "");
                    if text.contains("leptos_meta::Title") || text.contains("<Title") {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "use PageTitle in {offenders:?}");
    }
}
