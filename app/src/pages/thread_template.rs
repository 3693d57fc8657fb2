//! The composer when a WhatsApp conversation's 24-hour window has closed: only an approved
//! template may go out, by its name and language with its parameters, and the customer's
//! answer opens the window again. (The template catalogue, with approval, comes with the
//! templates module; until then the template is named here as it is in WhatsApp Manager.)

use crate::components::csrf::CsrfField;
use crate::serverfns::conversations::SendTemplate;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

const INPUT: &str = "w-full rounded-md border border-slate-300 px-3 py-2 text-sm";
const LABEL: &str = "text-sm font-medium text-slate-700";

#[component]
pub fn TemplateComposer(workspace_id: String, conversation_id: String) -> impl IntoView {
    view! {
        <form method="post" action=SendTemplate::url() class="flex flex-col gap-2 rounded-lg bg-white p-3 shadow-sm" data-testid="template-composer">
            <CsrfField />
            <input type="hidden" name="workspace_id" value=workspace_id />
            <input type="hidden" name="conversation_id" value=conversation_id />
            <p class="text-sm text-slate-700">
                "The customer last wrote more than 24 hours ago, so WhatsApp only delivers an approved template. Their answer opens the window again."
            </p>
            <div class="flex flex-wrap gap-3">
                <div class="flex min-w-48 flex-1 flex-col gap-1">
                    <label for="template-name" class=LABEL>"Template name"</label>
                    <input id="template-name" name="name" required maxlength="512" placeholder="order_update" class=INPUT data-testid="template-name" />
                </div>
                <div class="flex w-32 flex-col gap-1">
                    <label for="template-language" class=LABEL>"Language"</label>
                    <input id="template-language" name="language" required maxlength="15" value="en_US" class=INPUT data-testid="template-language" />
                </div>
            </div>
            <label for="template-parameters" class=LABEL>"Parameters, one per line ({{1}}, {{2}}...)"</label>
            <textarea id="template-parameters" name="parameters" rows="3" class=INPUT data-testid="template-parameters"></textarea>
            <div class="flex justify-end">
                <button type="submit" data-testid="template-send" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Send template"</button>
            </div>
        </form>
    }
}
