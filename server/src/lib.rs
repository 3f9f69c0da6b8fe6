//! The Wheelhouse server: configuration, the HTTP surface (console SSR, server functions, APIs)
//! and, behind it, the domain and its stores.

pub mod audit;
pub mod backend;
pub mod cli;
pub mod client;
pub mod clock;
pub mod console;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod serve;
pub mod services;
pub mod state;
pub mod store;
