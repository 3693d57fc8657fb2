use crate::components::states::ErrorPage;
use leptos::prelude::*;
use msgbuddy_domain::AppError;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <crate::components::head::PageTitle text="Not found" />
        <ErrorPage error=AppError::new(msgbuddy_domain::ErrorCode::NotFound, "There is nothing at this address.") />
    }
}
