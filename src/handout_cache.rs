//! Handouts already made, kept between builds so that `build` makes again
//! only the handouts whose sources changed. The cache lives beside site.yaml
//! in `.movepress-cache/handouts/`, never in the output folder, and holds
//! only the public handouts of the site: `movepress handout`, which prints a
//! patient's name, never reads or writes it.
//!
//! Each entry is named by a hash of everything the handout shows (the
//! program or exercise, its exercises and pictures, site.yaml, the theme's
//! look, the movepress version and a fingerprint of the code that draws
//! handouts, made by build.rs), followed by a checksum of the PDF: a
//! damaged or cut-off entry is ignored and made again. An entry is the PDF
//! itself, byte for byte, so that a build can hard-link it into the output
//! instead of writing it again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::model::{Exercise, Program, Site};
use crate::render::pdf::HandoutOptions;

/// The cache folder, relative to the site folder.
pub const FOLDER: &str = ".movepress-cache/handouts";

/// The handout cache of one site.
pub struct HandoutCache {
    dir: PathBuf,
    /// Whether this run may add and remove entries (`check` only reads).
    writable: bool,
    /// The entries there were when the cache was opened: key -> file name.
    entries: HashMap<String, String>,
    /// Entries used by this build, by file name; the others are removed at the end.
    used: Mutex<HashSet<String>>,
}

/// A handout, from the cache or freshly made.
#[derive(Debug, PartialEq)]
pub struct Handout {
    pub pdf: Vec<u8>,
    /// The cache entry holding the same bytes, if there is one.
    pub entry: Option<PathBuf>,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// The keys of a site's handouts, from everything each shows: site.yaml and
/// the handout options, the logo, the program or exercise, each exercise's
/// pictures' bytes, and the addresses its internal links lead to (only
/// those: adding an exercise makes no other handout again).
pub struct Keys<'a> {
    site: &'a Site,
    /// site.yaml and the options, hashed once.
    shared: Vec<u8>,
    logo: Vec<u8>,
    /// Exercise slug -> everything its sheet shows, hashed once, though
    /// programs show it again.
    exercises: HashMap<&'a str, Vec<u8>>,
}

impl<'a> Keys<'a> {
    pub fn new(site: &'a Site, options: &HandoutOptions) -> Keys<'a> {
        use rayon::prelude::*;
        let shared = Sha256::digest(format!("{:?}\n{options:?}", site.config)).to_vec();
        let read = |file: &str| fs::read(site.root.join("static").join(file)).unwrap_or_default();
        let logo = site
            .config
            .clinic
            .logo
            .as_deref()
            .map(read)
            .unwrap_or_default();
        // Each picture once: many exercises may show one.
        let sources: BTreeSet<&str> = site
            .exercises
            .iter()
            .flat_map(|e| e.images.iter().map(|i| i.src.as_str()))
            .collect();
        let pictures: HashMap<&str, Vec<u8>> = sources
            .into_par_iter()
            .map(|src| (src, Sha256::digest(read(src)).to_vec()))
            .collect();
        let exercises = site
            .exercises
            .par_iter()
            .map(|exercise| {
                let mut hash = Sha256::new();
                hash.update(shown(exercise, &site.links));
                for image in &exercise.images {
                    hash.update(pictures.get(image.src.as_str()).map_or(&[][..], |p| p));
                }
                (exercise.slug.as_str(), hash.finalize().to_vec())
            })
            .collect();
        Keys {
            site,
            shared,
            logo,
            exercises,
        }
    }

    /// The key of a program's handout.
    pub fn program(&self, program: &Program) -> Key {
        let steps = program.exercises.iter().map(|step| step.exercise.as_str());
        self.key(&shown(program, &self.site.links), steps)
    }

    /// The key of an exercise's sheet.
    pub fn exercise(&self, exercise: &Exercise) -> Key {
        self.key(b"exercise", std::iter::once(exercise.slug.as_str()))
    }

    fn key<'s>(&self, shown: &[u8], exercises: impl Iterator<Item = &'s str>) -> Key {
        let mut key = Key::new();
        key.add(&self.shared).add(&self.logo).add(shown);
        for slug in exercises {
            key.add(self.exercises.get(slug).map_or(&[][..], |s| s));
        }
        key
    }
}

