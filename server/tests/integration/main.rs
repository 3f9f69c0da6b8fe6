//! Integration tests of the `wheelhouse` server: one test binary (one link on 2 cores), one module
//! per capability. Database tests run on SQLite and on PostgreSQL (see `support`).

mod forms;
mod support;

mod alerts;
mod audit;
mod audit_crash;
mod authorization;
mod backend;
mod cli;
mod concurrency;
mod console;
mod crash;
mod freshness;
mod fuzz;
mod identity;
mod kubectl;
mod one_path;
mod openapi;
mod probes;
mod races;
mod remote_provider;
mod restore;
mod rollback;
mod sandbox;
mod scaleway_api;
mod seam;
mod store;
mod strict_inputs;
mod upgrade;
