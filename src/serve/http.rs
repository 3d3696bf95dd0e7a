//! The development web server (being written).
