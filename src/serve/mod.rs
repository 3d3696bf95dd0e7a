//! `movepress serve`: build the site in memory, serve it on localhost, and
//! rebuild and reload the browser when a source changes.

pub mod http;
