//! Integration tests: the real server on a random loopback port, each test with its own store,
//! every test run against SQLite and (when configured) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod admin_api_keys;
mod async_openai;
mod audit_actor;
mod audit_crash;
mod audit_logs;

mod cli;
mod cli_directory;
mod cli_invites;
mod cli_projects;
mod cli_users;
mod console;
mod console_directory;
mod console_emulator;
mod console_invites;
mod console_projects;
mod console_support;
mod control;
mod directory_transfer;
mod errors;
mod faults;
mod groups;
mod hardening;
mod invites;
mod isolation;
mod listing;
mod modify;
mod multi_instance;
mod project_keys;
mod projects;
mod roles;
mod service_accounts;
mod startup;
mod user_roles;