/// Everything a program or exercise holds, as bytes to hash (what its
/// `Hash` writes), followed by the addresses that the internal links
/// (`@/exercises/cat-cow.md`) written anywhere in its texts lead to, one
/// line each: moving a linked exercise makes the handout again.
fn shown(value: &impl Hash, links: &BTreeMap<String, String>) -> Vec<u8> {
    let mut shown = Shown::default();
    value.hash(&mut shown);
    let Shown { mut bytes, targets } = shown;
    for target in targets {
        bytes.extend_from_slice(target.as_bytes());
        bytes.push(b'=');
        bytes.extend_from_slice(links.get(&target).map_or("", String::as_str).as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

/// A `Hasher` that keeps what it is given, and notes the internal link
/// targets in each text it is given: wherever Markdown may hold a link or
/// a picture. It may find more than the links a handout shows, never fewer.
#[derive(Default)]
struct Shown {
    bytes: Vec<u8>,
    targets: Vec<String>,
}

impl Hasher for Shown {
    fn write(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        let link = memchr::memchr_iter(b'@', bytes).any(|at| bytes.get(at + 1) == Some(&b'/'));
        if link {
            let text = String::from_utf8_lossy(bytes);
            self.targets
                .extend(crate::content::links::targets_in(&text).map(str::to_string));
        }
    }

    /// Never used: the bytes are hashed with SHA-256.
    fn finish(&self) -> u64 {
        0
    }
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
        let dir = root.join(FOLDER);
        let entries = fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|entry| {
                        let name = entry.file_name().into_string().ok()?;
                        let (key, _) = name.split_once('-')?;
                        Some((key.to_string(), name))
                    })
                    .collect()
            })
            .unwrap_or_default();
        HandoutCache {
            dir,
            writable,
            entries,
            used: Mutex::default(),
        }
    }

    /// The handout stored under `key`, if there is a sound one; `make` makes
    /// it otherwise, and it is stored.
    pub fn get_or_make<E>(
        &self,
        key: Key,
        make: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Handout, E> {
        let key = key.finish();
        if let Some(name) = self.entries.get(&key) {
            let path = self.dir.join(name);
            if let Some(pdf) = fs::read(&path).ok().filter(|pdf| sound(name, pdf)) {
                self.use_entry(name.clone());
                return Ok(Handout {
                    pdf,
                    entry: Some(path),
                    cached: true,
                });
            }
        }
        let pdf = make()?;
        let mut entry = None;
        if self.writable {
            let name = format!("{key}-{:08x}", checksum(&pdf));
            // A cache that cannot be written only makes the next build slower.
            if self.store(&name, &pdf).is_ok() {
                entry = Some(self.dir.join(&name));
                self.use_entry(name);
            }
        }
        Ok(Handout {
            pdf,
            entry,
            cached: false,
        })
    }

    fn use_entry(&self, name: String) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(name);
        }
    }

    /// Writes an entry in one step: a reader sees the whole entry or none.
    fn store(&self, name: &str, pdf: &[u8]) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let temporary = self
            .dir
            .join(format!(".{}.tmp-{}", std::process::id(), unique()));
        let mut file = fs::File::create(&temporary)?;
        file.write_all(pdf)?;
        drop(file);
        fs::rename(&temporary, self.dir.join(name)).inspect_err(|_| {
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

/// Whether an entry named `name` holds a PDF whose checksum is the one in its name.
fn sound(name: &str, pdf: &[u8]) -> bool {
    let stored = name
        .rsplit_once('-')
        .and_then(|(_, sum)| u32::from_str_radix(sum, 16).ok());
    stored == Some(checksum(pdf)) && pdf.starts_with(b"%PDF-")
}

fn checksum(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
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
        let made = cache
            .get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()))
            .expect("made");
        assert_eq!((&made.pdf, made.cached), (&pdf, false));
        let entry = made.entry.expect("stored");
        assert_eq!(
            fs::read(&entry).expect("entry"),
            pdf,
            "the entry is the PDF"
        );
        let cache = HandoutCache::open(dir.path(), true);
        let again = cache.get_or_make(key("a"), || Err(())).expect("cached");
        assert_eq!(
            (&again.pdf, again.cached, again.entry.as_ref()),
            (&pdf, true, Some(&entry)),
            "the second time, from the cache"
        );

        // Damaged: one byte changed, or cut off. Made again, never served.
        let mut bytes = fs::read(&entry).expect("read");
        bytes[3] ^= 1;
        fs::write(&entry, &bytes).expect("write");
        let fresh = HandoutCache::open(dir.path(), true)
            .get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()))
            .expect("made again");
        assert_eq!((&fresh.pdf, fresh.cached), (&pdf, false));
        fs::write(&entry, &pdf[..5]).expect("cut");
        let fresh = HandoutCache::open(dir.path(), true)
            .get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()))
            .expect("made again");
        assert_eq!((&fresh.pdf, fresh.cached), (&pdf, false));

        // Another key is another handout.
        let other = cache
            .get_or_make(key("b"), || Ok::<_, ()>(b"%PDF-other".to_vec()))
            .expect("made");
        assert_eq!((&other.pdf[..], other.cached), (&b"%PDF-other"[..], false));
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
