//! Renderers: each turns the model into artifacts (a relative path and its
//! bytes) and writes nothing; the output module owns the disk.

pub mod html;
pub mod json;
pub mod meta;
pub mod pdf;
pub mod search;
pub mod theme;
pub mod views;

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Relative to the output folder, with `/` separators.
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Artifact {
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Artifact {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}
