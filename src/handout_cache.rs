//! Handouts already made, kept between builds so that `build` makes again
//! only the handouts whose sources changed. The cache lives beside site.yaml
//! in `.movepress-cache/handouts/`, never in the output folder, and holds
//! only the public handouts of the site: `movepress handout`, which prints a
//! patient's name, never reads or writes it.
//!
//! Each entry is named by a hash of everything the handout shows (the
//! program or exercise, its exercises and pictures, site.yaml, the theme's
//! look, the movepress version and a fingerprint of the code that draws
//! handouts, made by build.rs). An entry ends with a checksum: a damaged
//! or cut-off entry is ignored and made again.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// The cache folder, relative to the site folder.
pub const FOLDER: &str = ".movepress-cache/handouts";

/// Ends every entry: a checksum of the PDF before it, then this tag.
const TAG: &[u8; 4] = b"mpc1";

/// The handout cache of one site.
pub struct HandoutCache {
    dir: PathBuf,
    /// Whether this run may add and remove entries (`check` only reads).
    writable: bool,
    /// Entries used by this build; the others are removed at the end.
    used: Mutex<HashSet<String>>,
}

/// Builds an entry's name from everything a handout shows.
pub struct Key(Sha256);

impl Key {
    pub fn new() -> Key {
        let mut hash = Sha256::new();
        hash.update(
            concat!(
                "movepress ",
                env!("CARGO_PKG_VERSION"),
                " ",
                env!("MOVEPRESS_HANDOUT_CODE"),
                "\n"
            )
            .as_bytes(),
        );
        Key(hash)
    }

    /// Adds one part; parts are separated, so ("ab", "c") differs from ("a", "bc").
    pub fn add(&mut self, part: &[u8]) -> &mut Key {
        self.0.update((part.len() as u64).to_le_bytes());
        self.0.update(part);
        self
    }

    fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl Default for Key {
    fn default() -> Self {
        Key::new()
    }
}

impl HandoutCache {
    /// The cache of the site in `root`. `writable: false` only reads it.
    pub fn open(root: &Path, writable: bool) -> HandoutCache {
        HandoutCache {
            dir: root.join(FOLDER),
            writable,
            used: Mutex::default(),
        }
    }

    /// The handout stored under `key`, if there is a sound one; `make` makes
    /// it otherwise, and it is stored. Returns the PDF and whether it came
    /// from the cache.
    pub fn get_or_make<E>(
        &self,
        key: Key,
        make: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<(Vec<u8>, bool), E> {
        let name = key.finish();
        if let Ok(mut used) = self.used.lock() {
            used.insert(name.clone());
        }
        let path = self.dir.join(&name);
        if let Some(pdf) = fs::read(&path).ok().and_then(unwrap_entry) {
            return Ok((pdf, true));
        }
        let pdf = make()?;
        if self.writable {
            // A cache that cannot be written only makes the next build slower.
            let _ = self.store(&path, &pdf);
        }
        Ok((pdf, false))
    }

    /// Writes an entry in one step: a reader sees the whole entry or none.
    fn store(&self, path: &Path, pdf: &[u8]) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let temporary = self
            .dir
            .join(format!(".{}.tmp-{}", std::process::id(), unique()));
        let mut file = fs::File::create(&temporary)?;
        let mut crc = flate2::Crc::new();
        crc.update(pdf);
        file.write_all(pdf)?;
        file.write_all(&crc.sum().to_le_bytes())?;
        file.write_all(TAG)?;
        drop(file);
        fs::rename(&temporary, path).inspect_err(|_| {
            let _ = fs::remove_file(&temporary);
        })
    }

    /// Removes the entries this build did not use (old versions of
    /// handouts, handouts of removed content) and leftover temporary files.
    pub fn prune(&self) {
        if !self.writable {
            return;
        }
        let Ok(used) = self.used.lock() else { return };
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !used.contains(&name) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// The PDF inside an entry, if its checksum holds.
fn unwrap_entry(mut entry: Vec<u8>) -> Option<Vec<u8>> {
    let length = entry.len().checked_sub(8)?;
    if &entry[length + 4..] != TAG {
        return None;
    }
    let stored = u32::from_le_bytes(entry[length..length + 4].try_into().ok()?);
    entry.truncate(length);
    let mut crc = flate2::Crc::new();
    crc.update(&entry);
    (crc.sum() == stored && entry.starts_with(b"%PDF-")).then_some(entry)
}

/// A number that differs between the threads of one process.
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        let mut key = Key::new();
        key.add(text.as_bytes());
        key
    }

    #[test]
    fn stores_reuses_and_ignores_damaged_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = HandoutCache::open(dir.path(), true);
        let pdf = b"%PDF-1.7 a handout %%EOF".to_vec();
        let made = cache.get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()));
        assert_eq!(made, Ok((pdf.clone(), false)));
        let again = cache.get_or_make(key("a"), || Err(()));
        assert_eq!(
            again,
            Ok((pdf.clone(), true)),
            "the second time, from the cache"
        );

        // Damaged: one byte changed, or cut off. Made again, never served.
        let entry = fs::read_dir(dir.path().join(FOLDER))
            .expect("entries")
            .flatten()
            .next()
            .expect("an entry")
            .path();
        let mut bytes = fs::read(&entry).expect("read");
        bytes[3] ^= 1;
        fs::write(&entry, &bytes).expect("write");
        let fresh = cache.get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()));
        assert_eq!(fresh, Ok((pdf.clone(), false)));
        fs::write(&entry, &pdf[..5]).expect("cut");
        let fresh = cache.get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()));
        assert_eq!(fresh, Ok((pdf.clone(), false)));

        // Another key is another handout.
        let other = cache.get_or_make(key("b"), || Ok::<_, ()>(b"%PDF-other".to_vec()));
        assert_eq!(other, Ok((b"%PDF-other".to_vec(), false)));
    }

    #[test]
    fn prune_keeps_only_what_the_build_used_and_check_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = HandoutCache::open(dir.path(), true);
        let _ = cache.get_or_make(key("old"), || Ok::<_, ()>(b"%PDF-old".to_vec()));
        let next = HandoutCache::open(dir.path(), true);
        let _ = next.get_or_make(key("new"), || Ok::<_, ()>(b"%PDF-new".to_vec()));
        next.prune();
        let names: Vec<_> = fs::read_dir(dir.path().join(FOLDER))
            .expect("entries")
            .flatten()
            .collect();
        assert_eq!(names.len(), 1, "only the entry of the last build is kept");

        let other = tempfile::tempdir().expect("temp dir");
        let read_only = HandoutCache::open(other.path(), false);
        let _ = read_only.get_or_make(key("x"), || Ok::<_, ()>(b"%PDF-x".to_vec()));
        read_only.prune();
        assert!(!other.path().join(".movepress-cache").exists());
    }

    #[test]
    fn parts_are_kept_apart() {
        let mut one = Key::new();
        one.add(b"ab").add(b"c");
        let mut two = Key::new();
        two.add(b"a").add(b"bc");
        assert_ne!(one.finish(), two.finish());
    }
}
