//! The audience every conversation and campaign draws on: contacts with their custom
//! field values, tags, segments and groups, bulk import and export, merging duplicates,
//! and opt-outs per channel. Rules and SQL live here; pages and handlers stay thin.

pub mod api;
pub mod contact;
pub mod conversation_fields;
pub mod definitions;
pub mod demo;
pub mod export;
pub mod fields;
pub mod groups;
pub mod import;
pub mod list;
pub mod merge;
pub mod opt_outs;
pub mod phone;
pub mod phones;
pub mod segments;
pub mod set_sizes;
pub mod spreadsheet;
pub mod sql;
pub mod tags;
