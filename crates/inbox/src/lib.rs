//! The inbox on top of the message pipeline: which conversations a member sees
//! ([`views`]: Mine, Unassigned, All, Snoozed, Resolved, with filters and keyset pages),
//! who answers them ([`assignment`]), where they are ([`status`]: open, pending, snoozed
//! until a time, resolved), how they are sorted ([`labels`]), and the timeline of what
//! happened to them ([`timeline`]); and [`search`] over every message's text, indexed
//! off the send path by [`search_index`].
//!
//! Members who may not see every conversation (agents and viewers: no
//! `ConversationsViewAll`) see the unassigned ones and their own; everything else is
//! answered as if it did not exist. Every change is one transaction with its timeline
//! note and its `conversation.updated` event.
#![forbid(unsafe_code)]

pub mod access;
pub mod assignment;
pub mod auto_assign;
pub mod bulk;
mod conditions;
pub mod contact_panel;
pub mod deletes;
pub mod demo;
pub mod labels;
pub mod marks;
pub mod notes;
pub mod presence;
pub mod quick_replies;
pub mod replies;
pub mod saved_views;
pub mod search;
pub mod search_index;
pub mod status;
pub mod timeline;
pub mod views;
