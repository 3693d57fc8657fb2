//! Reusable pieces of the UI: layout, forms, states, toasts.

pub mod colour_dot;
pub mod csrf;
pub mod forms;
pub mod head;
pub mod layout;
pub mod live;
pub mod message;
pub mod shortcuts;
pub mod states;
pub mod toast;
