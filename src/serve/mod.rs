//! The dev server: a build kept in memory and updated per changed file
//! (session), served over HTTP (server), rebuilt as files change (watch),
//! with a local form endpoint (submit).

pub(crate) mod server;
pub mod session;
pub(crate) mod submit;
pub(crate) mod watch;

pub use server::{DevServer, ServeOptions};
pub use session::Session;
pub use submit::parse_form;
