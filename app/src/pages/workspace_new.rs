//! Creating a workspace.

use super::CardPage;
use crate::components::csrf::CsrfField;
use crate::components::forms::{SubmitButton, TextField};
use crate::components::states::{ErrorBanner, Loading};
use crate::serverfns::account::get_me;
use crate::serverfns::workspaces::CreateWorkspace;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn NewWorkspacePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    let action = ServerAction::<CreateWorkspace>::new();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorBanner message=e.message /> })
    };
    view! {
        <crate::components::head::PageTitle text="New workspace" />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(_)) => view! {
                        <CardPage title="Create a workspace">
                            {error}
                            <form method="post" action=CreateWorkspace::url() class="space-y-4" data-testid="workspace-form">
                                <CsrfField />
                                <TextField label="Workspace name" name="name" required=true />
                                <SubmitButton label="Create workspace" testid="workspace-submit" />
                            </form>
                        </CardPage>
                    }.into_any(),
                    Ok(None) => super::login_redirect().into_any(),
                    Err(e) => super::error_view(e),
                }
            })}
        </Suspense>
    }
}
