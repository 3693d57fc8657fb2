//! Integration tests: the real server, real database (SQLite, and PostgreSQL when
//! `TEST_DATABASE_URL` is set), real sessions, real job queue.

mod admin;
mod assignment;
mod auth;
mod bulk;
mod contact_panel;
mod contacts;
mod csrf;
mod deletes;
mod email;
mod events;
mod health;
mod helpers;
mod inbox;
mod jobs;
mod marks;
mod media;
mod messaging;
mod notes;
mod partner_api;
mod permissions;
mod presence;
mod providers;
mod push;
mod quick_replies;
mod replies;
mod saved_views;
mod search;
mod security;
mod sessions;
mod storage;
mod tenancy;
mod thread_pages;
mod workspaces;
