//! The msgbuddy server as a library, so integration tests start the real thing on port 0.
//! The binary (`main.rs`) is only the command line around it.
#![forbid(unsafe_code)]
// Leptos view types nest deeply; computing their layout needs more than the default 128.
#![recursion_limit = "256"]

pub mod cli;
pub mod config;
pub mod csrf;
pub mod demo;
pub mod leptos_conf;
pub mod policy;
pub mod routes;
pub mod startup;
pub mod state;
pub mod worker;
