//! The dev server: a build kept in memory and updated per changed file
//! (session), served over HTTP with live reload (server).

pub(crate) mod server;
pub mod session;

pub use server::{parse_form, DevServer, ServeOptions};
pub use session::Session;
