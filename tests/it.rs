//! The one integration-test binary: each module is a concern.

mod support;

mod cli;
mod convert;
mod files;
mod rules;
mod server;
