//! The Wheelhouse server: configuration, the HTTP surface (console SSR, server functions, APIs)
//! and, behind it, the domain and its stores.

pub mod backend;
pub mod base64;
pub mod cli;
pub mod clock;
pub mod console;
pub mod demo;
pub mod domain;
pub mod http;
pub mod reconciler;
pub mod serve;
pub mod store;
