//! `/`: sends people where they belong.

use crate::components::states::Loading;
use crate::serverfns::account::get_me;
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn HomeRedirect() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => {
                        let to = me
                            .workspaces
                            .iter()
                            .find(|w| !w.suspended)
                            .map(|w| format!("/w/{}", w.id))
                            .unwrap_or_else(|| "/workspaces/new".to_owned());
                        view! { <Redirect path=to /> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => super::error_view(e),
                }
            })}
        </Suspense>
    }
}
