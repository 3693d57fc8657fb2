//! Writing into the thread's composer at the caret, for the islands that add to it (quick
//! replies, emoji). The browser counts the caret in UTF-16 units; Rust strings in bytes.
#![cfg(feature = "hydrate")]

/// The composer's text area, if the page has one.
pub fn composer() -> Option<web_sys::HtmlTextAreaElement> {
    use wasm_bindgen::JsCast;
    web_sys::window()?
        .document()?
        .get_element_by_id(super::thread_draft::TEXT_ID)?
        .dyn_into()
        .ok()
}

/// The composer's text and its caret as a byte offset into it.
pub fn text_and_caret(area: &web_sys::HtmlTextAreaElement) -> (String, usize) {
    let value = area.value();
    let units = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    let mut seen = 0;
    let caret = value
        .char_indices()
        .find(|(_, c)| {
            let past = seen >= units;
            seen += c.len_utf16();
            past
        })
        .map_or(value.len(), |(i, _)| i);
    (value, caret)
}

/// The text before the caret.
pub fn before_caret() -> Option<String> {
    let area = composer()?;
    let (mut value, caret) = text_and_caret(&area);
    value.truncate(caret);
    Some(value)
}

/// Replaces the `remove` bytes before the caret with `text`, leaves the caret after it,
/// and tells the page's other listeners (the draft, presence) that the text changed.
pub fn replace_before_caret(remove: usize, text: &str) {
    let Some(area) = composer() else { return };
    let (value, caret) = text_and_caret(&area);
    let start = caret.saturating_sub(remove);
    let start = if value.is_char_boundary(start) {
        start
    } else {
        caret
    };
    let joined = format!("{}{text}{}", &value[..start], &value[caret..]);
    area.set_value(&joined);
    let at = (value[..start].encode_utf16().count() + text.encode_utf16().count()) as u32;
    let _ = area.set_selection_range(at, at);
    let _ = area.focus();
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    if let Ok(ev) = web_sys::Event::new_with_event_init_dict("input", &init) {
        let _ = area.dispatch_event(&ev);
    }
}
