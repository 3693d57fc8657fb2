//! An emoji button for the composer: a small grid of the emoji support teams use most,
//! each put in at the caret. It needs JavaScript, so it appears once the page runs it;
//! without it, the device's own emoji keyboard still types into the plain text area.

use leptos::prelude::*;

/// The emoji offered, with the names screen readers say.
const EMOJI: [(&str, &str); 24] = [
    ("😊", "smiling face"),
    ("😀", "grinning face"),
    ("😂", "face with tears of joy"),
    ("😉", "winking face"),
    ("😍", "heart eyes"),
    ("🙂", "slightly smiling face"),
    ("😅", "grinning face with sweat"),
    ("🤔", "thinking face"),
    ("😢", "crying face"),
    ("😮", "surprised face"),
    ("🙏", "folded hands"),
    ("👍", "thumbs up"),
    ("👎", "thumbs down"),
    ("👋", "waving hand"),
    ("👏", "clapping hands"),
    ("🎉", "party popper"),
    ("❤️", "red heart"),
    ("✅", "check mark"),
    ("❌", "cross mark"),
    ("⭐", "star"),
    ("🔥", "fire"),
    ("📦", "package"),
    ("🚚", "delivery truck"),
    ("💳", "credit card"),
];

#[island]
pub fn EmojiPicker() -> impl IntoView {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let open = RwSignal::new(false);
    view! {
        <Show when=move || ready.get()>
            <div class="relative">
                <button
                    type="button"
                    aria-expanded=move || open.get().to_string()
                    aria-controls="composer-emoji"
                    data-testid="emoji-toggle"
                    on:click=move |_| open.update(|o| *o = !*o)
                    class="min-h-6 rounded-md border border-slate-300 px-2 py-1 text-sm"
                >
                    "😊 Emoji"
                </button>
                <Show when=move || open.get()>
                    <div id="composer-emoji" role="group" aria-label="Emoji" data-testid="emoji-grid" class="absolute bottom-full z-20 mb-1 grid w-64 grid-cols-6 gap-1 rounded-md border border-slate-300 bg-white p-2 shadow-lg">
                        {EMOJI.iter().map(|(emoji, name)| view! {
                            <button
                                type="button"
                                aria-label=*name
                                title=*name
                                data-testid="emoji"
                                // A text area keeps its caret while another control has focus.
                                on:click=move |_| {
                                    put(emoji);
                                    open.set(false);
                                }
                                class="h-8 w-8 rounded text-lg hover:bg-slate-100"
                            >
                                {*emoji}
                            </button>
                        }).collect_view()}
                    </div>
                </Show>
            </div>
        </Show>
    }
}

fn put(emoji: &str) {
    #[cfg(feature = "hydrate")]
    super::composer_caret::replace_before_caret(0, emoji);
    #[cfg(not(feature = "hydrate"))]
    let _ = emoji;
}
