//! Helpers shared by the foundation behaviour tests.
#![allow(dead_code)]

pub mod backend_suite;
pub mod postgres_server;
