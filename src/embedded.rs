//! Files compiled into the binary by build.rs: the built-in themes (from
//! themes/) and the starter site of `movepress new` (from starter/).

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The files of a built-in theme, relative to the theme's folder.
pub fn theme_files(theme: &str) -> Vec<(&'static str, &'static [u8])> {
    let prefix = format!("{theme}/");
    THEMES
        .iter()
        .filter_map(|(path, bytes)| path.strip_prefix(prefix.as_str()).map(|p| (p, *bytes)))
        .collect()
}

/// The names of the built-in themes.
pub fn theme_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = THEMES
        .iter()
        .filter_map(|(path, _)| path.split('/').next())
        .collect();
    names.dedup();
    names
}
