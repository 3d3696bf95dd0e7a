//! Embeds the built-in themes and the starter site into the binary, so that
//! `movepress new` and sites without a themes/ folder work anywhere.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut code = String::new();
    for (name, folder) in [("THEMES", "themes"), ("STARTER", "starter")] {
        let base = Path::new(&root).join(folder);
        println!("cargo:rerun-if-changed={}", base.display());
        let mut files = Vec::new();
        collect(&base, &base, &mut files);
        files.sort();
        let _ = writeln!(code, "pub static {name}: &[(&str, &[u8])] = &[");
        for (relative, absolute) in files {
            println!("cargo:rerun-if-changed={absolute}");
            let _ = writeln!(code, "    ({relative:?}, include_bytes!({absolute:?})),");
        }
        let _ = writeln!(code, "];");
    }
    std::fs::write(Path::new(&out).join("embedded.rs"), code).expect("write embedded.rs");

    // The handout cache must not hand back PDFs made by other code: its
    // keys include this fingerprint of everything that draws a handout.
    let mut files = Vec::new();
    for folder in ["src/render/pdf", "fonts"] {
        let base = Path::new(&root).join(folder);
        println!("cargo:rerun-if-changed={}", base.display());
        collect(&base, &base, &mut files);
    }
    for file in ["src/markdown.rs", "src/model.rs", "Cargo.lock"] {
        files.push((
            file.to_string(),
            Path::new(&root).join(file).display().to_string(),
        ));
    }
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (relative, absolute) in &files {
        println!("cargo:rerun-if-changed={absolute}");
        let bytes = std::fs::read(absolute).unwrap_or_default();
        for byte in relative.as_bytes().iter().chain(&bytes) {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=MOVEPRESS_HANDOUT_CODE={hash:016x}");
}

fn collect(base: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if (name.starts_with('.') && name != ".gitignore" && name != ".github")
            || name.ends_with('~')
        {
            continue;
        }
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(base, &path, files);
        } else if let Ok(relative) = path.strip_prefix(base) {
            let relative = relative.to_string_lossy().replace('\\', "/");
            files.push((relative, path.to_string_lossy().into_owned()));
        }
    }
}
