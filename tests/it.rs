//! The one integration-test binary: each module is a concern.

mod support;

mod analysis;
mod cli;
mod convert;
mod county;
mod diff;
mod docs;
mod files;
mod gxctl;
mod import;
mod narrative;
mod published;
mod real;
mod render;
mod review;
mod roundtrip;
mod rules;
mod security;
mod server;
mod web;
